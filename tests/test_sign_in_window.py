"""Signing in, by keyboard: the first admin of a new record, the back-off after a wrong password
(audited, counted down on the hand-moved clock), sign-out, and the clinicians page.

The accounts hash with ``credentials.FAST``; every secret here is synthetic.
"""

from __future__ import annotations

from conftest import (
    DESK_CLINICIAN,
    SYNTHETIC_PASSWORD,
    open_main_window,
    synthetic_account,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    qtbot.keyClicks(line, text)


def choose(qtbot, combo: QComboBox, text: str) -> None:
    """Pick ``text`` in a closed combo box with the arrow keys, as the keyboard does."""
    target = combo.findText(text)
    assert target >= 0, f"{text!r} is not offered"
    combo.setFocus()
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up)


def actions(store) -> list[str]:
    return [e.action for e in store.audit_events()]


def test_a_new_record_asks_for_its_first_admin_and_signs_them_in(qtbot, store, clock):
    window = open_main_window(qtbot, store, clock, signed_in=None)
    page = window.sign_in_page
    assert window.stack.currentWidget() is page and page.first_run
    assert not window.start_screen.isVisible() and not window.history.isVisible()  # no client before sign-in
    form = page.first_admin
    assert QApplication.focusWidget() is form.name
    qtbot.keyClicks(form.name, "First Admin (synthetic)")
    type_into(qtbot, form.password, "short")
    type_into(qtbot, form.again, "short")
    qtbot.keyClick(form.again, Qt.Key.Key_Return)
    assert "at least 10 characters" in form.message.text() and store.clinicians() == []
    assert form.name.text() == "First Admin (synthetic)"  # the typed text stays
    form.password.clear()
    form.again.clear()
    type_into(qtbot, form.password, SYNTHETIC_PASSWORD)
    type_into(qtbot, form.again, SYNTHETIC_PASSWORD + "x")
    qtbot.keyClick(form.again, Qt.Key.Key_Return)
    assert form.message.text() == "The two passwords differ: type the same password twice."
    assert store.clinicians() == []
    assert QApplication.focusWidget() is form.again and form.again.selectedText() == form.again.text()
    qtbot.keyClicks(form.again, SYNTHETIC_PASSWORD)  # types over the mismatched one
    qtbot.keyClick(form.again, Qt.Key.Key_Return)

    assert window.stack.currentWidget() is window.start_screen
    (admin,) = store.clinicians()
    assert admin.name == "First Admin (synthetic)" and admin.is_admin and admin.has_password
    assert window.clinician.id == admin.id
    assert window.start_screen.signed_in.text().startswith("Signed in as First Admin (synthetic)")
    assert actions(store)[-2:] == ["created", "signed in"]


def test_a_wrong_password_backs_off_with_a_countdown_and_is_audited(qtbot, store, clock):
    window = open_main_window(qtbot, store, clock, signed_in=None)
    synthetic_account(window.clinic, "Therapist (synthetic)", "therapist")
    window.show_sign_in()
    form = window.sign_in_page.form
    assert not window.sign_in_page.first_run
    choose(qtbot, form.who, "Therapist (synthetic)")
    qtbot.keyClick(form.who, Qt.Key.Key_Return)  # Enter on the name: on to the password
    assert QApplication.focusWidget() is form.secret
    qtbot.keyClicks(form.secret, "not the password (synthetic)")
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert form.message.text() == "Wrong password for Therapist (synthetic): try again in 1 s."
    assert form.message.property("role") == "message"
    assert form.secret.text() == "not the password (synthetic)" and form.secret.selectedText() == form.secret.text()
    assert window.stack.currentWidget() is window.sign_in_page and window.clinician is None
    assert actions(store)[-1] == "sign-in failed"

    qtbot.keyClicks(form.secret, SYNTHETIC_PASSWORD)  # types over the selected wrong one, within the second
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert form.message.text() == "Too many wrong tries: try again in 1 s."  # not even checked
    assert window.clinician is None
    clock.advance(1)
    form.tick()  # the countdown's timer, on the hand-moved clock
    assert form.message.text() == "Too many wrong tries. You can try again now."
    form.secret.selectAll()
    qtbot.keyClicks(form.secret, SYNTHETIC_PASSWORD)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert window.clinician is not None and window.clinician.name == "Therapist (synthetic)"
    assert window.stack.currentWidget() is window.start_screen
    assert actions(store).count("sign-in failed") == 1 and actions(store)[-1] == "signed in"


