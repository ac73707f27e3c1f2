"""A --db the app cannot use gets one line naming the problem and what to do, exit ≠ 0, nothing changed.

Each case runs the real command (`python -m kapdesk demo --db TARGET`) in its own process, as a
clinician would type it, and checks the file it names is byte-for-byte what it was.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _kapdesk(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KAPDESK_DATA_DIR": str(cwd / "data")}
    return subprocess.run([sys.executable, "-m", "kapdesk", *argv], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def _one_clear_line(run: subprocess.CompletedProcess[str], *words: str) -> str:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("url", "words"), [
    ("mysql://user@host/record", ("SQLite", "PostgreSQL", "not mysql")),
    ("foo://x", ("not foo",)),
    ("postgresql+psycopg2://host/record", ("psycopg2 driver is not used", "postgresql://")),
    ("postgresql://%zz", ()),
])
def test_an_engine_or_driver_kapdesk_does_not_take(tmp_path, url, words):
    _one_clear_line(_kapdesk("demo", "--db", url, cwd=tmp_path), *words)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("content", [
    b"SQLite format 3\x00" + b"garbage " * 600,  # the header, then nothing SQLite can read
    bytes(range(256)) * 8,  # not SQLite at all
    b"",
], ids=["sqlite-header-then-garbage", "random-bytes", "empty-file"])
def test_a_damaged_or_foreign_file_is_named_and_left_untouched(tmp_path, content):
    record = tmp_path / "record.sqlite3"
    record.write_bytes(content)
    before = _digest(record)
    run = _kapdesk("demo", "--db", str(record), cwd=tmp_path)
    if content == b"":  # an empty file is a new SQLite database: the demo is written into it
        assert run.returncode == 0
        return
    line = _one_clear_line(run, str(record))
    assert "damaged" in line or "not a KAPDesk" in line
    assert _digest(record) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("record")) == ["record.sqlite3"]


def test_a_server_that_is_not_running(tmp_path):
    url = f"postgresql://nobody@/record?host={tmp_path}&port=1"
    _one_clear_line(_kapdesk("demo", "--db", url, cwd=tmp_path), "not accepting connections")


def test_a_wrong_password_is_named_and_never_printed(tmp_path, pg_cluster):
    pg_cluster.sql("CREATE DATABASE pw_record OWNER kapdesk_pw")
    url = f"postgresql://{pg_cluster.PASSWORD_USER}:wrong-synthetic@/pw_record?host={pg_cluster.socket_dir}" \
          f"&port={pg_cluster.port}"
    line = _one_clear_line(_kapdesk("demo", "--db", url, cwd=tmp_path), "refused the user name or password")
    assert "wrong-synthetic" not in line
    good = url.replace("wrong-synthetic", pg_cluster.PASSWORD)
    assert _kapdesk("demo", "--db", good, cwd=tmp_path).returncode == 0
