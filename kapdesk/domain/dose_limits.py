"""Dose limits: per drug and route, a typical range and a hard maximum; per drug, a session maximum.

The numbers are the clinic's (``[doses]`` in ``clinic.toml``, read by
:mod:`kapdesk.domain.clinic`); :data:`DEFAULT_DOSE_LIMITS` mirrors the shipped file. This module
holds the rules, once, for the dose form and for infusions:

* **Refused** (a :class:`~kapdesk.domain.doses.DoseError` on the amount, nothing saved):

  - ``max_mg``: the largest *single* dose of that drug by that route, in mg. The amount compared
    is the one recorded (mg/kg × weight is rounded to 0.1 mg first). The cap is **inclusive**:
    exactly ``max_mg`` is recorded, anything above it — 0.1 mg above — is refused.
  - ``max_mg_per_kg``: the largest single dose per kg of body weight: the mg/kg typed, or mg ÷
    weight when a dose typed in mg has a weight beside it. Inclusive likewise.
  - ``session_max_mg`` (per drug): the most of that drug one session may hold — every current
    dose of it, boosters included, plus its infusions (the planned total of a planned infusion
    still running, else what was delivered), plus this dose. Inclusive: reaching it exactly is
    allowed.

* **Asked** (the dose line says why; a second Enter records the dose with the question kept on
  it as confirmed):

  - ``typical_mg`` / ``typical_mg_per_kg``: an amount outside the range (inclusive ends) — below
    or above — is asked about. A per-kg range is checked when the dose is per kg or a weight is
    known; an mg range when the dose is typed in mg.
  - "did you mean mg/kg?": a dose typed in plain mg whose number lies inside that route's typical
    mg/kg range (``0.5 mg IV`` when 0.5–1 mg/kg is typical) — surely a missing ``/kg``.

Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kapdesk.domain.doses import DEFAULT_FORMULARY, Dose, DoseError, Formulary, Route

__all__ = [
    "DEFAULT_DOSE_LIMITS",
    "DoseLimits",
    "DoseLimitsError",
    "DoseReview",
    "DrugLimits",
    "Range",
    "RouteLimits",
    "review_amount",
    "review_dose",
]

# The per-kg comparison of a dose typed in mg (mg ÷ weight) is a float division: 70 mg / 70 kg
# must read as exactly 1 mg/kg, not one part in 10^16 above it.
_EPSILON = 1e-9


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Range:
    """An inclusive range ``low``–``high``."""

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low - _EPSILON <= value <= self.high + _EPSILON

    def text(self, unit: str) -> str:
        return f"{_fmt(self.low)} {unit}" if self.low == self.high else f"{_fmt(self.low)}–{_fmt(self.high)} {unit}"


@dataclass(frozen=True)
class RouteLimits:
    """One drug by one route. Every field may be absent (``None``): that rule is then not applied."""

    typical_mg: Range | None = None
    typical_mg_per_kg: Range | None = None
    max_mg: float | None = None
    max_mg_per_kg: float | None = None


@dataclass(frozen=True)
class DrugLimits:
    session_max_mg: float | None = None
    routes: Mapping[Route, RouteLimits] = field(default_factory=dict)


class DoseLimitsError(ValueError):
    """A ``[doses]`` setting that cannot be used: ``table`` (``doses.ketamine.iv``) and ``key`` name it."""

    def __init__(self, table: str, key: str | None, message: str) -> None:
        super().__init__(f"{table}.{key}: {message}" if key else f"{table}: {message}")
        self.table, self.key, self.message = table, key, message


_ROUTE_FIELDS = frozenset({"typical_mg", "typical_mg_per_kg", "max_mg", "max_mg_per_kg"})


@dataclass(frozen=True)
class DoseLimits:
    """The clinic's limits, by drug name (as on the formulary) and route."""

    drugs: Mapping[str, DrugLimits] = field(default_factory=dict)

    def drug(self, name: str) -> DrugLimits:
        return self.drugs.get(name.casefold(), DrugLimits())

    def route(self, name: str, route: Route) -> RouteLimits:
        return self.drug(name).routes.get(route, RouteLimits())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], formulary: Formulary = DEFAULT_FORMULARY) -> DoseLimits:
        """Limits from the ``[doses]`` table: ``[doses.<drug>] session_max_mg`` and
        ``[doses.<drug>.<route>]`` (route ``sl``, ``im``, ``iv`` or ``in``) with the four route fields.
        Raises :class:`DoseLimitsError` naming the table and key."""
        drugs: dict[str, DrugLimits] = {}
        for drug_name, drug_table in data.items():
            spec = formulary.find(str(drug_name))
            table = f"doses.{drug_name}"
            if spec is None:
                raise DoseLimitsError(table, None, f"not on the clinic's drug list ({', '.join(formulary.names)})")
            if not isinstance(drug_table, Mapping):
                raise DoseLimitsError(table, None, f"must be a [{table}] table")
            session_max: float | None = None
            routes: dict[Route, RouteLimits] = {}
            for key, value in drug_table.items():
                if key == "session_max_mg":
                    session_max = _positive(value, table, key)
                    continue
                try:
                    route = Route.parse(str(key))
                except DoseError:
                    raise DoseLimitsError(table, str(key), "unknown setting: use session_max_mg or a route "
                                          "table [doses.<drug>.sl], .im, .iv or .in") from None
                route_table = f"{table}.{key}"
                if route not in spec.routes:
                    raise DoseLimitsError(route_table, None, f"{spec.name} is not given {route.abbreviation} here")
                if not isinstance(value, Mapping):
                    raise DoseLimitsError(route_table, None, f"must be a [{route_table}] table")
                routes[route] = _route_limits(value, route_table, per_kg_allowed=spec.per_kg_allowed, name=spec.name)
            drugs[spec.name.casefold()] = DrugLimits(session_max, MappingProxyType(routes))
        return cls(MappingProxyType(drugs))


