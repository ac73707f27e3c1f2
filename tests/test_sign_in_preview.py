"""The sign-in page paints from a first look at the record (``kapdesk.store.peek``, sqlite3 alone),
before SQLAlchemy is imported; the store opens a moment later and the page takes it over.

The look must agree with the store, never write, and step aside wherever it cannot be sure (an
encrypted record, an older schema, a server URL, a damaged file). An Enter pressed while the
record is still opening is kept and taken once it is open: nothing typed is lost, the cursor stays.
Every name and secret here is synthetic.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import DESK_CLINICIAN, SYNTHETIC_PASSWORD, synthetic_account
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kapdesk.domain.protocols import load_protocols
from kapdesk.domain.sign_in import SignInFacts
from kapdesk.paths import protocol_folders
from kapdesk.session import Clinic
from kapdesk.session.credentials import FAST
from kapdesk.store.peek import peek_sign_in
from kapdesk.ui.main_window import MainWindow

NURSE = "Night Nurse (synthetic)"


def clinic_with_accounts(store, clock) -> Clinic:
    clinic = Clinic(store, clock, hasher=FAST)
    synthetic_account(clinic)  # the first admin
    synthetic_account(clinic, NURSE, "prescriber")
    admin = next(c for c in clinic.clinicians() if c.is_admin)
    clinic.accounts.add_clinician(admin, "Gone Therapist (synthetic)", "therapist", SYNTHETIC_PASSWORD)
    gone = next(c for c in clinic.clinicians() if c.name == "Gone Therapist (synthetic)")
    clinic.accounts.set_active(admin, gone.id, False)
    return clinic


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_look_lists_who_the_store_lists_and_writes_nothing(store, clock, db_path):
    clinic = clinic_with_accounts(store, clock)
    clinic.emergency_clinician()  # the built-in break-glass author: never listed
    before = digest(db_path)
    preview = peek_sign_in(db_path)
    assert preview == SignInFacts(first_admin=False, choices=clinic.sign_in_choices())
    assert [c.name for c in preview.choices] == [DESK_CLINICIAN, NURSE]
    assert digest(db_path) == before


def test_a_record_with_no_admin_yet_asks_for_the_first_admin(store, db_path):
    store.add_clinician("Old Author (synthetic)")  # from before accounts: no password
    assert peek_sign_in(db_path) == SignInFacts(first_admin=True, choices=[])


def test_no_file_yet_asks_for_the_first_admin_and_creates_nothing(tmp_path):
    missing = tmp_path / "new.sqlite3"
    assert peek_sign_in(missing) == SignInFacts(first_admin=True, choices=[])
    assert not missing.exists()


def test_the_look_steps_aside_where_it_cannot_be_sure(store, clock, db_path, tmp_path):
    clinic_with_accounts(store, clock)
    store.close()
    assert peek_sign_in(None) is None  # a server URL
    older = tmp_path / "older.sqlite3"
    older.write_bytes(db_path.read_bytes())
    with sqlite3.connect(older) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0006'")  # a migration comes first
    assert peek_sign_in(older) is None
    scrambled = tmp_path / "encrypted.sqlite3"
    scrambled.write_bytes(b"\x8f" * 4096)  # what SQLCipher's first page looks like: no plain header
    assert peek_sign_in(scrambled) is None
    torn = tmp_path / "torn.sqlite3"
    torn.write_bytes(db_path.read_bytes()[:200])  # the header, then nothing
    assert peek_sign_in(torn) is None


def test_the_sign_in_page_paints_without_sqlalchemy():
    probe = ("import sys, kapdesk.ui.sign_in, kapdesk.store.peek, kapdesk.ui.main_window; "
             "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'alembic'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def previewed_window(qtbot, store, clock, db_path) -> tuple[MainWindow, Clinic]:
    """The window as ``run_gui`` paints it: the sign-in page from the look, no clinic yet."""
    clinic = clinic_with_accounts(store, clock)
    return preview_shown(qtbot, clock, db_path), clinic


def preview_shown(qtbot, clock, record: Path) -> MainWindow:
    protocols, errors = load_protocols(protocol_folders())
    window = MainWindow(protocols, errors, clock)
    qtbot.addWidget(window)
    window.show_preview(peek_sign_in(record))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def test_an_enter_before_the_record_is_open_waits_then_signs_in(qtbot, store, clock, db_path):
    window, clinic = previewed_window(qtbot, store, clock, db_path)
    page = window.sign_in_page
    assert window.clinic is None and window.signing_in_ready() and not page.first_run
    form = page.form
    assert [form.who.itemText(i) for i in range(form.who.count())] == [DESK_CLINICIAN, NURSE]
    assert QApplication.focusWidget() is form.secret
    form.who.setCurrentIndex(form.who.findText(NURSE))
    qtbot.keyClicks(form.secret, SYNTHETIC_PASSWORD)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert form.message.text() == "Opening the record…"
    assert form.secret.text() == SYNTHETIC_PASSWORD and window.clinician is None
    assert not [e for e in store.audit_events() if e.action == "signed in"]

    window.attach_clinic(clinic)  # the store is open: the Enter that waited is taken
    assert window.clinician is not None and window.clinician.name == NURSE
    assert window.stack.currentWidget() is window.start_screen
    assert [e.action for e in store.audit_events()][-1] == "signed in"


def test_typing_carries_on_across_the_opening(qtbot, store, clock, db_path):
    window, clinic = previewed_window(qtbot, store, clock, db_path)
    form = window.sign_in_page.form
    qtbot.keyClicks(form.secret, "synthetic ")
    window.attach_clinic(clinic)  # no Enter yet: the page stays, the text and the cursor too
    assert window.stack.currentWidget() is window.sign_in_page
    assert QApplication.focusWidget() is form.secret and form.secret.text() == "synthetic "
    assert form.message.text() == ""
    qtbot.keyClicks(form.secret, "pass 1")
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert window.clinician is not None and window.clinician.name == DESK_CLINICIAN


def test_a_wrong_password_that_waited_is_refused_as_usual(qtbot, store, clock, db_path):
    window, clinic = previewed_window(qtbot, store, clock, db_path)
    form = window.sign_in_page.form
    qtbot.keyClicks(form.secret, "not the synthetic password")
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    window.attach_clinic(clinic)
    assert window.clinician is None and window.stack.currentWidget() is window.sign_in_page
    assert "wrong" in form.message.text().lower()
    assert form.secret.text() == "not the synthetic password"  # kept, selected to type over
    assert [e.action for e in store.audit_events()][-1] == "sign-in failed"


def test_a_record_that_cannot_open_replaces_the_previewed_page(qtbot, store, clock, db_path):
    window, _ = previewed_window(qtbot, store, clock, db_path)
    window.show_fatal("the schema is too new (synthetic)")
    assert window.stack.currentWidget() is window.start_screen and not window.start_screen.isEnabled()
    assert not window.signing_in_ready()


def test_a_new_record_takes_its_first_admin_before_it_exists(qtbot, tmp_path, clock):
    """No file yet: the first-admin form paints at once; the store is created while it is filled in."""
    from kapdesk.store import Store

    record = tmp_path / "new.sqlite3"
    window = preview_shown(qtbot, clock, record)
    form = window.sign_in_page.first_admin
    assert window.sign_in_page.first_run and QApplication.focusWidget() is form.name
    qtbot.keyClicks(form.name, "First Admin (synthetic)")
    for line in (form.password, form.again):
        line.setFocus()
        qtbot.keyClicks(line, SYNTHETIC_PASSWORD)
    qtbot.keyClick(form.again, Qt.Key.Key_Return)
    assert form.message.text() == "Opening the record…" and not record.exists()

    store = Store.open(str(record), now=clock.utcnow)
    window.attach_clinic(Clinic(store, clock, hasher=FAST))
    (admin,) = store.clinicians()
    assert admin.name == "First Admin (synthetic)" and admin.is_admin
    assert window.clinician == admin and window.stack.currentWidget() is window.start_screen
    store.close()


def test_a_crash_left_log_is_read_not_replayed(store, clock, db_path):
    """Entries a crash left in the -wal are seen, and the look leaves the log for the store to replay."""
    synthetic_account(Clinic(store, clock, hasher=FAST))
    with sqlite3.connect(db_path) as raw:  # a second writer holds the log open: nothing is checkpointed
        raw.execute("PRAGMA wal_autocheckpoint = 0")
        raw.execute("UPDATE clinician SET name = 'Renamed Admin (synthetic)'")
        raw.commit()
        log = db_path.with_name(db_path.name + "-wal")
        before = digest(db_path), digest(log)
        assert [c.name for c in peek_sign_in(db_path).choices] == ["Renamed Admin (synthetic)"]
        assert (digest(db_path), digest(log)) == before


def test_start_up_imports_the_encryption_module_only_for_what_may_be_encrypted(store, db_path, tmp_path):
    from kapdesk.store.location import is_plain_record

    assert is_plain_record(db_path) and is_plain_record(tmp_path / "not yet.sqlite3")
    scrambled = tmp_path / "encrypted.sqlite3"
    scrambled.write_bytes(b"\x8f" * 4096)
    assert not is_plain_record(scrambled)
    db_path.with_name(db_path.name + ".kdf").write_text("{}")  # a key file beside a plain file: a mix-up to name
    assert not is_plain_record(db_path)
