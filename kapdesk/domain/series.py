"""The vitals chart's data, derived from the session record. Pure: no Qt, no clock, no I/O.

The chart reads the sitting on one time axis: **minutes from the dose (T0)**, because that is how
the room talks ("BP peaks around T+40") and how the protocols schedule readings. Before T0 is
marked the axis counts from arrival instead, and :attr:`ChartData.from_dose` says so; once the dose
is marked every point moves to the dose axis.

Rules (each one tested in ``tests/test_series.py``):

* Only **current** entries count: a vitals reading or dose that a correction superseded is left
  off the chart (the timeline shows both; the chart shows what is true now).
* A stored reading this build cannot read (a payload outside the plausible bounds, written by a
  newer version) is skipped rather than raised: one odd entry must not blank the whole chart.
  The timeline still lists it, raw.
* The **baseline** is the reading the record flags ``"baseline": true`` (the latest such, if a
  clinician flagged two); failing that, the last reading taken at or before T0; before T0 is
  marked, the latest reading so far (every reading is pre-dose then). It feeds the baseline-
  relative threshold lines (:func:`kapdesk.domain.alerts.threshold_lines`).
* Points are sorted by time, so a back-dated reading lands where it happened.

The entries are read through :class:`RecordedEntry`, a structural type that the store's
``EntryInfo`` satisfies, so the domain layer does not import the store (or SQLAlchemy).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kapdesk.domain.clock import Segment
from kapdesk.domain.doses import Dose
from kapdesk.domain.vitals import VitalsError, VitalsReading
from kapdesk.domain.entries import RecordedEntry

__all__ = [
    "CHARTED_VITALS",
    "DEFAULT_WINDOW_ARRIVAL",
    "DEFAULT_WINDOW_DOSE",
    "Baseline",
    "ChartData",
    "DoseMarker",
    "PhaseBand",
    "Point",
    "RecordedEntry",
    "chart_data",
    "dose_label",
    "find_baseline",
    "minutes_between",
    "offset_label",
]

# (minutes from origin, value). Plain tuples: the widget turns them into QPointF in one pass.
Point = tuple[float, float]

# The VitalsReading fields the chart draws, in legend order. Respiratory rate and temperature
# are in the record and the timeline but would need a third scale; the clinic reads them there.
CHARTED_VITALS: tuple[str, ...] = ("systolic", "diastolic", "heart_rate", "spo2")

# The x range shown before anything widens it: half an hour before T0 to the end of a usual
# three-hour sitting; counted from arrival, the same 3.5 h width starting at arrival.
DEFAULT_WINDOW_DOSE: tuple[float, float] = (-30.0, 180.0)
DEFAULT_WINDOW_ARRIVAL: tuple[float, float] = (0.0, 210.0)
# The x range grows in steps this size, so the axis does not creep a minute at a time.
RANGE_STEP = 15.0


@dataclass(frozen=True)
class DoseMarker:
    """A vertical line on the chart: one current ``dose`` entry."""

    minute: float
    label: str  # "ketamine 100 mg SL · booster"
    entry_id: uuid.UUID
    booster: bool = False


@dataclass(frozen=True)
class PhaseBand:
    """One phase as a band behind the curves; ``actual`` is False for the planned future part."""

    index: int
    name: str
    start: float  # minutes from the chart's origin
    end: float
    actual: bool


@dataclass(frozen=True)
class Baseline:
    """The reference reading and where it came from (``flagged``: marked so in the record)."""

    reading: VitalsReading
    minute: float
    entry_id: uuid.UUID
    flagged: bool


@dataclass(frozen=True)
class ChartData:
    """Everything the vitals chart draws, in minutes from :attr:`origin`.

    ``points`` maps each name of :data:`CHARTED_VITALS` to its points in time order (a vital a
    reading lacks simply has no point there). ``latest`` is the newest current reading.
    """

    origin: datetime
    from_dose: bool
    points: Mapping[str, tuple[Point, ...]]
    doses: tuple[DoseMarker, ...] = ()
    phases: tuple[PhaseBand, ...] = ()
    baseline: Baseline | None = None
    latest: tuple[float, VitalsReading] | None = None
    readings: int = 0  # how many current readings were charted

    def x_range(self, now_minute: float | None = None) -> tuple[float, float]:
        """The x axis: the default window, widened (in 15-minute steps) to hold every point,
        dose, lived phase and ``now``. A sitting that runs past T+180 grows the axis; nothing
        that happened is ever cut off. Planned phases do not widen it (they are clipped at the
        edge): an overrun pushes the plan out, and squeezing the lived curve to make room for
        a plan would be the wrong way round."""
        lo, hi = DEFAULT_WINDOW_DOSE if self.from_dose else DEFAULT_WINDOW_ARRIVAL
        xs: list[float] = [x for pts in self.points.values() for x, _ in pts]
        xs += [d.minute for d in self.doses]
        xs += [x for b in self.phases if b.actual for x in (b.start, b.end)]
        if now_minute is not None:
            xs.append(now_minute)
        if xs:
            lo, hi = min(lo, min(xs)), max(hi, max(xs))
        return math.floor(lo / RANGE_STEP) * RANGE_STEP, math.ceil(hi / RANGE_STEP) * RANGE_STEP

    def value_range(self, names: Iterable[str], default: tuple[float, float], step: float) -> tuple[float, float]:
        """A y range for the vitals ``names``: ``default``, widened in ``step``s to hold every value."""
        lo, hi = default
        values = [v for name in names for _, v in self.points.get(name, ())]
        if values:
            lo, hi = min(lo, min(values)), max(hi, max(values))
        return math.floor(lo / step) * step, math.ceil(hi / step) * step


def offset_label(minutes: float) -> str:
    """``T+45``, ``T-12``, ``T+0``: whole minutes from T0, cut toward zero as a clock counts
    (45 min 50 s after the dose is still T+45). The chart and the timeline both use this, so
    one reading carries the same label everywhere."""
    whole = int(minutes)
    return f"T-{-whole}" if whole < 0 else f"T+{whole}"


def minutes_between(origin: datetime, moment: datetime) -> float:
    """Signed minutes from ``origin`` to ``moment`` (negative before it); both timezone-aware."""
    return (moment - origin).total_seconds() / 60.0


def dose_label(payload: Mapping[str, Any]) -> str:
    """The short marker text for a dose payload: ``ketamine 100 mg SL`` (+ `` booster``).

    Shorter than ``Dose.format()`` on purpose: the lot and weight belong in the timeline, and a
    marker label must fit above a vertical line. A payload that cannot be read gives the drug.
    """
    try:
        dose = Dose.from_payload(payload)
    except (ValueError, TypeError, KeyError):
        return str(payload.get("drug") or "dose")
    text = f"{dose.drug} {dose.amount_mg:g} mg {dose.route.abbreviation}"
    return f"{text} booster" if dose.booster else text


def _readings(entries: Iterable[RecordedEntry],
              parsed: dict[uuid.UUID, VitalsReading | None] | None = None) -> list[tuple[RecordedEntry, VitalsReading]]:
    """Current vitals entries with their parsed readings, in time order; unreadable ones skipped."""
    out: list[tuple[RecordedEntry, VitalsReading]] = []
    for entry in entries:
        if entry.kind != "vitals" or not entry.current:
            continue
        if parsed is not None and entry.id in parsed:
            reading = parsed[entry.id]
        else:
            try:
                reading = VitalsReading.from_payload(entry.payload)
            except VitalsError:
                reading = None
            if parsed is not None:
                parsed[entry.id] = reading
        if reading is not None:
            out.append((entry, reading))
    out.sort(key=lambda pair: pair[0].occurred_at)
    return out


def find_baseline(
    readings: Iterable[tuple[RecordedEntry, VitalsReading]], dose_at: datetime | None
) -> tuple[RecordedEntry, VitalsReading, bool] | None:
    """The baseline among time-ordered current readings: ``(entry, reading, flagged)`` or None.

    Flagged beats inferred because the clinician said so; among flagged readings the latest
    wins (a re-take before dosing is the one the decision was made on).
    """
    ordered = list(readings)
    flagged = [pair for pair in ordered if pair[0].payload.get("baseline") is True]
    if flagged:
        entry, reading = flagged[-1]
        return entry, reading, True
    pre_dose = [pair for pair in ordered if dose_at is None or pair[0].occurred_at <= dose_at]
    if pre_dose:
        entry, reading = pre_dose[-1]
        return entry, reading, False
    return None


def chart_data(
    entries: Iterable[RecordedEntry],
    *,
    arrival: datetime,
    dose_at: datetime | None,
    segments: Iterable[Segment] = (),
    parsed: dict[uuid.UUID, VitalsReading | None] | None = None,
) -> ChartData:
    """Turn a session's entries (any kinds, any order, corrections included) into chart data.

    ``segments`` are the clock's phase segments (``ClockReading.segments``); pass none to draw
    no bands. Linear in the number of entries, so a caller may simply recompute on every new
    reading. Most of that time is validating payloads; a caller that recomputes often passes
    the same ``parsed`` dict each time (entry id → reading, None if unreadable), which this
    fills and reuses. That is safe because entries are append-only: an id's payload never
    changes (a correction is a new entry with a new id).
    """
    entries = list(entries)
    origin = dose_at if dose_at is not None else arrival
    readings = _readings(entries, parsed)
    points: dict[str, list[Point]] = {name: [] for name in CHARTED_VITALS}
    for entry, reading in readings:
        x = minutes_between(origin, entry.occurred_at)
        for name in CHARTED_VITALS:
            value = getattr(reading, name)
            if value is not None:
                points[name].append((x, float(value)))

    doses = sorted(
        (
            DoseMarker(minutes_between(origin, e.occurred_at), dose_label(e.payload), e.id,
                       bool(e.payload.get("booster")))
            for e in entries
            if e.kind == "dose" and e.current
        ),
        key=lambda marker: marker.minute,
    )
    bands = tuple(
        PhaseBand(s.index, s.name, minutes_between(origin, s.start), minutes_between(origin, s.end), s.actual)
        for s in segments
    )
    found = find_baseline(readings, dose_at)
    baseline = None
    if found is not None:
        entry, reading, flagged = found
        baseline = Baseline(reading, minutes_between(origin, entry.occurred_at), entry.id, flagged)
    latest = None
    if readings:
        entry, reading = readings[-1]
        latest = (minutes_between(origin, entry.occurred_at), reading)
    return ChartData(
        origin=origin,
        from_dose=dose_at is not None,
        points={name: tuple(pts) for name, pts in points.items()},
        doses=tuple(doses),
        phases=bands,
        baseline=baseline,
        latest=latest,
        readings=len(readings),
    )
