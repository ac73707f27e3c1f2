"""The alerts strip: what needs the clinician's attention, said quietly and in place.

A dim room and a client under an eye mask rule out the usual alarm: there is no sound, no colour
red, no flashing, no dialog, and nothing here ever takes keyboard focus or raises the window,
because the therapist may be typing a client's words when an alert appears. The strip is one
amber-bordered block of text (the theme's ``state="overdue"`` look) listing the active alerts,
most pressing first, plus a dim line for the last acknowledgement.

It only displays. The record pane decides what is active (:mod:`kapdesk.domain.alerting`),
records alerts and acknowledgements, and owns the key that acknowledges the top alert; the
strip's button is there for the mouse and never takes focus either.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from kapdesk.domain.alerting import ActiveAlert
from kapdesk.ui import keymap
from kapdesk.ui.kit import no_focus, restyle

# Beyond this many lines the strip says "+N more" rather than growing over the entry lines.
MAX_LINES = 3


class AlertsStrip(QFrame):
    acknowledge_clicked = Signal()  # the button was clicked (the keyboard path is the pane's shortcut)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alerts")
        no_focus(self)
        # Belt and braces: a strip shown on its own (tests, a detached pane) must not activate.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.alerts_label = QLabel("")
        self.alerts_label.setWordWrap(True)
        self.alerts_label.setTextFormat(Qt.TextFormat.RichText)
        self.alerts_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.alerts_label.setMargin(4)
        no_focus(self.alerts_label)
        self.status = QLabel("No alerts")
        self.status.setProperty("role", "status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        no_focus(self.status)
        keys = keymap.key("record.acknowledge")
        self.ack_button = QPushButton(f"Acknowledge  {keys}")
        self.ack_button.setProperty("compact", "true")
        self.ack_button.setToolTip(f"Acknowledge the top alert ({keys}); who and when are recorded")
        no_focus(self.ack_button)
        self.ack_button.clicked.connect(self.acknowledge_clicked)

        # One row: on a 1280x800 laptop every line under the clock is taken from the record below.
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.alerts_label, 3)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.ack_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._alerts: tuple[ActiveAlert, ...] = ()
        self._note = ""
        self._render()

    @property
    def alerts(self) -> tuple[ActiveAlert, ...]:
        return self._alerts

    def show_alerts(self, alerts: Sequence[ActiveAlert]) -> None:
        """List ``alerts`` (most pressing first). Changes text only: no focus, no raise, no sound."""
        self._alerts = tuple(alerts)
        self._render()

    def show_status(self, text: str) -> None:
        """A dim line under the alerts: the last acknowledgement, or why one was not recorded."""
        self._note = text
        self._render()

    def _render(self) -> None:
        alerts = self._alerts
        active = bool(alerts)
        self.alerts_label.setVisible(active)
        self.ack_button.setVisible(active)
        restyle(self.alerts_label, "state", "overdue" if active else "")
        lines = []
        for index, alert in enumerate(alerts[:MAX_LINES]):
            when = alert.raised_at.astimezone().strftime("%H:%M")
            if alert.t_plus is not None:  # the record's T+ minute, the same label every output uses
                when += f" ({alert.t_plus})"
            text = f"{escape(when)}&nbsp;&nbsp;{escape(alert.message)}"
            # The top alert (the one the key acknowledges) is set larger, to be read from the chair.
            lines.append(f'<span style="font-size: 19px; font-weight: 600">{text}</span>' if index == 0 else text)
        if len(alerts) > MAX_LINES:
            lines.append(f"+{len(alerts) - MAX_LINES} more")
        self.alerts_label.setText("<br>".join(lines))
        self.status.setText(self._note or ("" if active else "No alerts"))
        self.status.setVisible(bool(self.status.text()))
