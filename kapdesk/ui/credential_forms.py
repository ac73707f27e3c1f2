"""The small forms that say who is at the keyboard, shared by the sign-in page, the locked screen
and the hand-off line of a session: a clinician and their secret, the first admin, break glass.

All of them are inline and silent. A refused secret is one amber line under the field, with the
back-off wait counting down on the clinic's clock (the record's clock, injected: tests move it by
hand); the typed text stays, the secret selected so the next try types over it. Nothing opens a
dialog. The accounts are reached only through ``Clinic.accounts`` (kapdesk/session).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kapdesk.session import StoreError
from kapdesk.session.accounts import CredentialError, SignedIn, SignInError
from kapdesk.ui import keymap
from kapdesk.ui.kit import EnterFilter, focus, make_label, set_role

if TYPE_CHECKING:
    from kapdesk.domain.info import ClinicianInfo
    from kapdesk.session import Clinic


def sentence(text: str) -> str:
    """``text`` as a line of its own: a capital first letter and a full stop."""
    text = text.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def secret_line(placeholder: str, name: str) -> QLineEdit:
    """A text line that never shows what is typed in it (a password, a PIN, the emergency code)."""
    line = QLineEdit()
    line.setEchoMode(QLineEdit.EchoMode.Password)
    line.setPlaceholderText(placeholder)
    line.setAccessibleName(name)
    line.setObjectName(name)
    return line


def plain_line(placeholder: str, name: str) -> QLineEdit:
    line = QLineEdit()
    line.setPlaceholderText(placeholder)
    line.setAccessibleName(name)
    line.setObjectName(name)
    return line


class _Said(QWidget):
    """A form with one quiet line under it: amber for a refusal, dim for a confirmation.

    Its ``clinic`` may still be None for a moment at start-up: the sign-in page paints from a first
    look at the record (``kapdesk.store.peek``) while the store opens. An Enter pressed then is
    kept, said as "Opening the record…", and taken as soon as ``attach`` brings the clinic.
    """

    clinic: Clinic | None
    submit: Callable[[], None]
    _waiting = False

    def _build_message(self) -> None:
        self.message = make_label("", "status", wrap=True)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "message" if error else "status")

    def _record_open(self) -> bool:
        """True once the clinic is here; otherwise the Enter waits for ``attach``."""
        if self.clinic is not None:
            return True
        self._waiting = True
        self.say("Opening the record…")
        return False

    def attach(self, clinic: Clinic) -> None:
        """The record is open: take the Enter that waited for it, if any."""
        self.clinic = clinic
        if self._waiting:
            self._waiting = False
            self.say("")
            self.submit()


class SecretForm(_Said):
    """Pick a clinician (↑/↓), type their secret, Enter. ``accepted`` carries the :class:`SignedIn`.

    ``allow_pin`` lets a PIN stand for the password (the lock and the hand-off, never the first
    sign-in of the day). ``action`` is the audit trail's word for a success ("signed in",
    "unlocked", "hand-off"); ``detail`` adds to that event (the session handed over, say).
    """

    accepted = Signal(object)  # SignedIn

    def __init__(self, clinic: Clinic | None, *, allow_pin: bool, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.allow_pin = allow_pin
        self.action = action
        self.detail: Callable[[], dict[str, str]] = dict
        self.who = QComboBox()
        self.who.setAccessibleName("Clinician")
        self.who.setPlaceholderText("your name")
        self.who.installEventFilter(EnterFilter(lambda: focus(self.secret, Qt.FocusReason.TabFocusReason), self))
        what = "password or PIN" if allow_pin else "password"
        title = "Password or PIN" if allow_pin else "Password"
        self.secret = secret_line(f"your {what} (Enter)", title)
        self.secret.returnPressed.connect(self.submit)
        self._build_message()
        self._refusal = ""
        self._retry_at: datetime | None = None
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self.tick)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Clinician", self.who)
        form.addRow(title, self.secret)
        form.addRow(self.message)

    def set_choices(self, clinicians: Iterable[ClinicianInfo], select: uuid.UUID | None = None) -> None:
        """The names to choose from; keeps the one chosen before, else ``select``, else the first."""
        chosen = self.who.currentData() or select
        clinicians = list(clinicians)
        ids = [clinician.id for clinician in clinicians]
        self.who.clear()
        for clinician in clinicians:
            self.who.addItem(clinician.name, clinician.id)
        # By value: findData compares the wrapped UUID objects by identity, and a re-read list has new ones.
        index = ids.index(chosen) if chosen in ids else -1
        self.who.setCurrentIndex(index if index >= 0 else (0 if self.who.count() else -1))

    def focus_first(self) -> None:
        focus(self.secret if self.who.currentIndex() >= 0 else self.who, Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        clinician_id = self.who.currentData()
        if clinician_id is None:
            self.say("Pick your name first (↑/↓ in the list).", error=True)
            focus(self.who, Qt.FocusReason.OtherFocusReason)
            return
        if not self._record_open():
            return
        try:
            signed = self.clinic.accounts.sign_in(clinician_id, self.secret.text(), allow_pin=self.allow_pin,
                                                  action=self.action, detail=self.detail())
        except SignInError as exc:
            self._refused(exc.message, exc.wait_s)
            return
        except (CredentialError, StoreError) as exc:
            self._refused(str(exc), 0)
            return
        self.secret.clear()
        self._retry_at = None
        self._countdown.stop()
        self.say("")
        self.accepted.emit(signed)

    def _refused(self, message: str, wait_s: float) -> None:
        self._refusal = re.sub(r":?\s*wait \d+ s$", "", message)
        self._retry_at = self.clinic.clock.utcnow() + timedelta(seconds=wait_s) if wait_s > 0 else None
        if self._retry_at is not None:
            self._countdown.start()
        self.tick()
        focus(self.secret, Qt.FocusReason.OtherFocusReason)
        self.secret.selectAll()

    def tick(self) -> None:
        """The refusal line, with the seconds left before the next try is taken."""
        text = sentence(self._refusal).rstrip(".")
        if self._retry_at is None:
            self.say(f"{text}.", error=True)
            return
        left = math.ceil((self._retry_at - self.clinic.clock.utcnow()).total_seconds())
        if left > 0:
            self.say(f"{text}: try again in {left} s.", error=True)
            return
        self._retry_at = None
        self._countdown.stop()
        self.say(f"{text}. You can try again now.", error=True)


class FirstAdminForm(_Said):
    """A new record: the first admin's name and password, typed twice. Enter creates and signs in."""

    accepted = Signal(object)  # SignedIn

    def __init__(self, clinic: Clinic | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.name = plain_line("the admin's name", "Admin name")
        self.password = secret_line("at least 10 characters", "New password")
        self.again = secret_line("the same password again (Enter)", "New password again")
        for line in (self.name, self.password, self.again):
            line.returnPressed.connect(self.submit)
        self._build_message()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("Password", self.password)
        form.addRow("Again", self.again)
        form.addRow(self.message)

    def focus_first(self) -> None:
        focus(self.name, Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        name, password = " ".join(self.name.text().split()), self.password.text()
        if not name:
            self.say("Type the admin's name first.", error=True)
            focus(self.name, Qt.FocusReason.OtherFocusReason)
            return
        if password != self.again.text():
            self.say("The two passwords differ: type the same password twice.", error=True)
            focus(self.again, Qt.FocusReason.OtherFocusReason)
            self.again.selectAll()
            return
        if not self._record_open():
            return
        accounts = self.clinic.accounts
        try:
            admin = accounts.create_first_admin(name, password)
            signed = accounts.sign_in(admin.id, password)
        except (CredentialError, StoreError, SignInError) as exc:
            self.say(f"Not created: {exc}.", error=True)
            focus(self.password, Qt.FocusReason.OtherFocusReason)
            self.password.selectAll()
            return
        for line in (self.password, self.again):
            line.clear()
        self.say("")
        self.accepted.emit(signed)


class EmergencyForm(_Said):
    """Break glass: the clinic's emergency code and the reason, both required; Enter opens.

    ``opened`` carries the :class:`~kapdesk.domain.info.EmergencyAccessInfo` (audited by the
    accounts, and listed on the start screen until an admin reviews it)."""

    opened = Signal(object)  # EmergencyAccessInfo

    def __init__(self, clinic: Clinic | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        heading = make_label(f"Emergency access (break glass)   {keymap.key('sign_in.emergency')}", "dim")
        self.code = secret_line("the clinic's emergency code", "Emergency code")
        self.reason = plain_line("why it is needed (required, recorded)", "Emergency reason")
        for line in (self.code, self.reason):
            line.returnPressed.connect(self.submit)
        self._build_message()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(heading)
        form.addRow("Code", self.code)
        form.addRow("Reason", self.reason)
        form.addRow(self.message)

    def focus_first(self) -> None:
        focus(self.code, Qt.FocusReason.ShortcutFocusReason)

    def submit(self) -> None:
        if not self.reason.text().strip():
            self.say("Say why the emergency access is needed: the reason is recorded.", error=True)
            focus(self.reason, Qt.FocusReason.OtherFocusReason)
            return
        if not self._record_open():
            return
        try:
            access = self.clinic.accounts.break_glass(self.code.text(), self.reason.text())
        except (SignInError, StoreError) as exc:
            self.say(sentence(str(exc)), error=True)
            focus(self.code, Qt.FocusReason.OtherFocusReason)
            self.code.selectAll()
            return
        self.code.clear()
        self.reason.clear()
        self.say("")
        self.opened.emit(access)


class HandoffPanel(QFrame):
    """The session's inline hand-off line: another clinician picks their name and types their own
    password or PIN; ``handed`` carries the :class:`SignedIn`. Esc closes it; it never opens by itself."""

    handed = Signal(object)  # SignedIn

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.form = SecretForm(clinic, allow_pin=True, action="hand-off")
        self.form.accepted.connect(self._accepted)
        heading = make_label(f"Hand-off: who takes over? Their own password or PIN, Enter "
                             f"({keymap.key('handoff.cancel')}: no hand-off)", "title")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(heading)
        layout.addWidget(self.form)
        keymap.shortcuts("handoff.cancel", self, self.cancel)
        self.hide()

    def ask(self, clinicians: Iterable[ClinicianInfo], acting: uuid.UUID, session_id: uuid.UUID) -> None:
        """Open the line, listing every clinician who can sign in except the one acting now."""
        others = [c for c in clinicians if c.id != acting]
        self.form.detail = lambda: {"session": str(session_id)}
        self.form.set_choices(others)
        self.form.secret.clear()
        self.form.say("" if others else "No other clinician can sign in: an admin adds one under Clinicians.",
                      error=not others)
        self.show()
        focus(self.form.who, Qt.FocusReason.ShortcutFocusReason)

    def cancel(self) -> None:
        self.form.secret.clear()
        self.hide()

    def _accepted(self, signed: SignedIn) -> None:
        self.hide()
        self.handed.emit(signed)
