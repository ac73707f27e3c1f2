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


# -- schedules that never freeze: the missed pre-dose reading --------------------------------------
def _sitting(protocol, clock: FakeClock, *, pre_dose_reading: bool, post_dose_every_15_until: int = 90):
    """A sitting now at T+100: dosed at arrival + 20 min, readings on time every 15 min to T+90."""
    arrival = clock.utcnow()
    dose_at = arrival + minutes(20)
    readings = [dose_at + minutes(m) for m in range(15, post_dose_every_15_until + 1, 15)]
    if pre_dose_reading:
        readings.insert(0, arrival + minutes(10))
    clock.advance((20 + 100) * 60)
    return clock_at(protocol, clock, arrival=arrival, dose_at=dose_at, readings=tuple(readings),
                    phase_marks=(PhaseMark(0, arrival), PhaseMark(1, dose_at)))


@pytest.mark.parametrize("pre_dose_reading", [True, False])
def test_at_t_plus_100_the_next_reminder_is_t_plus_105_with_or_without_a_pre_dose_reading(sublingual, pre_dose_reading):
    clock = FakeClock()
    sc = _sitting(sublingual, clock, pre_dose_reading=pre_dose_reading)
    r = sc.read()
    assert r.since_dose == minutes(100)
    assert r.next_reminder.label == "Vitals T+105"
    assert r.next_reminder.remaining(r.now) == minutes(5)  # on time, not overdue
    pre = sc.reminders()[0]
    assert pre.label == "Pre-dose vitals"
    if pre_dose_reading:
        assert pre.state == "done" and r.missed == ()
    else:
        assert pre.state == "missed" and pre.describe() == "Pre-dose vitals: missed"
        assert [m.label for m in r.missed] == ["Pre-dose vitals"]
    assert [x.state for x in sc.reminders()[1:8]] == ["done"] * 6 + ["open"]  # T+15 … T+90 taken, T+105 open


def test_the_pre_dose_reminder_is_due_until_t0_and_missed_from_t0(sublingual):
    clock = FakeClock()
    arrival = clock.utcnow()
    clock.advance(25 * 60)  # the arrival phase (20 min) has run over: the pre-dose reading is overdue
    before = clock_at(sublingual, clock, arrival=arrival, phase_marks=(PhaseMark(0, arrival),))
    nxt = before.next_reminder()
    assert nxt.label == "Pre-dose vitals" and not nxt.missed and nxt.remaining(clock.utcnow()) == -minutes(5)
    dose_at = clock.utcnow()
    after = clock_at(sublingual, clock, arrival=arrival, dose_at=dose_at,
                     phase_marks=(PhaseMark(0, arrival), PhaseMark(1, dose_at)))
    assert after.reminders()[0].missed and after.reminders()[0].due == arrival + minutes(20)
    assert after.next_reminder().label == "Vitals T+15"
    # A reading entered afterwards with its real (earlier) time still fills the gap.
    backdated = clock_at(sublingual, clock, arrival=arrival, dose_at=dose_at, readings=(dose_at - minutes(1),),
                         phase_marks=(PhaseMark(0, arrival), PhaseMark(1, dose_at)))
    assert backdated.reminders()[0].state == "done" and backdated.read().missed == ()


def test_the_overdue_alert_moves_on_once_the_pre_dose_reading_is_missed(sublingual):
    from kapdesk.domain.alerting import OVERDUE_KEY, alert_board

    clock = FakeClock()
    arrival = clock.utcnow()
    dose_at = arrival + minutes(30)  # the pre-dose reading was due at +20 and never taken
    clock.advance(30 * 60)
    marks = (PhaseMark(0, arrival), PhaseMark(1, dose_at))

    def board_at(minutes_after_dose: float, readings=()):
        clock.advance((dose_at + minutes(minutes_after_dose) - clock.utcnow()).total_seconds())
        r = clock_at(sublingual, clock, arrival=arrival, dose_at=dose_at, phase_marks=marks, readings=readings).read()
        return r, alert_board([], dose_at=dose_at, reminder=r.next_reminder, now=r.now, overdue_after=minutes(5))

    r, board = board_at(5)
    assert r.next_reminder.label == "Vitals T+15" and len(board) == 0  # no "Pre-dose vitals overdue" after T0
    r, board = board_at(21)
    assert [a.message.split(" overdue")[0] for a in board.active if a.key == OVERDUE_KEY] == ["Vitals T+15"]
    r, board = board_at(22, readings=(dose_at + minutes(22),))
    assert r.next_reminder.label == "Vitals T+30" and len(board) == 0  # taken: the alert clears


def test_an_ended_session_leaves_untaken_readings_missed(sublingual):
    from kapdesk.domain.clock import reminders_at

    clock = FakeClock()
    arrival = clock.utcnow()
    dose_at = arrival + minutes(20)
    ended = dose_at + minutes(50)
    facts = SessionFacts(arrival=arrival, dose_at=dose_at, ended_at=ended, readings=(dose_at + minutes(14),),
                         phase_marks=(PhaseMark(0, arrival), PhaseMark(1, dose_at)))
    schedule = reminders_at(sublingual, facts, ended)
    assert [r.describe() for r in schedule] == [
        "Pre-dose vitals: missed", "Vitals T+15: taken", "Vitals T+30: missed", "Vitals T+45: missed"]
    # While running, an untaken post-dose reading is overdue, not missed: a late reading still covers it.
    running = reminders_at(sublingual, SessionFacts(arrival=arrival, dose_at=dose_at, readings=facts.readings,
                                                    phase_marks=facts.phase_marks), ended)
    assert [r.state for r in running] == ["missed", "done", "open", "open"]
