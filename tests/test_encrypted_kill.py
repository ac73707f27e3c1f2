"""SIGKILL a real KAPDesk process writing to an *encrypted* record: nothing it confirmed is lost, nothing is in clear.

The same driver as tests/test_record_kill.py (tests/drivers/record_app.py) runs the real app on an
SQLCipher record, unlocked by ``KAPDESK_PASSPHRASE``; it types readings into the record pane and
prints each confirmation the moment it is on screen, and is killed with SIGKILL right after the
last one. The files are then read with raw ``sqlcipher3`` and a key derived with ``argon2``
straight from the key file (not with our code), and grepped for names in clear.
"""

import json
import os
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from argon2.low_level import Type, hash_secret_raw
from test_record_kill import kill_after_confirmations

from kapdesk.store import Store, crypto
from kapdesk.store.encryption import encrypt_record

PASSPHRASE = "correct horse (synthetic)"

pytestmark = pytest.mark.slow


def raw_key(db: Path) -> str:
    kdf = json.loads((db.parent / (db.name + ".kdf")).read_text())
    key = hash_secret_raw(PASSPHRASE.encode(), bytes.fromhex(kdf["salt"]), kdf["time_cost"], kdf["memory_kib"],
                          kdf["parallelism"], 32, Type.ID)
    return f"\"x'{key.hex()}'\""


def test_sigkill_on_an_encrypted_record_loses_nothing_confirmed(tmp_path, monkeypatch):
    monkeypatch.setenv(crypto.WEAK_KDF_ENV, "1")
    db_path = tmp_path / "record.sqlite3"
    Store.open(str(db_path)).close()
    encrypt_record(db_path, PASSPHRASE)
    crypto.forget_key(db_path)

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KAPDESK_DATA_DIR": str(tmp_path / "user-data"),
           crypto.PASSPHRASE_ENV: PASSPHRASE}
    lines = kill_after_confirmations(db_path, env)
    first, acked, last = lines
    assert first.startswith("SAVED Saved ") and acked.startswith("ACKED ") and last.startswith("SAVED Saved ")
    wal = Path(f"{db_path}-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the WAL holds the last commits; it must survive"

    for path in tmp_path.rglob("*"):  # database, WAL, WAL index, lock: no name in clear
        if path.is_file():
            data = path.read_bytes()
            for secret in (b"KILL-01", b"Kill Clinician", b"synthetic", b"systolic"):
                assert secret not in data, f"{secret!r} in clear in {path.name}"

    db = sqlcipher.connect(str(db_path))
    try:
        db.execute(f"PRAGMA key = {raw_key(db_path)}")
        rows = db.execute("SELECT kind, payload FROM entry ORDER BY recorded_at").fetchall()
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA cipher_integrity_check").fetchall() == []
    finally:
        db.close()
    vitals = [json.loads(p) for kind, p in rows if kind == "vitals"]
    assert [(v["systolic"], v["hr"], v["temp_c"]) for v in vitals] == [(186, 88, None), (132, 76, 36.7)]
    assert [kind for kind, _ in rows].count("alert_ack") == 1

    monkeypatch.setenv(crypto.PASSPHRASE_ENV, PASSPHRASE)
    store = Store.open(str(db_path))  # and our own store reads the same record back
    try:
        [session] = store.sessions()
        assert [e.kind for e in store.entries(session.id) if e.kind in ("vitals", "alert_ack")] == \
            ["vitals", "alert_ack", "vitals"]
    finally:
        store.close()
        crypto.forget_key(db_path)
