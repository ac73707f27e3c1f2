"""``make bench``: run every benchmark and print one line each (see common.py for the format).

``--quick`` shortens the long ones (for a smoke run); ``--only NAME`` runs the modules whose name contains NAME.

A benchmark whose baseline tool is not installed prints one SKIP line saying what to install,
and the others still run. The exit status is 1 when a benchmark that could run failed (its
traceback goes to stderr, its line says FAILED) or returned a line without its baseline; a
target missed (MISS) is a measurement, not a failure, and leaves it 0.
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import BaselineMissing, Result, missing_baseline  # noqa: E402

Benchmark = Callable[[bool], list[Result]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py") if args.only in p.stem)
    # Byte-compiled first, as `pip install` leaves the app on a clinic laptop: where
    # PYTHONDONTWRITEBYTECODE is set (as on the development machine) every child process would
    # otherwise compile the modules it imports, a cost no installed KAPDesk pays.
    compileall.compile_dir(str(HERE.parent / "kapdesk"), quiet=1)
    return run_benchmarks(((name, _loader(name)) for name in modules), args.quick)


def _loader(name: str) -> Benchmark:
    def run(quick: bool) -> list[Result]:
        return importlib.import_module(name).run(quick)  # imported here, so an import error is its failure

    return run


def run_benchmarks(benchmarks: Iterable[tuple[str, Benchmark]], quick: bool,
                   out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run each benchmark, print its lines, carry on past a missing baseline or a failure."""
    out, err = out or sys.stdout, err or sys.stderr
    failed = False
    for name, run in benchmarks:
        try:
            results = run(quick)
        except BaselineMissing as missing:
            print(missing.line(), file=out, flush=True)
            continue
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            failed = True
            traceback.print_exc(file=err)
            print(f"{name} | FAILED | {type(exc).__name__}: {exc}".splitlines()[0], file=out, flush=True)
            continue
        for result in results:
            problem = missing_baseline(result)
            if problem:
                failed = True
                print(f"{result.name} | FAILED | {problem}: every line needs a baseline measured in the same run",
                      file=out, flush=True)
            else:
                print(result.line(), file=out, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
