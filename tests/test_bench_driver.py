"""``make bench``'s driver: a missing baseline tool is a SKIP line, and no line goes out without its baseline.

The benchmarks themselves take minutes; these tests run the driver's own logic (and the music
benchmark up to its baseline check) in well under a second each.
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"


@pytest.fixture(scope="module")
def bench_modules():
    """bench/run.py and bench/common.py, imported as the driver imports them."""
    path, modules = list(sys.path), dict(sys.modules)
    sys.path.insert(0, str(BENCH))
    try:
        import common
        import run

        yield run, common
    finally:  # "run" and "common" are generic names: leave no trace for other tests
        sys.path[:] = path
        for name in set(sys.modules) - set(modules):
            del sys.modules[name]


def test_without_cvlc_the_player_benchmark_is_one_skip_line_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}  # an empty folder: no cvlc
    result = subprocess.run([sys.executable, "bench/run.py", "--only", "bench_player_cpu"], capture_output=True,
                            text=True, cwd=REPO, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stdout.splitlines()
    assert "| not measured | SKIP (" in line
    assert "cvlc not found" in line and "apt-get install vlc-bin" in line


def test_the_driver_carries_on_past_a_skip_and_a_failure(bench_modules) -> None:
    run, common = bench_modules

    def skipped(_quick: bool):
        raise common.BaselineMissing("needs a tool", "sometool", "on Debian/Ubuntu: sudo apt-get install some-package")

    def broken(_quick: bool):
        raise RuntimeError("the widget never painted")

    def fine(_quick: bool):
        return [common.Result("fine thing", 2.0, 1.0, "ms", "<= 3x", True, "plain sqlite3")]

    out, err = io.StringIO(), io.StringIO()
    code = run.run_benchmarks([("bench_a", skipped), ("bench_b", broken), ("bench_c", fine)], True, out, err)
    assert code == 1  # a benchmark that could run failed
    assert out.getvalue().splitlines() == [
        "needs a tool | not measured | SKIP (baseline tool sometool not found; on Debian/Ubuntu: sudo apt-get install some-package)",
        "bench_b | FAILED | RuntimeError: the widget never painted",
        "fine thing | ours 2 ms | baseline 1 ms (plain sqlite3) | ratio 2.00x | target <= 3x | PASS",
    ]
    assert "Traceback" in err.getvalue()  # the failure's detail, for whoever fixes it

    assert run.run_benchmarks([("bench_a", skipped), ("bench_c", fine)], True, io.StringIO(), io.StringIO()) == 0


@pytest.mark.parametrize(("baseline", "baseline_name"), [(0.0, "plain sqlite3"), (float("nan"), "x"), (1.0, ""), (1.0, "  ")])
def test_a_line_without_its_baseline_fails_the_run(bench_modules, baseline: float, baseline_name: str) -> None:
    run, common = bench_modules
    result = common.Result("lonely figure", 2.0, baseline, "ms", "< 5 ms", True, baseline_name)
    out = io.StringIO()
    assert run.run_benchmarks([("bench_x", lambda _quick: [result])], True, out, io.StringIO()) == 1
    assert out.getvalue().startswith("lonely figure | FAILED | ")


def test_every_benchmark_line_in_the_source_names_its_baseline() -> None:
    """Each ``Result(...)`` in bench/ passes a baseline name, so a new line cannot forget it."""
    calls = []
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Result":
                named = len(node.args) >= 7 or any(k.arg == "baseline_name" for k in node.keywords)
                calls.append((f"{path.name}:{node.lineno}", named))
    assert len(calls) >= 9, calls  # the benchmarks are there to be checked
    assert [where for where, named in calls if not named] == []


def test_every_benchmark_row_in_the_readme_has_its_baseline() -> None:
    """The published table: a figure and what it was measured against, or SKIP with why."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| benchmark |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    base_col = next(i for i, name in enumerate(header) if name.startswith("baseline"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append(cells)
        baseline = cells[base_col]
        if "SKIP" in baseline:
            assert re.search(r"SKIP \(.+\)", baseline), cells
        else:
            assert re.match(r"^[\d.,]+\s*\S*,\s*\S", baseline), f"no baseline figure and name: {cells}"
    assert len(rows) >= 9


def test_the_benchmarks_measure_the_tree_they_are_in() -> None:
    """Children run with CHILD_ENV import kapdesk from this checkout, not from wherever the virtual
    environment's editable install points (another checkout would be measured instead)."""
    code = ("import sys; sys.path.insert(0, 'bench'); import common, subprocess; "
            "print(subprocess.run([sys.executable, '-c', 'import kapdesk; print(kapdesk.__file__)'], env=common.CHILD_ENV, "
            "cwd='/', capture_output=True, text=True).stdout)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.stdout.strip() == str(REPO / "kapdesk" / "__init__.py"), result.stdout + result.stderr
