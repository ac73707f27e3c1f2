"""Preparation before dosing: the checklist, the safety screen, and the gate before T0.

The items are data (a clinic reads the same words on screen, in the record and in the report).
A ``preparation`` entry holds a :class:`kapdesk.domain.entries.Preparation` (intention, three
groups of answers keyed by item, the suicidality question, weight in kg). ``None`` as an answer
means "not answered yet": a preparation may be saved half-way (the client is still arriving) and
finished later; each later save is a correction superseding the previous entry.

The contraindications are the protocol's (:attr:`kapdesk.domain.protocols.Protocol.contraindications`:
the general ketamine cautions, then the protocol's own, e.g. the esketamine label's list), so
every rule here takes the session's protocol. A preparation saved under the old fixed screen
(``pregnancy``, ``uncontrolled_hypertension``, ``cardiac``, ``substance_misuse``) keeps its
labels; such an old answer "yes" still holds the dose.

Two rules read it:

* :func:`unanswered_safety_items` lists what is not safely answered, in plain words, for the
  preparation pane to show and for the dose gate to hold;
* :func:`dose_gate` looks at a session's record just before T0 is marked: the preparation, and
  the pre-dose vitals against the clinic's do-not-dose bounds. When it returns open items, the
  session view asks for an explicit override with a reason (recorded as a ``safety_override``
  entry naming the items, :func:`make_override`) instead of refusing outright: the clinician in
  the room decides, and the record shows that they decided and why.

Pure Python: no Qt, no store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules, evaluate
from kapdesk.domain.entries import DOSE_GATE, EntryInfo, Preparation, ReminderDone, SafetyOverride, of_type
from kapdesk.domain.protocols import LEGACY_CONTRAINDICATIONS, Protocol
from kapdesk.domain.record import current_readings

__all__ = [
    "CHECKLIST",
    "ESKETAMINE_CHECKLIST",
    "MEDICATIONS",
    "NO_PREDOSE_READING",
    "NO_PREPARATION",
    "SELF_HARM",
    "WEIGHT_RANGE_KG",
    "GateItem",
    "PrepItem",
    "PreparationError",
    "checklist_for",
    "contraindications_for",
    "current_preparation",
    "dose_gate",
    "item_label",
    "make_override",
    "make_preparation",
    "preparation_items",
    "preparation_weight",
    "unanswered_safety_items",
    "vitals_items",
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

# Asked at every preparation; the pane shows the client's last PHQ-9 item-9 answer beside it
# (kapdesk.domain.suicidality.latest_item9). "Yes", or no answer, holds the dose.
SELF_HARM = PrepItem("self_harm_thoughts", "Thoughts of suicide or self-harm since the last visit", False)

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


def contraindications_for(protocol: Protocol) -> tuple[PrepItem, ...]:
    """The contraindication screen of a protocol (general cautions, then its own), as questions."""
    return tuple(PrepItem(c.key, c.label, False) for c in protocol.contraindications)


_LEGACY_ITEMS = {c.key: PrepItem(c.key, c.label, False) for c in LEGACY_CONTRAINDICATIONS}


def item_label(key: str, protocol: Protocol | None = None) -> str:
    """A checklist, contraindication, medicine or screening key as the form words it.

    The protocol's own wording first, then every built-in item, then the legacy screen's labels
    (older entries), then the key itself in words.
    """
    if protocol is not None:
        for c in protocol.contraindications:
            if c.key == key:
                return c.label
    for item in (*CHECKLIST, *ESKETAMINE_CHECKLIST, *MEDICATIONS, SELF_HARM, *_LEGACY_ITEMS.values()):
        if item.key == key:
            return item.label
    return key.replace("_", " ").capitalize()


def make_preparation(
    intention: str,
    checklist: Mapping[str, bool | None],
    contraindications: Mapping[str, bool | None],
    medications: Mapping[str, bool | None],
    weight_kg: float | None = None,
    *,
    screen: Sequence[PrepItem] | None = None,
    self_harm_thoughts: bool | None = None,
) -> Preparation:
    """Check a preparation as entered and return it.

    Unanswered items are allowed (``None``); unknown keys, non-boolean answers and an
    implausible weight raise :class:`PreparationError`. ``screen`` is the protocol's
    contraindication screen (:func:`contraindications_for`): every one of its keys and every
    medicine key is written, unanswered ones as ``None``, so the record shows what was not asked.
    Without a ``screen`` the contraindication answers are kept as given (their keys unchecked).
    """
    known_screen = {i.key: i for i in screen} if screen is not None else {
        key: PrepItem(key, item_label(key), False) for key in contraindications}
    if self_harm_thoughts is not None and not isinstance(self_harm_thoughts, bool):
        raise PreparationError(f"{SELF_HARM.label}: answer yes, no or leave it open (got {self_harm_thoughts!r})",
                               SELF_HARM.key)
    checked = {
        "checklist": _answers(checklist, _ALL_CHECKLIST_ITEMS, "checklist"),
        "contraindications": _answers(contraindications, known_screen, "contraindications", fill=screen is not None),
        "medications": _answers(medications, {i.key: i for i in MEDICATIONS}, "medications", fill=True),
        "self_harm_thoughts": self_harm_thoughts,
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


@dataclass(frozen=True)
class GateItem:
    """One open item before the dose: ``text`` for the clinician, ``key`` stable for the record.

    Keys: ``preparation_missing``, ``checklist.<item>``, ``self_harm_thoughts``,
    ``contraindication.<item>``, ``medication.<item>``, ``predose_reading_missing``,
    ``predose_reading.<vitals entry id>.<alert key>``.
    """

    key: str
    text: str

    def __str__(self) -> str:
        return self.text


def unanswered_safety_items(preparation: Preparation, protocol: Protocol) -> list[str]:
    """What in a preparation is not safely answered, in display order, as plain words."""
    return [item.text for item in preparation_items(preparation, protocol)]


def preparation_items(preparation: Preparation, protocol: Protocol) -> list[GateItem]:
    """The open items of a preparation, in display order:

    * checklist items that are unanswered, and the ride home or consent answered "no";
    * the suicidality question unanswered or answered "yes";
    * the protocol's contraindications and the concomitant medicines unanswered or answered "yes";
      an answer "yes" to an item of the legacy screen the protocol no longer asks still counts.

    The checklist items checked are those the preparation carries (its drug's variant), plus
    the ride home and consent always: a preparation without them has not answered them. A
    missing item counts as unanswered, never as "no".
    """
    found: list[GateItem] = []

    def check(group: str, item: PrepItem, answer: object) -> None:
        problem = item.problem(answer if isinstance(answer, bool) else None)
        if problem:
            found.append(GateItem(f"{group}.{item.key}" if group else item.key, problem))

    checklist = preparation.checklist
    items = [_ALL_CHECKLIST_ITEMS[k] for k in checklist if k in _ALL_CHECKLIST_ITEMS]
    items += [i for i in _ALWAYS_CHECKED if i.key not in checklist]
    items.sort(key=lambda i: _checklist_order(i.key))
    for item in items:
        check("checklist", item, checklist.get(item.key))
    check("", SELF_HARM, preparation.self_harm_thoughts)
    screen = contraindications_for(protocol)
    for item in screen:
        check("contraindication", item, preparation.contraindications.get(item.key))
    asked = {item.key for item in screen}
    for key, answer in preparation.contraindications.items():
        if key not in asked and answer is True:  # an old screen's "yes" is still a "yes"
            check("contraindication", _LEGACY_ITEMS.get(key) or PrepItem(key, item_label(key), False), answer)
    for item in MEDICATIONS:
        check("medication", item, preparation.medications.get(item.key))
    return found


_CHECKLIST_ORDER = ("slept_well", "no_stimulants", "light_meal", "no_food_2h", "no_liquid_30min", "ride_home", "consent")


def _checklist_order(key: str) -> int:
    return _CHECKLIST_ORDER.index(key)


# --------------------------------------------------------------------------------------------
# The dose gate
# --------------------------------------------------------------------------------------------


NO_PREPARATION = "Preparation not recorded"
NO_PREDOSE_READING = "No pre-dose reading recorded"


def current_preparation(entries: Iterable[EntryInfo]) -> tuple[EntryInfo, Preparation] | None:
    """The newest preparation that no correction replaced, with its entry, or None."""
    found = of_type(entries, Preparation)
    return max(found, key=lambda pair: pair[0].occurred_at) if found else None


def preparation_weight(entries: Iterable[EntryInfo]) -> float | None:
    """The client's weight from the current preparation (for mg/kg doses), or None."""
    found = current_preparation(entries)
    return found[1].weight_kg if found is not None else None


def vitals_items(entries: Sequence[EntryInfo], protocol: Protocol, rules: AlertRules = DEFAULT_RULES) -> list[GateItem]:
    """The pre-dose vitals' open items, for a session whose T0 is not marked yet:

    * no pre-dose reading at all, when the protocol asks for one (``[vitals] before_dose``); a
      reading taken on a monitor and noted with "Vitals taken" counts as taken;
    * every current reading beyond the clinic's do-not-dose bounds: each alert of
      :func:`kapdesk.domain.alerts.evaluate` (``pre_dose=True``, no baseline) whose
      ``blocks_dosing`` is set, worded "Pre-dose reading 10:02: Systolic 200 mmHg is above 180".
      A later normal reading does not hide an earlier one beyond the bounds: dosing after it is a
      decision the record should show.
    """
    readings = current_readings(entries)
    found: list[GateItem] = []
    if protocol.vitals.before_dose and not readings and not of_type(entries, ReminderDone):
        found.append(GateItem("predose_reading_missing", NO_PREDOSE_READING))
    for timed in readings:
        when = timed.at.astimezone().strftime("%H:%M")
        for alert in evaluate(timed.reading, baseline=None, pre_dose=True, rules=rules):
            if alert.blocks_dosing:
                found.append(GateItem(f"predose_reading.{timed.id}.{alert.key}", f"Pre-dose reading {when}: {alert.message}"))
    return found


def dose_gate(entries: Sequence[EntryInfo], protocol: Protocol, *, rules: AlertRules = DEFAULT_RULES) -> list[GateItem]:
    """Every open item to confirm before T0 is marked; an empty list lets the dose go ahead.

    The items are the current preparation's (:func:`preparation_items`, or ``NO_PREPARATION``
    when there is none), then the pre-dose vitals' (:func:`vitals_items`), less those already
    covered by a ``safety_override`` recorded after that preparation: once the clinician has
    confirmed dosing despite exactly these items, pressing Dose again (say, after a failed save)
    does not ask twice. A new preparation, a new reading or a new problem asks again.
    """
    entries = list(entries)
    found = current_preparation(entries)
    if found is None:
        items = [GateItem("preparation_missing", NO_PREPARATION)]
        since = None
    else:
        items = preparation_items(found[1], protocol)
        since = found[0].occurred_at
    items += vitals_items(entries, protocol, rules)
    covered_keys: set[str] = set()
    covered_words: set[str] = set()  # an override recorded before items had keys names them in words
    for entry, override in of_type(entries, SafetyOverride):
        if override.gate != DOSE_GATE:
            continue  # a discharge override answers the discharge gate, never the dose
        if since is None or entry.occurred_at >= since:
            (covered_keys if override.keys else covered_words).update(override.keys or override.items)
    return [i for i in items if i.key not in covered_keys and i.text not in covered_words]


def make_override(items: Sequence[GateItem | str], reason: str) -> SafetyOverride:
    """The ``safety_override`` entry: the items dosed despite (their words and, for
    :class:`GateItem`, their keys), and the clinician's reason.

    A reason is required: an override without one says nothing to the next reader.
    """
    reason = (reason or "").strip()
    if not reason:
        raise PreparationError("Type the reason for dosing despite these items", "reason")
    if not items:
        raise PreparationError("There is nothing to override", "items")
    keys = tuple(i.key for i in items if isinstance(i, GateItem))
    return SafetyOverride(tuple(str(i) for i in items), reason, keys if len(keys) == len(items) else ())
