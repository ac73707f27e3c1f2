"""The session view: the clock band with its controls, and the session's log below it.

Every control commits through ``LiveSession`` first and only then redraws, so what the screen
shows as done is saved. Mistakes (advancing past the last phase...) are said in a quiet line
under the controls; nothing here opens a dialog or takes keyboard focus by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from kapdesk.domain.clock import format_span
from kapdesk.domain.entries import describe_entry, kind_label
from kapdesk.store.errors import StoreError
from kapdesk.ui.clock_band import ClockBand

if TYPE_CHECKING:
    from kapdesk.live_session import LiveSession

# How long the end-session button waits for its second press before it disarms.
ARM_MS = 5000


class SessionView(QWidget):
    closed = Signal()  # the therapist went back to the start screen

    def __init__(self, live: LiveSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self.band = ClockBand()
        self.message = QLabel("")
        self.message.setWordWrap(True)

        self.buttons: dict[str, QPushButton] = {}
        for name, text, keys, slot in (
            ("dose", "Dose T0", "Ctrl+D", self.mark_dose),
            ("next", "Next phase", "Ctrl+N", self.advance_phase),
            ("extend5", "+5 min", "Ctrl+E", lambda: self.extend_phase(5)),
            ("extend15", "+15 min", "Ctrl+Shift+E", lambda: self.extend_phase(15)),
            ("reminder", "Vitals taken", "Ctrl+K", self.reminder_done),
            ("end", "End session", "Ctrl+Shift+W", self.end_session),
            ("back", "Start screen", "Ctrl+Backspace", self.closed.emit),
        ):
            button = QPushButton(f"{text}  {keys}")
            button.setProperty("compact", "true")
            button.setToolTip(f"{text} ({keys})")
            button.clicked.connect(slot)
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(button.click)
            self.band.controls.addWidget(button)
            self.buttons[name] = button
        self.band.controls.addStretch(1)
        self._armed = QTimer(self, singleShot=True, interval=ARM_MS)
        self._armed.timeout.connect(self._disarm)

        self.log = QTreeWidget()
        self.log.setHeaderLabels(["Time", "T+", "What", "Detail", "By"])
        self.log.setRootIsDecorated(False)
        self.log.setAlternatingRowColors(True)
        self.log.setColumnWidth(0, 90)
        self.log.setColumnWidth(1, 80)
        self.log.setColumnWidth(2, 110)
        self.log.setColumnWidth(3, 420)
        log_pane = QFrame()
        log_pane.setObjectName("pane")
        log_layout = QVBoxLayout(log_pane)
        title = QLabel("Session log")
        title.setProperty("role", "title")
        log_layout.addWidget(title)
        log_layout.addWidget(self.log)
        # Later parts (music, vitals, notes) add their panes to this splitter.
        self.panes = QSplitter(Qt.Orientation.Horizontal)
        self.panes.addWidget(log_pane)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.band)
        layout.addWidget(self.message)
        layout.addWidget(self.panes, 1)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.tick)
        self.refresh()
        if not live.ended:
            self.tick()

    # -- ticking ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Redraw from the injected clock, then wake just after the next whole second."""
        reading = self.live.reading()
        self.band.show_reading(reading)
        if not self.live.ended:
            millis = reading.now.microsecond // 1000
            self._timer.start(1000 - millis + 5)

    def stop(self) -> None:
        self._timer.stop()

    # -- actions ------------------------------------------------------------------------------
    def _act(self, action, done: str) -> None:
        try:
            action()
        except StoreError as exc:
            self.say(f"Not saved: {exc}.", error=True)
            return
        self.say(done)
        self.refresh()
        self.tick()

    def mark_dose(self) -> None:
        self._act(self.live.mark_dose, "Dose time T0 saved.")

    def advance_phase(self) -> None:
        self._act(self.live.advance_phase, "Phase change saved.")

    def extend_phase(self, minutes: int) -> None:
        self._act(lambda: self.live.extend_phase(minutes), f"Phase extended by {minutes} min (saved).")

    def reminder_done(self) -> None:
        self._act(self.live.reminder_done, "Reading time saved.")

    def end_session(self) -> None:
        """Two presses within a few seconds: ending cannot be undone, and there is no dialog to confirm."""
        button = self.buttons["end"]
        if not self._armed.isActive():
            self._armed.start()
            button.setText("Press again to end  Ctrl+Shift+W")
            button.setProperty("armed", "true")
            button.style().polish(button)
            self.say("Press End session again within 5 seconds to end the session.", error=True)
            return
        self._disarm()
        self._act(self.live.end, "Session ended and saved.")

    def say(self, text: str, *, error: bool = False) -> None:
        """One quiet line under the controls: amber for what needs attention, dim for confirmations."""
        self.message.setText(text)
        role = "message" if error else "status"
        if self.message.property("role") != role:
            self.message.setProperty("role", role)
            self.message.style().polish(self.message)

    def _disarm(self) -> None:
        self._armed.stop()
        button = self.buttons["end"]
        button.setText("End session  Ctrl+Shift+W")
        button.setProperty("armed", "false")
        button.style().polish(button)

    # -- display ------------------------------------------------------------------------------
    def refresh(self) -> None:
        live = self.live
        ended = live.ended
        dosed = live.info.dose_at is not None
        self.buttons["dose"].setEnabled(not ended and not dosed)
        for name in ("next", "extend5", "extend15", "reminder", "end"):
            self.buttons[name].setEnabled(not ended)
        if ended:
            self.stop()
        self.log.clear()
        for entry in live.entries():
            self.log.addTopLevelItem(QTreeWidgetItem(self._log_row(entry)))
        self.log.scrollToBottom()

    def _log_row(self, entry) -> list[str]:
        dose_at = self.live.info.dose_at
        offset = "T+" + format_span(entry.occurred_at - dose_at) if dose_at and entry.occurred_at >= dose_at else ""
        detail = describe_entry(entry.kind, entry.payload)
        if not entry.current:
            detail = f"{detail}  (corrected)"
        return [_local(entry.occurred_at), offset, kind_label(entry.kind), detail, entry.author_name]


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")
