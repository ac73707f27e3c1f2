"""Correcting an IV infusion entry: Ctrl+R on its timeline row loads it into the dose line as the
words that record it; Enter saves a correction that supersedes it (nothing is overwritten), and a
corrected start keeps its rate changes, pauses and stop (they name the start they were made
against, followed to its version in force)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_record_pane import enter, kinds, open_pane

from kapdesk.domain.doses import Dose, Route
from kapdesk.domain.entries import EntryInfo, kind_of
from kapdesk.domain.infusions import (
    InfusionAction,
    InfusionChange,
    InfusionRate,
    InfusionStart,
    RateUnit,
    infusion_line,
    infusion_periods,
    parse_infusion_command,
)
from kapdesk.ui.theme import DARK
from kapdesk.ui.timeline import Timeline

NURSE = "Nurse Correct (synthetic)"
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


# -- the domain: the words of an entry, and changes that follow a corrected start ----------------


@pytest.mark.parametrize("data", [
    InfusionStart("ketamine", InfusionRate(0.75, RateUnit.MG_PER_KG_H, 70.0), NURSE, 35.0, 40.0, 0.5),
    InfusionStart("ketamine", InfusionRate(52.5, RateUnit.MG_PER_H), NURSE, 35.0, 40.0),
    InfusionStart("ketamine", InfusionRate(0.0125, RateUnit.MG_PER_KG_MIN, 70.0), NURSE),
    InfusionChange(uuid.uuid4(), InfusionAction.RATE, InfusionRate(0.35, RateUnit.MG_PER_KG_H, 70.0)),
    InfusionChange(uuid.uuid4(), InfusionAction.PAUSE),
    InfusionChange(uuid.uuid4(), InfusionAction.STOP),
])
def test_an_infusion_entry_reads_back_as_the_words_that_record_it(data) -> None:
    command = parse_infusion_command(infusion_line(data))
    assert command is not None
    if isinstance(data, InfusionChange):
        assert command.action == data.action.value
        if data.rate is not None:
            assert command.rate(70.0) == data.rate
        return
    assert command.action == "start"
    assert command.rate(data.rate.weight_kg) == data.rate
    if data.planned_mg is not None:
        assert command.minutes == data.planned_minutes
        assert command.amount == (data.mg_per_kg if data.mg_per_kg is not None else data.planned_mg)


def _entry(minutes: float, data, *, supersedes: uuid.UUID | None = None) -> EntryInfo:
    when = T0 + timedelta(minutes=minutes)
    return EntryInfo(uuid.uuid4(), SESSION, kind_of(data), when, when, AUTHOR, NURSE, data, supersedes_id=supersedes)


SESSION, AUTHOR = uuid.uuid4(), uuid.uuid4()


def test_a_corrected_start_keeps_the_changes_made_against_it() -> None:
    rate = InfusionRate(52.5, RateUnit.MG_PER_H)
    wrong = _entry(0, InfusionStart("ketamine", rate, NURSE, lot="SYN-TYPO"))
    pause = _entry(20, InfusionChange(wrong.id, InfusionAction.PAUSE))
    stop = _entry(30, InfusionChange(wrong.id, InfusionAction.STOP))
    fixed = _entry(0, InfusionStart("ketamine", InfusionRate(42.0, RateUnit.MG_PER_H), NURSE, lot="SYN-1"),
                   supersedes=wrong.id)
    wrong = EntryInfo(**{**wrong.__dict__, "superseded_by": fixed.id})
    [period] = infusion_periods([wrong, pause, stop, fixed])
    assert period.entry.id == fixed.id and period.start.lot == "SYN-1"
    assert period.ended_at == T0 + timedelta(minutes=30) and len(period.pauses) == 1
    assert period.delivered_mg == 14.0  # 20 min at 42 mg/h; nothing while paused


# -- the record pane, by keyboard ------------------------------------------------------------


@pytest.fixture
def pane(qtbot, live):
    return open_pane(qtbot, live)


def start_and_pause(qtbot, pane, live, clock) -> tuple[EntryInfo, EntryInfo]:
    qtbot.keyClick(pane, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    dose = pane.dose
    dose.weight.setText("70 kg")
    dose.lot.setText("SYN-IV-1")
    enter(qtbot, dose.amount, "infusion 0.5 mg/kg over 40 min")
    clock.advance(20 * 60)
    enter(qtbot, dose.amount, "pause")
    clock.advance(5 * 60)
    [start], [pause] = kinds(live, "infusion_start"), kinds(live, "infusion_change")
    return start, pause


def test_ctrl_r_on_an_infusion_start_row_loads_it_and_enter_saves_a_correction(qtbot, pane, live, clock) -> None:
    start, _pause = start_and_pause(qtbot, pane, live, clock)
    timeline = Timeline(theme=DARK)
    qtbot.addWidget(timeline)
    timeline.set_session(live)
    timeline.correction_requested.connect(pane.correct)
    assert timeline.select_entry(start.id)
    qtbot.keyClick(timeline.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)

    dose = pane.dose
    assert dose.correcting is not None and dose.correcting.id == start.id
    assert pane.lower.currentWidget() is dose and QApplication.focusWidget() is dose.amount
    assert dose.amount.text() == "infusion 0.5 mg/kg over 40 min"
    assert (dose.weight.text(), dose.lot.text(), dose.route.currentData()) == ("70 kg", "SYN-IV-1",
                                                                               Route.INTRAVENOUS_INFUSION)
    assert "Correcting the" in dose.banner.text()
    enter(qtbot, dose.amount, "infusion 0.6 mg/kg over 40 min")  # the infusion running does not clash with itself
    assert dose.message.text().startswith("Correction saved"), dose.message.text()
    old, new = live.store.entries(live.id, kinds=["infusion_start"])
    assert old.id == start.id and not old.current and new.supersedes_id == start.id
    assert new.occurred_at == start.occurred_at and new.data.planned_mg == 42.0
    assert dose.message.text().startswith("Correction saved")
    [period] = live.facts().infusions
    assert period.entry.id == new.id and period.paused  # the pause follows the corrected start
    assert period.delivered_mg == 21.0  # 20 min at 0.9 mg/kg/h × 70 kg = 63 mg/h, then paused


def test_an_infusion_change_is_corrected_with_the_change_words(qtbot, pane, live, clock) -> None:
    start, pause = start_and_pause(qtbot, pane, live, clock)
    assert pane.correct(pause)
    dose = pane.dose
    assert dose.amount.text() == "pause"
    enter(qtbot, dose.amount, "stop")  # judged at the pause's time, as if the pause were not there
    _old, new = live.store.entries(live.id, kinds=["infusion_change"])
    assert new.supersedes_id == pause.id and new.data.action is InfusionAction.STOP
    assert new.data.infusion == start.id and new.occurred_at == pause.occurred_at
    [period] = live.facts().infusions
    assert period.status() == "stopped" and period.ended_at == pause.occurred_at


@pytest.mark.parametrize("typed, words", [
    ("stop", "An infusion start is corrected with infusion words"),
    ("100 mg", "An infusion start is corrected with infusion words"),
])
def test_a_start_is_not_corrected_into_something_else(qtbot, pane, live, clock, typed, words) -> None:
    start, _ = start_and_pause(qtbot, pane, live, clock)
    assert pane.correct(start)
    dose = pane.dose
    enter(qtbot, dose.amount, typed)
    assert words in dose.message.text() and dose.amount.text() == typed
    assert dose.amount.property("error") == "true"
    assert len(kinds(live, "infusion_start")) == 1 and len(kinds(live, "dose")) == 0  # nothing saved
    assert dose.correcting is not None and dose.correcting.id == start.id  # still correcting


def test_a_dose_is_not_corrected_into_an_infusion(qtbot, pane, live) -> None:
    original = live.record(Dose(drug="ketamine", amount_mg=100.0, route=Route.SUBLINGUAL, given_by=NURSE))
    assert pane.correct(original)
    dose = pane.dose
    dose.weight.setText("70 kg")
    enter(qtbot, dose.amount, "infusion 0.5 mg/kg over 40 min")
    assert "A dose is corrected with an amount" in dose.message.text()
    assert kinds(live, "infusion_start") == [] and len(kinds(live, "dose")) == 1
    enter(qtbot, dose.amount, "80 mg")
    assert [e.data.amount_mg for e in kinds(live, "dose")] == [100.0, 80.0]

