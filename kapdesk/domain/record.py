"""The facts of one sitting, derived once from its entries. Pure: no Qt, no clock, no I/O.

Every output reads these and none recomputes them: the alert strip, the live chart, the
timeline, the PDF, the CSV, FHIR and the course view. Each rule is written here once:

* **Current readings.** Only current vitals entries count (a corrected reading is read as
  corrected), in time order; a stored reading this build cannot read is left out of every fact
  (the timeline still lists it, raw).
* **Pre-dose.** A reading taken at or before T0 — or any reading while T0 is not marked — is a
  pre-dose reading (:func:`is_pre_dose`).
* **The baseline** is the pre-dose reading rises are measured from: the latest pre-dose reading
  the clinician flagged as the baseline; failing a flag, the latest pre-dose reading
  (:func:`find_baseline`). A re-take before dosing is the one the decision was made on.
* **The peak blood pressure** is one real reading: the one with the highest systolic (the earliest
  on a tie: when the peak was first reached); never the highest systolic beside the highest
  diastolic of another reading (:func:`peak_bp`).
* **The T+ label** counts whole minutes from T0, cut toward zero as a clock counts: 45 min 50 s
  after the dose is still ``T+45``; 4 min 10 s before it is ``T-4`` (:func:`offset_label`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kapdesk.domain.alerts import DEFAULT_RULES, Alert, AlertRules, evaluate
from kapdesk.domain.clock import Extension, PhaseMark, Segment, SessionClock, SessionFacts
from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import READING_KINDS, EntryInfo, PhaseEntered, PhaseExtended, Vitals, of_type
from kapdesk.domain.infusions import InfusionPeriod, infusion_periods
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.vitals import VitalsReading

__all__ = [
    "REMS_RECHECK_MINUTES",
    "REMS_RECHECK_WINDOW",
    "BaselineReading",
    "RecordFacts",
    "TimedReading",
    "VitalsCheck",
    "current_readings",
    "find_baseline",
    "first_dose_at",
    "is_pre_dose",
    "lowest_reading",
    "minutes_between",
    "offset_label",
    "peak_bp",
    "phase_segments",
    "record_facts",
    "rems_blood_pressures",
    "session_facts",
    "t_plus",
    "vitals_check",
    "whole_minutes",
]


@dataclass(frozen=True)
class TimedReading:
    """A current vitals reading with the entry it came from."""

    entry: EntryInfo
    reading: VitalsReading
    flagged: bool  # the clinician flagged it as the baseline

    @property
    def at(self) -> datetime:
        return self.entry.occurred_at

    @property
    def id(self) -> uuid.UUID:
        return self.entry.id


@dataclass(frozen=True)
class BaselineReading:
    """The baseline and why: ``flagged`` when the clinician marked it, else inferred."""

    timed: TimedReading
    flagged: bool

    @property
    def reading(self) -> VitalsReading:
        return self.timed.reading

    @property
    def at(self) -> datetime:
        return self.timed.at

    @property
    def entry_id(self) -> uuid.UUID:
        return self.timed.id

    def rise(self, reading: VitalsReading, vital: str) -> int | float | None:
        """How far ``vital`` of ``reading`` is above the baseline's (negative below); None if either lacks it."""
        now, then = getattr(reading, vital), getattr(self.reading, vital)
        return None if now is None or then is None else now - then


def is_pre_dose(occurred_at: datetime, dose_at: datetime | None) -> bool:
    """Taken at or before T0, or while T0 is not marked yet."""
    return dose_at is None or occurred_at <= dose_at


def minutes_between(origin: datetime, moment: datetime) -> float:
    """Signed minutes from ``origin`` to ``moment`` (negative before it); both timezone-aware."""
    return (moment - origin).total_seconds() / 60.0


def whole_minutes(minutes: float) -> int:
    """The one rounding rule for minutes on the record: whole minutes, cut toward zero, as a clock
    counts. 45 min 50 s is 45 (not 46); 119 min 40 s of monitoring is 119, honestly short of a
    120-minute minimum."""
    return int(minutes)


def offset_label(minutes: float) -> str:
    """``T+45``, ``T-12``, ``T+0``: whole minutes from T0, cut toward zero as a clock counts."""
    whole = whole_minutes(minutes)
    return f"T-{-whole}" if whole < 0 else f"T+{whole}"


def t_plus(moment: datetime, dose_at: datetime | None) -> str | None:
    """The T+ label of a moment, or None while T0 is not marked."""
    return None if dose_at is None else offset_label(minutes_between(dose_at, moment))