def test_a_pin_never_opens_the_app_from_the_sign_in_page(qtbot, store, clock):
    window = open_main_window(qtbot, store, clock, signed_in=None)
    account = synthetic_account(window.clinic, "Therapist (synthetic)", "therapist")
    window.clinic.accounts.set_pin(account.id, "2580")
    window.show_sign_in()
    form = window.sign_in_page.form
    choose(qtbot, form.who, "Therapist (synthetic)")
    type_into(qtbot, form.secret, "2580")
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert window.clinician is None and form.message.text().startswith("Wrong password for")


def test_the_session_is_the_signed_in_clinicians_and_sign_out_is_a_key(qtbot, window, store):
    screen = window.start_screen
    assert not hasattr(screen, "clinician")  # no name is typed anywhere
    screen.client.setCurrentText("SIGN-01 (synthetic)")
    screen.choose_protocol("sublingual")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    view = window.session_view
    assert view.live.info.clinician_name == DESK_CLINICIAN and view.live.clinician_id == window.clinician.id
    assert [c.name for c in store.clinicians()] == [DESK_CLINICIAN]
    qtbot.keyClick(view, Qt.Key.Key_O, CTRL | SHIFT)  # no sign-out from inside a sitting
    assert window.clinician is not None and window.session_view is view
    qtbot.keyClick(view, Qt.Key.Key_Backspace, CTRL)
    qtbot.keyClick(screen.client, Qt.Key.Key_O, CTRL | SHIFT)
    assert window.clinician is None and window.stack.currentWidget() is window.sign_in_page
    assert actions(store)[-1] == "signed out"


def test_the_admin_adds_and_deactivates_a_clinician_by_keyboard(qtbot, window, store):
    qtbot.keyClick(window.start_screen.client, Qt.Key.Key_U, CTRL | SHIFT)
    page = window.accounts_page
    assert window.stack.currentWidget() is page and page.admin.isVisible()
    type_into(qtbot, page.new_name, "New Nurse (synthetic)")
    choose(qtbot, page.new_role, "Nurse / prescriber")
    type_into(qtbot, page.new_password, "short")
    qtbot.keyClick(page.new_password, Qt.Key.Key_Return)
    assert "at least 10 characters" in page.message.text() and page.new_name.text() == "New Nurse (synthetic)"
    page.new_password.clear()
    qtbot.keyClicks(page.new_password, "synthetic nurse pass")
    qtbot.keyClick(page.new_password, Qt.Key.Key_Return)
    assert page.message.text() == "New Nurse (synthetic) added as Nurse / prescriber."
    nurse = next(c for c in store.clinicians() if c.name == "New Nurse (synthetic)")
    assert nurse.role == "prescriber" and nurse.active and nurse.has_password
    texts = [page.list.item(i).text() for i in range(page.list.count())]
    assert "New Nurse (synthetic) · Nurse / prescriber · active" in texts

    page.list.setFocus()
    page.list.setCurrentRow(texts.index("New Nurse (synthetic) · Nurse / prescriber · active"))
    page.toggle_button.setFocus()
    qtbot.keyClick(page.toggle_button, Qt.Key.Key_Space)
    assert not next(c for c in store.clinicians() if c.id == nurse.id).active
    assert "New Nurse (synthetic) · Nurse / prescriber · deactivated" in page.list.currentItem().text()
    assert "New Nurse (synthetic)" not in [c.name for c in window.clinic.sign_in_choices()]
    qtbot.keyClick(page.list, Qt.Key.Key_Backspace, CTRL)
    assert window.stack.currentWidget() is window.start_screen


def test_a_therapist_sees_only_their_own_pin_and_password(qtbot, store, clock):
    window = open_main_window(qtbot, store, clock, signed_in="Therapist (synthetic)", role="therapist")
    qtbot.keyClick(window.start_screen.client, Qt.Key.Key_U, CTRL | SHIFT)
    page = window.accounts_page
    assert not page.admin.isVisible() and page.own.isVisible()
    assert QApplication.focusWidget() is page.pin
    qtbot.keyClicks(page.pin, "1111")
    qtbot.keyClick(page.pin, Qt.Key.Key_Return)
    assert "too easy to guess" in page.message.text()
    page.pin.clear()
    qtbot.keyClicks(page.pin, "2580")
    qtbot.keyClick(page.pin, Qt.Key.Key_Return)
    assert page.message.text() == "Your PIN is set."
    assert next(c for c in store.clinicians() if c.name == "Therapist (synthetic)").has_pin
