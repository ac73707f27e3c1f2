"""With no clinic server configured, KAPDesk opens no network socket at all (issue 10).

A real process runs a sitting with the music playing through libvlc; its own socket table is then
read from /proc, so a socket opened by Qt, libvlc or Python alike would be seen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVERS = Path(__file__).parent / "drivers"
ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="reads the socket table from Linux's /proc"),
]


def test_a_sitting_with_music_opens_no_network_socket(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KAPDESK_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(DRIVERS)])}
    run = subprocess.run([sys.executable, str(DRIVERS / "network_app.py"), str(tmp_path / "record.sqlite3")],
                         capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if " " in line)
    assert "SOCKETS" in lines, run.stdout + run.stderr
    assert lines["STATE"] == "PLAYING", run.stdout + run.stderr  # the music really ran
    assert json.loads(lines["SOCKETS"]) == []
