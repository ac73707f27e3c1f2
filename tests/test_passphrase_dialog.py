"""The start-up question of an encrypted record, by keyboard only.

The dialog is driven with keys on a real encrypted record (cheap Argon2 parameters): a wrong
passphrase is said in the dialog and changes nothing, the right one opens, Esc quits.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from kapdesk.app import unlock_record
from kapdesk.store import Store, crypto
from kapdesk.store.encryption import encrypt_record
from kapdesk.ui.passphrase_dialog import PassphraseDialog

PASSPHRASE = "correct horse (synthetic)"


@pytest.fixture(autouse=True)
def _fresh_keys(monkeypatch):
    monkeypatch.setenv(crypto.WEAK_KDF_ENV, "1")
    monkeypatch.delenv(crypto.PASSPHRASE_ENV, raising=False)
    crypto._known.clear()
    yield
    crypto._known.clear()


@pytest.fixture
def encrypted(db_path: Path) -> Path:
    Store.open(str(db_path)).close()
    encrypt_record(db_path, PASSPHRASE)
    crypto._known.clear()
    return db_path


def test_a_wrong_passphrase_is_said_in_the_dialog_then_the_right_one_opens(qtbot, encrypted):
    before = hashlib.sha256(encrypted.read_bytes()).hexdigest()
    dialog = PassphraseDialog(str(encrypted), lambda p: crypto.try_unlock(encrypted, p))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.field.echoMode() == dialog.field.EchoMode.Password

    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert dialog.message.text() == "Type the passphrase first."
    qtbot.keyClicks(dialog.field, "wrong horse (synthetic)")
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.field.text() == ""
    assert dialog.message.text() == f"The passphrase does not open {encrypted} (nothing was changed)"
    assert hashlib.sha256(encrypted.read_bytes()).hexdigest() == before
    assert crypto.known_key(encrypted) is None

    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClicks(dialog.field, PASSPHRASE)
        qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert crypto.known_key(encrypted) is not None


def test_escape_quits_without_opening(qtbot, encrypted):
    dialog = PassphraseDialog(str(encrypted), lambda p: pytest.fail("nothing is tried"))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.field, Qt.Key.Key_Escape)


def test_the_question_is_asked_only_of_an_encrypted_record_with_no_key_known(db_path, encrypted, monkeypatch):
    asked: list[Path] = []

    def ask(path: Path) -> bool:
        asked.append(path)
        return False

    assert unlock_record(str(encrypted), ask) is False and asked == [encrypted]
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, PASSPHRASE)
    assert unlock_record(str(encrypted), ask) is True and len(asked) == 1  # the variable answers it
    monkeypatch.delenv(crypto.PASSPHRASE_ENV)
    crypto.remember_key(encrypted, crypto.unlock(encrypted, PASSPHRASE))
    assert unlock_record(str(encrypted), ask) is True and len(asked) == 1
    assert unlock_record(str(encrypted.with_name("plain.sqlite3")), ask) is True and len(asked) == 1


def test_quitting_the_question_quits_the_app_before_the_window_and_frees_the_record(qtbot, encrypted, monkeypatch,
                                                                                  capsys):
    from kapdesk import app
    from kapdesk.instance import InstanceLock

    monkeypatch.setattr(app, "ask_in_window", lambda path: False)
    assert app.run_gui(str(encrypted), "dark") == app.EXIT_STORE
    assert capsys.readouterr().err == "kapdesk: no passphrase given: the record was not opened\n"
    lock = InstanceLock(encrypted)
    lock.acquire()  # released on the way out
    lock.release()
