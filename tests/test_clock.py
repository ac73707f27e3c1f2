from datetime import timedelta

import pytest

from kapdesk.domain.clock import (
    EARLY_WINDOW, Extension, FakeClock, PhaseMark, SessionClock, SessionFacts, SystemClock, format_span,
)


def minutes(m: float) -> timedelta:
    return timedelta(minutes=m)


@pytest.fixture
def sublingual(protocols):
    return protocols["sublingual"]


def clock_at(protocol, clock: FakeClock, **facts) -> SessionClock:
    return SessionClock(protocol, SessionFacts(**facts), clock)


def test_elapsed_times_come_from_stored_stamps_and_the_injected_clock(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    clock.advance(20 * 60)
    dose_at = clock.utcnow()
    clock.advance(12 * 60 + 5)
    r = clock_at(sublingual, clock, arrival=arrival, dose_at=dose_at,
                 phase_marks=(PhaseMark(0, arrival), PhaseMark(1, dose_at))).read()
    assert r.since_arrival == minutes(32) + timedelta(seconds=5)
    assert r.since_dose == minutes(12) + timedelta(seconds=5)
    assert r.phase_name == "Dosing (troche held)"
    assert r.phase_left == minutes(3) - timedelta(seconds=5)


def test_no_dose_yet_means_no_elapsed_since_dose(sublingual):
    clock = FakeClock()
    r = clock_at(sublingual, clock, arrival=clock.utcnow()).read()
    assert r.since_dose is None and r.phase_index == 0


def test_extension_lengthens_the_current_phase_and_overrun_is_negative(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    clock.advance(25 * 60)  # arrival phase is planned for 20 min
    facts = dict(arrival=arrival, phase_marks=(PhaseMark(0, arrival),))
    assert clock_at(sublingual, clock, **facts).read().phase_left == -minutes(5)
    extended = clock_at(sublingual, clock, **facts, extensions=(Extension(0, 15, clock.utcnow()),))
    assert extended.read().phase_left == minutes(10)


def test_timeline_bends_to_what_happened(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    early = arrival + minutes(8)  # dosing began 12 min before its plan
    clock.advance(30 * 60)
    sc = clock_at(sublingual, clock, arrival=arrival, dose_at=early,
                  phase_marks=(PhaseMark(0, arrival), PhaseMark(1, early)))
    segments = sc.read().segments
    assert [s.index for s in segments] == [0, 1, 2, 3, 4, 5]
    assert segments[0].end == early and segments[0].actual
    # dosing (15 min) planned to end at 23 min but it is 30 now: the current segment runs to now
    assert segments[1].end == clock.utcnow() and segments[1].actual
    assert segments[2].start == clock.utcnow() and not segments[2].actual
    assert segments[-1].end - segments[2].start == minutes(20 + 45 + 45 + 35)


def test_reminders_count_down_then_show_overdue(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    clock.advance(5 * 60)
    reading = clock.utcnow()
    clock.advance(15 * 60)
    dose_at = clock.utcnow()
    facts = dict(arrival=arrival, dose_at=dose_at, readings=(reading,),
                 phase_marks=(PhaseMark(0, arrival), PhaseMark(1, dose_at)))
    clock.advance(10 * 60)
    nxt = clock_at(sublingual, clock, **facts).next_reminder()
    assert nxt.label == "Vitals T+15"
    assert nxt.remaining(clock.utcnow()) == minutes(5)
    clock.advance(12 * 60)
    nxt = clock_at(sublingual, clock, **facts).next_reminder()
    assert nxt.remaining(clock.utcnow()) == -minutes(7)  # overdue by 7 min


def test_a_reading_covers_its_reminder_and_a_late_one_covers_the_missed(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    dose_at = arrival + minutes(20)
    marks = (PhaseMark(0, arrival), PhaseMark(1, dose_at))
    early_enough = dose_at + minutes(15) - EARLY_WINDOW
    sc = clock_at(sublingual, clock, arrival=arrival, dose_at=dose_at, phase_marks=marks,
                  readings=(arrival + minutes(3), early_enough))
    labels = {r.label: r.done_at for r in sc.reminders()}
    assert labels["Pre-dose vitals"] == arrival + minutes(3)
    assert labels["Vitals T+15"] == early_enough
    assert labels["Vitals T+30"] is None
    late = dose_at + minutes(50)
    sc = clock_at(sublingual, clock, arrival=arrival, dose_at=dose_at, phase_marks=marks, readings=(late,))
    done = {r.label: r.done_at for r in sc.reminders()}
    assert done["Pre-dose vitals"] is None  # a reading after the dose is no baseline
    assert done["Vitals T+15"] == done["Vitals T+30"] == done["Vitals T+45"] == late


def test_discharge_reading_is_due_when_the_last_phase_begins(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    last = arrival + minutes(170)
    sc = clock_at(sublingual, clock, arrival=arrival, dose_at=arrival + minutes(20),
                  phase_marks=(PhaseMark(0, arrival), PhaseMark(5, last)))
    assert ("Discharge vitals", last) in [(r.label, r.due) for r in sc.reminders()]


def test_an_ended_session_freezes_the_clock(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    ended = arrival + minutes(90)
    clock.advance(5 * 3600)
    r = clock_at(sublingual, clock, arrival=arrival, dose_at=arrival + minutes(20), ended_at=ended).read()
    assert r.ended and r.since_arrival == minutes(90) and r.since_dose == minutes(70)
    assert r.next_reminder is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00"), (59, "00:59"), (61, "01:01"), (3599, "59:59"), (3600, "1:00:00"), (-75, "-01:15"), (10805, "3:00:05")],
)
def test_format_span(seconds, text):
    assert format_span(timedelta(seconds=seconds)) == text


def test_system_clock_ticks_monotonically_and_agrees_with_wall_time():
    from datetime import datetime, timezone

    clock = SystemClock()
    first, second = clock.utcnow(), clock.utcnow()
    assert second >= first
    assert abs((datetime.now(timezone.utc) - second).total_seconds()) < 5


def test_system_clock_trusts_the_wall_after_a_jump(monkeypatch):
    clock = SystemClock(resync_s=5)
    clock._wall0 -= timedelta(hours=1)  # as after a sleep the monotonic clock did not count
    from datetime import datetime, timezone

    assert abs((clock.utcnow() - datetime.now(timezone.utc)).total_seconds()) < 1
