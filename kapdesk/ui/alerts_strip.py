"""The alerts strip: what needs the clinician's attention, said quietly and in place.

A dim room and a client under an eye mask rule out the usual alarm: there is no sound, no bright
red, no flashing, no dialog, and nothing here ever takes keyboard focus or raises the window,
because the therapist may be typing a client's words when an alert appears. The strip is one
framed block of text listing the active alerts, most pressing first, plus a dim line for the last
acknowledgement.

**Severity you can see.** Each line starts with its severity as a symbol and a word
(``‼ CRITICAL``, ``! caution``, ``· reminder``: :data:`kapdesk.domain.alerts.SEVERITY_LABELS`) in
that severity's colour, and the block's frame takes the shape of the top alert's severity (a
thick double frame for critical, a single one for caution, a thin dashed one for a reminder; see
:mod:`kapdesk.ui.theme`). So the severities differ by text and shape, not by colour alone, in
both themes; the lines are re-coloured when the theme changes (Ctrl+L).

**A reason for a critical alert.** Acknowledging a critical alert asks for a short reason in a
line that opens inside the strip (no dialog). It takes the cursor only because the clinician
has just asked to acknowledge; Enter records (an empty reason is refused in place, with one
line saying so), Esc leaves the alert as it is; either way the cursor goes back where it was.

It only displays and asks. The record pane decides what is active (:mod:`kapdesk.domain.alerting`),
records alerts and acknowledgements, and owns the key that acknowledges the top alert; the
strip's button is there for the mouse and never takes focus either.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kapdesk.domain.alerting import ActiveAlert
from kapdesk.domain.alerts import severity_label
from kapdesk.ui import keymap
from kapdesk.ui.kit import no_focus, restyle
from kapdesk.ui.theme import current_theme

# Beyond this many lines the strip says "+N more" rather than growing over the entry lines.
MAX_LINES = 3
REASON_MISSING = "Type a short reason first: a critical alert is acknowledged with one. Nothing was recorded."


class AlertsStrip(QFrame):
    acknowledge_clicked = Signal()  # the button was clicked (the keyboard path is the pane's shortcut)
    reason_entered = Signal(str)  # Enter in the reason line: the text as typed (the pane checks it)
    reason_cancelled = Signal()  # Esc in the reason line

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
        self.ack_button.setToolTip(f"Acknowledge the top alert ({keys}); who and when are recorded, "
                                   "and for a critical alert a short reason")
        no_focus(self.ack_button)
        self.ack_button.clicked.connect(self.acknowledge_clicked)

        # The reason line for a critical alert: hidden, and unreachable by Tab, until asked for.
        self.reason_row = QWidget()
        self.reason_prompt = QLabel("")
        self.reason_prompt.setProperty("role", "message")
        self.reason_prompt.setWordWrap(True)
        self.reason_prompt.setTextFormat(Qt.TextFormat.PlainText)
        no_focus(self.reason_prompt)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for acknowledging the critical alert")
        self.reason.setPlaceholderText(
            f"Reason (required, kept in the record) · {keymap.key_text(keymap.key('alerts.reason_confirm'))} "
            f"acknowledges · {keymap.key_text(keymap.key('alerts.reason_cancel'))} leaves it")
        no_focus(self.reason)
        self.reason.returnPressed.connect(lambda: self.reason_entered.emit(self.reason.text()))
        self.reason.textEdited.connect(lambda _text: self.reason_message.hide())
        keymap.shortcuts("alerts.reason_cancel", self.reason, self.reason_cancelled.emit)
        self.reason_message = QLabel("")
        self.reason_message.setProperty("role", "message")
        self.reason_message.setWordWrap(True)
        no_focus(self.reason_message)
        reason_layout = QVBoxLayout(self.reason_row)
        reason_layout.setContentsMargins(0, 0, 0, 0)
        reason_layout.setSpacing(2)
        reason_layout.addWidget(self.reason_prompt)
        reason_layout.addWidget(self.reason)
        reason_layout.addWidget(self.reason_message)
        self.reason_row.hide()
        self._return_focus: QWidget | None = None

        # One row: on a 1280x800 laptop every line under the clock is taken from the record below.
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.alerts_label, 3)
        row.addWidget(self.status, 1)
        row.addWidget(self.ack_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.reason_row)
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

    # -- the reason line --------------------------------------------------------------------------
    @property
    def asking(self) -> bool:
        return not self.reason_row.isHidden()

    def ask_reason(self, alert: ActiveAlert) -> None:
        """Open the reason line for ``alert`` and put the cursor in it (the clinician asked to
        acknowledge); remember where the cursor was, to give it back."""
        if not self.asking:
            self._return_focus = QApplication.focusWidget()
        self.reason_prompt.setText(f"{severity_label(alert.severity)}: {alert.message} — why is it acknowledged?")
        self.reason_message.hide()
        self.reason.clear()
        self.reason.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.reason_row.show()
        self.reason.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def refuse_reason(self, text: str = REASON_MISSING) -> None:
        """Say in one line why nothing was recorded; the typed text and the cursor stay."""
        self.reason_message.setText(text)
        self.reason_message.show()
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_reason(self) -> None:
        """Hide the reason line and give the cursor back to where it was before it opened."""
        had_focus = self.reason.hasFocus()
        self.reason_row.hide()
        self.reason.clear()
        self.reason.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        back, self._return_focus = self._return_focus, None
        if had_focus and back is not None and isValid(back) and back.isVisible():
            back.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- drawing ----------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        # Ctrl+L swaps the application's style sheet: the lines carry the theme's colours.
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.PaletteChange):
            self._render()
        super().changeEvent(event)

    def _render(self) -> None:
        alerts = self._alerts
        active = bool(alerts)
        self.alerts_label.setVisible(active)
        self.ack_button.setVisible(active)
        restyle(self.alerts_label, "severity", alerts[0].severity if active else "")
        theme = current_theme()
        lines = []
        for index, alert in enumerate(alerts[:MAX_LINES]):
            when = alert.raised_at.astimezone().strftime("%H:%M")
            if alert.t_plus is not None:  # the record's T+ minute, the same label every output uses
                when += f" ({alert.t_plus})"
            label = f"<b>{escape(severity_label(alert.severity))}</b>"
            text = (f'<span style="color: {theme.severity_color(alert.severity)}">{label}&nbsp;&nbsp;'
                    f"{escape(when)}&nbsp;&nbsp;{escape(alert.message)}</span>")
            # The top alert (the one the key acknowledges) is set larger, to be read from the chair.
            lines.append(f'<span style="font-size: 19px; font-weight: 600">{text}</span>' if index == 0 else text)
        if len(alerts) > MAX_LINES:
            lines.append(f"+{len(alerts) - MAX_LINES} more")
        self.alerts_label.setText("<br>".join(lines))
        self.status.setText(self._note or ("" if active else "No alerts"))
        self.status.setVisible(bool(self.status.text()))
