"""The window fits the screen it is on: one fresh process per screen size (the offscreen platform
takes its screen's size from a config file when the application starts), and the geometry rules
(first run maximized, the last geometry clamped to today's screen) in this process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect

from kapdesk.ui.screen_fit import CHART_SHARE, clamp, layout_for, place_window, save_geometry

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("size", ["1280x720", "1366x768", "1920x1080", "2560x1600@2"])
def test_key_widgets_are_on_screen_at(size, tmp_path):
    """``@2``: the same screen at 2× scaling (QT_SCALE_FACTOR=2): laid out as 1280×800, drawn at 2×."""
    size, _, scale = size.partition("@")
    width, height = (int(v) for v in size.split("x"))
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(ROOT),
           "KAPDESK_SCREEN": f"{width // int(scale or 1)}x{height // int(scale or 1)}"}
    if scale:
        env["QT_SCALE_FACTOR"] = scale
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/drivers/screen_fit_check.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-4000:] + result.stderr[-2000:]


def test_layout_rules():
    # 1280 wide: a tabs page of ~850 px less a 629-px record pane leaves the chart ~17 %: take turns.
    assert layout_for(1280, 690, 850, 629).single
    assert layout_for(1280, 690, 850, 629).compact
    # 1920 wide: ~1480 px of page leaves the chart ~44 %: side by side, full band.
    fit = layout_for(1920, 1050, 1480, 629)
    assert not fit.single and not fit.compact
    assert (1480 - 629 - 6) >= CHART_SHARE * 1920


def test_clamp_keeps_a_window_inside_the_available_geometry():
    available = QRect(0, 0, 1366, 728)
    assert clamp(QRect(2000, -300, 1920, 1080), available) == QRect(0, 0, 1366, 728)
    assert clamp(QRect(100, 600, 800, 400), available) == QRect(100, 328, 800, 400)
    assert clamp(QRect(10, 20, 800, 400), available) == QRect(10, 20, 800, 400)


def test_first_run_maximized_then_the_last_geometry_clamped(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication, QMainWindow

    monkeypatch.setenv("KAPDESK_DATA_DIR", str(tmp_path / "data"))
    available = QApplication.instance().primaryScreen().availableGeometry()
    first = QMainWindow()
    qtbot.addWidget(first)
    place_window(first)
    qtbot.waitExposed(first)
    assert first.isMaximized()
    first.showNormal()
    first.setGeometry(30, 40, 500, 300)
    save_geometry(first)
    saved = json.loads((tmp_path / "data" / "window.json").read_text())
    assert saved == {"x": 30, "y": 40, "width": 500, "height": 300, "maximized": False}

    second = QMainWindow()
    qtbot.addWidget(second)
    place_window(second)
    qtbot.waitExposed(second)
    assert not second.isMaximized() and second.geometry() == QRect(30, 40, 500, 300)

    # Left on a big monitor that is gone today: it opens inside this screen.
    (tmp_path / "data" / "window.json").write_text(json.dumps(
        {"x": 2500, "y": 1200, "width": 2400, "height": 1400, "maximized": False}))
    third = QMainWindow()
    qtbot.addWidget(third)
    place_window(third)
    qtbot.waitExposed(third)
    assert available.contains(third.frameGeometry())

    # A file that cannot be read is ignored: maximized, as on the first run.
    (tmp_path / "data" / "window.json").write_text("{not json")
    fourth = QMainWindow()
    qtbot.addWidget(fourth)
    place_window(fourth)
    qtbot.waitExposed(fourth)
    assert fourth.isMaximized()
