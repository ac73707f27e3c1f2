"""The record key: Argon2id from the passphrase, the key file beside the record, the passphrase rules.

Tests derive keys with the cheapest Argon2 parameters (``KAPDESK_TESTING_WEAK_KDF``); the shipped
parameters are exercised once, in :func:`test_the_shipped_parameters_derive_in_about_a_quarter_second`.
All passphrases are synthetic.
"""

from __future__ import annotations

import io
import json
import stat
import time
import unicodedata

import pytest
from argon2.low_level import Type, hash_secret_raw

from kapdesk.store import crypto
from kapdesk.store.crypto import KdfParams, KeyFile
from kapdesk.store.db_cli import TerminalPassphrases

PASSPHRASE = "correct horse (synthetic)"


@pytest.fixture(autouse=True)
def _weak_kdf(monkeypatch):
    monkeypatch.setenv(crypto.WEAK_KDF_ENV, "1")


def test_a_key_file_holds_the_salt_and_parameters_and_never_the_passphrase_or_key(tmp_path):
    key_file = KeyFile.fresh()
    path = tmp_path / "record.sqlite3.kdf"
    crypto.write_key_file(path, key_file)
    text = path.read_text()
    data = json.loads(text)
    assert data["kdf"] == "argon2id" and data["version"] == 1 and len(bytes.fromhex(data["salt"])) >= 16
    assert (data["time_cost"], data["memory_kib"], data["parallelism"]) == (1, 8, 1)  # the test parameters
    key = crypto.derive_key(PASSPHRASE, key_file)
    assert PASSPHRASE not in text and key.hex() not in text
    assert crypto.read_key_file(path) == key_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["record.sqlite3.kdf"], "no temporary file is left"


def test_new_key_files_get_the_shipped_parameters_unless_the_test_variable_is_set(monkeypatch):
    assert KeyFile.fresh().params == crypto.TEST_PARAMS
    monkeypatch.delenv(crypto.WEAK_KDF_ENV)
    assert KeyFile.fresh().params == crypto.SHIPPED_PARAMS
    assert KeyFile.fresh().salt != KeyFile.fresh().salt


@pytest.mark.parametrize("text, problem", [
    ("", "not JSON"),
    ("{}", "not a KAPDesk key file"),
    ('{"format": "kapdesk-record-key", "version": 9}', "version 9"),
    ('{"format": "kapdesk-record-key", "version": 1, "kdf": "scrypt", "key_bytes": 32}', "key derivation"),
    ('{"format": "kapdesk-record-key", "version": 1, "kdf": "argon2id", "key_bytes": 32, "salt": "zz",'
     ' "time_cost": 1, "memory_kib": 8, "parallelism": 1}', "damaged"),
    ('{"format": "kapdesk-record-key", "version": 1, "kdf": "argon2id", "key_bytes": 32, "salt": "00",'
     ' "time_cost": 1, "memory_kib": 8, "parallelism": 1}', "salt has 1 bytes"),
    ('{"format": "kapdesk-record-key", "version": 1, "kdf": "argon2id", "key_bytes": 32, "salt": "' + "00" * 16 +
     '", "time_cost": 1, "memory_kib": 99999999, "parallelism": 1}', "memory_kib"),
])
def test_a_damaged_key_file_is_named_with_what_is_wrong(tmp_path, text, problem):
    path = tmp_path / "record.sqlite3.kdf"
    path.write_text(text)
    with pytest.raises(crypto.KeyFileError) as caught:
        crypto.read_key_file(path)
    message = str(caught.value)
    assert problem in message and str(path) in message and "nothing was changed" in message
    assert "\n" not in message


def test_the_key_is_argon2id_of_the_nfc_passphrase_with_the_files_salt():
    key_file = KeyFile(bytes(range(16)), KdfParams(1, 8, 1))
    key = crypto.derive_key(PASSPHRASE, key_file)
    assert len(key) == 32
    assert key == hash_secret_raw(PASSPHRASE.encode(), bytes(range(16)), 1, 8, 1, 32, Type.ID)
    assert key != hash_secret_raw(PASSPHRASE.encode(), bytes(range(16)), 1, 8, 1, 32, Type.I)
    assert key != crypto.derive_key(PASSPHRASE, KeyFile(bytes(range(1, 17)), KdfParams(1, 8, 1)))
    composed = "café au lait (synthetic)"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert crypto.derive_key(composed, key_file) == crypto.derive_key(decomposed, key_file)


