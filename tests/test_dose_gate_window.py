"""The dose gate in the real main window, by keyboard only: it reads the record.

A pre-dose reading beyond the do-not-dose bounds is listed when Ctrl+D is pressed; dosing anyway
needs a typed reason, and the ``safety_override`` entry names what it overrode. Dosing without a
pre-dose reading leaves a gap on the clock band, never a schedule stuck on it. All data synthetic.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def view(qtbot, window):
    screen = window.start_screen
    screen.client.setCurrentText("GATE-01 (synthetic)")
    screen.choose_protocol("sublingual")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    assert window.session_view is not None, screen.message.text()
    return window.session_view


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    """A key as the keyboard sends it: to the focus widget (the window when nothing has focus)."""
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)


def type_here(qtbot, window, text):
    for char in text:
        qtbot.keyClicks(QApplication.focusWidget() or window, char)


def overrides(store, view):
    return [e for e in store.entries(view.live.id) if e.kind == "safety_override"]


def test_ctrl_d_lists_a_high_pre_dose_reading_and_needs_a_reason(qtbot, window, view, store, clock):
    clock.advance(10 * 60)
    press(qtbot, window, Qt.Key.Key_F5)
    type_here(qtbot, window, "200/120 88 97 16")
    press(qtbot, window, Qt.Key.Key_Return)
    (reading,) = [e for e in store.entries(view.live.id) if e.kind == "vitals"]
    when = reading.occurred_at.astimezone().strftime("%H:%M")

    clock.advance(5 * 60)
    press(qtbot, window, Qt.Key.Key_D, CTRL)
    panel = view.override
    assert panel.isVisible() and view.live.info.dose_at is None
    listed = panel.list_label.text()
    assert f"• Pre-dose reading {when}: Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017)" in listed
    assert "Preparation not recorded" in listed  # every open item, not only the first
    assert "No pre-dose reading" not in listed
    assert QApplication.focusWidget() is panel.reason

    press(qtbot, window, Qt.Key.Key_Return, CTRL)  # no reason typed: refused in place
    assert "reason first" in panel.message.text() and panel.isVisible()
    assert overrides(store, view) == [] and view.live.info.dose_at is None

    type_here(qtbot, window, "Synthetic: repeat reading 150/90, anaesthetist agreed")
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    assert view.live.info.dose_at is not None and panel.isHidden()
    (override,) = overrides(store, view)
    assert override.data.reason == "Synthetic: repeat reading 150/90, anaesthetist agreed"
    assert f"Pre-dose reading {when}: Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017)" in override.data.items
    assert "Preparation not recorded" in override.data.items
    assert f"predose_reading.{reading.id}.hypertensive_crisis" in override.data.keys
    assert len(override.data.keys) == len(override.data.items)
    # The reading was taken: the schedule moves on to T+15 with no gap.
    view.tick()
    assert view.band.reminder.text().startswith("Vitals T+15") and view.band.missed.isHidden()


def test_dosing_without_a_pre_dose_reading_leaves_a_gap_not_a_frozen_schedule(qtbot, window, view, store, clock):
    clock.advance(25 * 60)  # the pre-dose reading was due at 20 min
    view.tick()
    assert view.band.reminder.text().startswith("Pre-dose vitals overdue")
    press(qtbot, window, Qt.Key.Key_D, CTRL)
    assert "No pre-dose reading recorded" in view.override.list_label.text()
    type_here(qtbot, window, "Synthetic: monitor failed, reading by hand to follow")
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    assert view.live.info.dose_at is not None
    assert "predose_reading_missing" in overrides(store, view)[0].data.keys

    clock.advance(10 * 60)
    view.tick()
    assert view.band.reminder.text() == "Vitals T+15 in 05:00"
    assert view.band.missed.isVisible() and view.band.missed.text() == "Pre-dose vitals: missed"
    clock.advance(88 * 60)  # T+98, no reading taken since the dose
    view.tick()
    assert view.band.reminder.text().startswith("Vitals T+15 overdue")  # one late reading catches up
    press(qtbot, window, Qt.Key.Key_F5)
    type_here(qtbot, window, "130/80 72 98 14")
    press(qtbot, window, Qt.Key.Key_Return)
    view.tick()
    assert view.band.reminder.text() == "Vitals T+105 in 07:00"
    assert view.band.missed.text() == "Pre-dose vitals: missed"
