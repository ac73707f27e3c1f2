"""What every benchmark shares: the one-line result format and small timing helpers.

A benchmark compares our figure with a baseline measured in the same run on the same machine,
so a slow or busy machine moves both. Each prints exactly one line:
``name | ours | baseline | ratio | target | PASS/MISS``.

A figure without its baseline says nothing, so a line never goes out without one: a benchmark
whose baseline tool is not installed raises :class:`BaselineMissing` (``require_tool``) and
prints ``name | not measured | SKIP (why, and how to install it)`` instead, and the driver
refuses a Result whose baseline is missing (:func:`missing_baseline`).
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The benchmarks measure the tree they are in: without this, a child (or this process) would import
# whichever kapdesk the virtual environment's editable install points at (another checkout).
if str(ROOT) not in sys.path[:2]:
    sys.path.insert(1, str(ROOT))
CHILD_ENV = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
             "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
PLATFORM = CHILD_ENV["QT_QPA_PLATFORM"]


@dataclass(frozen=True)
class Result:
    name: str
    ours: float
    baseline: float
    unit: str
    target: str
    met: bool
    baseline_name: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    def line(self) -> str:
        base = f"{self.baseline:.3g} {self.unit}" + (f" ({self.baseline_name})" if self.baseline_name else "")
        return (f"{self.name} | ours {self.ours:.3g} {self.unit} | baseline {base} | ratio {self.ratio:.2f}x"
                f" | target {self.target} | {'PASS' if self.met else 'MISS'}")


def missing_baseline(result: Result) -> str:
    """Why ``result`` cannot be printed as a comparison ("" when it can): no baseline figure or no name."""
    if not (isinstance(result.baseline, (int, float)) and math.isfinite(result.baseline) and result.baseline > 0):
        return f"no baseline figure ({result.baseline!r})"
    if not result.baseline_name.strip():
        return "the baseline is not named"
    return ""


class BaselineMissing(Exception):
    """The tool a benchmark's baseline runs is not installed; the benchmark is not measured."""

    def __init__(self, benchmark: str, tool: str, how: str) -> None:
        super().__init__(f"{tool} not found")
        self.benchmark, self.tool, self.how = benchmark, tool, how

    def line(self) -> str:
        return f"{self.benchmark} | not measured | SKIP (baseline tool {self.tool} not found; {self.how})"


def require_tool(benchmark: str, tool: str, debian_package: str) -> str:
    """The path of ``tool`` on PATH, or BaselineMissing saying which Debian package provides it."""
    path = shutil.which(tool)
    if path is None:
        raise BaselineMissing(benchmark, tool, f"on Debian/Ubuntu: sudo apt-get install {debian_package}")
    return path


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_child(*args: str, timeout: float = 300) -> str:
    """Run ``python bench/<args>`` and return its stdout; fail loudly with its stderr."""
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=CHILD_ENV, timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{args} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


class SchemaFloor:
    """The floor of the record's design, for an entry's commit benchmark: the rows of one entry (the
    entry and its audit event, with the indexes and triggers they fire) written by the raw driver
    (sqlite3 or sqlcipher3) on the record's own pooled connection, no Python between the statements.

    What ``Store.add_entry`` adds above it is KAPDesk's own code; the one-row baseline also prices
    the design (two rows, ~12 pages, against ~2). ``once()`` writes one and returns its seconds.
    """

    def __init__(self, store, session_id, clinician_id, data) -> None:  # noqa: ANN001
        from datetime import datetime, timezone

        from kapdesk.store.repository import _AUDIT_INSERT, _CHAIN_TAIL_SQL, _ENTRY_INSERT, _plain_insert

        self.engine = store.engine
        self.tail_sql, self.insert = _CHAIN_TAIL_SQL, _plain_insert
        self.tables = (_ENTRY_INSERT.table, _AUDIT_INSERT.table)
        self.entry, (action, object_type, object_id, detail) = store._entry_values(
            session_id, clinician_id, datetime.now(timezone.utc), data, None, None)
        self.event = store._event_values((0, "0" * 64), clinician_id, action, object_type, object_id, detail)

    def once(self) -> float:
        import time
        import uuid

        dialect = self.engine.dialect
        entry_sql, entry_row = self.insert(dialect, self.tables[0], {**self.entry, "id": uuid.uuid4()})
        event_sql, event_row = self.insert(dialect, self.tables[1], {**self.event, "id": uuid.uuid4()})
        at = list(self.tables[1].columns.keys()).index("seq")  # the one value known only in the transaction
        connection = self.engine.raw_connection()  # the pooled connection Store.add_entry takes too
        try:
            start = time.perf_counter()
            cursor = connection.cursor()
            cursor.execute(entry_sql, entry_row)
            seq = cursor.execute(self.tail_sql).fetchone()[0] + 1
            cursor.execute(event_sql, (*event_row[:at], seq, *event_row[at + 1:]))
            connection.commit()
            return time.perf_counter() - start
        finally:
            connection.close()
