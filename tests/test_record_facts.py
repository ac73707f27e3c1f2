"""The facts of a sitting (kapdesk.domain.record): the one baseline rule, the peak, T+ labels.

Every output reads these facts, so each rule is pinned here once. Pure: entries built by hand,
no store, no Qt. All readings are synthetic.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import EntryInfo, Payload, Unreadable, Vitals, decode, kind_of
from kapdesk.domain.observations import Observation
from kapdesk.domain.record import (
    current_readings, find_baseline, is_pre_dose, minutes_between, offset_label, peak_bp, record_facts, t_plus,
)
from kapdesk.domain.vitals import VitalsReading, parse_vitals

T0 = datetime(2026, 1, 5, 9, 20, tzinfo=timezone.utc)  # the dose
SESSION, AUTHOR = uuid.uuid4(), uuid.uuid4()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(data: Payload, minutes: float, *, supersedes: uuid.UUID | None = None) -> EntryInfo:
    return EntryInfo(uuid.uuid4(), SESSION, kind_of(data), at(minutes), at(minutes), AUTHOR, "Nurse (synthetic)",
                     data, supersedes_id=supersedes)


def vitals(minutes: float, text: str, *, flagged: bool = False) -> EntryInfo:
    return entry(Vitals(parse_vitals(text), baseline=flagged), minutes)


def correct(old: EntryInfo, data: Payload) -> tuple[EntryInfo, EntryInfo]:
    """``old`` as superseded, and its correction (same time, as the store records one)."""
    fixed = entry(data, minutes_between(T0, old.occurred_at), supersedes=old.id)
    return replace(old, superseded_by=fixed.id), fixed


def baseline_of(entries: list[EntryInfo], dose_at: datetime | None = T0) -> tuple[str, bool] | None:
    """The baseline as ``("systolic/diastolic", flagged)``, or None."""
    found = find_baseline(current_readings(entries), dose_at)
    return None if found is None else (f"{found.reading.systolic}/{found.reading.diastolic}", found.flagged)


# -- the baseline -------------------------------------------------------------------------------


def test_without_a_flag_the_latest_pre_dose_reading_is_the_baseline():
    """A re-take before dosing is the reading the decision to dose was made on."""
    assert baseline_of([vitals(-15, "120/80"), vitals(-5, "140/85"), vitals(15, "150/90")]) == ("140/85", False)


def test_a_flagged_earlier_reading_beats_a_later_unflagged_one():
    entries = [vitals(-15, "120/80", flagged=True), vitals(-5, "140/85")]
    assert baseline_of(entries) == ("120/80", True)


def test_of_two_flagged_pre_dose_readings_the_later_one_counts():
    entries = [vitals(-15, "150/95", flagged=True), vitals(-5, "128/82", flagged=True), vitals(-2, "140/85")]
    assert baseline_of(entries) == ("128/82", True)


def test_a_flag_after_t0_is_ignored():
    entries = [vitals(-5, "130/85"), vitals(10, "150/90", flagged=True)]
    assert baseline_of(entries) == ("130/85", False)
    assert baseline_of([vitals(10, "150/90", flagged=True)]) is None  # no pre-dose reading: no baseline


def test_a_reading_exactly_at_t0_is_pre_dose():
    assert is_pre_dose(T0, T0) and is_pre_dose(at(-0.01), T0) and not is_pre_dose(at(0.01), T0)
    assert baseline_of([vitals(-10, "120/80"), vitals(0, "132/84"), vitals(0.5, "150/90")]) == ("132/84", False)


def test_before_t0_every_reading_is_pre_dose():
    assert is_pre_dose(at(600), None)
    assert baseline_of([vitals(-10, "120/80", flagged=True), vitals(30, "140/85")], None) == ("120/80", True)
    assert baseline_of([vitals(-10, "120/80"), vitals(30, "140/85")], None) == ("140/85", False)


def test_a_superseded_reading_never_counts():
    typo, fixed = correct(vitals(-10, "162/82", flagged=True), Vitals(parse_vitals("126/82"), baseline=True))
    assert baseline_of([typo, fixed]) == ("126/82", True)
    # A correction that takes the flag away leaves no flagged reading: the latest pre-dose one counts.
    flag_typo, unflagged = correct(vitals(-2, "140/85", flagged=True), Vitals(parse_vitals("140/85")))
    assert baseline_of([vitals(-10, "120/80"), flag_typo, unflagged]) == ("140/85", False)
    assert baseline_of([replace(vitals(-5, "120/80"), superseded_by=uuid.uuid4())]) is None


def test_a_reading_this_build_cannot_read_is_in_no_fact():
    _, odd = decode("vitals", {"systolic": 999, "diastolic": 80, "baseline": True})
    assert isinstance(odd, Unreadable)
    facts = record_facts([vitals(-10, "120/80"), entry(odd, -5)], T0)
    assert [r.reading.systolic for r in facts.readings] == [120]
    assert facts.baseline is not None and facts.baseline.reading.systolic == 120
    assert facts.peak is not None and facts.peak.reading.systolic == 120


def test_the_rise_is_measured_from_the_baseline():
    facts = record_facts([vitals(-5, "128/84 72"), vitals(40, "170/100 80")], T0)
    assert facts.baseline is not None and facts.latest is not None
    assert facts.baseline.rise(facts.latest.reading, "systolic") == 42
    assert facts.baseline.rise(facts.latest.reading, "heart_rate") == 8
    assert facts.baseline.rise(facts.latest.reading, "spo2") is None  # not measured in either


# -- the peak -----------------------------------------------------------------------------------


def test_the_peak_is_one_real_reading():
    """300/20, the reading with the highest systolic; never 300/95, which no one measured."""
    facts = record_facts([vitals(10, "150/95"), vitals(20, "300/20")], T0)
    assert facts.peak is not None
    assert (facts.peak.reading.systolic, facts.peak.reading.diastolic) == (300, 20)


def test_of_two_equal_peak_readings_the_earlier_is_the_peak():
    """When the peak was first reached (the tie rule for unequal diastolics is record.py's to say)."""
    first, again = vitals(10, "150/90"), vitals(30, "150/90")
    peak = peak_bp(current_readings([vitals(5, "130/85"), first, again]))
    assert peak is not None and peak.id == first.id


def test_no_blood_pressure_no_peak_and_a_superseded_reading_is_never_the_peak():
    assert peak_bp(current_readings([entry(Vitals(VitalsReading(heart_rate=72)), 5)])) is None
    assert peak_bp(()) is None
    typo, fixed = correct(vitals(45, "190/95"), Vitals(parse_vitals("148/88")))
    peak = peak_bp(current_readings([vitals(15, "140/90"), typo, fixed]))
    assert peak is not None and peak.id == fixed.id


# -- T+ -----------------------------------------------------------------------------------------


def test_t_plus_counts_whole_minutes_toward_zero_like_a_clock():
    assert t_plus(T0 + timedelta(minutes=45, seconds=50), T0) == "T+45"
    assert t_plus(T0 - timedelta(minutes=4, seconds=10), T0) == "T-4"
    assert t_plus(T0, T0) == "T+0"
    assert t_plus(at(30), None) is None  # no T0 yet: no T+ label


@pytest.mark.parametrize(("minutes", "label"), [
    (45.9, "T+45"), (0.4, "T+0"), (-0.4, "T+0"), (-12.5, "T-12"), (125, "T+125"),
])
def test_offset_label_counts_whole_minutes_like_a_clock(minutes, label):
    assert offset_label(minutes) == label


def test_minutes_between_is_signed():
    assert minutes_between(T0, at(-90)) == -90
    assert minutes_between(T0, T0 + timedelta(seconds=30)) == 0.5


# -- the whole -----------------------------------------------------------------------------------


def test_record_facts_reads_readings_in_time_order_and_current_doses():
    later, back_dated = vitals(30, "150/90"), vitals(15, "140/88")
    wrong_dose, dose = correct(entry(parse_dose("ketamine 500 mg SL", given_by="Nurse (synthetic)"), 0),
                               parse_dose("ketamine 100 mg SL", given_by="Nurse (synthetic)"))
    booster = entry(parse_dose("ketamine 50 mg SL", given_by="Nurse (synthetic)", booster=True), 60)
    entries = [booster, later, entry(Observation("resting (synthetic)"), 20), back_dated, wrong_dose, dose]
    facts = record_facts(entries, T0)
    assert [r.id for r in facts.readings] == [back_dated.id, later.id]
    assert facts.latest is not None and facts.latest.id == later.id
    assert facts.reading(back_dated.id) is facts.readings[0] and facts.reading(uuid.uuid4()) is None
    assert [e.id for e, _ in facts.doses] == [dose.id, booster.id]
    assert facts.total_dose_mg == 150
    assert facts.t_plus(at(15.5)) == "T+15"
    empty = record_facts([], None)
    assert (empty.readings, empty.baseline, empty.peak, empty.latest, empty.total_dose_mg) == ((), None, None, None,
                                                                                               None)
