"""Preparation before dosing: the checklist, the safety screen, and the gate before T0.

The items are data (a clinic reads the same words on screen, in the record and in the report).
A ``preparation`` entry holds a :class:`kapdesk.domain.entries.Preparation` (intention, three
groups of answers keyed by item, weight in kg). ``None`` as an answer means "not answered yet": a preparation may be saved half-way (the client is still
arriving) and finished later; each later save is a correction superseding the previous entry.

Two rules read it:

* :func:`unanswered_safety_items` lists what is not safely answered, in plain words, for the
  preparation pane to show and for the dose gate to hold;
* :func:`dose_gate` looks at a session's entries just before T0 is marked. When it returns
  problems, the session view asks for an explicit override with a reason (recorded as a
  ``safety_override`` entry, :func:`make_override`) instead of refusing outright: the
  clinician in the room decides, and the record shows that they decided and why.

Pure Python: no Qt, no store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from kapdesk.domain.entries import EntryInfo, Preparation, SafetyOverride, of_type

__all__ = [
    "CHECKLIST",
    "CONTRAINDICATIONS",
    "ESKETAMINE_CHECKLIST",
    "MEDICATIONS",
    "WEIGHT_RANGE_KG",
    "PrepItem",
    "PreparationError",
    "checklist_for",
    "current_preparation",
    "dose_gate",
    "make_override",
    "make_preparation",
    "preparation_weight",
    "unanswered_safety_items",
]

# Plausible adult weights: one range, in kapdesk.domain.weight (the dose form checks the same).
from kapdesk.domain.weight import WEIGHT_RANGE_KG  # noqa: E402


class PreparationError(ValueError):
    """A preparation that cannot be saved as entered; ``field`` names the control at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class PrepItem:
    """One yes/no question.

    ``safe`` is the answer that raises no concern: True for the checklist ("ride home
    arranged: yes"), False for contraindications and medicines ("pregnancy: no").
    ``blocking_answer`` says whether the *unsafe* answer holds the dose gate. Every item holds
    it while unanswered; among checklist items only the ride home and the consent hold it when
    answered "no" (a poor night's sleep is the clinician's judgement, not a gate).
    """

    key: str
    label: str
    safe: bool
    blocking_answer: bool = True

    def problem(self, answer: bool | None) -> str | None:
        """The plain-words problem with ``answer``, or None when it is acceptable for dosing."""
        if answer is None:
            return f"{self.label}: not answered"
        if answer != self.safe and self.blocking_answer:
            return f"{self.label}: {'yes' if answer else 'no'}"
        return None


_SLEPT = PrepItem("slept_well", "Slept well", True, blocking_answer=False)
_NO_STIMULANTS = PrepItem("no_stimulants", "No caffeine or stimulants today", True, blocking_answer=False)
_RIDE = PrepItem("ride_home", "Ride home arranged", True)
_CONSENT = PrepItem("consent", "Consent signed", True)

CHECKLIST: tuple[PrepItem, ...] = (
    _SLEPT,
    _NO_STIMULANTS,
    PrepItem("light_meal", "Light meal a few hours before", True, blocking_answer=False),
    _RIDE,
    _CONSENT,
)

# Esketamine's label asks for fasting instead of a light meal: no food 2 h, no liquid 30 min before.
ESKETAMINE_CHECKLIST: tuple[PrepItem, ...] = (
    _SLEPT,
    _NO_STIMULANTS,
    PrepItem("no_food_2h", "No food in the 2 h before", True, blocking_answer=False),
    PrepItem("no_liquid_30min", "No liquid in the 30 min before", True, blocking_answer=False),
    _RIDE,
    _CONSENT,
)

CONTRAINDICATIONS: tuple[PrepItem, ...] = (
    PrepItem("pregnancy", "Pregnancy", False),
    PrepItem("uncontrolled_hypertension", "Uncontrolled high blood pressure", False),
    PrepItem("cardiac", "Cardiac condition", False),
    PrepItem("substance_misuse", "Active substance misuse", False),
)

MEDICATIONS: tuple[PrepItem, ...] = (
    PrepItem("benzodiazepines", "Benzodiazepines", False),
    PrepItem("sedative_hypnotics", "Other sedative hypnotics", False),
    PrepItem("psychostimulants", "Psychostimulants", False),
    PrepItem("maois", "MAOIs", False),
)

# Items that every checklist variant has, so a preparation missing them is still caught.
_ALWAYS_CHECKED = (_RIDE, _CONSENT)
_ALL_CHECKLIST_ITEMS = {i.key: i for i in CHECKLIST + ESKETAMINE_CHECKLIST}


def checklist_for(drug: str) -> tuple[PrepItem, ...]:
    """The checklist for a protocol's drug: the esketamine variant asks about fasting."""
    return ESKETAMINE_CHECKLIST if drug.strip().casefold() == "esketamine" else CHECKLIST


