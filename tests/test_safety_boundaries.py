"""Issue 9, "Must show": the boundaries the audit found without a test of their own.

The issue's list (diastolic 109/110/120: test_alerts.py; caps at exactly the maximum:
test_dose_limits.py and test_rescue.py; T+29/30/50/51 for the REMS reading: test_series_facts.py;
the schedule with and without a pre-dose reading: test_clock.py) is covered where each rule lives.
What was not: an IV infusion's planned total against the same inclusive caps as a bolus (the dose
form checks an infusion with ``what="infusion"``), and the session maximum while a planned
infusion still runs (it counts its whole plan, not what has gone in so far).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kapdesk.domain.dose_limits import DEFAULT_DOSE_LIMITS, review_amount
from kapdesk.domain.doses import DoseError, Route
from kapdesk.domain.entries import EntryInfo, Vitals, kind_of
from kapdesk.domain.infusions import InfusionRate, InfusionStart, RateUnit
from kapdesk.domain.record import record_facts
from kapdesk.domain.vitals import parse_vitals

IV = Route.INTRAVENOUS_INFUSION
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
NURSE = "Nurse Boundary (synthetic)"


def planned(mg_per_kg: float, weight: float, *, before: float = 0.0):
    """The dose form's check of ``infusion <mg_per_kg> mg/kg over 40 min`` at ``weight`` kg."""
    return review_amount("ketamine", IV, DEFAULT_DOSE_LIMITS, amount_mg=round(mg_per_kg * weight, 1),
                         mg_per_kg=mg_per_kg, weight_kg=weight, session_mg_before=before, what="infusion")


def test_a_planned_infusion_of_exactly_the_maximum_is_recorded() -> None:
    # 1 mg/kg × 100 kg = 100 mg: exactly max_mg_per_kg (1.0) and exactly max_mg (100) for IV.
    review = planned(1.0, 100.0)
    assert review.questions == () and review.session_mg == 100


@pytest.mark.parametrize("mg_per_kg, weight, words", [
    (1.01, 70.0, "ketamine IV 1.01 mg/kg is above the maximum of 1 mg/kg for one IV infusion: not saved"),
    (1.0, 100.1, "ketamine IV 100.1 mg (1 mg/kg × 100.1 kg) is above the maximum of 100 mg for one IV infusion"),
])
def test_a_planned_infusion_just_above_a_maximum_is_refused(mg_per_kg: float, weight: float, words: str) -> None:
    with pytest.raises(DoseError) as info:
        planned(mg_per_kg, weight)
    assert info.value.field == "amount" and str(info.value).startswith(words)


def test_an_open_planned_infusion_counts_its_whole_plan_towards_the_session_maximum() -> None:
    """35 mg planned over 40 min, 10 minutes in (8.75 mg delivered): a booster may bring the session
    to exactly 300 mg counting the whole 35, and 0.1 mg more is refused."""
    start = InfusionStart("ketamine", InfusionRate(52.5, RateUnit.MG_PER_H), NURSE, planned_mg=35.0,
                          planned_minutes=40.0)
    entry = EntryInfo(uuid.uuid4(), uuid.uuid4(), kind_of(start), T0, T0, uuid.uuid4(), NURSE, start)
    reading = Vitals(parse_vitals("132/84 76 98 14"))  # the record's latest entry: the moment counted to
    later = EntryInfo(uuid.uuid4(), entry.session_id, kind_of(reading), T0 + timedelta(minutes=10),
                      T0 + timedelta(minutes=10), entry.author_id, NURSE, reading)
    facts = record_facts([entry, later], T0)
    assert facts.infusions[0].delivered_mg == 8.8 and facts.infusions[0].open
    before = facts.session_mg("ketamine")
    assert before == 35.0

    def booster(mg: float):
        return review_amount("ketamine", Route.SUBLINGUAL, DEFAULT_DOSE_LIMITS, amount_mg=mg, mg_per_kg=None,
                             weight_kg=None, session_mg_before=before)

    assert booster(265.0).session_mg == 300
    with pytest.raises(DoseError, match="would make 300.1 mg this session, above the session maximum of 300 mg"):
        booster(265.1)
