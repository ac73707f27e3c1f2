"""The vitals chart's data, derived from the session record. Pure: no Qt, no clock, no I/O.

The chart reads the sitting on one time axis: **minutes from the dose (T0)**, because that is how
the room talks ("BP peaks around T+40") and how the protocols schedule readings. Before T0 is
marked the axis counts from arrival instead, and :attr:`ChartData.from_dose` says so; once the dose
is marked every point moves to the dose axis.

Rules (each one tested in ``tests/test_series.py``):

* The readings, the baseline and the doses are the record's facts
  (:func:`kapdesk.domain.record.record_facts`): the chart draws them, it derives none of them,
  so the PDF's chart, the alert strip and the timeline name the same baseline and the same T+.
  The baseline feeds the baseline-relative threshold lines
  (:func:`kapdesk.domain.alerts.threshold_lines`).
* Points are sorted by time, so a back-dated reading lands where it happened.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules, threshold_lines
from kapdesk.domain.clock import Segment
from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import EntryInfo
from kapdesk.domain.record import RecordFacts, minutes_between, record_facts
from kapdesk.domain.vitals import VitalsReading

__all__ = [
    "ALL_VITALS",
    "CHARTED_VITALS",
    "MORE_VITALS",
    "DEFAULT_WINDOW_ARRIVAL",
    "DEFAULT_WINDOW_DOSE",
    "Baseline",
    "ChartData",
    "DoseMarker",
    "PhaseBand",
    "Point",
    "ThresholdLine",
    "chart_data",
    "chart_thresholds",
    "dose_label",
]

# (minutes from origin, value). Plain tuples: the widget turns them into QPointF in one pass.
Point = tuple[float, float]

# The VitalsReading fields the chart draws, in legend order.
CHARTED_VITALS: tuple[str, ...] = ("systolic", "diastolic", "heart_rate", "spo2")
# Breathing and temperature: scales of their own (breaths/min, °C), so the live chart shows them
# on a second set of axes, in turn with the first (its toggle key); their points are always here.
MORE_VITALS: tuple[str, ...] = ("resp_rate", "temperature_c")
ALL_VITALS: tuple[str, ...] = CHARTED_VITALS + MORE_VITALS

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

    ``points`` maps each name of :data:`ALL_VITALS` to its points in time order (a vital a
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


def dose_label(dose: Dose) -> str:
    """The short marker text for a dose: ``ketamine 100 mg SL`` (+ `` booster``).

    Shorter than ``Dose.format()`` on purpose: the lot and weight belong in the timeline, and a
    marker label must fit above a vertical line.
    """
    text = f"{dose.drug} {dose.amount_mg:g} mg {dose.route.abbreviation}"
    return f"{text} booster" if dose.booster else text


def chart_data(
    entries: Iterable[EntryInfo],
    *,
    arrival: datetime,
    dose_at: datetime | None,
    segments: Iterable[Segment] = (),
    facts: RecordFacts | None = None,
) -> ChartData:
    """Turn a session's entries (any kinds, any order, corrections included) into chart data.

    ``segments`` are the clock's phase segments (``ClockReading.segments``); pass none to draw
    no bands. ``facts`` saves deriving the record's facts again when the caller has them. Linear
    in the number of entries, so a caller may simply recompute on every new reading.
    """
    facts = facts if facts is not None else record_facts(entries, dose_at)
    origin = dose_at if dose_at is not None else arrival
    # One pass, the six fields of a reading fetched in one call: this runs on every new reading of
    # a six-hour sitting (bench/bench_chart.py), so it is kept tight.
    columns: list[list[Point]] = [[] for _ in ALL_VITALS]
    fields_of = attrgetter(*ALL_VITALS)
    for timed in facts.readings:
        x = minutes_between(origin, timed.at)
        for column, value in zip(columns, fields_of(timed.reading)):
            if value is not None:
                column.append((x, float(value)))
    points = dict(zip(ALL_VITALS, columns))
    doses = tuple(
        DoseMarker(minutes_between(origin, e.occurred_at), dose_label(dose), e.id, dose.booster)
        for e, dose in facts.doses
    )
    bands = tuple(
        PhaseBand(s.index, s.name, minutes_between(origin, s.start), minutes_between(origin, s.end), s.actual)
        for s in segments
    )
    baseline = None
    if facts.baseline is not None:
        b = facts.baseline
        baseline = Baseline(b.reading, minutes_between(origin, b.at), b.entry_id, b.flagged)
    latest = None
    if facts.latest is not None:
        latest = (minutes_between(origin, facts.latest.at), facts.latest.reading)
    return ChartData(
        origin=origin,
        from_dose=dose_at is not None,
        points={name: tuple(pts) for name, pts in points.items()},
        doses=doses,
        phases=bands,
        baseline=baseline,
        latest=latest,
        readings=len(facts.readings),
    )


@dataclass(frozen=True)
class ThresholdLine:
    """One horizontal alert line on a chart: a :class:`VitalsReading` field and its level.

    ``rise`` is set when the level is the baseline plus the clinic's rise (systolic +40, say),
    so a label can say what the line means; an absolute bound that happens to fall on the same
    level is one line, labelled as the rise."""

    vital: str
    value: float
    rise: float | None = None


def chart_thresholds(data: ChartData, rules: AlertRules = DEFAULT_RULES,
                     vitals: tuple[str, ...] = CHARTED_VITALS) -> tuple[ThresholdLine, ...]:
    """The chart's alert lines for ``data``: :func:`kapdesk.domain.alerts.threshold_lines` measured
    from ``data.baseline``, for ``vitals`` (default :data:`CHARTED_VITALS`, the PDF's chart; the live
    chart's second page asks for :data:`MORE_VITALS`) in that order, then ascending. The same
    ``AlertRules`` the alerts use: a line is where an alert starts."""
    baseline = data.baseline.reading if data.baseline is not None else None
    rises = {"systolic": rules.systolic_rise, "diastolic": rules.diastolic_rise}
    lines = threshold_lines(rules, baseline=baseline)
    out: list[ThresholdLine] = []
    for vital in vitals:
        for value in lines.get(vital, ()):
            rise = rises.get(vital)
            level = getattr(baseline, vital) if baseline is not None and vital in rises else None
            is_rise = rise is not None and level is not None and level + rise == value
            out.append(ThresholdLine(vital, value, rise if is_rise else None))
    return tuple(out)
