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
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT),
                    "-w", str(out)], check=True, capture_output=True, timeout=300)
    return next(out.glob("kapdesk-*.whl"))


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
        [sys.executable, "-c", "import kapdesk.paths as p; print(p.__file__); print(p.resources_dir())"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )
    module_file, resources = probe.stdout.split()
    assert module_file.startswith(str(target)) and resources.startswith(str(target))
    demo = subprocess.run([sys.executable, "-m", "kapdesk", "demo", "--db", str(tmp_path / "d.sqlite3")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert demo.returncode == 0, demo.stderr
