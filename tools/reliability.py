"""``make reliability``: the proof that nothing is lost, at full size, one line per test with its figures.

    python tools/reliability.py                  # everything (about an hour and a half on a laptop)
    python tools/reliability.py --only kill      # one or more of: kill, disk, hostile, soak
    python tools/reliability.py --cycles 50 --soak-minutes 30   # smaller runs

The tests (the same functions ``make test`` runs in short versions):

* ``kill``    1,000 real KAPDesk processes SIGKILLed at random points while they type observations into
              the entry line; after each, ``PRAGMA integrity_check`` and every confirmed entry, once.
* ``disk``    a real full filesystem (a loop-mounted 2 MB ext4; needs root and ``mount -o loop``,
              else ``RLIMIT_FSIZE``): the entry line says saving failed, keeps the text, the file
              stays sound, and Enter saves once space is freed.
* ``hostile`` a truncated record, garbage after the header, a WAL from another record, a read-only
              folder: one line each, exit ≠ 0, no traceback, nothing overwritten.
* ``soak``    a 3-hour sitting at accelerated time: memory, Qt warnings, live QObjects, clock drift.

The server faults (a real PostgreSQL stopped, killed, shared) are the replicator's, in its own tests.
Exit status 1 when any line fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent))


def _kill(args) -> tuple[bool, str]:
    from kill_cycles import kill_cycles

    def progress(done: int, figures) -> None:
        if done % 25 == 0 or done == args.cycles:
            print(f"  … {done}/{args.cycles} cycles, {figures.confirmed} confirmed, lost {figures.lost}, "
                  f"duplicated {figures.duplicated}, integrity failures {figures.integrity_failures}, "
                  f"problems {len(figures.problems)}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="kapdesk-kill-") as folder:
        figures = kill_cycles(Path(folder), args.cycles, progress=progress)
        for problem in figures.problems[:20]:
            print(f"  ! {problem}", file=sys.stderr)
    return figures.ok and figures.cycles == args.cycles, figures.line()


def _disk(args) -> tuple[bool, str]:
    from disk_full import disk_full_run

    result = disk_full_run()
    return result.ok, result.line()


def _hostile(args) -> tuple[bool, str]:
    from hostile import hostile_run

    results = hostile_run()
    return all(r.ok for r in results), hostile_line(results)


def hostile_line(results) -> str:
    failed = [r for r in results if not r.ok]
    cases, ways = sorted({r.case for r in results}), sorted({r.how for r in results})
    head = (f"hostile files     {len(cases)} files ({', '.join(cases)}) × {len(ways)} ways ({', '.join(ways)}): "
            f"{len(results) - len(failed)} of {len(results)} refused with one line, exit ≠ 0, no traceback, "
            "files unchanged")
    return head + "".join(f"; FAILED {r.case} via {r.how}: {r.why}" for r in failed)


def _soak(args) -> tuple[bool, str]:
    from PySide6.QtWidgets import QApplication
    from soak import run_soak

    app = QApplication.instance() or QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory(prefix="kapdesk-soak-") as folder:
        result = run_soak(Path(folder), minutes=args.soak_minutes)
    del app
    return result.ok, result.line()


RUNS = {"kill": _kill, "disk": _disk, "hostile": _hostile, "soak": _soak}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(RUNS), help="comma-separated: " + ", ".join(RUNS))
    parser.add_argument("--cycles", type=int, default=1000, help="SIGKILL cycles (default 1000)")
    parser.add_argument("--soak-minutes", type=int, default=180, help="simulated minutes of the soak (default 180)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in RUNS]
    if unknown:
        parser.error(f"unknown test {', '.join(unknown)} (known: {', '.join(RUNS)})")
    # Never the user's own data folder: every run has its own, removed afterwards.
    scratch = tempfile.TemporaryDirectory(prefix="kapdesk-reliability-data-")
    os.environ["KAPDESK_DATA_DIR"] = scratch.name
    failures = 0
    for name in chosen:
        started = time.monotonic()
        ok, line = RUNS[name](args)
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {line}  [{time.monotonic() - started:.0f} s]", flush=True)
    scratch.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
