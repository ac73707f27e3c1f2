"""Kill a real KAPDesk process with SIGKILL mid-session; the restart must resume with everything intact."""

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kapdesk.app import build
from kapdesk.domain.clock import format_span
from kapdesk.session import DatabaseLockedError

DRIVER = Path(__file__).parent / "drivers" / "live_app.py"
sys.path.insert(0, str(DRIVER.parent))
from driver_keys import sign_in_by_keyboard  # noqa: E402  (the drivers' own sign-in, by keys)

pytestmark = pytest.mark.slow


def run_until_ready(db_path: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen([sys.executable, str(DRIVER), str(db_path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()  # blocks until the driver has done its work (no sleep)
    if not line.startswith("READY"):
        process.kill()
        raise AssertionError(f"driver failed: {line!r} {process.stderr.read()}")
    return process, line.split()[1]


def test_sigkill_mid_session_then_resume(qtbot, tmp_path):
    db_path = tmp_path / "record.sqlite3"
    process, session_id = run_until_ready(db_path)

    # While it runs, a second instance on the same file is refused.
    with pytest.raises(DatabaseLockedError, match="already open in another KAPDesk"):
        build(str(db_path))

    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert Path(str(db_path) + "-wal").exists(), "the WAL holds the last commits; it must survive"

    app, window, lock = build(str(db_path))  # the stale lock of the dead process is taken over
    qtbot.addWidget(window)
    try:
        window.show()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        sign_in_by_keyboard(window, "Crash Clinician (synthetic)")  # nobody sees the record before
        resume = window.start_screen.resume_buttons
        assert len(resume) == 1 and "CRASH-01" in resume[0].text()
        assert resume[0].hasFocus()
        qtbot.mouseClick(resume[0], Qt.MouseButton.LeftButton)
        view = window.session_view
        band = view.band
        entries = [e for e in view.live.entries() if e.kind != "music"]  # the playlist loads on its own
        assert [e.kind for e in entries] == [
            "session_started", "phase", "reminder_done", "safety_override", "dose_time", "phase", "phase",
            "phase_extended",
        ]
        assert str(view.live.id) == session_id
        assert band.phase.text() == "Onset"
        dose_at = view.live.info.dose_at
        shown = band.since_dose.text()
        expected = {"T+" + format_span(datetime.now(timezone.utc) - dose_at - d) for d in (_s(0), _s(1), _s(2))}
        assert shown in expected
        assert view.band.phase_left.text().endswith("left in this phase")
    finally:
        window.clinic.close()
        lock.release()
    check = sqlite3.connect(db_path).execute("PRAGMA integrity_check").fetchone()
    assert check == ("ok",)


def _s(seconds: int):
    from datetime import timedelta

    return timedelta(seconds=seconds)
