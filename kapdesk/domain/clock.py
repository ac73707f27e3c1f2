"""The session clock: elapsed time, the current phase, the timeline and the next reminder.

Everything here is derived from stored UTC facts (arrival, dose time T0, phase marks, extensions,
readings) and an injected ``Clock``. Ticking computes; it never writes, so a restart after a
crash recomputes exactly what the screen showed before it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol as TypingProtocol

from kapdesk.domain.protocols import Protocol

UTC = timezone.utc

# A reading taken this early still counts for the reminder that is about to fall due.
EARLY_WINDOW = timedelta(minutes=5)


class Clock(TypingProtocol):
    def monotonic(self) -> float: ...

    def utcnow(self) -> datetime: ...


class SystemClock:
    """Wall time for stamps, ticked by a monotonic clock so a clock step cannot jolt the display.

    ``CLOCK_BOOTTIME`` keeps counting while the laptop sleeps (plain ``monotonic`` does not on
    Linux). If the two still drift apart by more than ``resync_s`` (a sleep on a platform without
    boot time, a manual clock change), we trust the wall clock again, because stored stamps are
    wall times and elapsed time must agree with them.
    """

    def __init__(self, resync_s: float = 5.0) -> None:
        self._resync_s = resync_s
        self._anchor()

    def _anchor(self) -> None:
        self._wall0 = datetime.now(UTC)
        self._mono0 = self.monotonic()

    def monotonic(self) -> float:
        boottime = getattr(time, "CLOCK_BOOTTIME", None)
        if boottime is not None:
            return time.clock_gettime(boottime)
        return time.monotonic()

    def awake(self) -> float:
        """Seconds the machine has been awake: ``CLOCK_MONOTONIC`` stops while a Linux laptop is
        suspended (unlike :meth:`monotonic`), so a gap between the two faces is a suspend (the idle
        lock locks on resume)."""
        return time.monotonic()

    def utcnow(self) -> datetime:
        ticked = self._wall0 + timedelta(seconds=self.monotonic() - self._mono0)
        wall = datetime.now(UTC)
        if abs((wall - ticked).total_seconds()) > self._resync_s:
            self._anchor()
            return wall
        return ticked


class FakeClock:
    """A clock tests move by hand: ``advance(seconds)`` moves both faces together."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._t = 1000.0
        self._t0 = self._t
        self._asleep = 0.0  # seconds spent "suspended" (see suspend)

    def monotonic(self) -> float:
        return self._t

    def utcnow(self) -> datetime:
        return self._start + timedelta(seconds=self._t - self._t0)

    def awake(self) -> float:
        return self._t - self._asleep

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def suspend(self, seconds: float) -> None:
        """The laptop sleeps for ``seconds``: wall time moves on, the awake clock does not."""
        self._t += seconds
        self._asleep += seconds


@dataclass(frozen=True)
class PhaseMark:
    index: int  # into protocol.phases
    at: datetime


@dataclass(frozen=True)
class Extension:
    index: int
    minutes: int
    at: datetime


@dataclass(frozen=True)
class SessionFacts:
    """What the store knows about one sitting's time line; the clock derives the rest."""

    arrival: datetime
    dose_at: datetime | None = None
    ended_at: datetime | None = None
    phase_marks: tuple[PhaseMark, ...] = ()
    extensions: tuple[Extension, ...] = ()
    readings: tuple[datetime, ...] = field(default=())  # vitals readings and acknowledged reminders


@dataclass(frozen=True)
class Segment:
    """One phase on the timeline bar. ``actual`` is False for the planned (future) part."""

    index: int
    name: str
    start: datetime
    end: datetime
    actual: bool


PRE_DOSE_LABEL = "Pre-dose vitals"


@dataclass(frozen=True)
class Reminder:
    """One planned reading: due at ``due``, covered by the reading at ``done_at``, or ``missed``.

    Missed is a gap that can no longer be filled by taking the reading now (see
    :meth:`SessionClock.reminders`); a missed reminder is never the next one, so it cannot hold
    the schedule up, and it stays in the list for the clock band and the report to show.
    """

    label: str
    due: datetime
    done_at: datetime | None = None
    missed: bool = False

    def remaining(self, now: datetime) -> timedelta:
        """Time until due; negative when overdue."""
        return self.due - now

    @property
    def state(self) -> str:
        """``"done"``, ``"missed"`` or ``"open"`` (due now or later, or overdue)."""
        return "done" if self.done_at is not None else "missed" if self.missed else "open"

    def describe(self) -> str:
        """``"Pre-dose vitals: missed"``; ``"Vitals T+15: taken"``; ``"Vitals T+30: not taken"``."""
        return f"{self.label}: " + {"done": "taken", "missed": "missed", "open": "not taken"}[self.state]


@dataclass(frozen=True)
class ClockReading:
    """Everything the clock band shows at one instant."""

    now: datetime
    since_arrival: timedelta
    since_dose: timedelta | None
    phase_index: int
    phase_name: str
    phase_left: timedelta  # negative when the phase runs over its plan
    segments: tuple[Segment, ...]
    next_reminder: Reminder | None
    ended: bool
    missed: tuple[Reminder, ...] = ()  # the gaps so far (``Reminder.missed``), in time order


