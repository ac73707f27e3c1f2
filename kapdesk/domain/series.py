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

from kapdesk.domain.alerts import DEFAULT_RULES, Alert, AlertRules, evaluate, threshold_lines
from kapdesk.domain.clock import Extension, PhaseMark, Segment, SessionClock, SessionFacts
from kapdesk.domain.doses import Dose
from kapdesk.domain.protocols import Protocol
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
    "REMS_RECHECK_MINUTES",
    "RecordedEntry",
    "ThresholdLine",
    "VitalsCheck",
    "bp_rise",
    "chart_data",
    "chart_thresholds",
    "current_readings",
    "dose_label",
    "find_baseline",
    "lowest_reading",
    "minutes_between",
    "offset_label",
    "peak_reading",
    "phase_segments",
    "rems_blood_pressures",
    "session_facts",
    "vitals_check",
    "whole_minutes",
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
    whole = whole_minutes(minutes)
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


# ----------------------------------------------------------------------------------------------
# Facts about the readings that every output shares (the screen, the PDF, the course view).
# They take the same entries as :func:`chart_data` and apply the same rules: current entries
# only, unreadable payloads skipped, time order.
# ----------------------------------------------------------------------------------------------

# The esketamine label's recheck: "reassess blood pressure approximately 40 minutes after dosing".
REMS_RECHECK_MINUTES = 40.0


def whole_minutes(minutes: float) -> int:
    """The one rounding rule for minutes on the record: whole minutes, cut toward zero, as a
    clock counts. 45 min 50 s is 45 (not 46); 119 min 40 s of monitoring is 119, so it is
    honestly short of a 120-minute minimum. Before T0 it counts down the same way a countdown
    shows it (12 min 30 s before the dose is -12). :func:`offset_label` uses this rule."""
    return int(minutes)


def current_readings(
    entries: Iterable[RecordedEntry], parsed: dict[uuid.UUID, VitalsReading | None] | None = None
) -> list[tuple[RecordedEntry, VitalsReading]]:
    """The session's current vitals readings with their decoded values, in time order.

    The chart's own rules (see the module docstring): corrected-away readings and unreadable
    payloads are left out. Feed the result to :func:`find_baseline` for the baseline.
    """
    return _readings(entries, parsed)


def peak_reading(entries: Iterable[RecordedEntry]) -> tuple[RecordedEntry, VitalsReading] | None:
    """The peak blood pressure: the one current reading with the highest systolic, or None.

    Always one real reading: its own diastolic goes with it, never the highest diastolic of
    another reading (150/95 then 300/20 peaks at 300/20, not 300/95). Readings without a
    systolic are not candidates; on a tie the earliest wins (when the peak was first reached).
    """
    best: tuple[RecordedEntry, VitalsReading] | None = None
    top: int | None = None
    for entry, reading in _readings(entries):
        if reading.systolic is not None and (top is None or reading.systolic > top):
            best, top = (entry, reading), reading.systolic
    return best


def lowest_reading(entries: Iterable[RecordedEntry], vital: str) -> tuple[RecordedEntry, VitalsReading] | None:
    """The current reading with the lowest ``vital`` (a :class:`VitalsReading` field, e.g.
    ``"spo2"``), or None when no reading has it; on a tie the earliest wins."""
    best: tuple[RecordedEntry, VitalsReading] | None = None
    low: float | None = None
    for entry, reading in _readings(entries):
        value = getattr(reading, vital)
        if value is not None and (low is None or value < low):
            best, low = (entry, reading), value
    return best


def bp_rise(reading: VitalsReading, baseline: VitalsReading | None) -> tuple[int | None, int | None]:
    """(systolic, diastolic) change from the baseline in mmHg, signed; None where either reading
    lacks the value. The same subtraction :func:`kapdesk.domain.alerts.evaluate` alerts on."""
    if baseline is None:
        return None, None

    def change(now: int | None, then: int | None) -> int | None:
        return None if now is None or then is None else now - then

    return change(reading.systolic, baseline.systolic), change(reading.diastolic, baseline.diastolic)


@dataclass(frozen=True)
class ThresholdLine:
    """One horizontal alert line on a chart: a :class:`VitalsReading` field and its level.

    ``rise`` is set when the level is the baseline plus the clinic's rise (systolic +40, say),
    so a label can say what the line means; an absolute bound that happens to fall on the same
    level is one line, labelled as the rise."""

    vital: str
    value: float
    rise: float | None = None


def chart_thresholds(data: ChartData, rules: AlertRules = DEFAULT_RULES) -> tuple[ThresholdLine, ...]:
    """The chart's alert lines for ``data``: :func:`kapdesk.domain.alerts.threshold_lines` measured
    from ``data.baseline``, in vital order (:data:`CHARTED_VITALS`) then ascending. Respiratory
    rate is not charted, so its lines are left out."""
    baseline = data.baseline.reading if data.baseline is not None else None
    rises = {"systolic": rules.systolic_rise, "diastolic": rules.diastolic_rise}
    lines = threshold_lines(rules, baseline=baseline)
    out: list[ThresholdLine] = []
    for vital in CHARTED_VITALS:
        for value in lines.get(vital, ()):
            rise = rises.get(vital)
            level = getattr(baseline, vital) if baseline is not None and vital in rises else None
            is_rise = rise is not None and level is not None and level + rise == value
            out.append(ThresholdLine(vital, value, rise if is_rise else None))
    return tuple(out)


