"""Corrupt and hostile record files, made for real, and what KAPDesk must do with each.

A case is a folder holding a record that cannot be used: a record cut short mid-page, an SQLite
header followed by garbage, a sound record beside the ``-wal`` of *another* record (copied there by
a sync tool or a careless restore), and a sound record in a read-only folder. Each is opened
three ways — ``kapdesk demo --db`` (a command that writes), ``kapdesk db check --db`` (the command
a clinic runs when in doubt) and the window (``kapdesk --db``; offscreen it prints the message it
shows with ``show_fatal`` and exits 2). Every way must give one line naming the problem (no
traceback), exit ≠ 0, and leave every file of the folder byte-for-byte as it was and in place.

``make reliability`` runs every case every way as real processes (:func:`hostile_run`);
``make test`` runs them in tests/test_hostile_files.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kill_cycles import ROOT, app_env

RECORD = "record.sqlite3"
OPENED_AFTER_S = 60  # a refusal comes in seconds; a window still up after this opened the record
WAYS = {
    "demo": ("demo", "--db"),
    "db check": ("db", "check", "--db"),
    "window": ("--db",),
}


def _demo_record(path: Path, env: dict[str, str]) -> None:
    """A real record with a completed synthetic session, as ``kapdesk demo`` writes it (closed cleanly)."""
    from kapdesk.demo import write_demo_session

    write_demo_session(str(path))


def make_truncated(folder: Path, env: dict[str, str]) -> Path:
    """A record cut off half-way, in the middle of a page (a copy interrupted, a disk that lied)."""
    record = folder / RECORD
    _demo_record(record, env)
    size = record.stat().st_size
    with record.open("r+b") as handle:
        handle.truncate(size // 2 + 100)
    return record


def make_header_garbage(folder: Path, env: dict[str, str]) -> Path:
    """The 16-byte SQLite header, then nothing SQLite can read."""
    record = folder / RECORD
    record.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    return record


def make_foreign_wal(folder: Path, env: dict[str, str]) -> Path:
    """A sound record beside the un-checkpointed ``-wal`` of another KAPDesk record.

    The other record's last change (its clinicians renamed) is left in its WAL the way a crash
    leaves it; that WAL is then put beside this record under this record's name.
    """
    record = folder / RECORD
    _demo_record(record, env)
    other = folder / "other" / RECORD
    other.parent.mkdir()
    _demo_record(other, env)
    script = ("import os, sqlite3, sys\n"
              "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "db.execute('PRAGMA journal_mode=WAL'); db.execute('PRAGMA wal_autocheckpoint=0')\n"
              "db.execute(\"UPDATE clinician SET name = name || ' (other record)'\")\n"
              "os._exit(0)  # as a crash: no checkpoint, the WAL stays\n")
    subprocess.run([sys.executable, "-c", script, str(other)], check=True, timeout=60)
    shutil.copyfile(str(other) + "-wal", str(record) + "-wal")
    shutil.rmtree(other.parent)
    return record


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[str | None]:
    """Make ``folder`` read-only for the processes we start; yields None, or why it cannot be done.

    As root, permissions are not enforced, so the folder is bind-mounted read-only over itself
    (the kernel refuses every write, as on a write-protected stick); otherwise it is chmod 0500.
    """
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield None
        finally:
            folder.chmod(0o700)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        yield f"root here, and mount --bind is refused ({mounted.stderr.strip()}): folder permissions bind nobody"
        return
    try:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, text=True, check=False)
        yield None if remount.returncode == 0 else f"mount -o remount,ro is refused ({remount.stderr.strip()})"
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def make_read_only(folder: Path, env: dict[str, str]) -> Path:
    record = folder / RECORD
    _demo_record(record, env)
    return record


CASES: dict[str, Callable[[Path, dict[str, str]], Path]] = {
    "truncated": make_truncated,
    "garbage after header": make_header_garbage,
    "WAL of another record": make_foreign_wal,
    "read-only folder": make_read_only,
}


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of the folder (recursively) and its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files overwritten or removed (a new lock file is allowed: it holds no record)."""
    return [name for name, digest in before.items() if after.get(name) != digest]


def message_lines(stderr: str) -> list[str]:
    """What KAPDesk itself said (Qt's offscreen plugin adds its own notes to stderr)."""
    return [ln for ln in stderr.splitlines() if ln.strip() and "propagateSizeHints" not in ln]


@dataclass
class HostileResult:
    case: str
    how: str
    ok: bool
    why: str  # the message on success; what went wrong otherwise


def judge(case: str, how: str, code: int, stderr: str, changed: list[str]) -> HostileResult:
    lines = message_lines(stderr)
    if "Traceback" in stderr:
        return HostileResult(case, how, False, f"a traceback: {lines[-1] if lines else ''}")
    if code == 0:
        return HostileResult(case, how, False, "exit 0: the record was used as if it were sound")
    if changed:
        return HostileResult(case, how, False, f"overwrote or removed {', '.join(changed)}")
    said = [ln for ln in lines if ln.startswith("kapdesk")]
    if len(said) != 1:
        return HostileResult(case, how, False, f"{len(said)} message lines: {' | '.join(lines)[:200]}")
    return HostileResult(case, how, True, said[0])


def run_way(case: str, how: str, workdir: Path) -> HostileResult:
    """Build ``case`` afresh in ``workdir`` and open it ``how``, as a real process."""
    env = app_env(workdir / "user-data")
    folder = workdir / "room"
    folder.mkdir()
    record = CASES[case](folder, env)
    with contextlib.ExitStack() as stack:
        if case == "read-only folder":
            why = stack.enter_context(read_only_folder(folder))
            if why is not None:
                return HostileResult(case, how, True, f"SKIP ({why})")
        before = snapshot(folder)
        try:
            run = subprocess.run([sys.executable, "-m", "kapdesk", *WAYS[how], str(record)], env=env, cwd=workdir,
                                 capture_output=True, text=True, timeout=OPENED_AFTER_S, check=False)
        except subprocess.TimeoutExpired:  # killed by subprocess.run: the window is up, on this record
            return HostileResult(case, how, False, f"still running after {OPENED_AFTER_S} s: the record was "
                                 "opened as if it were sound")
        after = snapshot(folder)
    return judge(case, how, run.returncode, run.stderr, changed_files(before, after))


def hostile_run() -> list[HostileResult]:
    results = []
    for case in CASES:
        for how in WAYS:
            with tempfile.TemporaryDirectory(prefix="kapdesk-hostile-") as folder:
                results.append(run_way(case, how, Path(folder)))
    return results


def integrity_ok(path: Path) -> bool:
    """``PRAGMA integrity_check`` on a record, read-only (the WAL, if any, is read, never checkpointed)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


__all__ = ["CASES", "ROOT", "WAYS", "HostileResult", "hostile_run", "integrity_ok", "run_way", "snapshot"]
