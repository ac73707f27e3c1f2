"""The `pip install .` route of clinic laptops: the wheel must carry protocols, playlists and migrations."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The wheel, and everything the build printed (verbose, so the backend's warnings show)."""
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", str(ROOT), "-w", str(out)],
                         check=True, capture_output=True, text=True, timeout=300)
    return next(out.glob("kapdesk-*.whl")), run.stdout + run.stderr


@pytest.fixture(scope="module")
def wheel(built) -> Path:
    return built[0]


def test_the_build_prints_no_warning(built):
    """setuptools warns of deprecated metadata (e.g. a TOML-table license) long before it stops building."""
    log = built[1]
    assert "Warning" not in log and "deprecated" not in log.casefold(), log[-3000:]


def test_the_wheel_carries_every_subpackage(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "kapdesk").rglob("__init__.py"))
    missing = [p for p in packages if f"{p}/__init__.py" not in names]
    assert packages and not missing, f"left out of the wheel: {missing}"


def test_the_wheel_carries_what_the_app_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for protocol in ("sublingual", "intramuscular", "iv-infusion", "esketamine"):
        assert f"kapdesk/_data/resources/protocols/{protocol}.toml" in names
    assert any(n.startswith("kapdesk/store/migrations/versions/0001") for n in names)
    assert "kapdesk/store/migrations/script.py.mako" in names
    assert any(n.startswith("kapdesk/_data/playlists/") and n.endswith(".kap.toml") for n in names)


def test_an_installed_wheel_runs_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target), "QT_QPA_PLATFORM": "offscreen"}
    probe = subprocess.run(
        [sys.executable, "-c", "import kapdesk.ui.main_window, kapdesk.paths as p; print(p.__file__); print(p.resources_dir())"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )
    module_file, resources = probe.stdout.split()
    assert module_file.startswith(str(target)) and resources.startswith(str(target))
    demo = subprocess.run([sys.executable, "-m", "kapdesk", "demo", "--db", str(tmp_path / "d.sqlite3")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert demo.returncode == 0, demo.stderr