def test_the_key_reaches_sqlcipher_as_a_raw_key_not_as_text():
    key = bytes(range(32))
    assert crypto.raw_key_literal(key) == "\"x'" + key.hex() + "'\""
    with pytest.raises(ValueError):
        crypto.raw_key_literal(b"short")


def test_the_shipped_parameters_derive_in_about_a_quarter_second(monkeypatch):
    """Once with the real cost: RFC 9106's 64 MiB, three passes. The figure is printed (pytest -s)."""
    shipped = crypto.SHIPPED_PARAMS
    assert shipped.memory_kib >= 64 * 1024 and shipped.time_cost >= 3
    key_file = KeyFile.fresh(shipped)
    start = time.perf_counter()
    key = crypto.derive_key(PASSPHRASE, key_file)
    elapsed = time.perf_counter() - start
    print(f"shipped Argon2id {shipped}: {elapsed:.3f} s")
    assert len(key) == 32
    assert 0.02 < elapsed < 10, "far from a quarter second: the parameters or the library changed"


@pytest.mark.parametrize("passphrase, reason", [
    ("", "empty"), ("          ", "empty"), ("short one", "too short"), ("x" * 1025, "too long"),
])
def test_a_passphrase_being_set_is_refused_with_the_reason(passphrase, reason):
    with pytest.raises(ValueError, match=reason):
        crypto.check_new_passphrase(passphrase)
    assert crypto.check_new_passphrase(PASSPHRASE) == PASSPHRASE


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_terminal_asks_twice_for_a_new_passphrase_and_refuses_two_different_ones(tmp_path):
    answers = iter([PASSPHRASE, PASSPHRASE])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    source = TerminalPassphrases(stdin=_Terminal(), environ={}, ask=ask)
    assert source.new(tmp_path / "r.sqlite3", crypto.PASSPHRASE_ENV) == PASSPHRASE
    assert len(prompts) == 2 and "New passphrase" in prompts[0]
    different = iter([PASSPHRASE, "battery staple (synthetic)"])
    with pytest.raises(ValueError, match="differ"):
        TerminalPassphrases(stdin=_Terminal(), environ={}, ask=lambda _p: next(different)).new(
            tmp_path / "r.sqlite3", crypto.PASSPHRASE_ENV)


def test_scripts_give_the_passphrase_on_standard_input_or_in_the_environment(tmp_path):
    db = tmp_path / "r.sqlite3"

    def never(_prompt: str) -> str:
        raise AssertionError("no prompt when standard input is not a terminal")

    piped = TerminalPassphrases(stdin=io.StringIO(f"{PASSPHRASE}\nbattery staple (synthetic)\r\n"), environ={},
                                ask=never)
    assert piped.current(db) == PASSPHRASE
    assert piped.new(db, "KAPDESK_NEW_PASSPHRASE") == "battery staple (synthetic)"
    with pytest.raises(crypto.PassphraseRequiredError, match="no passphrase on standard input"):
        piped.current(db)
    env = TerminalPassphrases(stdin=io.StringIO(""), environ={crypto.PASSPHRASE_ENV: PASSPHRASE}, ask=never)
    assert env.current(db) == PASSPHRASE and env.new(db, crypto.PASSPHRASE_ENV) == PASSPHRASE
    with pytest.raises(ValueError, match="too short"):
        TerminalPassphrases(stdin=io.StringIO("short\n"), environ={}, ask=never).new(db, crypto.PASSPHRASE_ENV)


def test_a_cancelled_prompt_is_one_line_not_a_traceback(tmp_path):
    def cancel(_prompt: str) -> str:
        raise KeyboardInterrupt

    with pytest.raises(crypto.PassphraseRequiredError, match="no passphrase given"):
        TerminalPassphrases(stdin=_Terminal(), environ={}, ask=cancel).current(tmp_path / "r.sqlite3")
