"""The command line, run as a user would: a real process, its output and its exit code."""

import os
import sqlite3
import subprocess
import sys
import uuid

from kapdesk import __version__
from kapdesk.domain.entries import Unreadable, Vitals
from kapdesk.domain.observations import Observation
from kapdesk.instance import InstanceLock
from kapdesk.store import Store


def kapdesk(*args, env_extra=None):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "kapdesk", *args], capture_output=True, text=True, env=env, timeout=120)


def test_version():
    result = kapdesk("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"kapdesk {__version__}"


def test_demo_writes_a_completed_synthetic_session(tmp_path):
    db = tmp_path / "demo.sqlite3"
    result = kapdesk("demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    session_id = uuid.UUID(result.stdout.strip())
    store = Store.open(str(db))
    info = store.session(session_id)
    assert info.status == "ended" and "synthetic" in info.client_label and "synthetic" in info.clinician_name
    kinds = [e.kind for e in store.entries(session_id)]
    assert kinds[0] == "session_started" and kinds[-1] == "session_ended" and "dose_time" in kinds
    assert kinds.count("phase") == len(info.protocol.phases)
    for kind in ("preparation", "vitals", "dose", "scale", "observation", "music", "presence"):
        assert kind in kinds, kind
    entries = store.entries(session_id)
    assert all(e.occurred_at <= info.ended_at for e in entries)
    assert any(isinstance(e.data, Vitals) and e.data.baseline for e in entries)
    assert any(e.supersedes_id for e in entries), "the demo shows a correction"
    assert any(isinstance(e.data, Observation) and e.data.quote for e in entries)
    assert not any(isinstance(e.data, Unreadable) for e in entries), "the demo writes only what it can read back"
    assert store.note(session_id).signed
    assert {o.measure for o in store.outcomes(info.client_id)} == {"phq9", "gad7"}
    store.close()


def test_db_from_environment_variable(tmp_path):
    db = tmp_path / "env.sqlite3"
    result = kapdesk("demo", env_extra={"KAPDESK_DB": str(db)})
    assert result.returncode == 0 and db.exists()


def test_unusable_database_paths_exit_2_with_a_message(tmp_path):
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database")
    result = kapdesk("--db", str(not_db))
    assert result.returncode == 2
    assert "not a KAPDesk database" in result.stderr and str(not_db) in result.stderr
    assert not_db.read_text() == "not a database"


def test_newer_schema_exits_2_untouched(tmp_path):
    db = tmp_path / "newer.sqlite3"
    Store.open(str(db)).close()
    con = sqlite3.connect(db)
    con.execute("update alembic_version set version_num = 'ffff'")
    con.commit()
    con.close()
    result = kapdesk("--db", str(db))
    assert result.returncode == 2 and "newer KAPDesk" in result.stderr


def test_a_second_instance_is_refused(tmp_path):
    db = tmp_path / "busy.sqlite3"
    lock = InstanceLock(db)
    lock.acquire()  # this test process plays the first KAPDesk
    try:
        result = kapdesk("--db", str(db))
    finally:
        lock.release()
    assert result.returncode == 2
    assert "already open in another KAPDesk" in result.stderr and str(os.getpid()) in result.stderr


def test_playlist_check_is_wired_to_the_command_line(tmp_path):
    from kapdesk.paths import shipped_playlists_dir

    ok = kapdesk("playlist", "check", str(shipped_playlists_dir() / "demo-ambient.kap.toml"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count(" ok ") >= 7
    garbage = tmp_path / "broken.m3u"
    garbage.write_bytes(b"\x00\x01\x02binary\xff")
    bad = kapdesk("playlist", "check", str(garbage))
    assert bad.returncode == 2 and "broken.m3u" in bad.stderr


def test_export_is_wired_to_the_command_line(tmp_path):
    db = tmp_path / "demo.sqlite3"
    session_id = kapdesk("demo", "--db", str(db)).stdout.strip()
    out = tmp_path / "report.csv"
    result = kapdesk("--db", str(db), "export", session_id, "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").count("\n") > 30
    unknown = kapdesk("export", str(uuid.uuid4()), "--format", "pdf", "--out", str(tmp_path / "x.pdf"), "--db", str(db))
    assert unknown.returncode == 2 and "session" in unknown.stderr
    assert not (tmp_path / "x.pdf").exists()
