"""An encrypted record on real files: encrypting, opening, refusing, rekeying, and every crash window between.

The record is made through the store, encrypted with :func:`encrypt_record`, and then read both
through the store and with raw ``sqlcipher3``/``sqlite3`` (not our code). A refused open is checked
by hashing the file's bytes before and after. Passphrases and names are synthetic.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kapdesk.domain.entries import Observation, Vitals
from kapdesk.domain.vitals import VitalsReading
from kapdesk.store import Store, StoreError, crypto, encryption
from kapdesk.store.encryption import encrypt_record, rekey_record
from kapdesk.store.migrate import migrate
from kapdesk.store.engine import open_engine

PASSPHRASE = "correct horse (synthetic)"
NEW_PASSPHRASE = "battery staple (synthetic)"
LABEL = "CIPHER-01 (synthetic)"
QUOTE = "a quiet lake, ringing bells (synthetic quote)"


@pytest.fixture(autouse=True)
def _fresh_keys(monkeypatch):
    """Cheap Argon2 for new key files, and no key remembered from another test."""
    monkeypatch.setenv(crypto.WEAK_KDF_ENV, "1")
    monkeypatch.delenv(crypto.PASSPHRASE_ENV, raising=False)
    crypto._known.clear()
    crypto.set_passphrase_provider(None)
    yield
    crypto._known.clear()
    crypto.set_passphrase_provider(None)


def plain_record(db: Path, protocols) -> None:
    store = Store.open(str(db))
    try:
        clinician = store.add_clinician("Cipher Clinician (synthetic)")
        client = store.add_client(LABEL, clinician.id)
        session = store.start_session(client.id, clinician.id, protocols["sublingual"])
        store.add_entry(session.id, Vitals(VitalsReading(systolic=128, diastolic=80, heart_rate=72), True),
                        clinician.id)
        store.add_entry(session.id, Observation(QUOTE), clinician.id)
    finally:
        store.close()


@pytest.fixture
def encrypted(db_path, protocols) -> Path:
    plain_record(db_path, protocols)
    encrypt_record(db_path, PASSPHRASE)
    crypto._known.clear()  # every test opens it as a fresh process would
    return db_path


def digest(*paths: Path) -> list[str | None]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths]


def open_with(db: Path, passphrase: str, monkeypatch) -> Store:
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, passphrase)
    return Store.open(str(db))


# -- encrypting ---------------------------------------------------------------------------------------


def test_encrypting_keeps_every_row_and_leaves_no_plain_copy(db_path, protocols, monkeypatch):
    plain_record(db_path, protocols)
    with sqlite3.connect(db_path) as plain:
        before = {t: plain.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for (t,) in plain.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    plain.close()
    result = encrypt_record(db_path, PASSPHRASE)

    assert result.snapshot.counts == before and before["entry"] >= 3
    assert db_path.read_bytes()[:16] != crypto.SQLITE_HEADER
    leftovers = sorted(p.name for p in db_path.parent.iterdir() if p.name != "user-data")
    assert leftovers == ["record.sqlite3", "record.sqlite3.kdf"], "no backup, no temporary file, no WAL"
    key_file = json.loads((db_path.parent / "record.sqlite3.kdf").read_text())
    assert key_file["kdf"] == "argon2id" and PASSPHRASE not in json.dumps(key_file)
    assert stat.S_IMODE((db_path.parent / "record.sqlite3.kdf").stat().st_mode) == 0o600
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(db_path).execute("SELECT count(*) FROM entry").fetchone()

    crypto._known.clear()
    store = open_with(db_path, PASSPHRASE, monkeypatch)
    try:
        [client] = store.clients()
        [session] = store.sessions()
        assert client.label == LABEL
        assert any(isinstance(e.data, Observation) and e.data.text == QUOTE for e in store.entries(session.id))
    finally:
        store.close()


def test_the_files_hold_no_client_label_or_quote_in_clear(encrypted, protocols, monkeypatch):
    """While a session writes (the WAL full of new pages) and after: database, WAL, index, anything beside."""
    store = open_with(encrypted, PASSPHRASE, monkeypatch)
    try:
        clinician = store.clinicians()[0]
        [session] = store.sessions()
        for n in range(20):
            store.add_entry(session.id, Observation(f"{QUOTE} #{n}"), clinician.id)
        assert Path(f"{encrypted}-wal").stat().st_size > 0
        files = [p for p in encrypted.parent.rglob("*") if p.is_file()]
        assert {p.name for p in files} >= {"record.sqlite3", "record.sqlite3-wal", "record.sqlite3-shm"}
        for path in files:
            data = path.read_bytes()
            for secret in (LABEL, QUOTE, "Cipher Clinician", "synthetic"):
                assert secret.encode() not in data, f"{secret!r} in clear in {path.name}"
    finally:
        store.close()


def test_wal_full_sync_and_the_append_only_triggers_hold_on_the_encrypted_file(encrypted, monkeypatch):
    store = open_with(encrypted, PASSPHRASE, monkeypatch)
    try:
        assert store.engine.dialect.driver == "pysqlcipher"
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA cipher_version")).scalar().startswith("4.")
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text("UPDATE entry SET note = 'rewritten'"))
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text("DELETE FROM entry"))
    finally:
        store.close()


def test_encrypting_twice_or_a_missing_record_is_refused_unchanged(encrypted, tmp_path):
    before = digest(encrypted, crypto.key_file_path(encrypted))
    with pytest.raises(StoreError, match="encrypted already"):
        encrypt_record(encrypted, PASSPHRASE)
    assert digest(encrypted, crypto.key_file_path(encrypted)) == before
    with pytest.raises(StoreError, match="no record"):
        encrypt_record(tmp_path / "nothing.sqlite3", PASSPHRASE)
    with pytest.raises(ValueError, match="too short"):
        encrypt_record(encrypted, "short")


def test_a_record_open_elsewhere_is_not_encrypted(db_path, protocols):
    """Another process reads the plain record (locks are per process, so it must be a real one)."""
    plain_record(db_path, protocols)
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('BEGIN'); c.execute('SELECT count(*) FROM entry').fetchone(); print('READING', flush=True); "
         "sys.stdin.readline()", str(db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "READING"
        before = digest(db_path)
        with pytest.raises(StoreError, match="(in use|open in another program).*nothing was changed"):
            encrypt_record(db_path, PASSPHRASE)
        assert digest(db_path) == before and not crypto.key_file_path(db_path).exists()
        assert not Path(f"{db_path}.encrypting").exists()
    finally:
        reader.communicate("\n", timeout=30)
    encrypt_record(db_path, PASSPHRASE)  # once it has let go


# -- refusing -----------------------------------------------------------------------------------------


def test_a_wrong_passphrase_is_one_line_and_the_file_is_untouched(encrypted, monkeypatch):
    files = (encrypted, crypto.key_file_path(encrypted), Path(f"{encrypted}-wal"))
    before = digest(*files)
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, "wrong horse (synthetic)")
    with pytest.raises(crypto.WrongPassphraseError) as caught:
        Store.open(str(encrypted))
    assert str(caught.value) == f"the passphrase does not open {encrypted} (nothing was changed)"
    assert digest(*files) == before
    assert crypto.known_key(encrypted) is None


def test_no_passphrase_at_all_is_said_plainly(encrypted):
    with pytest.raises(crypto.PassphraseRequiredError, match="is encrypted: give its passphrase"):
        Store.open(str(encrypted))


def test_a_plain_file_beside_a_key_file_is_refused_unchanged(db_path, protocols, monkeypatch):
    """Someone swapped the encrypted record for a plain one: writing into it would store records in clear."""
    plain_record(db_path, protocols)
    crypto.write_key_file(crypto.key_file_path(db_path), crypto.KeyFile.fresh())
    before = digest(db_path)
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, PASSPHRASE)
    with pytest.raises(StoreError, match="is not encrypted, but the key file record.sqlite3.kdf beside it"):
        Store.open(str(db_path))
    assert digest(db_path) == before


def test_an_encrypted_file_without_its_key_file_is_refused_unchanged(encrypted, monkeypatch):
    crypto.key_file_path(encrypted).rename(encrypted.with_name("elsewhere.kdf"))
    before = digest(encrypted)
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, PASSPHRASE)
    with pytest.raises(StoreError, match="not a KAPDesk database.*key file record.sqlite3.kdf is missing"):
        Store.open(str(encrypted))
    assert digest(encrypted) == before


def test_a_damaged_key_file_is_named_and_nothing_changes(encrypted, monkeypatch):
    crypto.key_file_path(encrypted).write_text('{"format": "kapdesk-record-key", "version": 1}')
    before = digest(encrypted)
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, PASSPHRASE)
    with pytest.raises(crypto.KeyFileError, match="record.sqlite3.kdf is damaged"):
        Store.open(str(encrypted))
    assert digest(encrypted) == before


def test_a_key_file_without_its_record_creates_nothing(tmp_path):
    db = tmp_path / "moved.sqlite3"
    crypto.write_key_file(crypto.key_file_path(db), crypto.KeyFile.fresh())
    with pytest.raises(crypto.KeyFileError, match="missing or empty, but its key file"):
        open_engine(str(db))
    assert not db.exists()


# -- changing the passphrase ---------------------------------------------------------------------------


def test_rekey_changes_salt_and_passphrase(encrypted, monkeypatch):
    old_salt = json.loads(crypto.key_file_path(encrypted).read_text())["salt"]
    rekey_record(encrypted, PASSPHRASE, NEW_PASSPHRASE)
    assert json.loads(crypto.key_file_path(encrypted).read_text())["salt"] != old_salt
    assert not crypto.pending_key_file_path(encrypted).exists()
    crypto._known.clear()
    with pytest.raises(crypto.WrongPassphraseError):
        open_with(encrypted, PASSPHRASE, monkeypatch)
    store = open_with(encrypted, NEW_PASSPHRASE, monkeypatch)
    try:
        assert [c.label for c in store.clients()] == [LABEL]
    finally:
        store.close()


def test_rekey_with_the_wrong_current_passphrase_changes_nothing(encrypted):
    before = digest(encrypted, crypto.key_file_path(encrypted))
    with pytest.raises(crypto.WrongPassphraseError):
        rekey_record(encrypted, "wrong horse (synthetic)", NEW_PASSPHRASE)
    assert digest(encrypted, crypto.key_file_path(encrypted)) == before
    assert not crypto.pending_key_file_path(encrypted).exists()


def test_a_crash_before_the_rekey_commits_leaves_the_old_passphrase_working(encrypted, monkeypatch):
    """The new key file is written first; if the process dies before PRAGMA rekey, it is a stale extra."""
    crypto.write_key_file(crypto.pending_key_file_path(encrypted), crypto.KeyFile.fresh())
    store = open_with(encrypted, PASSPHRASE, monkeypatch)
    store.close()
    crypto._known.clear()
    with pytest.raises(crypto.WrongPassphraseError):
        open_with(encrypted, NEW_PASSPHRASE, monkeypatch)
    rekey_record(encrypted, PASSPHRASE, NEW_PASSPHRASE)  # and a later rekey replaces the stale file
    assert not crypto.pending_key_file_path(encrypted).exists()


def test_a_crash_after_the_rekey_commits_opens_with_the_new_passphrase_and_finishes(encrypted, monkeypatch):
    real_replace = os.replace

    def crash_at_the_key_file(source, target):
        if str(source).endswith(crypto.PENDING_SUFFIX):
            raise KeyboardInterrupt("killed between the rekey and the rename")
        return real_replace(source, target)

    monkeypatch.setattr(encryption.os, "replace", crash_at_the_key_file)
    with pytest.raises(KeyboardInterrupt):
        rekey_record(encrypted, PASSPHRASE, NEW_PASSPHRASE)
    monkeypatch.setattr(encryption.os, "replace", real_replace)
    pending = crypto.pending_key_file_path(encrypted)
    assert pending.exists()

    crypto._known.clear()
    with pytest.raises(crypto.WrongPassphraseError):
        open_with(encrypted, PASSPHRASE, monkeypatch)
    assert pending.exists(), "a wrong try changes nothing"
    new_salt = json.loads(pending.read_text())["salt"]
    store = open_with(encrypted, NEW_PASSPHRASE, monkeypatch)
    store.close()
    assert not pending.exists() and json.loads(crypto.key_file_path(encrypted).read_text())["salt"] == new_salt


# -- crash windows of encrypting -------------------------------------------------------------------------


def _crash_on_replace(monkeypatch, source_suffix: str) -> None:
    real_replace = os.replace

    def replace(source, target):
        if str(source).endswith(source_suffix):
            raise KeyboardInterrupt(f"killed before renaming {source}")
        return real_replace(source, target)

    monkeypatch.setattr(encryption.os, "replace", replace)


def test_a_crash_before_the_swap_leaves_the_plain_record_as_it_was(db_path, protocols, monkeypatch):
    plain_record(db_path, protocols)
    _crash_on_replace(monkeypatch, encryption.ENCRYPTING_SUFFIX)
    with pytest.raises(KeyboardInterrupt):
        encrypt_record(db_path, PASSPHRASE)
    monkeypatch.undo()
    monkeypatch.setenv(crypto.WEAK_KDF_ENV, "1")
    assert db_path.read_bytes()[:16] == crypto.SQLITE_HEADER
    store = Store.open(str(db_path))  # plain, as before: the stale .kdf.new is ignored
    assert [c.label for c in store.clients()] == [LABEL]
    store.close()
    encrypt_record(db_path, PASSPHRASE)  # a second run cleans up and finishes
    assert not crypto.pending_key_file_path(db_path).exists()
    assert not Path(f"{db_path}{encryption.ENCRYPTING_SUFFIX}").exists()


def test_a_crash_after_the_swap_opens_with_the_pending_key_file(db_path, protocols, monkeypatch):
    plain_record(db_path, protocols)
    _crash_on_replace(monkeypatch, crypto.PENDING_SUFFIX)
    with pytest.raises(KeyboardInterrupt):
        encrypt_record(db_path, PASSPHRASE)
    monkeypatch.undo()
    monkeypatch.setenv(crypto.WEAK_KDF_ENV, "1")
    crypto._known.clear()
    assert db_path.read_bytes()[:16] != crypto.SQLITE_HEADER and not crypto.key_file_path(db_path).exists()
    store = open_with(db_path, PASSPHRASE, monkeypatch)
    assert [c.label for c in store.clients()] == [LABEL]
    store.close()
    assert crypto.key_file_path(db_path).exists() and not crypto.pending_key_file_path(db_path).exists()


# -- schema upgrades --------------------------------------------------------------------------------------


def test_an_upgrade_backs_up_an_encrypted_record_encrypted_with_its_key_file(db_path, monkeypatch):
    engine = open_engine(str(db_path))
    migrate(engine, target="0003")
    engine.dispose()
    encrypt_record(db_path, PASSPHRASE)
    crypto._known.clear()

    store = open_with(db_path, PASSPHRASE, monkeypatch)  # upgrades to head, backing up first
    store.close()
    [backup] = db_path.parent.glob("record.sqlite3.schema-0003-*.bak")
    assert backup.read_bytes()[:16] != crypto.SQLITE_HEADER, "the backup is encrypted too"
    assert crypto.key_file_path(backup).exists()
    crypto._known.clear()
    connection = crypto.connect(backup, crypto.unlock(backup, PASSPHRASE), read_only=True)
    try:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
    finally:
        connection.close()


def test_an_encrypted_room_replicates_with_the_key_it_already_holds(encrypted, monkeypatch, pg_cluster):
    """The app hands the replicator its store's engine URL; for an encrypted record that URL names
    SQLCipher's own driver. The replicator opens the same file with the key the process holds."""
    from kapdesk.sync.replicator import Replicator

    room = open_with(encrypted, PASSPHRASE, monkeypatch)
    monkeypatch.delenv(crypto.PASSPHRASE_ENV)  # no second question: the key is already in this process
    server = pg_cluster.database()
    sync = Replicator(room.engine.url.render_as_string(hide_password=False), server, room="Cipher Room")
    try:
        sync.cycle()
        office = Store.open(server)
        try:
            assert [c.label for c in office.clients()] == [LABEL]
            assert len(office.entries(office.sessions()[0].id)) == len(room.entries(room.sessions()[0].id))
        finally:
            office.close()
    finally:
        sync.close()
        room.close()
