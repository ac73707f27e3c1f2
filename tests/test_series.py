"""The vitals chart's data: pure maths over synthetic entries (no Qt, no store)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from kapdesk.domain.clock import Segment
from kapdesk.domain.doses import Dose, Route
from kapdesk.domain.entries import EntryInfo, Payload, Unreadable, Vitals, decode, kind_of
from kapdesk.domain.observations import Observation
from kapdesk.domain.record import record_facts
from kapdesk.domain.series import DEFAULT_WINDOW_ARRIVAL, DEFAULT_WINDOW_DOSE, chart_data, dose_label
from kapdesk.domain.vitals import VitalsReading

UTC = timezone.utc
ARRIVAL = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
DOSE = ARRIVAL + timedelta(minutes=20)
SESSION = uuid.uuid4()
AUTHOR = uuid.uuid4()


def entry(data: Payload, at: datetime, *, superseded_by: uuid.UUID | None = None,
          supersedes: uuid.UUID | None = None) -> EntryInfo:
    return EntryInfo(id=uuid.uuid4(), session_id=SESSION, kind=kind_of(data), occurred_at=at, recorded_at=at,
                     author_id=AUTHOR, author_name="Synthetic Nurse", data=data,
                     supersedes_id=supersedes, superseded_by=superseded_by)


def vitals(at: datetime, bp: tuple[int, int] | None = (120, 80), hr: int | None = 70, spo2: int | None = 98,
           *, baseline: bool = False, **kwargs) -> EntryInfo:
    systolic, diastolic = bp if bp else (None, None)
    reading = VitalsReading(systolic, diastolic, hr, spo2, 14, None)
    return entry(Vitals(reading, baseline), at, **kwargs)


def ketamine(*, booster: bool = False) -> Dose:
    return Dose("ketamine", 100, Route.SUBLINGUAL, "Synthetic Nurse", "SYN-1", booster)


def dose(at: datetime, *, booster: bool = False, **kwargs) -> EntryInfo:
    return entry(ketamine(booster=booster), at, **kwargs)


def unreadable(kind: str, at: datetime, stored: dict) -> EntryInfo:
    """An entry as the store hands out a payload this build cannot read."""
    _, data = decode(kind, stored)
    assert isinstance(data, Unreadable)
    return entry(data, at)


def at_dose(minutes: float) -> datetime:
    return DOSE + timedelta(minutes=minutes)


def test_points_are_minutes_from_the_dose_per_vital():
    entries = [
        vitals(at_dose(-10), (126, 82), 74, 98),
        entry(Observation("resting"), at_dose(5)),
        vitals(at_dose(15), (140, 90), 80, 97),
        vitals(at_dose(30.5), (150, 94), 84, None),  # SpO₂ not measured: no SpO₂ point there
    ]
    data = chart_data(entries, arrival=ARRIVAL, dose_at=DOSE)
    assert data.from_dose and data.origin == DOSE
    assert data.points["systolic"] == ((-10, 126), (15, 140), (30.5, 150))
    assert data.points["diastolic"] == ((-10, 82), (15, 90), (30.5, 94))
    assert data.points["heart_rate"] == ((-10, 74), (15, 80), (30.5, 84))
    assert data.points["spo2"] == ((-10, 98), (15, 97))
    assert data.readings == 3
    assert data.latest is not None and data.latest[0] == 30.5 and data.latest[1].systolic == 150


def test_before_the_dose_minutes_count_from_arrival():
    data = chart_data([vitals(ARRIVAL + timedelta(minutes=12), (126, 82))], arrival=ARRIVAL, dose_at=None)
    assert not data.from_dose and data.origin == ARRIVAL
    assert data.points["systolic"] == ((12, 126),)
    assert data.x_range() == DEFAULT_WINDOW_ARRIVAL


def test_superseded_readings_are_left_off_and_their_correction_is_drawn():
    wrong = vitals(at_dose(45), (155, 96), 96)
    fixed = vitals(at_dose(45), (155, 96), 86, supersedes=wrong.id)
    wrong = replace(wrong, superseded_by=fixed.id)
    data = chart_data([wrong, fixed], arrival=ARRIVAL, dose_at=DOSE)
    assert data.points["heart_rate"] == ((45, 86),)
    assert data.readings == 1


def test_superseded_doses_are_left_off():
    old = dose(at_dose(0))
    new = dose(at_dose(1), supersedes=old.id)
    old = replace(old, superseded_by=new.id)
    booster = dose(at_dose(60), booster=True)
    data = chart_data([booster, old, new], arrival=ARRIVAL, dose_at=DOSE)
    assert [(d.minute, d.entry_id, d.booster) for d in data.doses] == [(1, new.id, False), (60, booster.id, True)]
    assert data.doses[0].label == "ketamine 100 mg SL"
    assert data.doses[1].label == "ketamine 100 mg SL booster"


def test_points_are_in_time_order_whatever_the_entry_order():
    later, back_dated = vitals(at_dose(30), (150, 90)), vitals(at_dose(15), (140, 88))
    data = chart_data([later, back_dated], arrival=ARRIVAL, dose_at=DOSE)
    assert data.points["systolic"] == ((15, 140), (30, 150))


def test_an_unreadable_reading_is_skipped_not_raised():
    odd = unreadable("vitals", at_dose(15), {"systolic": 999, "diastolic": 80})  # outside any plausible bound
    data = chart_data([odd, vitals(at_dose(30))], arrival=ARRIVAL, dose_at=DOSE)
    assert data.points["systolic"] == ((30, 120),)


def test_baseline_is_the_flagged_reading_even_if_not_the_last_before_the_dose():
    flagged = vitals(at_dose(-15), (126, 82), baseline=True)
    retake = vitals(at_dose(-5), (132, 85))
    data = chart_data([flagged, retake, vitals(at_dose(15))], arrival=ARRIVAL, dose_at=DOSE)
    assert data.baseline is not None
    assert data.baseline.entry_id == flagged.id and data.baseline.flagged
    assert data.baseline.minute == -15 and data.baseline.reading.systolic == 126


def test_of_two_flagged_baselines_the_later_one_counts():
    first = vitals(at_dose(-15), (150, 95), baseline=True)
    second = vitals(at_dose(-5), (128, 82), baseline=True)
    data = chart_data([first, second, vitals(at_dose(15))], arrival=ARRIVAL, dose_at=DOSE)
    assert data.baseline is not None and data.baseline.entry_id == second.id and data.baseline.flagged


def test_without_a_flag_the_baseline_is_the_last_pre_dose_reading():
    early, last_pre = vitals(at_dose(-15), (126, 82)), vitals(at_dose(0), (130, 84))
    data = chart_data([early, last_pre, vitals(at_dose(15), (150, 95))], arrival=ARRIVAL, dose_at=DOSE)
    assert data.baseline is not None and data.baseline.entry_id == last_pre.id and not data.baseline.flagged


def test_a_superseded_baseline_gives_way_to_its_correction():
    wrong = vitals(at_dose(-10), (162, 82), baseline=True)
    fixed = vitals(at_dose(-10), (126, 82), baseline=True, supersedes=wrong.id)
    wrong = replace(wrong, superseded_by=fixed.id)
    data = chart_data([wrong, fixed], arrival=ARRIVAL, dose_at=DOSE)
    assert data.baseline is not None and data.baseline.entry_id == fixed.id


def test_no_baseline_when_every_reading_is_after_the_dose():
    data = chart_data([vitals(at_dose(15))], arrival=ARRIVAL, dose_at=DOSE)
    assert data.baseline is None


def test_before_the_dose_the_latest_reading_is_the_baseline():
    first, second = vitals(ARRIVAL + timedelta(minutes=5)), vitals(ARRIVAL + timedelta(minutes=12), (128, 84))
    data = chart_data([first, second], arrival=ARRIVAL, dose_at=None)
    assert data.baseline is not None and data.baseline.entry_id == second.id


def test_no_readings_no_points_no_baseline():
    data = chart_data([], arrival=ARRIVAL, dose_at=DOSE)
    assert all(points == () for points in data.points.values())
    assert data.baseline is None and data.latest is None and data.readings == 0
    assert data.x_range() == DEFAULT_WINDOW_DOSE


def test_phase_bands_are_segments_in_minutes_from_the_origin():
    segments = (
        Segment(0, "Arrival", ARRIVAL, DOSE, True),
        Segment(1, "Dosing", DOSE, at_dose(15), True),
        Segment(2, "Onset", at_dose(15), at_dose(35), False),
    )
    data = chart_data([], arrival=ARRIVAL, dose_at=DOSE, segments=segments)
    assert [(b.index, b.name, b.start, b.end, b.actual) for b in data.phases] == [
        (0, "Arrival", -20, 0, True), (1, "Dosing", 0, 15, True), (2, "Onset", 15, 35, False),
    ]


def test_x_range_is_the_default_window_then_grows_in_quarter_hours():
    six_hours = [vitals(at_dose(m)) for m in range(0, 360)]
    data = chart_data(six_hours, arrival=ARRIVAL, dose_at=DOSE)
    assert data.x_range() == (-30, 360)
    assert data.x_range(now_minute=361) == (-30, 375)
    early = chart_data([], arrival=ARRIVAL, dose_at=DOSE,
                       segments=(Segment(0, "Arrival", DOSE - timedelta(minutes=47), DOSE, True),))
    assert early.x_range() == (-60, 180)


def test_value_range_widens_to_hold_every_value():
    data = chart_data([vitals(at_dose(5), (232, 120), 70, 76)], arrival=ARRIVAL, dose_at=DOSE)
    assert data.value_range(("systolic", "diastolic", "heart_rate"), (20, 220), 20) == (20, 240)
    assert data.value_range(("spo2",), (80, 100), 5) == (75, 100)


# offset_label and minutes_between moved to kapdesk.domain.record: see tests/test_record_facts.py.


def test_dose_label_is_short_and_an_odd_dose_payload_draws_no_marker():
    assert dose_label(ketamine()) == "ketamine 100 mg SL"
    assert dose_label(ketamine(booster=True)) == "ketamine 100 mg SL booster"
    # A stored dose this build cannot read is never guessed into a marker (the timeline shows it raw).
    odd = unreadable("dose", at_dose(0), {"drug": "ketamine", "amount_mg": "lots"})
    data = chart_data([odd, dose(at_dose(60))], arrival=ARRIVAL, dose_at=DOSE)
    assert [d.minute for d in data.doses] == [60]


def test_planned_phases_do_not_widen_the_x_range():
    segments = (
        Segment(1, "Dosing", DOSE, at_dose(200), True),  # overran to now
        Segment(2, "Onset", at_dose(200), at_dose(220), False),
        Segment(3, "Peak", at_dose(220), at_dose(265), False),
    )
    data = chart_data([], arrival=ARRIVAL, dose_at=DOSE, segments=segments)
    assert data.x_range() == (-30, 210)


def test_facts_the_caller_has_are_drawn_not_derived_again():
    good, odd = vitals(at_dose(15), (140, 90)), unreadable("vitals", at_dose(20), {"systolic": 999})
    facts = record_facts([good, odd], DOSE)
    assert [r.id for r in facts.readings] == [good.id]  # the unreadable one is in no fact
    first = chart_data([good, odd], arrival=ARRIVAL, dose_at=DOSE, facts=facts)
    timed = facts.readings[0]
    tampered = replace(facts, readings=(replace(timed, reading=replace(timed.reading, systolic=141)),))
    second = chart_data([good, odd], arrival=ARRIVAL, dose_at=DOSE, facts=tampered)  # proves the facts are read
    assert first.points["systolic"] == ((15, 140),) and second.points["systolic"] == ((15, 141),)
