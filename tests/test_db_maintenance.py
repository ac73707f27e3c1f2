"""kapdesk db backup | restore | check (issue 11): a snapshot while a session is recorded, a restore that
never loses a newer record, and a check that names what is wrong."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from kapdesk.domain.entries import Observation
from kapdesk.store import Store
from kapdesk.store.db_cli import main as db_main


def _db(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = db_main(list(argv), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def _observations(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM entry WHERE kind = 'observation'").fetchone()[0]


def test_a_backup_is_taken_while_the_session_records(live, store, db_path, tmp_path):
    live.record(Observation("Synthetic: before the backup"))
    code, text = _db("backup", str(tmp_path / "snap.sqlite3"), "--db", str(db_path))
    assert code == 0 and "written and checked" in text
    live.record(Observation("Synthetic: after the backup"))  # the session goes on writing
    assert _observations(tmp_path / "snap.sqlite3") == 1 and _observations(db_path) == 2
    code, text = _db("check", "--db", str(tmp_path / "snap.sqlite3"))
    assert code == 0, text


def test_a_backup_never_overwrites_and_goes_into_a_folder(live, db_path, tmp_path):
    (tmp_path / "taken.sqlite3").write_bytes(b"keep me")
    code, text = _db("backup", str(tmp_path / "taken.sqlite3"), "--db", str(db_path))
    assert code == 4 and "already exists" in text and (tmp_path / "taken.sqlite3").read_bytes() == b"keep me"
    folder = tmp_path / "backups"
    folder.mkdir()
    assert _db("backup", str(folder), "--db", str(db_path))[0] == 0
    assert len(list(folder.glob("*.sqlite3"))) == 1 and not list(folder.glob("*.partial"))


def test_restore_refuses_over_a_newer_record_and_keeps_the_current_file_aside(live, store, db_path, tmp_path):
    snap = tmp_path / "snap.sqlite3"
    assert _db("backup", str(snap), "--db", str(db_path))[0] == 0
    live.record(Observation("Synthetic: only in the record"))
    store.close()
    before = db_path.read_bytes()
    code, text = _db("restore", str(snap), "--db", str(db_path))
    assert code == 4 and "more audit event" in text and db_path.read_bytes() == before
    # A damaged record: the backup goes back and the damaged file is kept.
    db_path.write_bytes(b"SQLite format 3\x00" + b"damaged " * 100)
    for side in db_path.parent.glob(db_path.name + "-*"):
        side.unlink()
    code, text = _db("restore", str(snap), "--db", str(db_path))
    assert code == 0, text
    kept = list(tmp_path.glob("record.sqlite3.before-restore-*"))
    assert kept and kept[0].read_bytes().startswith(b"SQLite format 3\x00damaged")
    assert Store.open(str(db_path)).entries(live.id)


def test_restore_refuses_a_backup_from_a_newer_build(tmp_path, db_path, store):
    store.close()
    snap = tmp_path / "future.sqlite3"
    snap.write_bytes(db_path.read_bytes())
    with sqlite3.connect(snap) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    code, text = _db("restore", str(snap), "--db", str(db_path))
    assert code == 4 and "newer KAPDesk" in text


def test_check_names_a_missing_protection_and_a_broken_chain(live, store, db_path):
    live.record(Observation("Synthetic"))
    store.close()
    assert _db("check", "--db", str(db_path))[0] == 0
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TRIGGER entry_append_only_update")
        db.execute("UPDATE entry SET note = 'rewritten' WHERE kind = 'observation'")
    code, text = _db("check", "--db", str(db_path))
    assert code == 1
    assert "FAIL protections: missing: entry_append_only_update" in text
    assert "FAIL audit chain" in text and "was changed after event" in text
    assert "ok   integrity" in text


@pytest.mark.parametrize("command", ["backup", "check"])
def test_a_file_that_is_not_a_record_gets_one_line(tmp_path, command):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"SQLite format 3\x00" + b"junk " * 300)
    argv = [command, str(tmp_path / "x.sqlite3")] if command == "backup" else [command]
    code, text = _db(*argv, "--db", str(junk))
    assert code == 4 and len(text.strip().splitlines()) == 1 and "Traceback" not in text