@dataclass(frozen=True)
class VitalsCheck:
    """One reading checked against the clinic's rules, as the alert strip checks it."""

    entry: RecordedEntry
    reading: VitalsReading
    alerts: tuple[Alert, ...]

    @property
    def acceptable(self) -> bool:
        return not self.alerts


def vitals_check(
    entries: Iterable[RecordedEntry], t0: datetime, *, before: bool, rules: AlertRules = DEFAULT_RULES
) -> VitalsCheck | None:
    """Were the vitals acceptable before dosing (``before``) or at the end? (the REMS form's two
    questions). The reading checked is the last one at or before ``t0``, or the last one after
    it; None when there is none. A pre-dose reading gets the pre-dose cues and no rise check
    (it has no baseline of its own, as on the alert strip); a later one is measured from the
    baseline of :func:`find_baseline`."""
    readings = _readings(entries)
    side = [(e, r) for e, r in readings if (e.occurred_at <= t0) == before]
    if not side:
        return None
    entry, reading = side[-1]
    found = None if before else find_baseline(readings, t0)
    alerts = evaluate(reading, baseline=found[1] if found else None, pre_dose=before, rules=rules)
    return VitalsCheck(entry, reading, tuple(alerts))


def rems_blood_pressures(
    entries: Iterable[RecordedEntry], t0: datetime | None
) -> tuple[tuple[str, RecordedEntry, VitalsReading], ...]:
    """The REMS form's three blood pressures, each ``(label, entry, reading)``:

    * ``"before dosing"``: the last reading with a BP at or before ``t0`` (any, without a T0);
    * ``"about 40 min after"``: the one nearest T+:data:`REMS_RECHECK_MINUTES` (the earlier on a tie);
    * ``"at the end"``: the last reading after T0, unless that is the 40-minute one.
    """
    with_bp = [(e, r) for e, r in _readings(entries) if r.systolic is not None]
    before = [(e, r) for e, r in with_bp if t0 is None or e.occurred_at <= t0]
    after = [(e, r) for e, r in with_bp if t0 is not None and e.occurred_at > t0]
    chosen: list[tuple[str, RecordedEntry, VitalsReading]] = []
    if before:
        chosen.append(("before dosing", *before[-1]))
    if after and t0 is not None:
        recheck = min(after, key=lambda er: abs(minutes_between(t0, er[0].occurred_at) - REMS_RECHECK_MINUTES))
        chosen.append(("about 40 min after", *recheck))
        if after[-1][0].id != recheck[0].id:
            chosen.append(("at the end", *after[-1]))
    return tuple(chosen)


# The kinds that cover a vitals reminder (a reading, or one taken outside KAPDesk).
_REMINDER_COVER_KINDS = frozenset({"vitals", "reminder_done"})


def session_facts(
    entries: Iterable[RecordedEntry], *, arrival: datetime, dose_at: datetime | None, ended_at: datetime | None
) -> SessionFacts:
    """The time line the session clock needs, from a session's entries (current ones only):
    phase marks (in time order; marks made in one action share a time, so then by index),
    phase extensions and the times of readings. The same derivation the store makes for the
    live clock, so a report's phases are the screen's phases."""
    marks: list[PhaseMark] = []
    extensions: list[Extension] = []
    readings: list[datetime] = []
    for entry in entries:
        if not entry.current:
            continue
        if entry.kind == "phase":
            marks.append(PhaseMark(entry.payload["index"], entry.occurred_at))
        elif entry.kind == "phase_extended":
            extensions.append(Extension(entry.payload["index"], entry.payload["minutes"], entry.occurred_at))
        elif entry.kind in _REMINDER_COVER_KINDS:
            readings.append(entry.occurred_at)
    marks.sort(key=lambda mark: (mark.at, mark.index))
    return SessionFacts(arrival=arrival, dose_at=dose_at, ended_at=ended_at, phase_marks=tuple(marks),
                        extensions=tuple(extensions), readings=tuple(readings))


@dataclass(frozen=True)
class _StoppedClock:
    """A clock that reads one moment: :meth:`SessionClock.segments` is given its ``now``
    explicitly and never reads the clock, but the class wants one."""

    at: datetime

    def monotonic(self) -> float:
        return 0.0

    def utcnow(self) -> datetime:
        return self.at


def phase_segments(protocol: Protocol, facts: SessionFacts, at: datetime) -> tuple[Segment, ...]:
    """The phases as :attr:`ClockReading.segments` gives them at the moment ``at`` (lived phases,
    then the plan from there), for drawing a record outside a running session (the PDF)."""
    return SessionClock(protocol, facts, _StoppedClock(at)).segments(at)
