"""``make bench``: run every benchmark and print one line each (see common.py for the format).

``--quick`` shortens the long ones (for a smoke run); ``--only NAME`` runs the modules whose name contains NAME.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    modules = sorted(p.stem for p in HERE.glob("bench_*.py") if args.only in p.stem)
    for name in modules:
        for result in importlib.import_module(name).run(args.quick):
            print(result.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
