"""The short version of ``make reliability``'s 3-hour soak (tests/soak.py): 20 simulated minutes.

The real window, a real SQLite file, an injected clock, a reading every minute and an observation
every five typed into the entry lines, music looping through libvlc into a WAV file, the chart and
timeline redrawn: memory growth after minute 10 under 5 MB, no Qt warning, no growth in live
QObjects, and the session clock equal to the injected time at every tick.
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QObject, qWarning
from soak import WARMUP_MINUTES, run_soak

from kapdesk.player import probe_vlc

pytestmark = pytest.mark.slow
HAS_MUSIC = probe_vlc().available or bool(os.environ.get("CI"))  # CI installs libvlc: never skipped there


def test_twenty_simulated_minutes_leak_nothing_and_never_drift(qapp, tmp_path):
    result = run_soak(tmp_path, 20)
    assert result.problems == []
    assert (result.readings, result.observations) == (20, 4)
    assert result.rss_growth < 5 * 2**20, result.line()
    assert result.qt_warnings == []
    growth = result.object_growth
    assert growth is not None and (growth.tree, growth.widgets, growth.wrappers) == (0, 0, 0), result.line()
    assert result.ticks == 80 and result.drift_ticks == 0 and result.max_drift_s == 0.0
    if HAS_MUSIC:
        assert result.music_ok, result.music
        assert result.ok, result.line()


def test_the_soak_sees_a_warning_and_a_leaked_object(qapp, tmp_path):
    """The soak's verdict can fail: a Qt warning and one QObject left behind after minute 10 are counted."""
    def fault(minute, window):
        if minute == WARMUP_MINUTES + 1:
            QObject(window).setObjectName("leaked by the test")
            qWarning("a warning injected by the test")

    result = run_soak(tmp_path, WARMUP_MINUTES + 1, each_minute=fault)
    assert result.qt_warnings == ["a warning injected by the test"]
    growth = result.object_growth
    assert growth is not None and growth.tree == 1 and growth.wrappers == 1
    assert not result.ok
