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
* **The peak blood pressure** is one real reading: the one with the highest systolic (a tie goes
  to the higher diastolic, then the earlier reading); never the highest systolic beside the
  highest diastolic of another reading (:func:`peak_bp`).
* **The T+ label** counts whole minutes from T0, cut toward zero as a clock counts: 45 min 50 s
  after the dose is still ``T+45``; 4 min 10 s before it is ``T-4`` (:func:`offset_label`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import EntryInfo, Vitals, of_type
from kapdesk.domain.vitals import VitalsReading

__all__ = [
    "BaselineReading",
    "RecordFacts",
    "TimedReading",
    "find_baseline",
    "is_pre_dose",
    "minutes_between",
    "offset_label",
    "peak_bp",
    "record_facts",
    "t_plus",
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


def offset_label(minutes: float) -> str:
    """``T+45``, ``T-12``, ``T+0``: whole minutes from T0, cut toward zero as a clock counts."""
    whole = int(minutes)
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
    with_bp = [r for r in readings if r.reading.systolic is not None]
    if not with_bp:
        return None
    return max(with_bp, key=lambda r: (r.reading.systolic, r.reading.diastolic or 0, -r.at.timestamp()))


@dataclass(frozen=True)
class RecordFacts:
    """What a sitting's entries say, derived once (see :func:`record_facts`)."""

    dose_at: datetime | None
    readings: tuple[TimedReading, ...]
    baseline: BaselineReading | None
    peak: TimedReading | None
    doses: tuple[tuple[EntryInfo, Dose], ...]

    @property
    def latest(self) -> TimedReading | None:
        return self.readings[-1] if self.readings else None

    def t_plus(self, moment: datetime) -> str | None:
        return t_plus(moment, self.dose_at)

    def reading(self, entry_id: uuid.UUID) -> TimedReading | None:
        return next((r for r in self.readings if r.id == entry_id), None)

    @property
    def total_dose_mg(self) -> float | None:
        return round(sum(d.amount_mg for _, d in self.doses), 3) if self.doses else None


def record_facts(entries: Iterable[EntryInfo], dose_at: datetime | None) -> RecordFacts:
    entries = list(entries)
    readings = current_readings(entries)
    doses = tuple(sorted(of_type(entries, Dose), key=lambda pair: pair[0].occurred_at))
    return RecordFacts(dose_at, readings, find_baseline(readings, dose_at), peak_bp(readings), doses)
