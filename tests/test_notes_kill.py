"""SIGKILL a real process right after the notes pane's autosave: the draft must be on disk.

The driver types with real key events and waits for the pane's own debounce timer; this test
blocks on the driver's stdout (no sleeps), kills it with SIGKILL the moment it reports the save,
and reopens the SQLite file as a fresh process would.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from kapdesk.store import Store

DRIVER = Path(__file__).parent / "drivers" / "notes_app.py"
TEXT = "Synthetic: a wide calm sea, then warmth in the chest"

pytestmark = pytest.mark.slow


def test_sigkill_after_autosave_keeps_the_draft(tmp_path):
    db_path = tmp_path / "record.sqlite3"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen([sys.executable, str(DRIVER), str(db_path), TEXT], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()  # blocks until the autosave has committed
        if not line.startswith("SAVED"):
            process.kill()
            raise AssertionError(f"driver failed: {line!r} {process.stderr.read()}")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    session_id = uuid.UUID(line.split()[1])

    store = Store.open(str(db_path))
    try:
        note = store.note(session_id)
        assert note is not None and not note.signed
        assert note.sections["described"] == TEXT
    finally:
        store.close()
    assert sqlite3.connect(db_path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
