"""Facts about a session's readings that every output shares (kapdesk.domain.record): pure, synthetic entries.

The screen, the alerts and the PDF all read these; each test pins one rule the outputs used to
work out differently (first vs last pre-dose baseline, rounded vs cut minutes, a "peak" made of
two readings). The functions work on :class:`~kapdesk.domain.record.TimedReading`\\ s, the current
readings of :func:`~kapdesk.domain.record.current_readings` (what ``SessionRecord.facts`` holds).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from test_series import ARRIVAL, DOSE, at_dose, dose, entry, unreadable, vitals

from kapdesk.domain.alerts import AlertRules, evaluate
from kapdesk.domain.clock import FakeClock, SessionClock
from kapdesk.domain.entries import PhaseEntered, PhaseExtended, ReminderDone
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.record import (
    current_readings,
    find_baseline,
    lowest_reading,
    offset_label,
    peak_bp,
    phase_segments,
    record_facts,
    rems_blood_pressures,
    session_facts,
    vitals_check,
    whole_minutes,
)
from kapdesk.domain.series import ThresholdLine, chart_data, chart_thresholds
from kapdesk.domain.vitals import VitalsReading

TWO_PRE_DOSE = [
    vitals(at_dose(-15), (120, 80)),
    vitals(at_dose(-5), (140, 85)),
    dose(DOSE),
    vitals(at_dose(45.5), (185, 90)),
]


def systolics(chosen) -> list[tuple[str, int | None]]:
    return [(label, timed.reading.systolic) for label, timed in chosen]


@pytest.mark.parametrize(("minutes", "whole"), [(45.5, 45), (45.99, 45), (119.7, 119), (0.2, 0), (-12.5, -12)])
def test_whole_minutes_cut_like_a_clock_and_the_t_label_uses_them(minutes, whole):
    assert whole_minutes(minutes) == whole
    assert offset_label(minutes) == (f"T+{whole}" if whole >= 0 else f"T-{-whole}")


def test_with_two_pre_dose_readings_the_baseline_is_the_last_one():
    found = find_baseline(current_readings(TWO_PRE_DOSE), DOSE)
    assert found is not None
    assert (found.reading.systolic, found.reading.diastolic, found.flagged) == (140, 85, False)
    assert found.entry_id == TWO_PRE_DOSE[1].id
    assert record_facts(TWO_PRE_DOSE, DOSE).baseline == found
    assert chart_data(TWO_PRE_DOSE, arrival=ARRIVAL, dose_at=DOSE).baseline.reading == found.reading


def test_peak_is_one_real_reading_not_two_halves():
    entries = [vitals(at_dose(10), (150, 95)), vitals(at_dose(20), (300, 20))]
    found = peak_bp(current_readings(entries))
    assert found is not None and (found.reading.systolic, found.reading.diastolic) == (300, 20)
    assert found.id == entries[1].id
    assert record_facts(entries, DOSE).peak == found


def test_peak_skips_corrected_unreadable_and_bp_less_readings_and_keeps_the_first_on_a_tie():
    corrected = vitals(at_dose(5), (250, 90), superseded_by=uuid.uuid4())
    first_top = vitals(at_dose(10), (160, 90))
    entries = [corrected, unreadable("vitals", at_dose(6), {"systolic": "lots"}), vitals(at_dose(7), None, 80),
               first_top, vitals(at_dose(20), (160, 70))]
    found = peak_bp(current_readings(entries))
    assert found is not None and found.id == first_top.id
    assert record_facts(entries, DOSE).peak == found
    assert peak_bp(current_readings([vitals(at_dose(1), None, 70)])) is None


def test_lowest_reading_of_a_vital():
    low = vitals(at_dose(30), spo2=91)
    entries = [vitals(at_dose(0), spo2=97), low, vitals(at_dose(40), spo2=91), vitals(at_dose(50), spo2=None)]
    found = lowest_reading(current_readings(entries), "spo2")
    assert found is not None and found.id == low.id  # the earliest of two equal lows
    assert lowest_reading(current_readings([vitals(at_dose(0), spo2=None)]), "spo2") is None


def test_the_rise_is_signed_and_missing_where_a_value_is():
    facts = record_facts(TWO_PRE_DOSE, DOSE)
    assert facts.baseline is not None and facts.peak is not None
    assert (facts.baseline.rise(facts.peak.reading, "systolic"),
            facts.baseline.rise(facts.peak.reading, "diastolic")) == (45, 5)
    assert facts.baseline.rise(VitalsReading(systolic=130), "systolic") == -10  # below the baseline
    assert facts.baseline.rise(VitalsReading(systolic=130), "diastolic") is None  # palpated: no diastolic


def test_chart_thresholds_are_measured_from_the_baseline_and_say_which_are_rises():
    data = chart_data(TWO_PRE_DOSE, arrival=ARRIVAL, dose_at=DOSE)
    lines = chart_thresholds(data, AlertRules())
    # 140 + 40 falls on the absolute 180: one line, labelled as the rise.
    assert ThresholdLine("systolic", 180.0, 40) in lines and ThresholdLine("systolic", 90.0) in lines
    assert ThresholdLine("diastolic", 110.0, 25) in lines
    assert not any(line.value == 160 for line in lines)  # never from the first pre-dose reading
    assert [line.vital for line in lines] == sorted((line.vital for line in lines),
                                                    key=["systolic", "diastolic", "heart_rate", "spo2"].index)
    assert all(line.vital != "resp_rate" for line in lines)  # not charted


def test_vitals_check_measures_rises_from_the_one_baseline():
    facts = record_facts(TWO_PRE_DOSE, DOSE)
    after = vitals_check(facts, before=False)
    assert after is not None and not after.acceptable
    messages = [a.message for a in after.alerts]
    assert "Systolic up 45 mmHg from baseline 140" in messages
    # The same alerts the strip computes for that reading from that baseline.
    assert facts.baseline is not None
    assert list(after.alerts) == evaluate(after.timed.reading, baseline=facts.baseline.reading, pre_dose=False)
    before = vitals_check(facts, before=True)
    assert before is not None and before.timed.reading.systolic == 140 and before.acceptable
    assert vitals_check(record_facts([vitals(at_dose(10))], DOSE), before=True) is None


def test_rems_blood_pressures_pick_before_about_40_and_end():
    entries = [vitals(at_dose(-5), (130, 80)), vitals(at_dose(30), (150, 90)), vitals(at_dose(41), (155, 92)),
               vitals(at_dose(120), (128, 80)), vitals(at_dose(130), None, 70)]
    chosen = systolics(rems_blood_pressures(record_facts(entries, DOSE)))
    assert chosen == [("before dosing", 130), ("about 40 min after", 155), ("at the end", 128)]
    only = rems_blood_pressures(record_facts(entries[:3], DOSE))
    # The last one is the 40-minute one: no reading was taken before discharge.
    assert systolics(only[:2]) == [("before dosing", 130), ("about 40 min after", 155)]
    assert only[2] == ("at the end", None)
    undosed = rems_blood_pressures(record_facts(entries[:1], None))
    assert systolics(undosed[:1]) == [("before dosing", 130)]
    assert undosed[1:] == (("about 40 min after", None), ("at the end", None))


def test_rems_recheck_is_the_nearest_to_t_plus_40_and_the_earlier_on_a_tie():
    entries = [vitals(at_dose(35), (150, 90)), vitals(at_dose(45), (160, 95)), vitals(at_dose(90), (130, 80))]
    chosen = rems_blood_pressures(record_facts(entries, DOSE))
    assert chosen[0] == ("before dosing", None)
    assert systolics(chosen[1:]) == [("about 40 min after", 150), ("at the end", 130)]


@pytest.mark.parametrize(("minute", "taken"), [(29, False), (29.99, False), (30, True), (50, True), (50.9, True),
                                                (51, False)])
def test_the_40_minute_reading_is_taken_only_from_t_plus_30_to_t_plus_50(minute, taken):
    """T+30 and T+50 are inside (whole minutes, as the T+ label shows them); T+29 and T+51 are not:
    the form then says "missing", never the nearest reading of the day."""
    entries = [vitals(at_dose(-5), (130, 80)), vitals(at_dose(minute), (150, 90)), vitals(at_dose(90), (128, 80))]
    recheck = dict(rems_blood_pressures(record_facts(entries, DOSE)))["about 40 min after"]
    assert (recheck is not None and recheck.reading.systolic == 150) is taken
    if not taken:
        assert recheck is None


def test_a_reading_at_t_plus_90_is_never_the_40_minute_one():
    entries = [vitals(at_dose(-5), (130, 80)), vitals(at_dose(90), (128, 80))]
    chosen = dict(rems_blood_pressures(record_facts(entries, DOSE)))
    assert chosen["about 40 min after"] is None and chosen["at the end"].reading.systolic == 128


def test_phase_segments_from_entries_are_the_clock_segments(protocols: dict[str, Protocol]):
    protocol = protocols["sublingual"]
    end = ARRIVAL + timedelta(minutes=180)
    entries = [
        entry(PhaseEntered(1, "dosing", protocol.phases[1].name), DOSE),
        entry(PhaseEntered(2, "onset", protocol.phases[2].name), at_dose(15)),
        entry(PhaseExtended(2, 10), at_dose(20)),
        vitals(at_dose(15)),
        entry(ReminderDone(), at_dose(25)),  # a reading taken outside KAPDesk covers a reminder too
    ]
    facts = session_facts(entries, arrival=ARRIVAL, dose_at=DOSE, ended_at=None)
    assert [m.index for m in facts.phase_marks] == [1, 2] and facts.extensions[0].minutes == 10
    assert facts.readings == (at_dose(15), at_dose(25))
    at = at_dose(30)
    assert phase_segments(protocol, facts, at) == SessionClock(protocol, facts, FakeClock(at)).read().segments
    ended = session_facts(entries, arrival=ARRIVAL, dose_at=DOSE, ended_at=end)
    segments = phase_segments(protocol, ended, end)
    assert segments[-1].end == end and all(s.actual for s in segments)
