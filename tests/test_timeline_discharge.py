"""The timeline's kind buttons file the discharge check, and an override of the discharge gate,
with the end of the session (Phases), not under Other or beside the dose override (Doses)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kapdesk.domain.discharge import make_discharge_override
from kapdesk.domain.entries import DischargeCheck, SafetyOverride
from kapdesk.ui.theme import DARK
from kapdesk.ui.timeline import Timeline


def test_the_discharge_check_and_its_override_are_filed_with_the_end_of_the_session(qtbot, live, clock) -> None:
    timeline = Timeline(theme=DARK)
    qtbot.addWidget(timeline)
    timeline.set_session(live)
    check = live.record(DischargeCheck(True, True, True, True, "Escort (synthetic)"))
    dose_override = live.record(SafetyOverride(("No pre-dose reading recorded",), "Synthetic reason"))
    clock.advance(60)
    end_override = live.record(make_discharge_override(["Modified Aldrete 8 (≥ 9 needed)"], "Synthetic reason"))
    for button in timeline.kind_buttons.values():
        button.setChecked(False)
    qtbot.mouseClick(timeline.kind_buttons["phases"], Qt.MouseButton.LeftButton)
    shown = {e.id for e in timeline.visible_entries()}
    assert {check.id, end_override.id} <= shown and dose_override.id not in shown
    qtbot.mouseClick(timeline.kind_buttons["phases"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(timeline.kind_buttons["other"], Qt.MouseButton.LeftButton)
    assert check.id not in {e.id for e in timeline.visible_entries()}
