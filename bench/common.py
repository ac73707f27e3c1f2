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


def schema_floor(store, session_id, clinician_id, data, count, baseline_once):  # noqa: ANN001, ANN201
    """The floor of the record's design, as information beside an entry's commit benchmark.

    The rows of one entry (the entry and its audit event, with the indexes and triggers they fire)
    written by the raw driver on the record's own connection, no Python between the statements;
    interleaved one for one with ``baseline_once()`` (the benchmark's one-row baseline, returning its
    seconds). Returns the two lists of seconds.
    """
    import time
    import uuid
    from datetime import datetime, timezone

    from kapdesk.store.repository import _AUDIT_INSERT, _CHAIN_TAIL_SQL, _ENTRY_INSERT, _plain_insert

    dialect = store.engine.dialect
    values, (action, object_type, object_id, detail) = store._entry_values(
        session_id, clinician_id, datetime.now(timezone.utc), data, None, None)
    event = store._event_values((0, "0" * 64), clinician_id, action, object_type, object_id, detail)
    connection = store.engine.raw_connection()
    floor, baseline = [], []
    try:
        for _ in range(count):
            entry_row = _plain_insert(dialect, _ENTRY_INSERT.table, {**values, "id": uuid.uuid4()})
            start = time.perf_counter()
            cursor = connection.cursor()
            cursor.execute(*entry_row)
            seq = cursor.execute(_CHAIN_TAIL_SQL).fetchone()[0]
            cursor.execute(*_plain_insert(dialect, _AUDIT_INSERT.table, {**event, "id": uuid.uuid4(), "seq": seq + 1}))
            connection.commit()
            floor.append(time.perf_counter() - start)
            baseline.append(baseline_once())
    finally:
        connection.close()
    return floor, baseline
