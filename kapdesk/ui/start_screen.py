"""The start screen: resume a sitting in progress, or start one, and see past sessions.

A sitting interrupted by a crash is offered first and has the keyboard focus, so after a restart
one Enter brings the clock back. Bad input is said beside the form and the typed text stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kapdesk.domain.protocols import Protocol, ProtocolError

if TYPE_CHECKING:
    from kapdesk.store import SessionInfo


class StartScreen(QWidget):
    # (clinician name, client label, protocol id) as typed or picked
    start_requested = Signal(str, str, str)
    resume_requested = Signal(object, str)  # session id, clinician name

    def __init__(self, protocols: list[Protocol], protocol_errors: list[ProtocolError], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.protocols = protocols
        title = QLabel("KAPDesk")
        title.setProperty("role", "big")

        self.resume_box = QVBoxLayout()
        self.clinician = QComboBox(editable=True)
        self.clinician.setPlaceholderText("your name")
        self.clinician.lineEdit().setPlaceholderText("Clinician name")
        self.client = QComboBox(editable=True)
        self.client.lineEdit().setPlaceholderText("Client pseudonym (never a real name)")
        self.protocol = QComboBox()
        for protocol in protocols:
            self.protocol.addItem(protocol.name, protocol.id)
        self.start_button = QPushButton("Start session   Ctrl+Return")
        self.start_button.clicked.connect(self._request_start)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.start_button.click)
        self.message = QLabel("")
        self.message.setProperty("role", "message")
        self.message.setWordWrap(True)

        form_pane = QFrame()
        form_pane.setObjectName("pane")
        form = QFormLayout(form_pane)
        heading = QLabel("New session")
        heading.setProperty("role", "title")
        form.addRow(heading)
        form.addRow("&Clinician", self.clinician)
        form.addRow("C&lient", self.client)
        form.addRow("&Protocol", self.protocol)
        form.addRow(self.start_button)
        form.addRow(self.message)
        if protocol_errors:
            problems = QLabel("Protocol files not loaded:\n" + "\n".join(str(e) for e in protocol_errors))
            problems.setProperty("role", "message")
            problems.setWordWrap(True)
            problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(problems)

        # The history and course view arrives with the record (set_history): it needs the store.
        self.history_pane = QFrame()
        self.history_pane.setObjectName("pane")
        self.history_layout = QVBoxLayout(self.history_pane)
        self.history_layout.setContentsMargins(0, 0, 0, 0)
        self.history = None

        row = QHBoxLayout()
        row.addWidget(form_pane, 1)
        row.addWidget(self.history_pane, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(title)
        layout.addLayout(self.resume_box)
        layout.addLayout(row, 1)
        self.resume_buttons: list[QPushButton] = []

    def set_history(self, history: QWidget) -> None:
        self.history = history
        self.history_layout.addWidget(history, 1)

    def populate(self, clinicians: list[str], clients: list[str], in_progress: list[SessionInfo]) -> None:
        typed_clinician, typed_client = self.clinician.currentText(), self.client.currentText()
        self.clinician.clear()
        self.clinician.addItems(clinicians)
        self.clinician.setCurrentText(typed_clinician or (clinicians[0] if clinicians else ""))
        self.client.clear()
        self.client.addItems(clients)
        self.client.setCurrentText(typed_client)
        for button in self.resume_buttons:
            button.deleteLater()
        self.resume_buttons = []
        for info in in_progress:
            started = info.arrival_at.astimezone().strftime("%H:%M on %d %b")
            button = QPushButton(f"Resume the session in progress: {info.client_label} · {info.protocol.name} · arrived {started}   Enter")
            button.setProperty("armed", "true")
            button.clicked.connect(lambda _=False, sid=info.id, who=info.clinician_name: self.resume_requested.emit(sid, who))
            self.resume_box.addWidget(button)
            self.resume_buttons.append(button)
        self.focus_first()

    def focus_first(self) -> None:
        """After a crash the resume offer comes first; otherwise the form."""
        target = self.resume_buttons[0] if self.resume_buttons else (self.client if self.clinician.currentText() else self.clinician)
        target.setFocus()
        if self.resume_buttons:
            self.resume_buttons[0].setDefault(True)

    def _request_start(self) -> None:
        self.start_requested.emit(self.clinician.currentText(), self.client.currentText(), self.protocol.currentData() or "")

    def show_message(self, text: str) -> None:
        self.message.setText(text)

