"""SIGKILL a real KAPDesk process right after the record pane confirms a reading: nothing confirmed is lost.

The driver (tests/drivers/record_app.py) types into the real vitals line of a real app on a real
SQLite file and prints each confirmation the moment it is on screen. The process is killed with
SIGKILL (no clean-up, no atexit, no Qt shutdown) as soon as the last line is read; the file is then
read with plain ``sqlite3`` — not with our code — and must hold every reading and acknowledgement
the screen showed.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kapdesk.store import Store

DRIVER = Path(__file__).parent / "drivers" / "record_app.py"

pytestmark = pytest.mark.slow


def kill_after_confirmations(db_path: Path, env: dict[str, str], count: int = 3) -> list[str]:
    """Run the driver on ``db_path`` until it has printed ``count`` confirmations, SIGKILL it right
    after the last one, and return what it printed."""
    process = subprocess.Popen([sys.executable, str(DRIVER), str(db_path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    try:
        for _ in range(count):
            line = process.stdout.readline()  # blocks until the driver has confirmed (no sleep)
            if not line:
                raise AssertionError(f"driver failed after {lines}: {process.stderr.read()}")
            lines.append(line.rstrip("\n"))
    finally:
        process.send_signal(signal.SIGKILL)  # right after the last confirmation
    assert process.wait() == -signal.SIGKILL
    return lines


def test_sigkill_right_after_the_confirmation_loses_nothing(tmp_path):
    db_path = tmp_path / "record.sqlite3"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KAPDESK_DATA_DIR": str(tmp_path / "user-data")}
    lines = kill_after_confirmations(db_path, env)
    first, acked, last = lines
    assert first.startswith("SAVED Saved ") and "186/96  HR 88" in first
    assert acked.startswith("ACKED Acknowledged ") and "Kill Clinician (synthetic)" in acked
    assert last.startswith("SAVED Saved ") and "132/84  HR 76  SpO₂ 98%  RR 14  36.7 °C" in last
    assert Path(str(db_path) + "-wal").exists(), "the WAL holds the last commits; it must survive"

    db = sqlite3.connect(db_path)
    try:
        rows = db.execute("SELECT kind, payload, author_id, note FROM entry ORDER BY recorded_at").fetchall()
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    payloads = [(kind, json.loads(payload)) for kind, payload, _, _ in rows]
    vitals = [p for kind, p in payloads if kind == "vitals"]
    assert [(v["systolic"], v["hr"], v["temp_c"]) for v in vitals] == [(186, 88, None), (132, 76, 36.7)]
    alerts = [p for kind, p in payloads if kind == "alert"]
    acks = [p for kind, p in payloads if kind == "alert_ack"]
    assert any(a["key"] == "hypertensive_crisis" and a["severity"] == "critical" for a in alerts)
    assert len(acks) == 1 and acks[0]["message"] in acked and acks[0]["reason"] == "recheck in 5 min (synthetic)"

    store = Store.open(str(db_path))  # and our own store reads the same record back
    try:
        [session] = store.sessions()
        assert [e.kind for e in store.entries(session.id) if e.kind in ("vitals", "alert_ack")] == \
            ["vitals", "alert_ack", "vitals"]
    finally:
        store.close()