def current_readings(entries: Iterable[EntryInfo]) -> tuple[TimedReading, ...]:
    """The current, readable vitals readings in time order."""
    found = [TimedReading(e, v.reading, v.baseline) for e, v in of_type(entries, Vitals)]
    found.sort(key=lambda r: r.at)
    return tuple(found)


def find_baseline(readings: Iterable[TimedReading], dose_at: datetime | None) -> BaselineReading | None:
    """The baseline among time-ordered current readings (the rule is in the module docstring)."""
    pre = [r for r in readings if is_pre_dose(r.at, dose_at)]
    flagged = [r for r in pre if r.flagged]
    if flagged:
        return BaselineReading(flagged[-1], True)
    return BaselineReading(pre[-1], False) if pre else None


def peak_bp(readings: Iterable[TimedReading]) -> TimedReading | None:
    """The reading with the highest systolic pressure (one real reading; see the module docstring)."""
    return _extreme(readings, "systolic", highest=True)


def lowest_reading(readings: Iterable[TimedReading], vital: str) -> TimedReading | None:
    """The reading with the lowest ``vital`` (a :class:`VitalsReading` field, e.g. ``"spo2"``)."""
    return _extreme(readings, vital, highest=False)


def _extreme(readings: Iterable[TimedReading], vital: str, *, highest: bool) -> TimedReading | None:
    """The first reading (in time order) that reaches the highest or lowest ``vital``; None if none has it."""
    best: TimedReading | None = None
    for r in readings:
        value = getattr(r.reading, vital)
        if value is None:
            continue
        if best is None or (value > getattr(best.reading, vital) if highest else value < getattr(best.reading, vital)):
            best = r
    return best


# The esketamine label's recheck: "reassess blood pressure approximately 40 minutes after dosing".
REMS_RECHECK_MINUTES = 40.0
# "About 40 minutes" on the REMS form: a reading from T+30 to T+50, both included, in the whole
# minutes the T+ label shows (T+50 min 40 s reads T+50 and counts; T+29 min 50 s does not).
# Outside the window the form's 40-minute reading is missing, never the nearest reading of the day.
REMS_RECHECK_WINDOW = (30, 50)


@dataclass(frozen=True)
class VitalsCheck:
    """One reading checked against the clinic's rules, as the alert strip checks it."""

    timed: TimedReading
    alerts: tuple[Alert, ...]

    @property
    def acceptable(self) -> bool:
        return not self.alerts


def vitals_check(facts: RecordFacts, *, before: bool, rules: AlertRules = DEFAULT_RULES) -> VitalsCheck | None:
    """Were the vitals acceptable before dosing (``before``) or at the end? (the REMS form's questions).

    The reading checked is the last pre-dose one, or the last one after T0; None when there is
    none. A pre-dose reading gets the pre-dose cues and no rise check (as on the alert strip); a
    later one is measured from the sitting's baseline.
    """
    side = [r for r in facts.readings if is_pre_dose(r.at, facts.dose_at) == before]
    if not side:
        return None
    last = side[-1]
    base = None if before or facts.baseline is None else facts.baseline.reading
    return VitalsCheck(last, tuple(evaluate(last.reading, baseline=base, pre_dose=before, rules=rules)))


def rems_blood_pressures(facts: RecordFacts) -> tuple[tuple[str, TimedReading | None], ...]:
    """The REMS form's three blood pressures, each ``(label, reading or None when missing)``:

    * ``"before dosing"``: the last pre-dose reading with a BP;
    * ``"about 40 min after"``: among readings from T+30 to T+50 (:data:`REMS_RECHECK_WINDOW`,
      whole minutes, both ends included) the one nearest T+40 (the earlier on a tie); None when
      no reading was taken in that window;
    * ``"at the end"``: the last reading after T0, unless that is the 40-minute one (then None:
      no reading was taken before discharge).

    T0 is ``facts.dose_at`` (for the form: the first spray, :func:`first_dose_at`).
    """
    with_bp = [r for r in facts.readings if r.reading.systolic is not None]
    t0 = facts.dose_at
    before = [r for r in with_bp if is_pre_dose(r.at, t0)]
    after = [r for r in with_bp if not is_pre_dose(r.at, t0)]
    low, high = REMS_RECHECK_WINDOW
    recheck: TimedReading | None = None
    if t0 is not None:
        window = [r for r in after if low <= whole_minutes(minutes_between(t0, r.at)) <= high]
        if window:
            recheck = min(window, key=lambda r: abs(minutes_between(t0, r.at) - REMS_RECHECK_MINUTES))
    end = after[-1] if after and (recheck is None or after[-1].id != recheck.id) else None
    return (("before dosing", before[-1] if before else None), ("about 40 min after", recheck), ("at the end", end))


