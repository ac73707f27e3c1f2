"""The clinicians page: an admin's list of accounts and the clinic's emergency settings, and each
clinician's own PIN and password.

An admin sees every clinician with their role and whether they are active; adds one (name, role,
password); deactivates or reactivates the selected one (never deletes: the record names its
authors); resets their password; sets the clinic's emergency code; and reviews the open
emergency accesses, which the start screen lists until then. Everyone can set their own PIN (for
the lock and the hand-off) and change their password. Every field saves on Enter and answers in
the one quiet line at the top; nothing opens a dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapdesk.session import StoreError
from kapdesk.session.accounts import ROLES, CredentialError, SignInError
from kapdesk.ui import keymap
from kapdesk.ui.credential_forms import plain_line, secret_line, sentence
from kapdesk.ui.kit import EnterFilter, focus, make_label, set_role

if TYPE_CHECKING:
    from collections.abc import Callable

    from kapdesk.domain.info import ClinicianInfo
    from kapdesk.session import Clinic

REFUSALS = (StoreError, CredentialError, SignInError)


def _pane(title: str) -> tuple[QFrame, QFormLayout]:
    frame = QFrame()
    frame.setObjectName("pane")
    form = QFormLayout(frame)
    form.addRow(make_label(title, "title"))
    return frame, form


class AccountsPage(QWidget):
    closed = Signal()  # back to the start screen

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.clinician: ClinicianInfo | None = None
        self.title = make_label("Clinicians", "big")
        self.message = make_label("", "status", wrap=True)
        back = QPushButton(f"Start screen  {keymap.key('accounts.back')}")
        back.setProperty("compact", "true")
        back.clicked.connect(self.closed.emit)
        keymap.shortcuts("accounts.back", self, self.closed.emit)

        # -- the admin's part --------------------------------------------------------------------
        self.admin, form = _pane("Clinicians of this record")
        self.list = QListWidget()
        self.list.setAccessibleName("Clinicians")
        form.addRow(self.list)
        self.toggle_button = QPushButton("Deactivate / reactivate the selected clinician")
        self.toggle_button.clicked.connect(self.toggle_active)
        form.addRow(self.toggle_button)
        self.reset = secret_line("a new password for the selected clinician (Enter)", "Reset password")
        self.reset.returnPressed.connect(self.reset_password)
        form.addRow("Reset password", self.reset)
        self.new_name = plain_line("name", "New clinician name")
        self.new_role = QComboBox()
        self.new_role.setAccessibleName("New clinician role")
        for key, label in ROLES.items():
            self.new_role.addItem(label, key)
        self.new_role.installEventFilter(EnterFilter(self.add_clinician, self))
        self.new_password = secret_line("their first password (Enter adds)", "New clinician password")
        for line in (self.new_name, self.new_password):
            line.returnPressed.connect(self.add_clinician)
        form.addRow("Add: name", self.new_name)
        form.addRow("Role", self.new_role)
        form.addRow("Password", self.new_password)
        self.code = secret_line("the clinic's emergency code, at least 10 characters (Enter)", "Emergency code")
        self.code.returnPressed.connect(self.set_emergency_code)
        form.addRow("Emergency code", self.code)
        self.accesses = QListWidget()
        self.accesses.setAccessibleName("Open emergency accesses")
        self.accesses.itemActivated.connect(lambda _item: self.review_access())
        form.addRow(make_label("Emergency accesses to review (Enter marks the selected one reviewed)", "dim"))
        form.addRow(self.accesses)

        # -- everyone's own part -----------------------------------------------------------------
        self.own, own = _pane("Your PIN and password")
        self.pin = secret_line("4 to 8 digits, for the lock and the hand-off (Enter)", "Your PIN")
        self.pin.returnPressed.connect(self.set_pin)
        own.addRow("PIN", self.pin)
        self.current = secret_line("your password now", "Your current password")
        self.new = secret_line("the new one, at least 10 characters (Enter)", "Your new password")
        for line in (self.current, self.new):
            line.returnPressed.connect(self.change_password)
        own.addRow("Password now", self.current)
        own.addRow("New password", self.new)

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(back)
        row = QHBoxLayout()
        row.addWidget(self.admin, 3)
        row.addWidget(self.own, 2, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addLayout(row, 1)

    # -- showing --------------------------------------------------------------------------------
    def show_for(self, clinician: ClinicianInfo) -> None:
        """The page as ``clinician`` may see it: the admin's part only for an admin."""
        self.clinician = clinician
        emergency = self.clinic.is_emergency(clinician)
        self.admin.setVisible(clinician.is_admin)
        self.own.setVisible(not emergency)
        self.title.setText("Clinicians" if clinician.is_admin else "Your PIN and password")
        for line in (self.reset, self.new_password, self.code, self.pin, self.current, self.new):
            line.clear()
        self.say("Emergency access has no account of its own: an admin's page is theirs." if emergency else
                 f"Signed in as {clinician.name}.")
        self.refresh()

    def focus_first(self) -> None:
        focus(self.list if self.admin.isVisibleTo(self) else self.pin, Qt.FocusReason.ShortcutFocusReason)

    def refresh(self) -> None:
        if self.clinician is None or not self.clinician.is_admin:
            return
        chosen = self._selected()
        self.list.clear()
        for c in self.clinic.clinicians():
            if self.clinic.is_emergency(c):
                continue  # the break-glass author is no account: it can never sign in
            state = "active" if c.active else "deactivated"
            extra = "" if c.has_password else " · no password"
            item = QListWidgetItem(f"{c.name} · {ROLES.get(c.role, c.role)} · {state}{extra}")
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)
            if chosen is not None and c.id == chosen:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        self.accesses.clear()
        for access in self.clinic.accounts.open_emergency_accesses():
            item = QListWidgetItem(f"{access.at.astimezone():%d %b %H:%M} · {access.reason}")
            item.setData(Qt.ItemDataRole.UserRole, access.id)
            self.accesses.addItem(item)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "message" if error else "status")

    # -- actions --------------------------------------------------------------------------------
    def _selected(self):
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _do(self, action: Callable[[], object], done: str, *, clear=(), refused_focus=None) -> bool:
        try:
            action()
        except REFUSALS as exc:
            self.say(f"Not saved: {sentence(str(exc))}", error=True)
            if refused_focus is not None:
                focus(refused_focus, Qt.FocusReason.OtherFocusReason)
                refused_focus.selectAll()
            return False
        for line in clear:
            line.clear()
        self.say(done)
        self.refresh()
        return True

    def add_clinician(self) -> None:
        name = " ".join(self.new_name.text().split())
        if not name:
            self.say("Type the new clinician's name first.", error=True)
            focus(self.new_name, Qt.FocusReason.OtherFocusReason)
            return
        role = self.new_role.currentData()
        self._do(lambda: self.clinic.accounts.add_clinician(self.clinician, name, role, self.new_password.text()),
                 f"{name} added as {ROLES[role]}.", clear=(self.new_name, self.new_password),
                 refused_focus=self.new_password)

    def toggle_active(self) -> None:
        chosen = self._selected()
        target = next((c for c in self.clinic.clinicians() if c.id == chosen), None)
        if target is None:
            self.say("Pick a clinician in the list first.", error=True)
            return
        verb = "deactivated" if target.active else "reactivated"
        self._do(lambda: self.clinic.accounts.set_active(self.clinician, target.id, not target.active),
                 f"{target.name} {verb}.")

    def reset_password(self) -> None:
        chosen = self._selected()
        if chosen is None:
            self.say("Pick a clinician in the list first.", error=True)
            return
        self._do(lambda: self.clinic.accounts.reset_password(self.clinician, chosen, self.reset.text()),
                 "Password reset: tell them, and ask them to change it.", clear=(self.reset,),
                 refused_focus=self.reset)

    def set_emergency_code(self) -> None:
        self._do(lambda: self.clinic.accounts.set_emergency_code(self.clinician, self.code.text()),
                 "Emergency code set.", clear=(self.code,), refused_focus=self.code)

    def review_access(self) -> None:
        item = self.accesses.currentItem()
        if item is None:
            self.say("No emergency access to review.", error=True)
            return
        self._do(lambda: self.clinic.accounts.review_emergency_access(self.clinician,
                                                                      item.data(Qt.ItemDataRole.UserRole)),
                 "Emergency access marked reviewed.")

    def set_pin(self) -> None:
        self._do(lambda: self.clinic.accounts.set_pin(self.clinician.id, self.pin.text()),
                 "Your PIN is set.", clear=(self.pin,), refused_focus=self.pin)

    def change_password(self) -> None:
        if not self.new.text():
            focus(self.new, Qt.FocusReason.OtherFocusReason)
            return
        self._do(lambda: self.clinic.accounts.change_password(self.clinician.id, self.current.text(),
                                                              self.new.text()),
                 "Your password is changed.", clear=(self.current, self.new), refused_focus=self.current)
