"""The sign-in page: the first page once the record is open. Nobody sees a client before it.

On a record with no admin yet (a new record, or one from before accounts) it asks for the first
admin: a name and a password typed twice. Otherwise it lists the active clinicians: pick your
name (↑/↓), type your password, Enter. A PIN never opens the app from here (it only unlocks and
hands over). Break glass is below the form (the clinic's emergency code and a reason).

At start-up the page paints before the record is open, from a first look at it
(``kapdesk.store.peek``: who can sign in, or whether there is an admin yet); ``attach`` hands it the
clinic a moment later without moving the cursor or clearing what was typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from kapdesk.ui import keymap
from kapdesk.ui.credential_forms import EmergencyForm, FirstAdminForm, SecretForm
from kapdesk.ui.kit import make_label, see_through

if TYPE_CHECKING:
    from kapdesk.domain.sign_in import SignInFacts
    from kapdesk.session import Clinic


class SignInPage(QWidget):
    signed_in = Signal(object)  # SignedIn: a password checked (or the first admin just created)
    emergency = Signal(object)  # EmergencyAccessInfo: the emergency code and a reason accepted

    def __init__(self, clinic: Clinic | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        title = make_label("KAPDesk", "big")
        self.heading = make_label("", "title")
        self.hint = make_label("", "dim", wrap=True)
        self.first_admin = FirstAdminForm(clinic)
        self.form = SecretForm(clinic, allow_pin=False, action="signed in")
        self.forms = QStackedWidget()
        self.forms.addWidget(self.first_admin)
        self.forms.addWidget(self.form)
        see_through(self.forms)
        self.emergency_form = EmergencyForm(clinic)
        self.first_admin.accepted.connect(self.signed_in.emit)
        self.form.accepted.connect(self.signed_in.emit)
        self.emergency_form.opened.connect(self.emergency.emit)
        keymap.shortcuts("sign_in.emergency", self, self.emergency_form.focus_first)

        pane = QFrame()
        pane.setObjectName("pane")
        column = QVBoxLayout(pane)
        column.setContentsMargins(24, 18, 24, 18)
        column.addWidget(self.heading)
        column.addWidget(self.hint)
        column.addWidget(self.forms)
        column.addSpacing(18)
        column.addWidget(self.emergency_form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(pane, 2)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(title)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    @property
    def first_run(self) -> bool:
        return self.forms.currentWidget() is self.first_admin

    def refresh(self) -> None:
        """Ask for the first admin, or list who can sign in (re-read each time the page shows)."""
        self.show_choices(self.clinic.sign_in_facts())
        self.form.say("")

    def show_choices(self, facts: SignInFacts) -> None:
        """The first-admin form, or the sign-in form listing who can sign in (the name chosen stays chosen)."""
        if facts.first_admin:
            self.heading.setText("Create the first admin")
            self.hint.setText("This record has no admin yet. The admin adds the other clinicians (a name, a role, "
                              "a password) and sets the clinic's emergency code. Passwords: at least 10 characters.")
            self.forms.setCurrentWidget(self.first_admin)
            self.emergency_form.hide()
            return
        self.heading.setText("Sign in")
        self.hint.setText("Pick your name (↑/↓), type your password, Enter. Everything you record is under your name.")
        self.form.set_choices(facts.choices)
        self.forms.setCurrentWidget(self.form)
        self.emergency_form.show()

    def attach(self, clinic: Clinic) -> None:
        """The record is open (the page was painted from a first look at it): the lists are re-read
        from the store, the cursor and the typed text stay, and an Enter that waited is taken."""
        self.clinic = clinic
        was_first_run = self.first_run
        self.show_choices(clinic.sign_in_facts())
        if self.first_run != was_first_run:  # the record changed between the look and the opening
            self.focus_first()
        for form in (self.first_admin, self.form, self.emergency_form):
            form.attach(clinic)

    def focus_first(self) -> None:
        (self.first_admin if self.first_run else self.form).focus_first()
