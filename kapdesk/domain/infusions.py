"""IV infusions as a period: start, rate changes, pauses and resumes, stop; the delivered total.

Two entry kinds carry an infusion (:mod:`kapdesk.domain.entries`):

* ``infusion_start`` (:class:`InfusionStart`): the drug, the rate it starts at and, for a
  planned dose ("0.5 mg/kg over 40 min"), the planned total and minutes;
* ``infusion_change`` (:class:`InfusionChange`): a new rate, a pause, a resume or the stop,
  naming the start entry it belongs to.

**The delivered total** is computed here once (:func:`infusion_periods`) and read by the dose
form, the PDF, the CSV and FHIR: the sum over the running spans of rate (mg/h) × time, spans cut
at every change; nothing runs while paused. A planned infusion (a total over N minutes) ends by
itself when its planned total has gone in — the pump's volume is used up — so its delivered
total never exceeds the plan, whatever the rate changes; stopping earlier ends it earlier. An
infusion not stopped counts up to the moment asked about (``as_of``: now on screen, the end of the
session or its last entry in a report).

The dose line's words (:func:`parse_infusion_command`)::

    infusion 0.5 mg/kg over 40 min      a planned dose (rate = 0.75 mg/kg/h)
    infusion 35 mg over 40 min          the same in mg
    infusion 0.75 mg/kg/h               by rate (also mg/h, mg/min, mg/kg/min)
    rate 0.5 mg/kg/h                    a new rate for the running infusion
    pause · resume · stop

Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kapdesk.domain.doses import DoseError, Route

if TYPE_CHECKING:
    from kapdesk.domain.entries import EntryInfo

__all__ = [
    "InfusionAction",
    "InfusionChange",
    "InfusionCommand",
    "InfusionPeriod",
    "InfusionRate",
    "InfusionStart",
    "RateSpan",
    "RateUnit",
    "infusion_line",
    "infusion_periods",
    "open_infusion",
    "parse_infusion_command",
]


def _fmt(value: float) -> str:
    return f"{round(value, 3):g}"


class RateUnit(StrEnum):
    MG_PER_H = "mg/h"
    MG_PER_MIN = "mg/min"
    MG_PER_KG_H = "mg/kg/h"
    MG_PER_KG_MIN = "mg/kg/min"

    @property
    def per_kg(self) -> bool:
        return "/kg/" in self.value

    @property
    def per_minute(self) -> bool:
        return self.value.endswith("/min")


_RATE_WORDS: Mapping[str, RateUnit] = {
    "mg/h": RateUnit.MG_PER_H, "mg/hr": RateUnit.MG_PER_H, "mg/hour": RateUnit.MG_PER_H,
    "mg/min": RateUnit.MG_PER_MIN, "mg/minute": RateUnit.MG_PER_MIN,
    "mg/kg/h": RateUnit.MG_PER_KG_H, "mg/kg/hr": RateUnit.MG_PER_KG_H, "mg/kg/hour": RateUnit.MG_PER_KG_H,
    "mg/kg/min": RateUnit.MG_PER_KG_MIN, "mg/kg/minute": RateUnit.MG_PER_KG_MIN,
}


@dataclass(frozen=True)
class InfusionRate:
    """A rate as typed (``value`` in ``unit``) and the weight a per-kg rate was computed with."""

    value: float
    unit: RateUnit
    weight_kg: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or not self.value > 0:
            raise DoseError(f"An infusion rate must be above 0, not {self.value!r}", "amount")
        if self.unit.per_kg and not self.weight_kg:
            raise DoseError(f"A rate in {self.unit.value} needs the client's weight", "weight_kg")

    @property
    def mg_per_h(self) -> float:
        rate = self.value * (60.0 if self.unit.per_minute else 1.0)
        return rate * (self.weight_kg or 1.0) if self.unit.per_kg else rate

    def format(self) -> str:
        """``0.75 mg/kg/h (52.5 mg/h)``; ``50 mg/h``."""
        text = f"{_fmt(self.value)} {self.unit.value}"
        return f"{text} ({_fmt(round(self.mg_per_h, 2))} mg/h)" if self.unit is not RateUnit.MG_PER_H else text

    def to_payload(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit.value, "weight_kg": self.weight_kg}

    @classmethod
    def from_payload(cls, stored: Any) -> InfusionRate:
        if not isinstance(stored, Mapping):
            raise DoseError("A stored infusion rate must be a mapping")
        weight = stored.get("weight_kg")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
            raise DoseError(f"A stored infusion rate's weight must be a number, not {weight!r}")
        return cls(stored.get("value"), RateUnit(stored.get("unit")), weight)  # type: ignore[arg-type]


@dataclass(frozen=True)
class InfusionStart:
    """An IV infusion started. ``planned_mg`` over ``planned_minutes`` when it was a planned dose
    (``mg_per_kg`` when that was typed per kg); ``rate`` is what it started at."""

    drug: str
    rate: InfusionRate
    given_by: str
    planned_mg: float | None = None
    planned_minutes: float | None = None
    mg_per_kg: float | None = None
    lot: str | None = None
    confirmed: tuple[str, ...] = ()
    route: Route = Route.INTRAVENOUS_INFUSION

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str) or not self.drug.strip():
            raise DoseError("An infusion needs a drug", "drug")
        if not isinstance(self.given_by, str) or not self.given_by.strip():
            raise DoseError("Record who started the infusion", "given_by")
        if (self.planned_mg is None) != (self.planned_minutes is None):
            raise DoseError("A planned infusion needs both its total and its minutes")

    def plan_text(self) -> str:
        if self.planned_mg is None or self.planned_minutes is None:
            return f"at {self.rate.format()}"
        amount = f"{_fmt(self.planned_mg)} mg"
        if self.mg_per_kg is not None and self.rate.weight_kg:
            amount = f"{_fmt(self.mg_per_kg)} mg/kg × {_fmt(self.rate.weight_kg)} kg = {amount}"
        return f"{amount} over {_fmt(self.planned_minutes)} min ({self.rate.format()})"

    def describe(self) -> str:
        text = f"{self.drug} IV infusion started: {self.plan_text()}"
        if self.lot:
            text += f" · lot {self.lot}"
        if self.confirmed:
            text += " · confirmed outside the typical range"
        return f"{text} · given by {self.given_by}"

    def to_payload(self) -> dict[str, Any]:
        payload = {
            "drug": self.drug, "route": self.route.value, "rate": self.rate.to_payload(), "given_by": self.given_by,
            "planned_mg": self.planned_mg, "planned_minutes": self.planned_minutes, "mg_per_kg": self.mg_per_kg,
            "lot": self.lot,
        }
        return payload | ({"confirmed_outside_range": list(self.confirmed)} if self.confirmed else {})

    @classmethod
    def from_payload(cls, stored: Mapping[str, Any]) -> InfusionStart:
        for key in ("planned_mg", "planned_minutes", "mg_per_kg"):
            value = stored.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise DoseError(f"Stored infusion {key} must be a positive number, not {value!r}")
        confirmed = stored.get("confirmed_outside_range") or ()
        if not isinstance(confirmed, (list, tuple)) or not all(isinstance(c, str) for c in confirmed):
            raise DoseError("Stored infusion confirmed_outside_range must be a list of text")
        lot = stored.get("lot")
        if lot is not None and not isinstance(lot, str):
            raise DoseError(f"Stored infusion lot must be text, not {lot!r}")
        return cls(
            drug=stored.get("drug"),  # type: ignore[arg-type]  # checked in __post_init__
            rate=InfusionRate.from_payload(stored.get("rate")),
            given_by=stored.get("given_by"),  # type: ignore[arg-type]
            planned_mg=stored.get("planned_mg"), planned_minutes=stored.get("planned_minutes"),
            mg_per_kg=stored.get("mg_per_kg"), lot=lot or None, confirmed=tuple(confirmed),
            route=Route(stored.get("route", Route.INTRAVENOUS_INFUSION.value)),
        )


class InfusionAction(StrEnum):
    RATE = "rate"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


@dataclass(frozen=True)
class InfusionChange:
    """A change to the infusion started by the entry ``infusion``: a new ``rate``, pause, resume, stop."""

    infusion: uuid.UUID
    action: InfusionAction
    rate: InfusionRate | None = None

    def __post_init__(self) -> None:
        if (self.action is InfusionAction.RATE) != (self.rate is not None):
            raise DoseError("A rate change needs its rate, and only a rate change has one")

    def describe(self) -> str:
        if self.action is InfusionAction.RATE and self.rate is not None:
            return f"infusion rate → {self.rate.format()}"
        return {"pause": "infusion paused", "resume": "infusion resumed", "stop": "infusion stopped"}[self.action.value]

    def to_payload(self) -> dict[str, Any]:
        return {"infusion": str(self.infusion), "action": self.action.value,
                "rate": None if self.rate is None else self.rate.to_payload()}

    @classmethod
    def from_payload(cls, stored: Mapping[str, Any]) -> InfusionChange:
        rate = stored.get("rate")
        return cls(uuid.UUID(str(stored.get("infusion"))), InfusionAction(stored.get("action")),
                   None if rate is None else InfusionRate.from_payload(rate))


# --------------------------------------------------------------------------------------------
# The period and its delivered total
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateSpan:
    """A stretch of time the infusion ran at one rate (pauses are not spans)."""

    start: datetime
    end: datetime
    rate: InfusionRate

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60.0

    @property
    def delivered_mg(self) -> float:
        return self.rate.mg_per_h * self.minutes / 60.0


@dataclass(frozen=True)
class InfusionPeriod:
    """One infusion from its start entry to its end (or to ``as_of`` while it runs)."""

    entry: EntryInfo
    start: InfusionStart
    spans: tuple[RateSpan, ...]
    rates: tuple[tuple[datetime, InfusionRate], ...]  # each rate and when it was set, the first at the start
    pauses: tuple[tuple[datetime, datetime | None], ...]  # (paused, resumed or None)
    ended_at: datetime | None  # stopped, or the planned total reached
    ended_by_plan: bool
    paused: bool  # paused at ``as_of`` (and not ended)
    as_of: datetime

    @property
    def started_at(self) -> datetime:
        return self.entry.occurred_at

    @property
    def open(self) -> bool:
        """Not ended: running or paused, so rate / pause / resume / stop apply to it."""
        return self.ended_at is None

    @property
    def rate(self) -> InfusionRate:
        return self.rates[-1][1]

    @property
    def delivered_mg(self) -> float:
        """rate × time over the running spans, capped at a planned total; to 0.1 mg."""
        total = sum(span.delivered_mg for span in self.spans)
        if self.start.planned_mg is not None:
            total = min(total, self.start.planned_mg)
        return round(total, 1)

    @property
    def counted_mg(self) -> float:
        """What the session total counts: a planned infusion still open counts its whole plan
        (it is going in); otherwise what was delivered."""
        if self.open and self.start.planned_mg is not None:
            return self.start.planned_mg
        return self.delivered_mg

    @property
    def end(self) -> datetime:
        return self.ended_at or self.as_of

    @property
    def minutes(self) -> float:
        return (self.end - self.started_at).total_seconds() / 60.0

    @property
    def running_minutes(self) -> float:
        return sum(span.minutes for span in self.spans)

    def status(self) -> str:
        if self.ended_by_plan:
            return "completed"
        if self.ended_at is not None:
            return "stopped"
        return "paused" if self.paused else "running"


def infusion_periods(entries: Iterable[EntryInfo], as_of: datetime | None = None) -> tuple[InfusionPeriod, ...]:
    """Every current infusion of a sitting, in start order, counted up to ``as_of`` (default: the
    latest moment any entry holds). Changes before their start, or after its end, are ignored."""
    entries = list(entries)
    if as_of is None:
        as_of = max((e.occurred_at for e in entries), default=None)
    starts = sorted((e for e in entries if e.current and isinstance(e.data, InfusionStart)),
                    key=lambda e: e.occurred_at)
    changes: dict[uuid.UUID, list[EntryInfo]] = {}
    in_force = _in_force(entries)
    for entry in entries:
        if entry.current and isinstance(entry.data, InfusionChange):
            changes.setdefault(in_force(entry.data.infusion), []).append(entry)
    return tuple(_period(start, sorted(changes.get(start.id, []), key=lambda e: e.occurred_at), as_of)
                 for start in starts)


def _in_force(entries: list[EntryInfo]):
    """The id of the version in force of a start entry: a change names the start it was made
    against, and a corrected start (a new entry superseding it) keeps its changes."""
    superseded_by = {e.id: e.superseded_by for e in entries if e.superseded_by is not None}

    def follow(entry_id: uuid.UUID) -> uuid.UUID:
        seen: set[uuid.UUID] = set()
        while entry_id in superseded_by and entry_id not in seen:
            seen.add(entry_id)
            entry_id = superseded_by[entry_id]
        return entry_id

    return follow


def _period(entry: EntryInfo, changes: list[EntryInfo], as_of: datetime | None) -> InfusionPeriod:
    start = entry.data
    assert isinstance(start, InfusionStart)
    planned = start.planned_mg
    rate = start.rate
    rates: list[tuple[datetime, InfusionRate]] = [(entry.occurred_at, rate)]
    spans: list[RateSpan] = []
    pauses: list[tuple[datetime, datetime | None]] = []
    running = True
    since = entry.occurred_at
    delivered = 0.0
    ended_at: datetime | None = None
    by_plan = False
    until = max(as_of or entry.occurred_at, entry.occurred_at)

    def run_to(moment: datetime) -> bool:
        """Add the span since ``since`` up to ``moment``; True when it used up the planned total."""
        nonlocal delivered, ended_at, by_plan
        if not running or moment <= since:
            return False
        span = RateSpan(since, moment, rate)
        if planned is not None and delivered + span.delivered_mg >= planned - 1e-9:
            hours = (planned - delivered) / rate.mg_per_h
            span = RateSpan(since, since + timedelta(hours=hours), rate)
            spans.append(span)
            delivered = planned
            ended_at, by_plan = span.end, True
            return True
        spans.append(span)
        delivered += span.delivered_mg
        return False

    for change_entry in changes:
        change = change_entry.data
        assert isinstance(change, InfusionChange)
        moment = change_entry.occurred_at
        if moment < entry.occurred_at:
            continue
        if run_to(moment):
            break
        since = moment
        if change.action is InfusionAction.RATE and change.rate is not None:
            rate = change.rate
            rates.append((moment, rate))
        elif change.action is InfusionAction.PAUSE and running:
            running = False
            pauses.append((moment, None))
        elif change.action is InfusionAction.RESUME and not running:
            running = True
            pauses[-1] = (pauses[-1][0], moment)
        elif change.action is InfusionAction.STOP:
            if not running and pauses:
                pauses[-1] = (pauses[-1][0], moment)
            ended_at = moment
            break
    if ended_at is None:
        run_to(until)
    return InfusionPeriod(entry, start, tuple(spans), tuple(rates), tuple(pauses), ended_at, by_plan,
                          paused=ended_at is None and not running, as_of=until)


def open_infusion(periods: Iterable[InfusionPeriod]) -> InfusionPeriod | None:
    """The infusion that rate / pause / resume / stop act on: the latest one not ended."""
    found = [p for p in periods if p.open]
    return found[-1] if found else None


# --------------------------------------------------------------------------------------------
# The dose line's words
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InfusionCommand:
    """A parsed infusion line. ``action`` is ``"start"`` or an :class:`InfusionAction` value.

    For a start: either ``amount`` + ``unit`` (``"mg"``/``"mg/kg"``) + ``minutes`` (a planned dose),
    or ``rate_value`` + ``rate_unit``. For a rate change: ``rate_value`` + ``rate_unit``.
    ``span`` is where the amount or rate stands in the line (for errors found later).
    """

    action: str
    amount: float | None = None
    unit: str | None = None
    minutes: float | None = None
    rate_value: float | None = None
    rate_unit: RateUnit | None = None
    span: tuple[int, int] = (0, 0)

    def rate(self, weight_kg: float | None) -> InfusionRate:
        """The rate this line sets (for a planned dose: total ÷ minutes, kept per kg if typed so)."""
        if self.rate_value is not None and self.rate_unit is not None:
            return InfusionRate(self.rate_value, self.rate_unit, weight_kg if self.rate_unit.per_kg else None)
        assert self.amount is not None and self.minutes is not None
        per_h = self.amount * 60.0 / self.minutes
        if self.unit == "mg/kg":
            return InfusionRate(round(per_h, 6), RateUnit.MG_PER_KG_H, weight_kg)
        return InfusionRate(round(per_h, 6), RateUnit.MG_PER_H)


_COMMAND_WORDS = ("infusion", "rate", "pause", "resume", "stop")
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_START_PLANNED = re.compile(
    rf"(?P<num>{_NUMBER})\s*(?P<unit>mg/kg|mg)\s+over\s+(?P<min>{_NUMBER})\s*(?:min|mins|minutes|minute|m)\.?\s*\Z",
    re.IGNORECASE)
_RATE = re.compile(rf"(?P<num>{_NUMBER})\s*(?P<unit>mg(?:/kg)?/[a-z]+)\s*\Z", re.IGNORECASE)


def parse_infusion_command(text: str) -> InfusionCommand | None:
    """The infusion line in ``text``, or None when its first word is not an infusion word (then it
    is an ordinary dose). Raises :class:`DoseError` (with ``span``) for a malformed one."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    first = stripped.split(maxsplit=1)[0].casefold() if stripped else ""
    if first not in _COMMAND_WORDS:
        return None
    rest_start = offset + len(first)
    rest = text[rest_start:]
    rest_offset = rest_start + len(rest) - len(rest.lstrip())
    rest = rest.strip()
    whole = (0, len(text))
    if first in ("pause", "resume", "stop"):
        if rest:
            raise DoseError(f"‘{first}’ takes nothing after it", "amount", (rest_offset, len(text.rstrip())))
        return InfusionCommand(first, span=whole)
    span = (rest_offset, rest_offset + len(rest)) if rest else whole
    if first == "infusion":
        if not rest:
            raise DoseError("infusion what? e.g. infusion 0.5 mg/kg over 40 min, or infusion 0.75 mg/kg/h",
                            "amount", whole)
        planned = _START_PLANNED.fullmatch(rest)
        if planned is not None:
            minutes = _number(planned.group("min"))
            if minutes <= 0 or minutes > 24 * 60:
                raise DoseError("An infusion runs over 1 to 1440 minutes", "amount", span)
            return InfusionCommand("start", amount=_number(planned.group("num")),
                                   unit=planned.group("unit").casefold(), minutes=minutes, span=span)
        value, unit = _rate(rest, span, start=True)
        return InfusionCommand("start", rate_value=value, rate_unit=unit, span=span)
    if not rest:
        raise DoseError("rate what? e.g. rate 0.5 mg/kg/h", "amount", whole)
    value, unit = _rate(rest, span, start=False)
    return InfusionCommand(InfusionAction.RATE.value, rate_value=value, rate_unit=unit, span=span)


