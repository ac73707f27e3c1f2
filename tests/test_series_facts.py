"""Facts about a session's readings that every output shares (series.py): pure, synthetic entries.

The screen, the alerts and the PDF all read these; each test pins one rule the outputs used to
work out differently (first vs last pre-dose baseline, rounded vs cut minutes, a "peak" made of
two readings).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_series import ARRIVAL, DOSE, at_dose, dose, entry, vitals

from kapdesk.domain.alerts import AlertRules, evaluate
from kapdesk.domain.clock import FakeClock, SessionClock
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.series import (
    ThresholdLine,
    bp_rise,
    chart_data,
    chart_thresholds,
    current_readings,
    find_baseline,
    lowest_reading,
    offset_label,
    peak_reading,
    phase_segments,
    rems_blood_pressures,
    session_facts,
    vitals_check,
    whole_minutes,
)

TWO_PRE_DOSE = [
    vitals(at_dose(-15), (120, 80)),
    vitals(at_dose(-5), (140, 85)),
    dose(DOSE),
    vitals(at_dose(45.5), (185, 90)),
]


@pytest.mark.parametrize(("minutes", "whole"), [(45.5, 45), (45.99, 45), (119.7, 119), (0.2, 0), (-12.5, -12)])
def test_whole_minutes_cut_like_a_clock_and_the_t_label_uses_them(minutes, whole):
    assert whole_minutes(minutes) == whole
    assert offset_label(minutes) == (f"T+{whole}" if whole >= 0 else f"T-{-whole}")


def test_with_two_pre_dose_readings_the_baseline_is_the_last_one():
    found = find_baseline(current_readings(TWO_PRE_DOSE), DOSE)
    assert found is not None
    assert (found[1].systolic, found[1].diastolic, found[2]) == (140, 85, False)
    assert chart_data(TWO_PRE_DOSE, arrival=ARRIVAL, dose_at=DOSE).baseline.reading == found[1]


def test_peak_is_one_real_reading_not_two_halves():
    entries = [vitals(at_dose(10), (150, 95)), vitals(at_dose(20), (300, 20))]
    found = peak_reading(entries)
    assert found is not None and (found[1].systolic, found[1].diastolic) == (300, 20)
    assert found[0].id == entries[1].id


def test_peak_skips_corrected_unreadable_and_bp_less_readings_and_keeps_the_first_on_a_tie():
    corrected = vitals(at_dose(5), (250, 90), superseded_by=entry("vitals", at_dose(5), {}).id)
    first_top = vitals(at_dose(10), (160, 90))
    entries = [corrected, entry("vitals", at_dose(6), {"systolic": "lots"}), vitals(at_dose(7), None, 80),
               first_top, vitals(at_dose(20), (160, 70))]
    found = peak_reading(entries)
    assert found is not None and found[0].id == first_top.id
    assert peak_reading([vitals(at_dose(1), None, 70)]) is None


def test_lowest_reading_of_a_vital():
    low = vitals(at_dose(30), spo2=91)
    entries = [vitals(at_dose(0), spo2=97), low, vitals(at_dose(40), spo2=91), vitals(at_dose(50), spo2=None)]
    found = lowest_reading(entries, "spo2")
    assert found is not None and found[0].id == low.id
    assert lowest_reading([vitals(at_dose(0), spo2=None)], "spo2") is None


def test_bp_rise_is_signed_and_missing_where_a_value_is():
    found = find_baseline(current_readings(TWO_PRE_DOSE), DOSE)
    peak = peak_reading(TWO_PRE_DOSE)
    assert found is not None and peak is not None
    assert bp_rise(peak[1], found[1]) == (45, 5)
    assert bp_rise(peak[1], None) == (None, None)


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
    after = vitals_check(TWO_PRE_DOSE, DOSE, before=False)
    assert after is not None and not after.acceptable
    messages = [a.message for a in after.alerts]
    assert "Systolic up 45 mmHg from baseline 140" in messages
    # The same alerts the strip computes for that reading from that baseline.
    assert list(after.alerts) == evaluate(after.reading, baseline=find_baseline(current_readings(TWO_PRE_DOSE),
                                                                                DOSE)[1], pre_dose=False)
    before = vitals_check(TWO_PRE_DOSE, DOSE, before=True)
    assert before is not None and before.reading.systolic == 140 and before.acceptable
    assert vitals_check([vitals(at_dose(10))], DOSE, before=True) is None


def test_rems_blood_pressures_pick_before_about_40_and_end():
    entries = [vitals(at_dose(-5), (130, 80)), vitals(at_dose(30), (150, 90)), vitals(at_dose(41), (155, 92)),
               vitals(at_dose(120), (128, 80)), vitals(at_dose(130), None, 70)]
    chosen = [(label, r.systolic) for label, _, r in rems_blood_pressures(entries, DOSE)]
    assert chosen == [("before dosing", 130), ("about 40 min after", 155), ("at the end", 128)]
    only = [(label, r.systolic) for label, _, r in rems_blood_pressures(entries[:3], DOSE)]
    assert only == [("before dosing", 130), ("about 40 min after", 155)]  # the last one is the 40-minute one
    assert rems_blood_pressures(entries[:1], None) == rems_blood_pressures(entries[:1], DOSE)[:1]


def test_phase_segments_from_entries_are_the_clock_segments(protocols: dict[str, Protocol]):
    protocol = protocols["sublingual"]
    end = ARRIVAL + timedelta(minutes=180)
    entries = [
        entry("phase", DOSE, {"index": 1, "key": "dosing", "name": protocol.phases[1].name}),
        entry("phase", at_dose(15), {"index": 2, "key": "onset", "name": protocol.phases[2].name}),
        entry("phase_extended", at_dose(20), {"index": 2, "minutes": 10}),
        vitals(at_dose(15)),
    ]
    facts = session_facts(entries, arrival=ARRIVAL, dose_at=DOSE, ended_at=None)
    assert [m.index for m in facts.phase_marks] == [1, 2] and facts.extensions[0].minutes == 10
    assert facts.readings == (at_dose(15),)
    at = at_dose(30)
    assert phase_segments(protocol, facts, at) == SessionClock(protocol, facts, FakeClock(at)).read().segments
    ended = session_facts(entries, arrival=ARRIVAL, dose_at=DOSE, ended_at=end)
    segments = phase_segments(protocol, ended, end)
    assert segments[-1].end == end and all(s.actual for s in segments)
