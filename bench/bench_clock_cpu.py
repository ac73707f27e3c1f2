"""CPU used by a running session clock over 60 s, against an idle bare QMainWindow."""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import Result, run_child

TARGET = 0.3  # % of one core (issue 12)


def run(quick: bool) -> list[Result]:
    seconds = 10 if quick else 60
    db = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    ours = float(run_child("bench/clock_cpu_child.py", "kapdesk", str(db), str(seconds)))
    bare = float(run_child("bench/clock_cpu_child.py", "bare", "-", str(seconds)))
    o, b = 100 * ours / seconds, 100 * bare / seconds
    return [Result(f"session clock CPU over {seconds} s", o, b, "% of a core", f"< {TARGET:g}%", o < TARGET,
                   "idle bare QMainWindow")]