class SessionClock:
    def __init__(self, protocol: Protocol, facts: SessionFacts, clock: Clock) -> None:
        self.protocol = protocol
        self.facts = facts
        self.clock = clock

    # -- phases ---------------------------------------------------------------------------------
    def phase_index(self) -> int:
        marks = self.facts.phase_marks
        return marks[-1].index if marks else 0

    def phase_started(self, index: int | None = None) -> datetime:
        index = self.phase_index() if index is None else index
        for mark in reversed(self.facts.phase_marks):
            if mark.index == index:
                return mark.at
        return self.facts.arrival

    def phase_planned_minutes(self, index: int) -> int:
        extra = sum(e.minutes for e in self.facts.extensions if e.index == index)
        return self.protocol.phases[index].minutes + extra

    def phase_planned_end(self, index: int | None = None) -> datetime:
        index = self.phase_index() if index is None else index
        return self.phase_started(index) + timedelta(minutes=self.phase_planned_minutes(index))

    def segments(self, now: datetime) -> tuple[Segment, ...]:
        """Past phases as they happened, the current one as planned (or to now if it overran), the rest planned."""
        phases = self.protocol.phases
        current = self.phase_index()
        out: list[Segment] = []
        marks = self.facts.phase_marks or (PhaseMark(0, self.facts.arrival),)
        for n, mark in enumerate(marks[:-1]):
            out.append(Segment(mark.index, phases[mark.index].name, mark.at, marks[n + 1].at, True))
        end_of_session = self.facts.ended_at
        start = self.phase_started(current)
        if end_of_session is not None:
            out.append(Segment(current, phases[current].name, start, end_of_session, True))
            return tuple(out)
        cursor = max(self.phase_planned_end(current), now)
        out.append(Segment(current, phases[current].name, start, cursor, True))
        for index in range(current + 1, len(phases)):
            end = cursor + timedelta(minutes=self.phase_planned_minutes(index))
            out.append(Segment(index, phases[index].name, cursor, end, False))
            cursor = end
        return tuple(out)

    # -- reminders ------------------------------------------------------------------------------
    def reminders(self) -> tuple[Reminder, ...]:
        """The vitals schedule as due times, each matched to the first reading that covers it.

        The one rule for a gap (``Reminder.missed``): a reminder no reading covers is missed once
        nothing can cover it any more — the pre-dose reading once T0 is marked (a reading after the
        dose is no baseline), every reminder once the session has ended. A missed reminder stops
        being the next one, so the post-dose readings fall due on time and the overdue alert
        (which follows :meth:`next_reminder`) moves on with them.
        """
        schedule = self.protocol.vitals
        due: list[tuple[str, datetime]] = []
        dose_at = self.facts.dose_at
        if schedule.before_dose:
            before = self.protocol.dose_phase_index
            planned = self.facts.arrival + timedelta(minutes=sum(self.phase_planned_minutes(i) for i in range(before)))
            due.append((PRE_DOSE_LABEL, min(planned, dose_at) if dose_at else planned))
        if dose_at is not None:
            due.extend((f"Vitals T+{m}", dose_at + timedelta(minutes=m)) for m in schedule.offsets_after_dose())
        if schedule.at_discharge:
            last = len(self.protocol.phases) - 1
            if self.phase_index() == last:
                due.append(("Discharge vitals", self.phase_started(last)))
        if self.facts.ended_at is not None:
            due = [(label, at) for label, at in due if at <= self.facts.ended_at]
        due.sort(key=lambda item: item[1])
        readings = sorted(self.facts.readings)
        out: list[Reminder] = []
        ended = self.facts.ended_at is not None
        for label, at in due:
            if label == PRE_DOSE_LABEL:
                # Any reading since arrival and before the dose is the baseline.
                covering = [r for r in readings if dose_at is None or r <= dose_at]
                closed = dose_at is not None or ended
            else:
                # A late reading covers every reminder it is late for: the display moves on,
                # and the record keeps the real times of the readings.
                covering = [r for r in readings if r >= at - EARLY_WINDOW]
                closed = ended
            done = covering[0] if covering else None
            out.append(Reminder(label, at, done, missed=done is None and closed))
        return tuple(out)

    def next_reminder(self) -> Reminder | None:
        """The first reminder neither taken nor missed (None when there is none)."""
        return next((r for r in self.reminders() if r.state == "open"), None)

    def missed_reminders(self) -> tuple[Reminder, ...]:
        return tuple(r for r in self.reminders() if r.missed)

    # -- one glance ----------------------------------------------------------------------------
    def read(self) -> ClockReading:
        now = self.clock.utcnow()
        ended = self.facts.ended_at is not None
        at = self.facts.ended_at if ended else now
        index = self.phase_index()
        reminders = self.reminders()
        return ClockReading(
            now=now,
            since_arrival=at - self.facts.arrival,
            since_dose=(at - self.facts.dose_at) if self.facts.dose_at else None,
            phase_index=index,
            phase_name=self.protocol.phases[index].name,
            phase_left=self.phase_planned_end(index) - at,
            segments=self.segments(at),
            next_reminder=None if ended else next((r for r in reminders if r.state == "open"), None),
            ended=ended,
            missed=tuple(r for r in reminders if r.missed),
        )


def format_span(span: timedelta, *, signed: bool = False) -> str:
    """``mm:ss`` under an hour, ``h:mm:ss`` above; a leading minus (or plus when ``signed``)."""
    total = int(span.total_seconds())
    sign = "-" if total < 0 else ("+" if signed else "")
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    body = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"
    return sign + body


class _At:
    """A clock stopped at one moment, for reading a record outside a running session."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def monotonic(self) -> float:
        return 0.0

    def utcnow(self) -> datetime:
        return self._at


def reminders_at(protocol: Protocol, facts: SessionFacts, at: datetime) -> tuple[Reminder, ...]:
    """The vitals schedule as the live clock gives it, with its states, up to the moment ``at``
    (the end of the session, or the last entry of one in progress): for the report's list of
    readings taken and missed."""
    return tuple(r for r in SessionClock(protocol, facts, _At(at)).reminders() if r.due <= at)
