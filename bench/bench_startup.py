"""Cold start to the first painted main window, against a bare PySide6 QMainWindow started the same way.

A second line reports time to a usable start screen: the sign-in page painted with the record's
clinicians and taking keys (``kapdesk.store.peek`` reads them with sqlite3 before SQLAlchemy is
imported; an Enter pressed while the store opens waits for it). The record has a first admin and
a second clinician, as a clinic's has.

The project's modules are byte-compiled first (``bench/run.py``), as ``pip install`` does on a
clinic laptop (the bare window's PySide6 is compiled already): where PYTHONDONTWRITEBYTECODE is
set, as on this development machine, every start would otherwise compile the app's sources again.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import PLATFORM, Result, median, run_child

RUNS = 7
# A first admin and a nurse with synthetic passwords (the cheap test hasher: only their names are read here).
ACCOUNTS = """
import sys
from kapdesk.domain.clock import SystemClock
from kapdesk.session import Clinic
from kapdesk.session.credentials import FAST
from kapdesk.store import Store
clinic = Clinic(Store.open(sys.argv[1]), SystemClock(), hasher=FAST)
admin = clinic.accounts.create_first_admin("Bench Admin (synthetic)", "synthetic bench pass")
clinic.accounts.add_clinician(admin, "Bench Nurse (synthetic)", "prescriber", "synthetic bench pass")
clinic.close()
"""


def start_times(*args: str) -> tuple[float, float]:
    started = time.time()
    painted, ready = (float(v) for v in run_child("bench/startup_child.py", *args).split()[-2:])
    return painted - started, ready - started


def run(quick: bool) -> list[Result]:
    db = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    run_child("-m", "kapdesk", "demo", "--db", str(db))  # a migrated store with a record in it
    run_child("-c", ACCOUNTS, str(db))
    run_child("bench/startup_child.py", "bare")  # warm the OS file cache for both sides alike
    run_child("bench/startup_child.py", "kapdesk", str(db))
    ours, bare = [], []
    for _ in range(3 if quick else RUNS):  # interleaved, so drift in the machine hits both
        bare.append(start_times("bare"))
        ours.append(start_times("kapdesk", str(db)))
    paint_o, paint_b = median([o[0] for o in ours]) * 1000, median([b[0] for b in bare]) * 1000
    ready_o = median([o[1] for o in ours]) * 1000
    n = len(ours)
    return [
        Result(f"cold start to first paint ({PLATFORM}, median of {n})", paint_o, paint_b, "ms", "<= 1.5x",
               paint_o / paint_b <= 1.5, "bare QMainWindow"),
        Result(f"cold start to usable start screen ({PLATFORM}, median of {n})", ready_o, paint_b, "ms", "<= 2x",
               ready_o / paint_b <= 2.0, "bare QMainWindow first paint"),
    ]