def _is_positive(value: Any) -> bool:
    """A positive, finite number (TOML also spells ``nan`` and ``inf``: a limit of ``inf`` is no limit)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def _positive(value: Any, table: str, key: str) -> float:
    if not _is_positive(value):
        raise DoseLimitsError(table, key, f"must be a positive number of mg, not {value!r}")
    return float(value)


def _range(value: Any, table: str, key: str) -> Range:
    if not isinstance(value, list) or len(value) != 2 or not all(_is_positive(v) for v in value):
        raise DoseLimitsError(table, key, f"must be [low, high], two positive numbers, not {value!r}")
    low, high = float(value[0]), float(value[1])
    if low > high:
        raise DoseLimitsError(table, key, f"low {_fmt(low)} is above high {_fmt(high)}")
    return Range(low, high)


def _route_limits(data: Mapping[str, Any], table: str, *, per_kg_allowed: bool, name: str) -> RouteLimits:
    for key in data:
        if key not in _ROUTE_FIELDS:
            raise DoseLimitsError(table, str(key), f"unknown setting (known: {', '.join(sorted(_ROUTE_FIELDS))})")
        if key.endswith("per_kg") and not per_kg_allowed:
            raise DoseLimitsError(table, str(key), f"{name} is dosed in mg, never per kg")
    limits = RouteLimits(
        typical_mg=_range(data["typical_mg"], table, "typical_mg") if "typical_mg" in data else None,
        typical_mg_per_kg=(_range(data["typical_mg_per_kg"], table, "typical_mg_per_kg")
                           if "typical_mg_per_kg" in data else None),
        max_mg=_positive(data["max_mg"], table, "max_mg") if "max_mg" in data else None,
        max_mg_per_kg=_positive(data["max_mg_per_kg"], table, "max_mg_per_kg") if "max_mg_per_kg" in data else None,
    )
    if limits.typical_mg and limits.max_mg is not None and limits.typical_mg.high > limits.max_mg:
        raise DoseLimitsError(table, "typical_mg", f"reaches above max_mg {_fmt(limits.max_mg)}")
    if (limits.typical_mg_per_kg and limits.max_mg_per_kg is not None
            and limits.typical_mg_per_kg.high > limits.max_mg_per_kg):
        raise DoseLimitsError(table, "typical_mg_per_kg", f"reaches above max_mg_per_kg {_fmt(limits.max_mg_per_kg)}")
    return limits


# The shipped defaults: the same numbers as resources/clinic.toml [doses] (a test holds them
# equal), so a session started without any settings file is limited the same way. Sources and
# the word "conservative" are in that file's comments.
_DEFAULTS: Mapping[str, Any] = {
    "ketamine": {
        "session_max_mg": 300,
        "iv": {"typical_mg_per_kg": [0.5, 1.0], "max_mg_per_kg": 1.0, "max_mg": 100},
        "im": {"typical_mg_per_kg": [0.5, 1.0], "max_mg_per_kg": 1.5, "max_mg": 150},
        "sl": {"typical_mg": [50, 200], "max_mg": 300},
        "in": {"typical_mg": [10, 50], "max_mg": 100},
    },
    "esketamine": {
        "session_max_mg": 84,
        "in": {"typical_mg": [28, 84], "max_mg": 84},
    },
}
DEFAULT_DOSE_LIMITS = DoseLimits.from_mapping(_DEFAULTS)


# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseReview:
    """What the limits say about a dose that is not refused.

    ``questions`` need a second Enter (each is recorded on the dose as confirmed);
    ``session_mg`` is the drug's session total with this dose; ``session_max_mg`` its maximum.
    """

    questions: tuple[str, ...]
    session_mg: float
    session_max_mg: float | None


def review_amount(
    drug: str,
    route: Route,
    limits: DoseLimits,
    *,
    amount_mg: float | None,
    mg_per_kg: float | None,
    weight_kg: float | None,
    session_mg_before: float,
    what: str = "dose",
) -> DoseReview:
    """The rules of the module docstring for ``amount_mg`` (``None`` for an infusion run by rate
    only: nothing to check but the session so far). ``mg_per_kg`` is set when the amount was typed
    per kg. Raises :class:`DoseError` (``field="amount"``) for a refusal."""
    rules = limits.route(drug, route)
    drug_rules = limits.drug(drug)
    where = f"{drug} {route.abbreviation}"
    per_kg = mg_per_kg
    if per_kg is None and amount_mg is not None and weight_kg:
        per_kg = amount_mg / weight_kg
    typed = f"{_fmt(mg_per_kg)} mg/kg" if mg_per_kg is not None else (f"{_fmt(amount_mg)} mg" if amount_mg else "")

    if amount_mg is not None and rules.max_mg is not None and amount_mg > rules.max_mg:
        how = f" ({typed} × {_fmt(weight_kg or 0)} kg)" if mg_per_kg is not None else ""
        raise DoseError(f"{where} {_fmt(amount_mg)} mg{how} is above the maximum of {_fmt(rules.max_mg)} mg "
                        f"for one {route.abbreviation} {what}: not saved", "amount")
    if per_kg is not None and rules.max_mg_per_kg is not None and per_kg > rules.max_mg_per_kg + _EPSILON:
        shown = typed if mg_per_kg is not None else f"{_fmt(amount_mg or 0)} mg for {_fmt(weight_kg or 0)} kg " \
                                                    f"({round(per_kg, 2):g} mg/kg)"
        raise DoseError(f"{where} {shown} is above the maximum of {_fmt(rules.max_mg_per_kg)} mg/kg "
                        f"for one {route.abbreviation} {what}: not saved", "amount")
    session_mg = round(session_mg_before + (amount_mg or 0.0), 3)
    session_max = drug_rules.session_max_mg
    if session_max is not None and amount_mg is not None and session_mg > session_max + _EPSILON:
        raise DoseError(f"{drug} {_fmt(amount_mg)} mg would make {_fmt(session_mg)} mg this session, above the "
                        f"session maximum of {_fmt(session_max)} mg: not saved", "amount")

    questions: list[str] = []
    if amount_mg is not None:
        if (mg_per_kg is None and rules.typical_mg_per_kg is not None and amount_mg in rules.typical_mg_per_kg):
            questions.append(f"{_fmt(amount_mg)} mg {route.abbreviation} is a typical mg/kg amount: "
                             f"did you mean {_fmt(amount_mg)} mg/kg?")
        else:
            if per_kg is not None and rules.typical_mg_per_kg is not None and per_kg not in rules.typical_mg_per_kg:
                side = "below" if per_kg < rules.typical_mg_per_kg.low else "above"
                shown = typed if mg_per_kg is not None else f"{round(per_kg, 2):g} mg/kg"
                questions.append(f"{shown} is {side} the typical {rules.typical_mg_per_kg.text('mg/kg')} "
                                 f"for {where}")
            if mg_per_kg is None and rules.typical_mg is not None and amount_mg not in rules.typical_mg:
                side = "below" if amount_mg < rules.typical_mg.low else "above"
                questions.append(f"{_fmt(amount_mg)} mg is {side} the typical {rules.typical_mg.text('mg')} "
                                 f"for {where}")
    return DoseReview(tuple(questions), session_mg, session_max)


def review_dose(dose: Dose, limits: DoseLimits, *, session_mg_before: float,
                weight_kg: float | None = None) -> DoseReview:
    """:func:`review_amount` for a validated :class:`Dose`. A per-kg dose carries its weight;
    ``weight_kg`` (the client's, when known) lets a dose typed in mg be checked per kg too."""
    return review_amount(dose.drug, dose.route, limits, amount_mg=dose.amount_mg, mg_per_kg=dose.mg_per_kg,
                         weight_kg=dose.weight_kg or weight_kg, session_mg_before=session_mg_before)
