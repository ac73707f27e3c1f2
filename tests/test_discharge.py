"""The discharge rule (kapdesk.domain.discharge): minimum observation from the first dose, Aldrete at
the clinic's score, the discharge check. Pure: synthetic entries, no store, no Qt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_series import DOSE, at_dose, entry

from kapdesk.domain.discharge import (
    DISCHARGE_QUESTIONS, NO_ESCORT, discharge_status, earliest_discharge, make_discharge_override, open_discharge_items,
)
from kapdesk.domain.doses import Dose, Route
from kapdesk.domain.entries import DischargeCheck, SafetyOverride
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.scales import SCALES, score

ALL_WELL = DischargeCheck(True, True, True, True, "Sam Synthetic (synthetic)")


def aldrete(total: int, at_minutes: float = 110):
    answers = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}
    for key in list(answers)[: 10 - total]:
        answers[key] -= 1
    result = score(SCALES["aldrete"], answers)
    assert result.total == total
    return entry(result, at_dose(at_minutes))


def spray(at_minutes: float):
    return entry(Dose("esketamine", 28.0, Route.INTRANASAL, "Synthetic Nurse"), at_dose(at_minutes))


def ready_entries(aldrete_total: int = 9):
    return [spray(0), aldrete(aldrete_total), entry(ALL_WELL, at_dose(112))]


def items(entries, protocol: Protocol, minutes: float, *, dose_at=DOSE, score_needed: int = 9) -> list[str]:
    return open_discharge_items(entries, protocol=protocol, dose_at=dose_at, now=at_dose(minutes),
                                aldrete_score=score_needed)


@pytest.mark.parametrize(("minutes", "open_"), [(60, True), (119, True), (119 + 59 / 60, True), (120, False)])
def test_esketamine_may_not_end_before_120_minutes_from_the_first_dose(protocols, minutes, open_):
    found = items(ready_entries(), protocols["esketamine"], minutes)
    assert any(i.startswith("Minimum observation") for i in found) is open_
    if not open_:
        assert found == []


def test_the_minimum_counts_from_the_first_spray_when_it_came_before_t0(protocols):
    """The first spray at T-10 (T0 marked late): 120 minutes are up at T+110, not T+120."""
    entries = [spray(-10), aldrete(9, 100), entry(ALL_WELL, at_dose(100))]
    esketamine = protocols["esketamine"]
    assert items(entries, esketamine, 109.9)[0].startswith("Minimum observation: 119 of 120 min")
    assert items(entries, esketamine, 110) == []
    status = discharge_status(entries, protocol=esketamine, dose_at=DOSE, now=at_dose(60))
    assert status.first_dose == at_dose(-10) and status.earliest == at_dose(110)


def test_without_a_dose_entry_the_minimum_counts_from_t0(protocols):
    entries = [aldrete(9), entry(ALL_WELL, at_dose(112))]
    assert items(entries, protocols["esketamine"], 119) and items(entries, protocols["esketamine"], 120) == []


@pytest.mark.parametrize(("total", "open_"), [(8, True), (9, False), (10, False)])
def test_aldrete_must_reach_the_clinic_score(protocols, total, open_):
    found = items(ready_entries(total), protocols["esketamine"], 130)
    assert (found == [f"Modified Aldrete {total} at {at_dose(110).astimezone():%H:%M} (≥ 9 needed)"]) is open_
    assert (found == []) is not open_


def test_the_aldrete_score_is_the_clinics(protocols):
    assert items(ready_entries(9), protocols["esketamine"], 130, score_needed=10)[0].startswith("Modified Aldrete 9")
    assert items(ready_entries(8), protocols["esketamine"], 130, score_needed=8) == []


def test_an_aldrete_before_the_dose_or_an_incomplete_one_does_not_count(protocols):
    before = [spray(0), aldrete(10, -5), entry(ALL_WELL, at_dose(112))]
    assert items(before, protocols["esketamine"], 130) == ["Modified Aldrete not recorded since the dose (≥ 9 needed)"]
    partial = entry(score(SCALES["aldrete"], {"activity": 2}, allow_partial=True), at_dose(115))
    assert items([*ready_entries(), partial], protocols["esketamine"], 130)[0].startswith("Modified Aldrete incomplete")


def test_every_discharge_question_and_the_escort_are_listed_until_answered_yes(protocols):
    sublingual = protocols["sublingual"]  # no minimum observation: only the items
    found = items([spray(0), aldrete(10)], sublingual, 30)
    assert found == [f"{q.label}: not answered" for q in DISCHARGE_QUESTIONS] + [NO_ESCORT]
    check = DischargeCheck(True, False, True, True, "   ")
    found = items([spray(0), aldrete(10), entry(check, at_dose(40))], sublingual, 45)
    assert found == ["Oriented: no", NO_ESCORT]


def test_the_latest_discharge_check_counts_and_a_corrected_one_does_not(protocols):
    first = entry(DischargeCheck(True, True, True, True, ""), at_dose(100))
    later = entry(ALL_WELL, at_dose(110))
    assert items([spray(0), aldrete(10), first, later], protocols["esketamine"], 125) == []
    replaced = entry(ALL_WELL, at_dose(110), superseded_by=first.id)
    assert items([spray(0), aldrete(10), first, replaced], protocols["esketamine"], 125) == [NO_ESCORT]


def test_a_sitting_without_any_dose_has_nothing_to_discharge_from(protocols):
    assert items([], protocols["esketamine"], 30, dose_at=None) == []
    status = discharge_status([], protocol=protocols["esketamine"], dose_at=None, now=DOSE)
    assert status.first_dose is None and status.earliest is None and status.ready


def test_earliest_discharge_is_the_first_dose_plus_the_minimum():
    assert earliest_discharge(DOSE, 120) == DOSE + timedelta(minutes=120)
    assert earliest_discharge(DOSE, 0) is None and earliest_discharge(None, 120) is None


def test_a_discharge_override_needs_a_reason_and_names_its_gate():
    with pytest.raises(ValueError, match="reason"):
        make_discharge_override(["Steady gait: no"], "   ")
    with pytest.raises(ValueError, match="nothing"):
        make_discharge_override([], "Synthetic reason")
    assert make_discharge_override(["Steady gait: no"], " Synthetic reason ") == SafetyOverride(
        ("Steady gait: no",), "Synthetic reason", gate="discharge")
