"""Rescue (PRN) medication and adverse events: what was given when something went wrong, and what went wrong.

Two entry kinds (see :mod:`kapdesk.domain.entries`):

* :class:`RescueMedication` — a drug from the clinic's PRN list given as needed (an antiemetic, a
  benzodiazepine, an antihypertensive, oxygen), recorded like a dose: drug, amount with its unit,
  route, the reason it was given, optional lot, who gave it. Oxygen is a flow in L/min through a
  device (nasal cannula, face mask …).
* :class:`AdverseEvent` — an event from a fixed list (hypertensive crisis, emergence reaction,
  laryngospasm, vomiting / aspiration, hypotension, bradycardia, desaturation, other with words),
  its severity, its outcome, optionally the rescue medication that treated it, and a note.

The PRN list is the clinic's (``[[rescue.drugs]]`` in ``clinic.toml``, read by
:func:`rescue_list_from_settings`). product.md gives no doses for rescue drugs, so KAPDesk gives
no dosing advice: a drug's ``example_amounts`` are shown as examples the clinic has written, never
filled in as a default, and the only limit on an amount is a ``max_amount`` the clinic sets itself
(refused above it; exactly the maximum passes). The unit is part of the drug (ondansetron in mg,
oxygen in L/min), and an amount must be typed with it, so a mg/mcg slip is caught by name.

Whether an adverse event is *serious* is decided here, once (:attr:`AdverseEvent.serious`), for the
PDF, CSV and FHIR alike: life-threatening, or transferred for further care (the regulatory sense of
"serious": life-threatening or needing hospital care).

Every check raises :class:`RescueError` naming the part that is wrong (``field``) in one line.

Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kapdesk.domain.doses import LOT_MAX_LENGTH

__all__ = [
    "DEFAULT_RESCUE",
    "REASON_MAX_LENGTH",
    "AdverseEvent",
    "AdverseEventEntry",
    "DrugClass",
    "EventType",
    "Outcome",
    "RescueDrug",
    "RescueEntry",
    "RescueError",
    "RescueList",
    "RescueMedication",
    "RescueRoute",
    "RescueSettingsError",
    "RescueUnit",
    "Severity",
    "linked_rescue",
    "parse_amount",
    "rescue_list_from_settings",
]

REASON_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 60


class RescueError(ValueError):
    """A rescue medication or adverse event that cannot be recorded as entered.

    ``field`` names the part at fault (``drug``, ``amount``, ``unit``, ``route``, ``device``,
    ``reason``, ``lot``, ``given_by``, ``event``, ``detail``, ``severity``, ``outcome``,
    ``rescue``, ``note``); ``span`` is the character range in that field's text, when there is one.
    """

    def __init__(self, message: str, field: str | None = None, span: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.span = span


class RescueSettingsError(ValueError):
    """A ``[[rescue.drugs]]`` table that cannot be used: ``index`` (0-based) and ``key`` locate it."""

    def __init__(self, message: str, index: int | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.key = key


# --------------------------------------------------------------------------------------------
# Words: classes, units, routes
# --------------------------------------------------------------------------------------------


class DrugClass(Enum):
    ANTIEMETIC = "antiemetic"
    BENZODIAZEPINE = "benzodiazepine"
    ANTIHYPERTENSIVE = "antihypertensive"
    OXYGEN = "oxygen"
    OTHER = "other"


class RescueUnit(Enum):
    """The unit a drug is recorded in; the value is stored and shown, :attr:`ucum` is for FHIR."""

    MG = "mg"
    MCG = "mcg"
    L_PER_MIN = "L/min"

    @property
    def ucum(self) -> str:
        return {"mg": "mg", "mcg": "ug", "L/min": "L/min"}[self.value]

    @property
    def is_flow(self) -> bool:
        return self is RescueUnit.L_PER_MIN


_UNIT_WORDS: Mapping[str, RescueUnit] = {
    "mg": RescueUnit.MG,
    "mcg": RescueUnit.MCG, "µg": RescueUnit.MCG, "μg": RescueUnit.MCG, "ug": RescueUnit.MCG,
    "l/min": RescueUnit.L_PER_MIN, "lpm": RescueUnit.L_PER_MIN, "l/m": RescueUnit.L_PER_MIN,
}


class RescueRoute(Enum):
    """Routes a rescue drug is given by; the value is stored, :attr:`abbreviation` is displayed."""

    ORAL = "oral"
    SUBLINGUAL = "sublingual"
    INTRAVENOUS = "intravenous"
    INTRAMUSCULAR = "intramuscular"
    INTRANASAL = "intranasal"
    SUBCUTANEOUS = "subcutaneous"
    INHALED = "inhaled"

    @property
    def abbreviation(self) -> str:
        return _ROUTE_ABBREVIATIONS[self]

    @classmethod
    def parse(cls, text: object) -> RescueRoute:
        """``"PO"``, ``"oral"``, ``"ODT"``, ``"SL"``, ``"IV"``, ``"IM"``, ``"IN"``, ``"SC"``, ``"inhaled"`` …"""
        route = _ROUTE_WORDS.get(text.strip().casefold()) if isinstance(text, str) else None
        if route is None:
            words = ", ".join(r.abbreviation for r in cls)
            raise RescueError(f"Unknown route ‘{text}’: use {words}", "route")
        return route


_ROUTE_ABBREVIATIONS = {
    RescueRoute.ORAL: "PO", RescueRoute.SUBLINGUAL: "SL", RescueRoute.INTRAVENOUS: "IV",
    RescueRoute.INTRAMUSCULAR: "IM", RescueRoute.INTRANASAL: "IN", RescueRoute.SUBCUTANEOUS: "SC",
    RescueRoute.INHALED: "INH",
}
_ROUTE_WORDS: Mapping[str, RescueRoute] = {
    **{r.value: r for r in RescueRoute},
    **{a.casefold(): r for r, a in _ROUTE_ABBREVIATIONS.items()},
    "odt": RescueRoute.ORAL, "by mouth": RescueRoute.ORAL, "nasal": RescueRoute.INTRANASAL,
    "sq": RescueRoute.SUBCUTANEOUS, "sc": RescueRoute.SUBCUTANEOUS, "inhalation": RescueRoute.INHALED,
}


# --------------------------------------------------------------------------------------------
# The clinic's PRN list
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RescueDrug:
    """One drug on the clinic's PRN list (``[[rescue.drugs]]``).

    ``example_amounts`` are the clinic's own examples, shown beside the amount field and never
    filled in; ``max_amount`` (None: no limit) refuses anything above it, for typos.
    ``devices`` are how oxygen is delivered (oxygen only).
    """

    name: str
    drug_class: DrugClass
    unit: RescueUnit
    routes: tuple[RescueRoute, ...]
    example_amounts: tuple[float, ...] = ()
    max_amount: float | None = None
    devices: tuple[str, ...] = ()

    @property
    def is_oxygen(self) -> bool:
        return self.drug_class is DrugClass.OXYGEN

    def examples_text(self) -> str:
        """``"4 or 8 mg"``; '' when the clinic lists no examples."""
        if not self.example_amounts:
            return ""
        numbers = [_fmt(a) for a in self.example_amounts]
        joined = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + f" or {numbers[-1]}"
        return f"{joined} {self.unit.value}"


@dataclass(frozen=True)
class RescueList:
    """The clinic's PRN drugs; lookups by name, case-insensitive."""

    drugs: tuple[RescueDrug, ...]

    def find(self, name: str) -> RescueDrug | None:
        key = name.strip().casefold() if isinstance(name, str) else ""
        return next((d for d in self.drugs if d.name.casefold() == key), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.drugs)


