"""Doses: what was given, how much, by which route, from which lot, by whom.

Two ways in, one set of rules:

* a form builds a :class:`DoseEntry` from its fields and calls :meth:`DoseEntry.validate`;
* the quick line ``ketamine 100 mg SL lot A1234`` / ``esketamine 56mg IN`` /
  ``ketamine 0.5 mg/kg IV`` goes through :func:`parse_dose`, which builds the same entry.

Both return a :class:`Dose` or raise :class:`DoseError` naming the problem. The amount always
needs its unit (``mg``, or ``mg/kg`` converted with the client's weight); the drug must be on the
clinic's :class:`Formulary`, given by a route that drug allows, and below its typo limit.
Amounts that are allowed but unusual (esketamine other than 28, 56 or 84 mg) pass with a
warning kept on the dose, so the record shows it was noticed.

A booster is simply a further dose with ``booster=True``; corrections are new entries that
supersede old ones (that is the store's business, not this module's).

Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kapdesk.domain.weight import WeightError, check_weight_kg

__all__ = [
    "DEFAULT_FORMULARY",
    "LOT_MAX_LENGTH",
    "Dose",
    "DoseEntry",
    "DoseError",
    "DoseUnit",
    "DrugSpec",
    "Formulary",
    "Route",
    "parse_dose",
]

LOT_MAX_LENGTH = 40


class DoseError(ValueError):
    """A dose that cannot be recorded as entered.

    ``field`` names the entry field at fault (``"drug"``, ``"amount"``, ``"unit"``, ``"route"``,
    ``"lot"``, ``"given_by"``, ``"weight_kg"``) when there is one. ``span`` is the character range
    in the quick line (only set by :func:`parse_dose`).
    """

    def __init__(self, message: str, field: str | None = None, span: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.span = span


class Route(Enum):
    """Routes of administration; the value is stored, :attr:`abbreviation` is displayed."""

    SUBLINGUAL = "sublingual"
    INTRAMUSCULAR = "intramuscular"
    INTRAVENOUS_INFUSION = "intravenous infusion"
    INTRANASAL = "intranasal"

    @property
    def abbreviation(self) -> str:
        return _ROUTE_ABBREVIATIONS[self]

    @classmethod
    def parse(cls, text: str) -> Route:
        """``"SL"``, ``"sublingual"``, ``"im"``, ``"IV"``, ``"infusion"``, ``"IN"``, ``"nasal"`` …"""
        route = _ROUTE_WORDS.get(text.strip().casefold()) if isinstance(text, str) else None
        if route is None:
            raise DoseError(f"Unknown route ‘{text}’: use SL, IM, IV or IN", "route")
        return route


_ROUTE_ABBREVIATIONS = {
    Route.SUBLINGUAL: "SL",
    Route.INTRAMUSCULAR: "IM",
    Route.INTRAVENOUS_INFUSION: "IV",
    Route.INTRANASAL: "IN",
}

_ROUTE_WORDS: Mapping[str, Route] = {
    "sl": Route.SUBLINGUAL,
    "sublingual": Route.SUBLINGUAL,
    "troche": Route.SUBLINGUAL,
    "lozenge": Route.SUBLINGUAL,
    "im": Route.INTRAMUSCULAR,
    "intramuscular": Route.INTRAMUSCULAR,
    "iv": Route.INTRAVENOUS_INFUSION,
    "intravenous": Route.INTRAVENOUS_INFUSION,
    "infusion": Route.INTRAVENOUS_INFUSION,
    "intravenous infusion": Route.INTRAVENOUS_INFUSION,
    "in": Route.INTRANASAL,
    "intranasal": Route.INTRANASAL,
    "nasal": Route.INTRANASAL,
    **{r.value: r for r in Route},
}


class DoseUnit(Enum):
    MG = "mg"
    MG_PER_KG = "mg/kg"


@dataclass(frozen=True)
class DrugSpec:
    """One drug on the clinic's list.

    ``max_mg`` rejects obvious typos (an extra zero), not clinical judgement; ``standard_mg``
    lists the usual strengths — anything else is allowed with a warning. ``per_kg_allowed`` is
    False for fixed-dose products (esketamine devices hold 28 mg each).
    """

    name: str
    routes: tuple[Route, ...]
    max_mg: float
    standard_mg: tuple[float, ...] = ()
    per_kg_allowed: bool = True
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.routes or not self.max_mg > 0:
            raise DoseError(f"Drug {self.name!r}: needs a name, at least one route and a positive max_mg")


@dataclass(frozen=True)
class Formulary:
    """The clinic's drug list; lookups are by name or alias, case-insensitive."""

    drugs: tuple[DrugSpec, ...]

    def find(self, name: str) -> DrugSpec | None:
        key = name.strip().casefold()
        for drug in self.drugs:
            if key == drug.name.casefold() or key in (a.casefold() for a in drug.aliases):
                return drug
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.drugs)