def first_dose_at(facts: RecordFacts, drug: str | None = None) -> datetime | None:
    """When the sitting's first dose was given: the earlier of the dose mark (T0) and the first
    recorded dose (of ``drug`` when given, compared without case), or None when there is neither.

    A clinician may record the first spray and mark T0 a minute later (or the reverse); the
    observation minimum and the REMS form count from whichever came first.
    """
    doses = [e.occurred_at for e, d in facts.doses if drug is None or d.drug.casefold() == drug.casefold()]
    times = [t for t in (facts.dose_at, min(doses, default=None)) if t is not None]
    return min(times, default=None)


@dataclass(frozen=True)
class RecordFacts:
    """What a sitting's entries say, derived once (see :func:`record_facts`)."""

    dose_at: datetime | None
    readings: tuple[TimedReading, ...]
    baseline: BaselineReading | None
    peak: TimedReading | None
    doses: tuple[tuple[EntryInfo, Dose], ...]
    # IV infusions as periods, counted up to the record's latest entry (see domain/infusions.py).
    infusions: tuple[InfusionPeriod, ...] = ()

    @property
    def latest(self) -> TimedReading | None:
        return self.readings[-1] if self.readings else None

    def t_plus(self, moment: datetime) -> str | None:
        return t_plus(moment, self.dose_at)

    def reading(self, entry_id: uuid.UUID) -> TimedReading | None:
        return next((r for r in self.readings if r.id == entry_id), None)

    @property
    def total_dose_mg(self) -> float | None:
        """Every current dose (boosters included) plus what the infusions delivered; None if neither."""
        if not self.doses and not self.infusions:
            return None
        return round(sum(d.amount_mg for _, d in self.doses) + sum(p.delivered_mg for p in self.infusions), 3)

    def session_mg(self, drug: str) -> float:
        """The session total of one drug the dose limits check (``dose_limits``): its current doses,
        boosters included, plus each infusion's counted mg (a planned one still open: its plan)."""
        key = drug.casefold()
        total = sum(d.amount_mg for _, d in self.doses if d.drug.casefold() == key)
        total += sum(p.counted_mg for p in self.infusions if p.start.drug.casefold() == key)
        return round(total, 3)


def record_facts(entries: Iterable[EntryInfo], dose_at: datetime | None) -> RecordFacts:
    entries = list(entries)
    readings = current_readings(entries)
    doses = tuple(sorted(of_type(entries, Dose), key=lambda pair: pair[0].occurred_at))
    return RecordFacts(dose_at, readings, find_baseline(readings, dose_at), peak_bp(readings), doses,
                       infusions=infusion_periods(entries))


def session_facts(entries: Iterable[EntryInfo], *, arrival: datetime, dose_at: datetime | None,
                  ended_at: datetime | None) -> SessionFacts:
    """The time line the session clock needs, from a sitting's current entries: phase marks (in
    time order; marks made in one action share a time, so then by index), extensions, and the
    times of readings. The store builds the live clock from it and the PDF its phases."""
    marks: list[PhaseMark] = []
    extensions: list[Extension] = []
    readings: list[datetime] = []
    for entry in entries:
        if not entry.current:
            continue
        if isinstance(entry.data, PhaseEntered):
            marks.append(PhaseMark(entry.data.index, entry.occurred_at))
        elif isinstance(entry.data, PhaseExtended):
            extensions.append(Extension(entry.data.index, entry.data.minutes, entry.occurred_at))
        elif entry.kind in READING_KINDS:
            readings.append(entry.occurred_at)
    marks.sort(key=lambda mark: (mark.at, mark.index))
    return SessionFacts(arrival=arrival, dose_at=dose_at, ended_at=ended_at, phase_marks=tuple(marks),
                        extensions=tuple(extensions), readings=tuple(readings))


@dataclass(frozen=True)
class _StoppedClock:
    """A clock that reads one moment (:meth:`SessionClock.segments` is given ``now`` and never asks)."""

    at: datetime

    def monotonic(self) -> float:
        return 0.0

    def utcnow(self) -> datetime:
        return self.at


def phase_segments(protocol: Protocol, facts: SessionFacts, at: datetime) -> tuple[Segment, ...]:
    """The phases as the live clock gives them at the moment ``at`` (lived phases, then the plan),
    for drawing a record outside a running session (the PDF)."""
    return SessionClock(protocol, facts, _StoppedClock(at)).segments(at)