def make_preparation(
    intention: str,
    checklist: Mapping[str, bool | None],
    contraindications: Mapping[str, bool | None],
    medications: Mapping[str, bool | None],
    weight_kg: float | None = None,
) -> Preparation:
    """Check a preparation as entered and return it.

    Unanswered items are allowed (``None``); unknown keys, non-boolean answers and an
    implausible weight raise :class:`PreparationError`. Every contraindication and medicine key
    is written, unanswered ones as ``None``, so the record shows what was not asked.
    """
    checked = {
        "checklist": _answers(checklist, _ALL_CHECKLIST_ITEMS, "checklist"),
        "contraindications": _answers(contraindications, {i.key: i for i in CONTRAINDICATIONS}, "contraindications", fill=True),
        "medications": _answers(medications, {i.key: i for i in MEDICATIONS}, "medications", fill=True),
    }
    if weight_kg is not None:
        if isinstance(weight_kg, bool) or not isinstance(weight_kg, (int, float)) or not math.isfinite(weight_kg):
            raise PreparationError(f"Weight must be a number of kg, not {weight_kg!r}", "weight_kg")
        low, high = WEIGHT_RANGE_KG
        if not low <= weight_kg <= high:
            raise PreparationError(f"Weight {weight_kg:g} kg is outside {low:g}–{high:g} kg: check the unit", "weight_kg")
        weight_kg = float(weight_kg)
    return Preparation((intention or "").strip(), weight_kg=weight_kg, **checked)


def _answers(given: Mapping[str, bool | None], known: Mapping[str, PrepItem], group: str, *, fill: bool = False) -> dict[str, bool | None]:
    unknown = set(given) - set(known)
    if unknown:
        raise PreparationError(f"Unknown {group} item {sorted(unknown)[0]!r}", group)
    for key, value in given.items():
        if value is not None and not isinstance(value, bool):
            raise PreparationError(f"{known[key].label}: answer yes, no or leave it open (got {value!r})", key)
    if fill:
        return {key: given.get(key) for key in known}
    return dict(given)


def unanswered_safety_items(preparation: Preparation) -> list[str]:
    """What in a preparation is not safely answered, in display order, as plain words.

    * checklist items that are unanswered, and the ride home or consent answered "no";
    * contraindications and concomitant medicines that are unanswered or answered "yes".

    The checklist items checked are those the preparation carries (its drug's variant), plus
    the ride home and consent always: a preparation without them has not answered them. A
    missing item counts as unanswered, never as "no".
    """
    problems: list[str] = []
    checklist = preparation.checklist
    items = [_ALL_CHECKLIST_ITEMS[k] for k in checklist if k in _ALL_CHECKLIST_ITEMS]
    items += [i for i in _ALWAYS_CHECKED if i.key not in checklist]
    items.sort(key=lambda i: _checklist_order(i.key))
    for group, group_items in (("checklist", items), ("contraindications", CONTRAINDICATIONS),
                               ("medications", MEDICATIONS)):
        answers: Mapping[str, bool | None] = getattr(preparation, group)
        for item in group_items:
            answer = answers.get(item.key)
            problem = item.problem(answer if isinstance(answer, bool) else None)
            if problem:
                problems.append(problem)
    return problems


_CHECKLIST_ORDER = ("slept_well", "no_stimulants", "light_meal", "no_food_2h", "no_liquid_30min", "ride_home", "consent")


def _checklist_order(key: str) -> int:
    return _CHECKLIST_ORDER.index(key)


# --------------------------------------------------------------------------------------------
# The dose gate
# --------------------------------------------------------------------------------------------


NO_PREPARATION = "Preparation not recorded"


def current_preparation(entries: Iterable[EntryInfo]) -> tuple[EntryInfo, Preparation] | None:
    """The newest preparation that no correction replaced, with its entry, or None."""
    found = of_type(entries, Preparation)
    return max(found, key=lambda pair: pair[0].occurred_at) if found else None


def preparation_weight(entries: Iterable[EntryInfo]) -> float | None:
    """The client's weight from the current preparation (for mg/kg doses), or None."""
    found = current_preparation(entries)
    return found[1].weight_kg if found is not None else None


def dose_gate(entries: Sequence[EntryInfo]) -> list[str]:
    """The problems to confirm before T0 is marked; an empty list lets the dose go ahead.

    The problems are :func:`unanswered_safety_items` of the current preparation (or
    ``NO_PREPARATION`` when there is none), less those already covered by a ``safety_override``
    recorded after that preparation: once the clinician has confirmed dosing despite exactly
    these items, pressing Dose again (say, after a failed save) does not ask twice. A new
    preparation, or a new problem, asks again.
    """
    entries = list(entries)
    found = current_preparation(entries)
    if found is None:
        problems = [NO_PREPARATION]
        since = None
    else:
        problems = unanswered_safety_items(found[1])
        since = found[0].occurred_at
    covered: set[str] = set()
    for entry, override in of_type(entries, SafetyOverride):
        if since is None or entry.occurred_at >= since:
            covered.update(override.items)
    return [p for p in problems if p not in covered]


def make_override(items: Sequence[str], reason: str) -> SafetyOverride:
    """The ``safety_override`` entry: the items dosed despite, and the clinician's reason.

    A reason is required: an override without one says nothing to the next reader.
    """
    reason = (reason or "").strip()
    if not reason:
        raise PreparationError("Type the reason for dosing despite these items", "reason")
    if not items:
        raise PreparationError("There is nothing to override", "items")
    return SafetyOverride(tuple(str(i) for i in items), reason)