def infusion_line(data: InfusionStart | InfusionChange) -> str:
    """The dose line's words that record ``data`` again (the inverse of :func:`parse_infusion_command`),
    for loading an infusion entry into the dose line to correct it."""

    def _typed(value: float) -> str:
        return f"{value:g}"  # as typed: six significant digits, not the display's three decimals

    if isinstance(data, InfusionChange):
        if data.action is InfusionAction.RATE and data.rate is not None:
            return f"rate {_typed(data.rate.value)} {data.rate.unit.value}"
        return data.action.value
    if data.planned_mg is not None and data.planned_minutes is not None:
        amount = f"{_typed(data.mg_per_kg)} mg/kg" if data.mg_per_kg is not None else f"{_typed(data.planned_mg)} mg"
        return f"infusion {amount} over {_typed(data.planned_minutes)} min"
    return f"infusion {_typed(data.rate.value)} {data.rate.unit.value}"


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _rate(text: str, span: tuple[int, int], *, start: bool) -> tuple[float, RateUnit]:
    match = _RATE.fullmatch(text)
    example = "infusion 0.5 mg/kg over 40 min, or infusion 0.75 mg/kg/h" if start else "rate 0.5 mg/kg/h"
    if match is None:
        raise DoseError(f"‘{text[:24]}’ is not a rate: e.g. {example}", "amount", span)
    unit = _RATE_WORDS.get(match.group("unit").casefold())
    if unit is None:
        raise DoseError(f"A rate is in mg/h, mg/min, mg/kg/h or mg/kg/min, not ‘{match.group('unit')}’", "amount", span)
    value = _number(match.group("num"))
    if value <= 0:
        raise DoseError("The rate must be above 0", "amount", span)
    return value, unit
