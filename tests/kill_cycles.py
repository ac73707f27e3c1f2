"""The SIGKILL cycles behind ``make reliability``, at any size, and what the other proofs share.

``make reliability`` (tools/reliability.py) runs 1,000 cycles and prints one line; ``make test``
runs three (tests/test_kill_cycles.py). Both call :func:`kill_cycles`, so the short version checks
exactly what the long one counts. The record is judged with plain ``sqlite3`` — not with KAPDesk's
own store — so a bug in our reading code cannot hide a bug in our writing code.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = Path(__file__).resolve().parent / "drivers"
ENTRY_LOOP = DRIVERS / "entry_loop_app.py"
READY_TIMEOUT_S = 120.0  # a ceiling for a loaded machine, not a delay


def app_env(data_dir: Path) -> dict[str, str]:
    """A child KAPDesk's environment: offscreen Qt, this tree first on the path, its own data folder."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": path, "KAPDESK_DATA_DIR": str(data_dir)}


# -- SIGKILL cycles ------------------------------------------------------------------------------

@dataclass
class KillFigures:
    cycles: int = 0
    confirmed: int = 0  # entries the screen confirmed ("ACK" printed after the commit)
    lost: int = 0  # confirmed, then missing from the file
    duplicated: int = 0  # typed once, stored more than once
    integrity_failures: int = 0  # PRAGMA integrity_check was not "ok"
    unconfirmed_kept: int = 0  # committed, killed before the confirmation was printed (allowed)
    killed_in_startup: int = 0  # cycles killed before the session was on screen
    resumed: int = 0  # cycles that resumed the sitting the last killed process left in progress
    restart_s: list[float] = field(default_factory=list)  # spawn → session on screen, ready to type
    problems: list[str] = field(default_factory=list)  # anything else that went wrong, one line each

    @property
    def median_restart_s(self) -> float:
        return statistics.median(self.restart_s) if self.restart_s else float("nan")

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.integrity_failures or self.problems)

    def line(self) -> str:
        return (f"kill -9 cycles    {self.cycles} cycles, {self.confirmed} entries confirmed: lost {self.lost}, "
                f"duplicated {self.duplicated}, integrity failures {self.integrity_failures}; median restart "
                f"{self.median_restart_s:.2f} s ({self.resumed} resumed, {self.killed_in_startup} killed while starting, "
                f"{self.unconfirmed_kept} committed but unconfirmed)"
                + (f"; PROBLEMS {len(self.problems)}: {self.problems[0]}" if self.problems else ""))


class _Reader(threading.Thread):
    """Collects a child's stdout lines as they come (so the kill never waits on a pipe)."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.ready_at: float | None = None

    def run(self) -> None:
        for raw in self.stream:
            line = raw.rstrip("\n")
            self.lines.append(line)
            if line.startswith(("READY", "FAILED")) and not self.ready.is_set():
                self.ready_at = time.monotonic()
                self.ready.set()
        self.ready.set()


def check_cycle(db_path: Path, tag: str, acked: dict[str, str]) -> tuple[bool, int, int, int]:
    """After a kill: (integrity ok, lost, duplicated, committed-but-unconfirmed) for the entries of ``tag``.

    Opened read-only, so the check neither checkpoints nor removes the WAL the killed process left:
    the next process must recover it itself.
    """
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        ok = db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute(
            "SELECT id, json_extract(payload, '$.text') FROM entry WHERE kind = 'observation' "
            "AND json_extract(payload, '$.text') LIKE ?", (f"{tag} n%",)).fetchall()
    finally:
        db.close()
    stored = {str(i).replace("-", ""): text for i, text in rows}
    lost = sum(1 for i, text in acked.items() if stored.get(i) != text)
    texts = [text for _, text in rows]
    duplicated = len(texts) - len(set(texts))
    unconfirmed = sum(1 for i in stored if i not in acked)
    return ok, lost, duplicated, unconfirmed


def kill_cycles(workdir: Path, cycles: int, *, seed: int = 11, write_window_s: float = 1.0,
                startup_kill_share: float = 0.1, rotate: int = 150, progress=None) -> KillFigures:
    """``cycles`` real KAPDesk processes on one record, each SIGKILLed at a random moment.

    Most cycles are killed a random time (0 … ``write_window_s``) after the session is on screen,
    while the driver types and commits observations as fast as the entry line takes them; a share
    (``startup_kill_share``) is killed at a random moment during start-up (opening, recovering the
    WAL, migrating, resuming). After each kill the file is checked (see :func:`check_cycle`).
    """
    rng = random.Random(seed)
    db_path = workdir / "record.sqlite3"
    env = app_env(workdir / "user-data")
    figures = KillFigures()
    for cycle in range(cycles):
        tag = f"kill c{cycle}"
        early = cycle > 0 and rng.random() < startup_kill_share
        typical = figures.median_restart_s if figures.restart_s else 3.0
        delay = rng.uniform(0, typical) if early else rng.uniform(0, write_window_s)
        with open(workdir / "driver-stderr.txt", "w") as stderr:
            started = time.monotonic()
            process = subprocess.Popen([sys.executable, str(ENTRY_LOOP), str(db_path), tag, str(rotate)],
                                       stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=workdir)
            reader = _Reader(process.stdout)
            reader.start()
            try:
                if early:
                    time.sleep(delay)  # the random kill point, wherever start-up has got to
                else:
                    if not reader.ready.wait(READY_TIMEOUT_S):
                        figures.problems.append(f"cycle {cycle}: no session on screen after {READY_TIMEOUT_S:.0f} s")
                    elif reader.ready_at is not None:
                        time.sleep(delay)  # the random kill point: not a wait for anything
            finally:
                process.send_signal(signal.SIGKILL)
                code = process.wait()
                reader.join(30)
        lines = list(reader.lines)
        figures.cycles += 1
        ready = next((ln for ln in lines if ln.startswith("READY")), None)
        if ready is None:
            figures.killed_in_startup += 1
        else:
            assert reader.ready_at is not None
            figures.restart_s.append(reader.ready_at - started)
            figures.resumed += ready.endswith(" resumed")
        failed = [ln for ln in lines if ln.startswith("FAILED")]
        if failed or code != -signal.SIGKILL:
            why = failed[0] if failed else f"exited {code} before the kill: {_tail(workdir / 'driver-stderr.txt')}"
            figures.problems.append(f"cycle {cycle}: {why}")
        acked = {}
        for ln in lines:
            if ln.startswith("ACK "):
                _, entry_id, text = ln.split(" ", 2)
                acked[entry_id] = text
        figures.confirmed += len(acked)
        if not db_path.exists():
            if acked:
                figures.lost += len(acked)
            continue
        try:
            ok, lost, duplicated, unconfirmed = check_cycle(db_path, tag, acked)
        except sqlite3.Error as exc:
            figures.integrity_failures += 1
            figures.problems.append(f"cycle {cycle}: the record cannot be read: {exc}")
            continue
        figures.integrity_failures += not ok
        figures.lost += lost
        figures.duplicated += duplicated
        figures.unconfirmed_kept += unconfirmed
        if progress is not None:
            progress(cycle + 1, figures)
    return figures


def _tail(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "(no stderr)"
    return lines[-1] if lines else "(no stderr)"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