DEFAULT_FORMULARY = Formulary(
    (
        DrugSpec(
            "ketamine",
            routes=(Route.SUBLINGUAL, Route.INTRAMUSCULAR, Route.INTRAVENOUS_INFUSION, Route.INTRANASAL),
            max_mg=1000,
        ),
        # Spravato: 28 mg per device, 56 or 84 mg per session (28 mg is also used); intranasal only.
        DrugSpec(
            "esketamine",
            routes=(Route.INTRANASAL,),
            max_mg=84,
            standard_mg=(28, 56, 84),
            per_kg_allowed=False,
            aliases=("spravato",),
        ),
    )
)


@dataclass(frozen=True)
class Dose:
    """A validated dose, as stored.

    ``amount_mg`` is always in mg. When it was entered per kg, ``mg_per_kg`` and ``weight_kg``
    keep how it was computed. ``warnings`` are the non-blocking remarks raised at entry.
    ``confirmed`` are the questions of :mod:`kapdesk.domain.dose_limits` (outside the typical
    range, "did you mean mg/kg?") that the clinician answered with a second Enter.
    """

    drug: str
    amount_mg: float
    route: Route
    given_by: str
    lot: str | None = None
    booster: bool = False
    mg_per_kg: float | None = None
    weight_kg: float | None = None
    warnings: tuple[str, ...] = ()
    confirmed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Structural checks only: a stored dose must still load after the clinic edits its
        # formulary, so clinic rules are applied at entry (DoseEntry.validate), not here.
        if not isinstance(self.drug, str) or not self.drug.strip():
            raise DoseError("A dose needs a drug", "drug")
        if not _positive_number(self.amount_mg):
            raise DoseError(f"Dose amount must be a positive number of mg, not {self.amount_mg!r}", "amount")
        if not isinstance(self.route, Route):
            raise DoseError(f"Route must be a Route, not {self.route!r}", "route")
        if not isinstance(self.given_by, str) or not self.given_by.strip():
            raise DoseError("Record who gave the dose", "given_by")

    @property
    def rems_dose_label(self) -> str | None:
        """The esketamine REMS monitoring form's dose box: ``"56 mg"``, ``"84 mg"`` or ``"other"``;
        ``None`` for any other drug."""
        if self.drug.casefold() != "esketamine":
            return None
        return f"{_fmt(self.amount_mg)} mg" if self.amount_mg in (56, 84) else "other"

    def format(self) -> str:
        """``ketamine 100 mg SL · lot A1234``; ``ketamine 36 mg IV (0.5 mg/kg × 72 kg) · booster``."""
        text = f"{self.drug} {_fmt(self.amount_mg)} mg {self.route.abbreviation}"
        if self.mg_per_kg is not None and self.weight_kg is not None:
            text += f" ({_fmt(self.mg_per_kg)} mg/kg × {_fmt(self.weight_kg)} kg)"
        if self.lot:
            text += f" · lot {self.lot}"
        if self.booster:
            text += " · booster"
        if self.confirmed:
            text += " · confirmed outside the typical range"
        return text

    def to_payload(self) -> dict[str, Any]:
        # "confirmed_outside_range" is written only when there is something in it, so a dose that
        # needed no confirmation is stored exactly as every earlier release stored it.
        confirmed = {"confirmed_outside_range": list(self.confirmed)} if self.confirmed else {}
        return confirmed | {
            "drug": self.drug,
            "amount_mg": self.amount_mg,
            "route": self.route.value,
            "given_by": self.given_by,
            "lot": self.lot,
            "booster": self.booster,
            "mg_per_kg": self.mg_per_kg,
            "weight_kg": self.weight_kg,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Dose:
        """Rebuild a stored dose. Unknown keys are ignored (newer versions may add some)."""
        if not isinstance(payload, Mapping):
            raise DoseError(f"A stored dose must be a mapping, not {type(payload).__name__}")
        try:
            route = Route(payload.get("route"))
        except ValueError:
            raise DoseError(f"Stored dose has an unknown route {payload.get('route')!r}", "route") from None
        warnings = payload.get("warnings") or ()
        if not isinstance(warnings, (list, tuple)) or not all(isinstance(w, str) for w in warnings):
            raise DoseError("Stored dose warnings must be a list of text")
        confirmed = payload.get("confirmed_outside_range") or ()
        if not isinstance(confirmed, (list, tuple)) or not all(isinstance(w, str) for w in confirmed):
            raise DoseError("Stored dose confirmed_outside_range must be a list of text")
        booster = payload.get("booster", False)
        if not isinstance(booster, bool):
            raise DoseError(f"Stored dose booster flag must be true or false, not {booster!r}", "booster")
        lot = payload.get("lot")
        if lot is not None and not isinstance(lot, str):
            raise DoseError(f"Stored dose lot must be text, not {lot!r}", "lot")
        for key in ("mg_per_kg", "weight_kg"):
            value = payload.get(key)
            if value is not None and not _positive_number(value):
                raise DoseError(f"Stored dose {key} must be a positive number, not {value!r}", key)
        return cls(
            drug=payload.get("drug"),  # type: ignore[arg-type]  # checked in __post_init__
            amount_mg=payload.get("amount_mg"),  # type: ignore[arg-type]
            route=route,
            given_by=payload.get("given_by"),  # type: ignore[arg-type]
            lot=lot or None,
            booster=booster,
            mg_per_kg=payload.get("mg_per_kg"),
            weight_kg=payload.get("weight_kg"),
            warnings=tuple(warnings),
            confirmed=tuple(confirmed),
        )


@dataclass(frozen=True)
class DoseEntry:
    """What was typed or picked, not yet checked. Strings are accepted where a form has text
    fields (``amount="0,5"``, ``unit="mg/kg"``, ``route="SL"``); :meth:`validate` does the rest.
    """

    drug: str
    amount: float | str | None
    unit: DoseUnit | str | None
    route: Route | str | None
    given_by: str
    lot: str | None = None
    booster: bool = False
    weight_kg: float | None = None  # the client's weight, needed only for mg/kg

    def validate(self, formulary: Formulary = DEFAULT_FORMULARY) -> Dose:
        """Check the entry against the clinic's formulary and return the :class:`Dose` to store."""
        drug = _check_drug(self.drug, formulary)
        amount = _check_amount(self.amount)
        unit = _check_unit(self.unit)
        route = _check_route(self.route, drug)
        lot = _check_lot(self.lot)
        if not isinstance(self.given_by, str) or not self.given_by.strip():
            raise DoseError("Record who gave the dose", "given_by")

        mg_per_kg: float | None = None
        weight: float | None = None
        if unit is DoseUnit.MG_PER_KG:
            if not drug.per_kg_allowed:
                standard = ", ".join(_fmt(m) for m in drug.standard_mg)
                hint = f" ({standard})" if standard else ""
                raise DoseError(f"{drug.name} is dosed in mg{hint}, not mg/kg", "unit")
            weight = _check_weight(self.weight_kg)
            mg_per_kg = amount
            amount = round(amount * weight, 1)
        if amount > drug.max_mg:
            how = f" ({_fmt(mg_per_kg)} mg/kg × {_fmt(weight)} kg)" if mg_per_kg is not None else ""
            raise DoseError(
                f"{drug.name} {_fmt(amount)} mg{how} is above the {_fmt(drug.max_mg)} mg limit: check for a typo",
                "amount",
            )
        if amount <= 0:  # mg/kg × weight rounded to 0.0
            raise DoseError("The dose rounds to 0 mg: check the amount", "amount")

        warnings: list[str] = []
        if drug.standard_mg and amount not in drug.standard_mg:
            standard = ", ".join(_fmt(m) for m in drug.standard_mg[:-1]) + f" or {_fmt(drug.standard_mg[-1])}"
            warnings.append(
                f"{drug.name} {_fmt(amount)} mg is not a standard dose ({standard} mg); recorded as other"
            )
        return Dose(
            drug=drug.name,
            amount_mg=amount,
            route=route,
            given_by=self.given_by.strip(),
            lot=lot,
            booster=bool(self.booster),
            mg_per_kg=mg_per_kg,
            weight_kg=weight,
            warnings=tuple(warnings),
        )


# --------------------------------------------------------------------------------------------
# Field checks (shared by the form path and the quick line)
# --------------------------------------------------------------------------------------------


def _check_drug(name: object, formulary: Formulary) -> DrugSpec:
    known = " or ".join(formulary.names)
    if not isinstance(name, str) or not name.strip():
        raise DoseError(f"Which drug? {known}", "drug")
    drug = formulary.find(name)
    if drug is None:
        raise DoseError(f"‘{_short(name.strip())}’ is not on the clinic's drug list ({known})", "drug")
    return drug


def _check_amount(amount: object) -> float:
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        raise DoseError("How much? Type the amount, e.g. 100 mg", "amount")
    if isinstance(amount, str):
        text = amount.strip()
        if not re.fullmatch(r"[0-9]+(?:[.,][0-9]+)?", text):
            raise DoseError(f"The amount must be a number, not ‘{_short(text)}’", "amount")
        if len(text) > 12:
            raise DoseError(f"The amount {_short(text)} is far too large: check for a typo", "amount")
        value = float(text.replace(",", "."))
    elif isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise DoseError(f"The amount must be a number, not {amount!r}", "amount")
    else:
        value = float(amount)
    if not math.isfinite(value) or value <= 0:
        raise DoseError(f"The amount must be above 0, not {_fmt(value)}", "amount")
    return value


def _check_unit(unit: object) -> DoseUnit:
    if isinstance(unit, DoseUnit):
        return unit
    if unit is None or (isinstance(unit, str) and not unit.strip()):
        raise DoseError("A dose needs a unit: mg or mg/kg", "unit")
    if isinstance(unit, str):
        found = _UNIT_WORDS.get(unit.strip().casefold().replace(" ", ""))
        if found is not None:
            return found
    raise DoseError(f"A dose is entered in mg or mg/kg, not ‘{unit}’", "unit")


def _check_route(route: object, drug: DrugSpec) -> Route:
    if route is None or (isinstance(route, str) and not route.strip()):
        if len(drug.routes) == 1:  # nothing to choose: esketamine is only ever intranasal
            return drug.routes[0]
        raise DoseError("Which route? SL, IM, IV or IN", "route")
    parsed = route if isinstance(route, Route) else Route.parse(route)  # type: ignore[arg-type]
    if parsed not in drug.routes:
        allowed = ", ".join(f"{r.abbreviation} ({r.value})" for r in drug.routes)
        raise DoseError(f"{drug.name} is not given {parsed.abbreviation} here; allowed: {allowed}", "route")
    return parsed


def _check_lot(lot: object) -> str | None:
    if lot is None:
        return None
    if not isinstance(lot, str):
        raise DoseError(f"The lot number must be text, not {lot!r}", "lot")
    text = lot.strip()
    if len(text) > LOT_MAX_LENGTH:
        raise DoseError(f"The lot number is {len(text)} characters; at most {LOT_MAX_LENGTH} fit", "lot")
    if any(not ch.isprintable() for ch in text):
        raise DoseError("The lot number contains a tab, line break or other control character", "lot")
    return text or None


def _check_weight(weight: object) -> float:
    if weight is None:
        raise DoseError("mg/kg needs the client's weight, which is not recorded: enter the dose in mg", "weight_kg")
    try:
        return check_weight_kg(weight)
    except WeightError as exc:
        raise DoseError(exc.message, "weight_kg") from None


_UNIT_WORDS: Mapping[str, DoseUnit] = {"mg": DoseUnit.MG, "mg/kg": DoseUnit.MG_PER_KG, "mgkg": DoseUnit.MG_PER_KG}

# Units someone might type that we refuse by name rather than as an unknown word.
_WRONG_UNITS = ("g", "mcg", "µg", "μg", "ug", "ml", "mL", "kg", "mg/ml", "mg/min")

# --------------------------------------------------------------------------------------------
# The quick line
# --------------------------------------------------------------------------------------------

_CHUNK_RE = re.compile(r"\S+")
_AMOUNT_RE = re.compile(r"(?P<num>[0-9]+(?:[.,][0-9]+)?)(?P<unit>[^\W\d_][\w/µμ]*)?\Z", re.UNICODE)
_LOT_PREFIX_RE = re.compile(r"lot(?:[:=#](?P<rest>.*))?\Z", re.IGNORECASE | re.DOTALL)


def parse_dose(
    text: str,
    *,
    given_by: str,
    weight_kg: float | None = None,
    formulary: Formulary = DEFAULT_FORMULARY,
    booster: bool = False,
) -> Dose:
    """Parse a quick line such as ``ketamine 100 mg SL lot A1234`` into a :class:`Dose`.

    Words may come in any order: the drug (name or alias), the amount with its unit
    (``100 mg``, ``56mg``, ``0.5 mg/kg``, decimal comma allowed), the route (``SL``, ``IM``,
    ``IV``, ``IN`` or the words), ``lot`` followed by the lot number (``lot A1234``,
    ``lot:A1234``), and ``booster``. ``given_by`` and the client's ``weight_kg`` come from the
    session, not the line. Raises :class:`DoseError` naming the problem and its ``span``.
    """
    if not isinstance(text, str) or not text.strip():
        span = (0, len(text)) if isinstance(text, str) else (0, 0)
        raise DoseError("Nothing to save: type a dose such as ketamine 100 mg SL", None, span)
    chunks = [(m.group(), m.start(), m.end()) for m in _CHUNK_RE.finditer(text)]
    drug: tuple[str, tuple[int, int]] | None = None
    amount: tuple[str, tuple[int, int]] | None = None
    unit: tuple[str, tuple[int, int]] | None = None
    route: tuple[str, tuple[int, int]] | None = None
    lot: tuple[str, tuple[int, int]] | None = None
    is_booster = booster

    def once(
        current: tuple[str, tuple[int, int]] | None, what: str, value: str, span: tuple[int, int], fld: str
    ) -> tuple[str, tuple[int, int]]:
        if current is not None:
            raise DoseError(f"Two {what}s (‘{_short(current[0])}’ and ‘{_short(value)}’): keep one", fld, span)
        return (value, span)

    i = 0
    while i < len(chunks):
        word, start, end = chunks[i]
        span = (start, end)
        folded = word.casefold()
        lot_match = _LOT_PREFIX_RE.match(word)
        if lot_match is not None:
            rest = lot_match.group("rest")
            if rest:
                lot = once(lot, "lot number", rest, (start + 4, end), "lot")
            elif i + 1 < len(chunks):
                nxt, n_start, n_end = chunks[i + 1]
                lot = once(lot, "lot number", nxt, (n_start, n_end), "lot")
                i += 1
            else:
                raise DoseError("‘lot’ needs the lot number after it, e.g. lot A1234", "lot", span)
        elif folded == "booster":
            is_booster = True
        elif formulary.find(word) is not None:
            drug = once(drug, "drug", word, span, "drug")
        elif folded in _ROUTE_WORDS:
            if folded == "intravenous" and i + 1 < len(chunks) and chunks[i + 1][0].casefold() == "infusion":
                i += 1  # "intravenous infusion" is one route written in two words
                span = (start, chunks[i][2])
            route = once(route, "route", word, span, "route")
        elif (m := _AMOUNT_RE.match(word)) is not None:
            amount = once(amount, "amount", m.group("num"), (start, start + m.end("num")), "amount")
            if m.group("unit"):
                unit = once(unit, "unit", m.group("unit"), (start + m.start("unit"), end), "unit")
        elif folded.replace(" ", "") in _UNIT_WORDS or word in _WRONG_UNITS or folded in _WRONG_UNITS:
            if amount is None:
                raise DoseError(f"‘{word}’ needs an amount before it, e.g. 100 mg", "unit", span)
            unit = once(unit, "unit", word, span, "unit")
        elif folded[:1].isdigit() or folded[:1] in "-+.":
            raise DoseError(f"‘{_short(word)}’ is not an amount: type a number and unit such as 100 mg", "amount", span)
        else:
            close = difflib.get_close_matches(folded, [d.casefold() for d in formulary.names], n=1, cutoff=0.75)
            if close:
                raise DoseError(f"Unknown word ‘{_short(word)}’: did you mean {close[0]}?", "drug", span)
            known = ", ".join(formulary.names)
            raise DoseError(
                f"Unknown word ‘{_short(word)}’: a dose line holds the drug ({known}), amount and unit, "
                "route (SL, IM, IV, IN), lot and booster",
                None,
                span,
            )
        i += 1

    entry = DoseEntry(
        drug=drug[0] if drug else "",
        amount=amount[0] if amount else None,
        unit=unit[0] if unit else None,
        route=route[0] if route else None,
        given_by=given_by,
        lot=lot[0] if lot else None,
        booster=is_booster,
        weight_kg=weight_kg,
    )
    spans = {
        "drug": drug[1] if drug else None,
        "amount": amount[1] if amount else None,
        "unit": unit[1] if unit else (amount[1] if amount else None),
        "route": route[1] if route else None,
        "lot": lot[1] if lot else None,
        "weight_kg": unit[1] if unit else None,
    }
    try:
        return entry.validate(formulary)
    except DoseError as err:
        err.span = spans.get(err.field or "") or (0, len(text))
        raise


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _positive_number(value: object) -> bool:
    return (
        not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0
    )


def _fmt(value: float) -> str:
    """``100`` for 100.0, ``0.5`` for 0.5."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