def rescue_list_from_settings(drugs: object) -> RescueList:
    """The ``[[rescue.drugs]]`` array of a clinic file, checked. Raises :class:`RescueSettingsError`."""
    if not isinstance(drugs, (list, tuple)):
        raise RescueSettingsError("must be a list of [[rescue.drugs]] tables")
    out: list[RescueDrug] = []
    seen: set[str] = set()
    for index, raw in enumerate(drugs):
        if not isinstance(raw, Mapping):
            raise RescueSettingsError("must be a table with name, class, unit and routes", index)
        drug = _drug_from_table(raw, index)
        if drug.name.casefold() in seen:
            raise RescueSettingsError(f"{drug.name!r} is listed twice", index, "name")
        seen.add(drug.name.casefold())
        out.append(drug)
    return RescueList(tuple(out))


_DRUG_KEYS = frozenset({"name", "class", "unit", "routes", "example_amounts", "max_amount", "devices"})


def _drug_from_table(raw: Mapping[str, Any], index: int) -> RescueDrug:
    def fail(key: str, message: str) -> RescueSettingsError:
        return RescueSettingsError(message, index, key)

    for key in raw:
        if key not in _DRUG_KEYS:
            raise fail(str(key), f"unknown setting (known: {', '.join(sorted(_DRUG_KEYS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX_LENGTH:
        raise fail("name", f"must be a drug name of 1–{NAME_MAX_LENGTH} characters, not {name!r}")
    try:
        drug_class = DrugClass(raw.get("class"))
    except ValueError:
        classes = ", ".join(f'"{c.value}"' for c in DrugClass)
        raise fail("class", f"must be one of {classes}, not {raw.get('class')!r}") from None
    unit_word = raw.get("unit")
    unit = _UNIT_WORDS.get(unit_word.strip().casefold()) if isinstance(unit_word, str) else None
    if unit is None:
        raise fail("unit", f'must be "mg", "mcg" or "L/min", not {unit_word!r}')
    if (drug_class is DrugClass.OXYGEN) != unit.is_flow:
        raise fail("unit", 'oxygen (and only oxygen) is recorded as a flow in "L/min"')
    routes_raw = raw.get("routes")
    if not isinstance(routes_raw, list) or not routes_raw:
        raise fail("routes", 'must be a list of routes such as ["IV", "PO"]')
    try:
        routes = tuple(dict.fromkeys(RescueRoute.parse(r) for r in routes_raw))
    except RescueError as exc:
        raise fail("routes", exc.message) from None
    examples_raw = raw.get("example_amounts", [])
    if not isinstance(examples_raw, list) or not all(_positive(a) for a in examples_raw):
        raise fail("example_amounts", f"must be a list of positive numbers, not {examples_raw!r}")
    max_amount = raw.get("max_amount")
    if max_amount is not None and not _positive(max_amount):
        raise fail("max_amount", f"must be a positive number, not {max_amount!r}")
    examples = tuple(float(a) for a in examples_raw)
    if max_amount is not None and any(a > max_amount for a in examples):
        raise fail("example_amounts", f"an example is above max_amount {_fmt(float(max_amount))}")
    devices_raw = raw.get("devices", [])
    if not isinstance(devices_raw, list) or not all(isinstance(d, str) and d.strip() for d in devices_raw):
        raise fail("devices", "must be a list of device names")
    devices = tuple(" ".join(d.split()) for d in devices_raw)
    if drug_class is DrugClass.OXYGEN and not devices:
        raise fail("devices", 'oxygen needs its devices, e.g. ["nasal cannula", "face mask"]')
    if drug_class is not DrugClass.OXYGEN and devices:
        raise fail("devices", "only oxygen has devices")
    return RescueDrug(" ".join(name.split()), drug_class, unit, routes, examples,
                      None if max_amount is None else float(max_amount), devices)


# The shipped list, the same as resources/clinic.toml's [[rescue.drugs]] (a test keeps them
# equal): EXAMPLES the clinic must set, not dosing advice (product.md gives no rescue doses).
DEFAULT_RESCUE = RescueList((
    RescueDrug("ondansetron", DrugClass.ANTIEMETIC, RescueUnit.MG,
               (RescueRoute.ORAL, RescueRoute.INTRAVENOUS, RescueRoute.INTRAMUSCULAR), (4.0, 8.0)),
    RescueDrug("lorazepam", DrugClass.BENZODIAZEPINE, RescueUnit.MG,
               (RescueRoute.ORAL, RescueRoute.SUBLINGUAL, RescueRoute.INTRAVENOUS, RescueRoute.INTRAMUSCULAR),
               (0.5, 1.0)),
    RescueDrug("midazolam", DrugClass.BENZODIAZEPINE, RescueUnit.MG,
               (RescueRoute.INTRAVENOUS, RescueRoute.INTRAMUSCULAR, RescueRoute.INTRANASAL), (1.0, 2.0)),
    RescueDrug("labetalol", DrugClass.ANTIHYPERTENSIVE, RescueUnit.MG,
               (RescueRoute.INTRAVENOUS, RescueRoute.ORAL), (10.0, 20.0)),
    RescueDrug("clonidine", DrugClass.ANTIHYPERTENSIVE, RescueUnit.MG, (RescueRoute.ORAL,), (0.1,)),
    RescueDrug("oxygen", DrugClass.OXYGEN, RescueUnit.L_PER_MIN, (RescueRoute.INHALED,), (2.0, 4.0),
               devices=("nasal cannula", "simple face mask", "non-rebreather mask")),
))


# --------------------------------------------------------------------------------------------
# Rescue medication
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RescueMedication:
    """A PRN rescue drug as given and stored.

    ``drug_class`` is kept with the entry (the clinic's list may change later); ``amount`` is in
    ``unit``; ``device`` is oxygen's delivery device (None for every other drug).
    """

    drug: str
    drug_class: DrugClass
    amount: float
    unit: RescueUnit
    route: RescueRoute
    reason: str
    given_by: str
    lot: str | None = None
    device: str | None = None

    def __post_init__(self) -> None:
        # Structural checks only: a stored entry must still load after the clinic edits its list.
        if not isinstance(self.drug, str) or not self.drug.strip():
            raise RescueError("A rescue medication needs a drug", "drug")
        if not _positive(self.amount):
            raise RescueError(f"The amount must be a positive number, not {self.amount!r}", "amount")
        if not isinstance(self.unit, RescueUnit) or not isinstance(self.route, RescueRoute) \
                or not isinstance(self.drug_class, DrugClass):
            raise RescueError("A rescue medication needs its unit, route and drug class", "unit")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise RescueError("Why was it given? Type the reason", "reason")
        if not isinstance(self.given_by, str) or not self.given_by.strip():
            raise RescueError("Record who gave it", "given_by")

    def amount_text(self) -> str:
        """``4 mg``; ``2 L/min``."""
        return f"{_fmt(self.amount)} {self.unit.value}"

    def format(self) -> str:
        """``ondansetron 4 mg IV (antiemetic)``; ``oxygen 2 L/min by nasal cannula``."""
        if self.device:
            return f"{self.drug} {self.amount_text()} by {self.device}"
        return f"{self.drug} {self.amount_text()} {self.route.abbreviation} ({self.drug_class.value})"

    def describe(self) -> str:
        """The timeline's line: ``PRN ondansetron 4 mg IV (antiemetic) for nausea · lot X · given by N``."""
        text = f"PRN {self.format()} for {self.reason}"
        if self.lot:
            text += f" · lot {self.lot}"
        return f"{text} · given by {self.given_by}"

    def to_payload(self) -> dict[str, Any]:
        return {"drug": self.drug, "drug_class": self.drug_class.value, "amount": self.amount,
                "unit": self.unit.value, "route": self.route.value, "reason": self.reason,
                "given_by": self.given_by, "lot": self.lot, "device": self.device}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RescueMedication:
        """Rebuild a stored entry. Unknown keys are ignored (newer versions may add some)."""
        try:
            drug_class = DrugClass(payload.get("drug_class", DrugClass.OTHER.value))
            unit = RescueUnit(payload.get("unit"))
            route = RescueRoute(payload.get("route"))
        except ValueError as exc:
            raise RescueError(f"Stored rescue medication: {exc}") from None
        for key in ("drug", "reason", "given_by"):
            if not isinstance(payload.get(key), str):
                raise RescueError(f"Stored rescue medication {key} must be text", key)
        for key in ("lot", "device"):
            if payload.get(key) is not None and not isinstance(payload.get(key), str):
                raise RescueError(f"Stored rescue medication {key} must be text", key)
        return cls(payload["drug"], drug_class, payload.get("amount"), unit, route,  # type: ignore[arg-type]
                   payload["reason"], payload["given_by"], payload.get("lot") or None, payload.get("device") or None)


_AMOUNT_RE = re.compile(r"\s*(?P<num>[0-9]+(?:[.,][0-9]+)?)\s*(?P<unit>\S.*?)?\s*\Z")


def parse_amount(text: str) -> tuple[float, RescueUnit]:
    """``"4 mg"``, ``"0,5mg"``, ``"2 L/min"`` → ``(amount, unit)``. Raises :class:`RescueError`
    with the span of the number (``field="amount"``) or of the unit (``field="unit"``)."""
    if not isinstance(text, str) or not text.strip():
        raise RescueError("How much? Type the amount with its unit, e.g. 4 mg or 2 L/min", "amount",
                          (0, len(text) if isinstance(text, str) else 0))
    match = _AMOUNT_RE.fullmatch(text)
    if match is None:
        shown = _short(text.strip())
        raise RescueError(f"The amount must be a number and unit such as 4 mg, not ‘{shown}’", "amount",
                          (0, len(text)))
    number = match.group("num")
    if len(number) > 12:
        raise RescueError(f"The amount {_short(number)} is far too large: check for a typo", "amount",
                          match.span("num"))
    value = float(number.replace(",", "."))
    if not math.isfinite(value) or value <= 0:
        raise RescueError("The amount must be above 0", "amount", match.span("num"))
    unit_word = match.group("unit")
    if not unit_word:
        raise RescueError("The amount needs its unit: mg, mcg or L/min", "unit", (match.end("num"), len(text)))
    unit = _UNIT_WORDS.get(unit_word.casefold().replace(" ", ""))
    if unit is None:
        raise RescueError(f"‘{_short(unit_word)}’ is not a unit here: mg, mcg or L/min", "unit", match.span("unit"))
    return value, unit


@dataclass(frozen=True)
class RescueEntry:
    """What the form holds, not yet checked; :meth:`validate` gives the :class:`RescueMedication`."""

    drug: str
    amount: str
    route: RescueRoute | str | None
    reason: str
    given_by: str
    lot: str | None = None
    device: str | None = None

    def validate(self, rescue: RescueList = DEFAULT_RESCUE) -> RescueMedication:
        drug = rescue.find(self.drug) if isinstance(self.drug, str) else None
        if drug is None:
            known = ", ".join(rescue.names) or "the clinic lists none in clinic.toml"
            if isinstance(self.drug, str) and self.drug.strip():
                raise RescueError(f"‘{_short(self.drug.strip())}’ is not on the clinic's rescue list ({known})", "drug")
            raise RescueError(f"Which drug? Choose one of the clinic's rescue list ({known})", "drug")
        amount, unit = parse_amount(self.amount)
        if unit is not drug.unit:
            raise RescueError(f"{drug.name} is recorded in {drug.unit.value}, not {unit.value}", "unit",
                              _unit_span(self.amount))
        if drug.max_amount is not None and amount > drug.max_amount:
            raise RescueError(
                f"{drug.name} {_fmt(amount)} {unit.value} is above the clinic's maximum of "
                f"{_fmt(drug.max_amount)} {unit.value} (clinic.toml): check for a typo", "amount", _number_span(self.amount))
        route = self._route(drug)
        device = " ".join((self.device or "").split()) or None
        if drug.is_oxygen and device is None:
            raise RescueError(f"Oxygen needs its device: {', '.join(drug.devices)}", "device")
        if not drug.is_oxygen and device is not None:
            raise RescueError(f"Only oxygen has a device; {drug.name} does not", "device")
        if drug.is_oxygen and device not in drug.devices:
            raise RescueError(f"‘{_short(device or '')}’ is not one of the clinic's devices ({', '.join(drug.devices)})",
                              "device")
        reason = _check_text(self.reason, "reason", REASON_MAX_LENGTH,
                             "Why was it given? Type the reason (e.g. nausea, BP 190/110)")
        given_by = " ".join((self.given_by or "").split())
        if not given_by:
            raise RescueError("Record who gave it", "given_by")
        lot = " ".join((self.lot or "").split()) or None
        if lot is not None and len(lot) > LOT_MAX_LENGTH:
            raise RescueError(f"The lot number is {len(lot)} characters; at most {LOT_MAX_LENGTH} fit", "lot")
        return RescueMedication(drug.name, drug.drug_class, amount, unit, route, reason, given_by, lot, device)

    def _route(self, drug: RescueDrug) -> RescueRoute:
        if self.route is None or (isinstance(self.route, str) and not self.route.strip()):
            if len(drug.routes) == 1:
                return drug.routes[0]
            raise RescueError(f"Which route? {', '.join(r.abbreviation for r in drug.routes)}", "route")
        route = self.route if isinstance(self.route, RescueRoute) else RescueRoute.parse(self.route)
        if route not in drug.routes:
            allowed = ", ".join(r.abbreviation for r in drug.routes)
            raise RescueError(f"{drug.name} is not given {route.abbreviation} here; allowed: {allowed}", "route")
        return route


# --------------------------------------------------------------------------------------------
# Adverse events
# --------------------------------------------------------------------------------------------


class EventType(Enum):
    HYPERTENSIVE_CRISIS = "hypertensive crisis"
    EMERGENCE_REACTION = "emergence reaction"
    LARYNGOSPASM = "laryngospasm"
    VOMITING_ASPIRATION = "vomiting / aspiration"
    HYPOTENSION = "hypotension"
    BRADYCARDIA = "bradycardia"
    DESATURATION = "desaturation"
    OTHER = "other"


class Severity(Enum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    LIFE_THREATENING = "life-threatening"


class Outcome(Enum):
    RESOLVED = "resolved"
    RESOLVING = "resolving"
    NOT_RESOLVED = "not resolved"
    TRANSFERRED = "transferred"


@dataclass(frozen=True)
class AdverseEvent:
    """An adverse event as stored. ``detail`` is required for :attr:`EventType.OTHER` (what it was);
    ``rescue`` is the id of the rescue-medication entry that treated it (the newest version of that
    entry is found with :func:`linked_rescue`)."""

    event: EventType
    severity: Severity
    outcome: Outcome
    detail: str = ""
    rescue: uuid.UUID | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.event, EventType) or not isinstance(self.severity, Severity) \
                or not isinstance(self.outcome, Outcome):
            raise RescueError("An adverse event needs its event, severity and outcome", "event")
        if self.event is EventType.OTHER and not self.detail.strip():
            raise RescueError("‘Other’ needs a word on what happened", "detail")

    @property
    def name(self) -> str:
        """``laryngospasm``; ``other: panic attack``."""
        return f"other: {self.detail}" if self.event is EventType.OTHER else self.event.value

    @property
    def serious(self) -> bool:
        """Life-threatening, or transferred for further care (the one rule; see the module doc)."""
        return self.severity is Severity.LIFE_THREATENING or self.outcome is Outcome.TRANSFERRED

    def describe(self) -> str:
        """``laryngospasm · severe · resolved (serious) · treated with rescue medication · note``."""
        name = self.name if self.event is EventType.OTHER or not self.detail else f"{self.name} ({self.detail})"
        text = f"{name} · {self.severity.value} · {self.outcome.value}"
        if self.serious:
            text += " (serious)"
        if self.rescue is not None:
            text += " · treated with rescue medication"
        if self.note:
            text += f" · {self.note}"
        return text

    def to_payload(self) -> dict[str, Any]:
        return {"event": self.event.value, "detail": self.detail, "severity": self.severity.value,
                "outcome": self.outcome.value, "rescue": None if self.rescue is None else str(self.rescue),
                "note": self.note}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AdverseEvent:
        try:
            event, severity, outcome = (EventType(payload.get("event")), Severity(payload.get("severity")),
                                        Outcome(payload.get("outcome")))
        except ValueError as exc:
            raise RescueError(f"Stored adverse event: {exc}") from None
        detail, note = payload.get("detail") or "", payload.get("note") or ""
        if not isinstance(detail, str) or not isinstance(note, str):
            raise RescueError("Stored adverse event detail and note must be text")
        rescue = payload.get("rescue")
        try:
            linked = None if rescue is None else uuid.UUID(str(rescue))
        except ValueError:
            raise RescueError(f"Stored adverse event rescue must be an entry id, not {rescue!r}", "rescue") from None
        return cls(event, severity, outcome, detail, linked, note)


@dataclass(frozen=True)
class AdverseEventEntry:
    """What the form holds (``None`` where nothing was chosen); :meth:`validate` checks it."""

    event: EventType | None
    severity: Severity | None
    outcome: Outcome | None
    detail: str = ""
    rescue: uuid.UUID | None = None
    note: str = ""

    def validate(self) -> AdverseEvent:
        if self.event is None:
            raise RescueError("Which event? " + ", ".join(e.value for e in EventType), "event")
        detail = _check_text(self.detail, "detail", REASON_MAX_LENGTH, "") if self.detail.strip() else ""
        if self.event is EventType.OTHER and not detail:
            raise RescueError("‘Other’ needs a word on what happened: type it", "detail")
        if self.severity is None:
            raise RescueError("How severe? " + ", ".join(s.value for s in Severity), "severity")
        if self.outcome is None:
            raise RescueError("What was the outcome? " + ", ".join(o.value for o in Outcome), "outcome")
        note = _check_text(self.note, "note", NOTE_MAX_LENGTH, "") if self.note.strip() else ""
        return AdverseEvent(self.event, self.severity, self.outcome, detail, self.rescue, note)


def linked_rescue(event: AdverseEvent, entries: Iterable[Any]) -> Any | None:
    """The newest version of the rescue-medication entry ``event`` names (an ``EntryInfo``), or None.

    A correction of the rescue medication is a new entry; the link keeps the id it was made with,
    so the chain of ``superseded_by`` is followed to the version in force.
    """
    if event.rescue is None:
        return None
    by_id = {e.id: e for e in entries}
    entry = by_id.get(event.rescue)
    seen: set[uuid.UUID] = set()
    while entry is not None and entry.superseded_by is not None and entry.id not in seen:
        seen.add(entry.id)
        entry = by_id.get(entry.superseded_by)
    return entry if entry is not None and isinstance(entry.data, RescueMedication) else None


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _check_text(text: object, field: str, limit: int, empty_message: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise RescueError(empty_message, field)
    clean = " ".join(text.split())
    if len(clean) > limit:
        raise RescueError(f"The {field.replace('_', ' ')} is {len(clean)} characters; at most {limit} fit", field)
    return clean


def _number_span(text: str) -> tuple[int, int] | None:
    match = _AMOUNT_RE.fullmatch(text)
    return match.span("num") if match else None


def _unit_span(text: str) -> tuple[int, int] | None:
    match = _AMOUNT_RE.fullmatch(text)
    return match.span("unit") if match and match.group("unit") else None


def _positive(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

