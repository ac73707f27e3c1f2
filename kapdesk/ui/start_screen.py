"""The start screen: resume a sitting in progress, or start one, and see past sessions.

The signed-in clinician is the author of everything started or resumed here ("Signed in as …";
no name is typed). Open emergency accesses (break glass) are listed at the top until an admin
reviews them on the clinicians page.

A sitting interrupted by a crash is offered first and has the keyboard focus, and while it is
offered Enter resumes it wherever the focus is (``start.resume`` in the key map), so after a
restart one Enter brings the clock back. Bad input is said beside the form and the typed text
stays. No protocol is picked for the clinician unless there is a reason (the clinic's last
session, or the clinic's ``default_protocol``): the main window calls :meth:`choose_protocol`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kapdesk.domain.protocols import Protocol, ProtocolError
from kapdesk.ui import keymap

if TYPE_CHECKING:
    from kapdesk.domain.info import EmergencyAccessInfo, SessionInfo


class StartScreen(QWidget):
    start_requested = Signal(str, str)  # (client label, protocol id) as typed or picked
    resume_requested = Signal(object)  # session id
    sign_out_requested = Signal()
    accounts_requested = Signal()

    def __init__(self, protocols: list[Protocol], protocol_errors: list[ProtocolError], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.protocols = protocols
        title = QLabel("KAPDesk")
        title.setProperty("role", "big")

        self.resume_box = QVBoxLayout()
        self.signed_in = QLabel("")
        self.signed_in.setAccessibleName("Signed in as")
        self.signed_in.setWordWrap(True)  # a long name must never widen the window past the screen
        self.signed_in.setProperty("role", "dim")
        self.emergencies = QLabel("")  # open break-glass accesses, until an admin reviews them
        self.emergencies.setProperty("role", "message")
        self.emergencies.setWordWrap(True)
        self.emergencies.setAccessibleName("Open emergency accesses")
        self.emergencies.hide()
        keymap.shortcuts("start.sign_out", self, self.sign_out_requested.emit)
        keymap.shortcuts("start.accounts", self, self.accounts_requested.emit)
        self.client = QComboBox(editable=True)
        self.client.lineEdit().setPlaceholderText("Client pseudonym (never a real name)")
        self.protocol = QComboBox()
        self.protocol.setPlaceholderText("Pick the protocol")
        for protocol in protocols:
            self.protocol.addItem(protocol.name, protocol.id)
        self.protocol.setCurrentIndex(-1)  # nothing picked on the clinician's behalf
        self.protocol.setAccessibleName("Protocol")
        self.start_button = QPushButton(f"Start session   {keymap.key('start.start')}")
        self.start_button.clicked.connect(self._request_start)
        keymap.shortcuts("start.start", self, self.start_button.click)
        self._resume_keys = keymap.shortcuts("start.resume", self, self._resume_first)
        for shortcut in self._resume_keys:
            shortcut.setEnabled(False)  # only while a session in progress is offered
        self.message = QLabel("")
        self.message.setProperty("role", "message")
        self.message.setWordWrap(True)

        form_pane = QFrame()
        form_pane.setObjectName("pane")
        form = QFormLayout(form_pane)
        heading = QLabel("New session")
        heading.setProperty("role", "title")
        form.addRow(heading)
        form.addRow(self.signed_in)
        form.addRow(keymap.mnemonic("Client", "start.client"), self.client)
        form.addRow(keymap.mnemonic("Protocol", "start.protocol"), self.protocol)
        form.addRow(self.start_button)
        form.addRow(self.message)
        if protocol_errors:
            problems = QLabel("Protocol files not loaded:\n" + "\n".join(str(e) for e in protocol_errors))
            problems.setProperty("role", "message")
            problems.setWordWrap(True)
            problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(problems)

        # The history and course view arrives with the record (set_history): it needs the clinic.
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
        layout.addWidget(self.emergencies)
        layout.addLayout(self.resume_box)
        layout.addLayout(row, 1)
        self.resume_buttons: list[QPushButton] = []

    def set_history(self, history: QWidget) -> None:
        self.history = history
        self.history_layout.addWidget(history, 1)

    def populate(self, clinician: str, clients: list[str], in_progress: list[SessionInfo],
                 emergencies: list[EmergencyAccessInfo] = ()) -> None:
        self.signed_in.setText(f"Signed in as {clinician}   ·   {keymap.key('start.accounts')} clinicians, your PIN"
                               f"   ·   {keymap.key('start.sign_out')} sign out")
        self.emergencies.setText("\n".join(
            f"Emergency access (break glass) at {e.at.astimezone():%H:%M on %d %b}: {e.reason} — "
            f"open until an admin reviews it ({keymap.key('start.accounts')})" for e in emergencies))
        self.emergencies.setVisible(bool(emergencies))
        typed_client = self.client.currentText()
        self.client.clear()
        self.client.addItems(clients)
        self.client.setCurrentText(typed_client)
        for button in self.resume_buttons:
            button.deleteLater()
        self.resume_buttons = []
        for info in in_progress:
            started = info.arrival_at.astimezone().strftime("%H:%M on %d %b")
            button = QPushButton(f"Resume the session in progress: {info.client_label} · {info.protocol.name} · "
                                 f"arrived {started}   {keymap.key('start.resume')}")
            button.setProperty("armed", "true")
            button.clicked.connect(lambda _=False, sid=info.id: self.resume_requested.emit(sid))
            self.resume_box.addWidget(button)
            self.resume_buttons.append(button)
        for shortcut in self._resume_keys:
            shortcut.setEnabled(bool(self.resume_buttons))
        self.focus_first()

    def choose_protocol(self, protocol_id: str | None) -> bool:
        """Pick ``protocol_id`` (None: none); False when no loaded protocol has that id."""
        index = self.protocol.findData(protocol_id) if protocol_id is not None else -1
        self.protocol.setCurrentIndex(index)
        return index >= 0 or protocol_id is None

    def _resume_first(self) -> None:
        if self.resume_buttons:
            self.resume_buttons[0].click()

    def focus_first(self) -> None:
        """After a crash the resume offer comes first; otherwise the form."""
        target = self.resume_buttons[0] if self.resume_buttons else self.client
        target.setFocus()
        if self.resume_buttons:
            self.resume_buttons[0].setDefault(True)

    def _request_start(self) -> None:
        if self.protocol.currentIndex() < 0 and self.protocols:
            names = " · ".join(p.name for p in self.protocols)
            self.show_message(f"Pick the protocol first ({keymap.key('start.protocol')}, then ↑/↓): {names}.")
            self.protocol.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        self.start_requested.emit(self.client.currentText(), self.protocol.currentData() or "")

    def show_message(self, text: str) -> None:
        self.message.setText(text)

