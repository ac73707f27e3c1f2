"""Rating scales used during and around a sitting: definitions as data, and one scoring function.

A :class:`ScaleDefinition` lists its items, each with an allowed range and the anchor words a
clinician reads before choosing a number. :func:`score` checks a set of answers against the
definition and returns a :class:`ScaleResult` (total, severity band, whether complete, and a
JSON-ready payload). The same code path scores every scale so the UI, the store and the exports
never each re-implement a sum.

Scales provided (``SCALES`` by key):

* ``moaas`` — MOAA/S sedation, 0–5.
* ``cadss6`` — CADSS six-item short form (items 1, 2, 6, 7, 15, 22 of the 23-item CADSS),
  each 0–4, total 0–24; or ``dissociation_0_10`` — a single 0–10 rating. Which one a clinic uses
  is its choice (:class:`DissociationMode`, :func:`dissociation_scale`).
* ``bprs_plus`` — BPRS positive-symptom items (4 items, each 1–7, total 4–28).
* ``nausea`` — nausea severity (none/mild/moderate/severe) and whether the client vomited.
  Not totalled.
* ``aldrete`` — modified Aldrete discharge score (5 items, each 0–2, total 0–10), with
  :func:`discharge_ready` and the helpers :func:`aldrete_circulation_score` and
  :func:`aldrete_spo2_score` that turn measurements into item scores.
* ``phq9`` and ``gad7`` — weekly depression and anxiety questionnaires with severity bands.

Item labels are short neutral paraphrases for the screen, not the instruments' wording: the
clinician administers the instrument from the clinic's own (licensed) form. For CADSS the
clinic may pass its own labels to :func:`cadss6_scale`.

Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from kapdesk.domain.vitals import VitalsReading

__all__ = [
    "ALDRETE",
    "ALDRETE_DISCHARGE_THRESHOLD",
    "BPRS_PLUS",
    "CADSS6",
    "CADSS6_ITEM_NUMBERS",
    "DISSOCIATION_RATING",
    "GAD7",
    "MOAAS",
    "NAUSEA",
    "PHQ9",
    "SCALES",
    "Anchor",
    "Band",
    "DissociationMode",
    "NauseaSeverity",
    "ScaleDefinition",
    "ScaleError",
    "ScaleItem",
    "ScaleResult",
    "aldrete_circulation_score",
    "aldrete_spo2_score",
    "cadss6_scale",
    "discharge_ready",
    "dissociation_scale",
    "in_session_scales",
    "nausea_answers",
    "score",
    "summarize",
]


class ScaleError(ValueError):
    """Answers that do not fit a scale, or a scale definition that is itself inconsistent.

    ``item`` is the key of the offending item when there is one, so a form can focus it.
    """

    def __init__(self, message: str, item: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


# --------------------------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """The words that go with one value of an item: ``Anchor(3, "Nearly every day")``."""

    value: int
    text: str


@dataclass(frozen=True)
class ScaleItem:
    """One question or observation, answered with a whole number in ``low..high``.

    ``flag_at``: an answer at or above this value adds ``flag_message`` to the result's flags —
    for answers that must not go unnoticed whatever the total (PHQ-9 item 9).
    ``number``: the item's number on the instrument when it is not its position in this
    definition (CADSS-6 keeps the CADSS numbers 1, 2, 6, 7, 15, 22); used in messages.
    """

    key: str
    label: str
    low: int
    high: int
    anchors: tuple[Anchor, ...] = ()
    flag_at: int | None = None
    flag_message: str = ""
    number: int | None = None

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ScaleError(f"Item {self.key!r}: low {self.low} is above high {self.high}", self.key)
        for anchor in self.anchors:
            if not self.low <= anchor.value <= self.high:
                raise ScaleError(f"Item {self.key!r}: anchor {anchor.value} is outside {self.range_text}", self.key)

    @property
    def range_text(self) -> str:
        return f"{self.low}–{self.high}"

    def anchor(self, value: int) -> str | None:
        """The anchor words for ``value``, or ``None`` if that value has none (e.g. 3 on a 0–10)."""
        for a in self.anchors:
            if a.value == value:
                return a.text
        return None


@dataclass(frozen=True)
class Band:
    """A named range of totals, inclusive at both ends: ``Band("mild", 5, 9)``."""

    name: str
    low: int
    high: int


@dataclass(frozen=True)
class ScaleDefinition:
    """A scale as data. ``totalled`` is False where a sum means nothing (nausea + vomited).

    Construction checks that item keys are unique and that bands lie inside the possible totals
    without overlapping, so a definition loaded from clinic settings fails early and loudly.
    """

    key: str
    name: str
    items: tuple[ScaleItem, ...]
    bands: tuple[Band, ...] = ()
    totalled: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if not self.items:
            raise ScaleError(f"Scale {self.key!r} has no items")
        keys = [i.key for i in self.items]
        if len(set(keys)) != len(keys):
            raise ScaleError(f"Scale {self.key!r} has duplicate item keys")
        low, high = self.total_range
        previous: Band | None = None
        for band in sorted(self.bands, key=lambda b: b.low):
            if band.low > band.high or band.low < low or band.high > high:
                raise ScaleError(f"Scale {self.key!r}: band {band.name!r} {band.low}–{band.high} is out of {low}–{high}")
            if previous is not None and band.low <= previous.high:
                raise ScaleError(f"Scale {self.key!r}: bands {previous.name!r} and {band.name!r} overlap")
            previous = band

    @property
    def total_range(self) -> tuple[int, int]:
        return (sum(i.low for i in self.items), sum(i.high for i in self.items))

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.items)

    def item(self, key: str) -> ScaleItem:
        for i in self.items:
            if i.key == key:
                return i
        raise KeyError(key)

    def band_for(self, total: int) -> str | None:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.name
        return None


# --------------------------------------------------------------------------------------------
# Results and scoring
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleResult:
    """A scored set of answers.

    ``answers`` holds ``(item_key, value)`` pairs in the definition's item order. ``total`` and
    ``band`` are ``None`` when the scale is not totalled or the answers are incomplete: a partial
    PHQ-9 sum shown as "the PHQ-9" would understate severity. ``flags`` are messages that must
    reach the clinician regardless of the total.
    """

    scale_key: str
    answers: tuple[tuple[str, int], ...]
    total: int | None
    band: str | None
    complete: bool
    flags: tuple[str, ...] = ()

    def answer(self, item_key: str) -> int | None:
        for key, value in self.answers:
            if key == item_key:
                return value
        return None

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready: ``{"scale", "answers", "total", "band", "complete", "flags"}``.

        Answers are what :meth:`from_payload` re-scores; total, band and flags are stored for
        readers of the raw data (CSV, audits) and are recomputed, not trusted, on load.
        """
        return {
            "scale": self.scale_key,
            "answers": dict(self.answers),
            "total": self.total,
            "band": self.band,
            "complete": self.complete,
            "flags": list(self.flags),
        }

    @classmethod
    def from_payload(
        cls, payload: Mapping[str, Any], definitions: Mapping[str, ScaleDefinition] | None = None
    ) -> ScaleResult:
        """Re-score stored answers with the current definition of their scale.

        ``definitions`` defaults to :data:`SCALES`; pass the clinic's set if it defines its own
        (e.g. CADSS with clinic labels — labels do not change scoring). A stored incomplete result
        stays incomplete. Raises :class:`ScaleError` if the scale is unknown or the answers no
        longer fit.
        """
        if not isinstance(payload, Mapping):
            raise ScaleError(f"A stored scale result must be a mapping, not {type(payload).__name__}")
        defs = SCALES if definitions is None else definitions
        key = payload.get("scale")
        if not isinstance(key, str) or key not in defs:
            raise ScaleError(f"Unknown scale {key!r} in stored result")
        answers = payload.get("answers")
        if not isinstance(answers, Mapping):
            raise ScaleError(f"Stored {key} result has no answers mapping")
        return score(defs[key], answers, allow_partial=not bool(payload.get("complete", True)))


def score(definition: ScaleDefinition, answers: Mapping[str, int], *, allow_partial: bool = False) -> ScaleResult:
    """Check ``answers`` (item key → whole number) against ``definition`` and score them.

    Every answer must be an ``int`` (not a bool, not a float) inside its item's range, and every
    key must be an item of the scale; otherwise :class:`ScaleError` names the item and the
    allowed range. Missing items (absent, or ``None`` — a form's "not answered") are an error
    too, unless ``allow_partial`` is true (a form saved
    half-way, e.g. the client fell asleep): then ``complete`` is False and there is no total.
    """
    if not isinstance(answers, Mapping):
        raise ScaleError(f"{definition.name}: answers must be a mapping of item to score")
    item_keys = set(definition.item_keys)
    for key in answers:
        if key not in item_keys:
            raise ScaleError(
                f"{definition.name} has no item {key!r} (items: {', '.join(definition.item_keys)})",
                key if isinstance(key, str) else None,
            )
    scored: list[tuple[str, int]] = []
    missing: list[ScaleItem] = []
    flags: list[str] = []
    for item in definition.items:
        if item.key not in answers or answers[item.key] is None:
            missing.append(item)
            continue
        value = answers[item.key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScaleError(
                f"{definition.name} item {_item_name(definition, item)} needs a whole number {item.range_text}, got {value!r}",
                item.key,
            )
        if not item.low <= value <= item.high:
            raise ScaleError(
                f"{definition.name} item {_item_name(definition, item)} must be {item.range_text}, got {value}", item.key
            )
        scored.append((item.key, value))
        if item.flag_at is not None and value >= item.flag_at:
            flags.append(item.flag_message or f"{definition.name} {item.label}: {value}")
    if missing and not allow_partial:
        names = ", ".join(_item_name(definition, i) for i in missing)
        ranges = {i.range_text for i in missing}
        if len(missing) == 1:
            allowed = missing[0].range_text
        else:
            allowed = f"each {ranges.pop()}" if len(ranges) == 1 else "see each item's range"
        plural = "items" if len(missing) > 1 else "item"
        raise ScaleError(f"{definition.name}: no answer for {plural} {names} ({allowed})", missing[0].key)
    complete = not missing
    total = sum(v for _, v in scored) if (complete and definition.totalled) else None
    band = definition.band_for(total) if total is not None else None
    return ScaleResult(definition.key, tuple(scored), total, band, complete, tuple(flags))


def summarize(definition: ScaleDefinition, result: ScaleResult) -> str:
    """One line for the session timeline: ``"PHQ-9 12 (moderate)"``, ``"MOAA/S 4: lethargic …"``."""
    if result.scale_key != definition.key:
        raise ScaleError(f"Result is for {result.scale_key!r}, not {definition.key!r}")
    if not result.complete:
        return f"{definition.name}: incomplete ({len(result.answers)} of {len(definition.items)} items)"
    if not definition.totalled:
        parts = []
        for key, value in result.answers:
            item = definition.item(key)
            parts.append(f"{item.label.lower()} {item.anchor(value) or value}")
        return f"{definition.name}: " + "; ".join(parts)
    if len(definition.items) == 1:
        item = definition.items[0]
        words = item.anchor(result.total or 0)
        return f"{definition.name} {result.total}" + (f": {words}" if words else "")
    band = f" ({result.band})" if result.band else ""
    return f"{definition.name} {result.total}{band}"


def _item_name(definition: ScaleDefinition, item: ScaleItem) -> str:
    number = item.number if item.number is not None else definition.items.index(item) + 1
    return f"{number} ‘{item.label}’"


def _anchors(*pairs: tuple[int, str]) -> tuple[Anchor, ...]:
    return tuple(Anchor(v, t) for v, t in pairs)


# --------------------------------------------------------------------------------------------
# MOAA/S
# --------------------------------------------------------------------------------------------

MOAAS = ScaleDefinition(
    key="moaas",
    name="MOAA/S",
    description="Modified Observer's Assessment of Alertness/Sedation; 5 is fully alert.",
    items=(
        ScaleItem(
            "responsiveness",
            "Responsiveness",
            0,
            5,
            _anchors(
                (5, "responds readily to name spoken in normal tone"),
                (4, "lethargic response to name spoken in normal tone"),
                (3, "responds only after name is called loudly and/or repeatedly"),
                (2, "responds only after mild prodding or shaking"),
                (1, "responds only after painful trapezius squeeze"),
                (0, "no response after painful trapezius squeeze"),
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Dissociation
# --------------------------------------------------------------------------------------------


class DissociationMode(Enum):
    """How a clinic records dissociation: the CADSS-6 short form or one 0–10 rating."""

    CADSS6 = "cadss6"
    RATING = "dissociation_0_10"


CADSS6_ITEM_NUMBERS: tuple[int, ...] = (1, 2, 6, 7, 15, 22)

# Neutral paraphrases for the screen. Item 22 is left to the clinic's form: we could not check
# its wording against a primary source, and a wrong label on a clinical scale is worse than none.
_CADSS6_DEFAULT_LABELS: Mapping[int, str] = MappingProxyType(
    {
        1: "Time seems slowed down",
        2: "Surroundings feel unreal or dreamlike",
        6: "Feels cut off from own body",
        7: "Body feels changed in size or shape",
        15: "Spacing out, losing track of what is happening",
        22: "CADSS item 22 (as worded on the clinic's form)",
    }
)

_CADSS_ANCHORS = _anchors((0, "not at all"), (1, "slightly"), (2, "moderately"), (3, "considerably"), (4, "extremely"))


def cadss6_scale(item_labels: Mapping[int, str] | None = None) -> ScaleDefinition:
    """The CADSS-6 definition, optionally with the clinic's own item labels (keyed by CADSS item
    number 1, 2, 6, 7, 15, 22). Item keys (``cadss_1`` …) and scoring never change with labels,
    so stored results stay comparable."""
    labels = dict(_CADSS6_DEFAULT_LABELS)
    if item_labels:
        unknown = set(item_labels) - set(CADSS6_ITEM_NUMBERS)
        if unknown:
            raise ScaleError(f"CADSS-6 has no item {sorted(unknown)[0]} (items: 1, 2, 6, 7, 15, 22)")
        for number, text in item_labels.items():
            if not isinstance(text, str) or not text.strip():
                raise ScaleError(f"CADSS-6 item {number} label must be non-empty text", f"cadss_{number}")
            labels[number] = text.strip()
    return ScaleDefinition(
        key="cadss6",
        name="CADSS-6",
        description="Six-item short form of the Clinician-Administered Dissociative States Scale.",
        items=tuple(
            ScaleItem(f"cadss_{n}", labels[n], 0, 4, _CADSS_ANCHORS, number=n) for n in CADSS6_ITEM_NUMBERS
        ),
    )


CADSS6 = cadss6_scale()

DISSOCIATION_RATING = ScaleDefinition(
    key="dissociation_0_10",
    name="Dissociation (0–10)",
    description="A single clinician rating of how dissociated the client seems, 0 none to 10 extreme.",
    items=(ScaleItem("dissociation", "Dissociation", 0, 10, _anchors((0, "none"), (5, "moderate"), (10, "extreme"))),),
)


def dissociation_scale(mode: DissociationMode, *, item_labels: Mapping[int, str] | None = None) -> ScaleDefinition:
    """The clinic's dissociation scale. ``item_labels`` applies to CADSS-6 only."""
    if mode is DissociationMode.CADSS6:
        return CADSS6 if not item_labels else cadss6_scale(item_labels)
    if mode is DissociationMode.RATING:
        return DISSOCIATION_RATING
    raise ScaleError(f"Unknown dissociation mode {mode!r}")


# --------------------------------------------------------------------------------------------
# BPRS positive symptoms
# --------------------------------------------------------------------------------------------

_BPRS_ANCHORS = _anchors(
    (1, "not present"),
    (2, "very mild"),
    (3, "mild"),
    (4, "moderate"),
    (5, "moderately severe"),
    (6, "severe"),
    (7, "extremely severe"),
)

BPRS_PLUS = ScaleDefinition(
    key="bprs_plus",
    name="BPRS+",
    description="Positive-symptom items of the Brief Psychiatric Rating Scale, each 1 (not present) to 7.",
    items=(
        ScaleItem("suspiciousness", "Suspiciousness", 1, 7, _BPRS_ANCHORS),
        ScaleItem("hallucinations", "Hallucinations", 1, 7, _BPRS_ANCHORS),
        ScaleItem("unusual_thought_content", "Unusual thought content", 1, 7, _BPRS_ANCHORS),
        ScaleItem("conceptual_disorganization", "Conceptual disorganization", 1, 7, _BPRS_ANCHORS),
    ),
)

# --------------------------------------------------------------------------------------------
# Nausea and vomiting
# --------------------------------------------------------------------------------------------


class NauseaSeverity(Enum):
    NONE = 0
    MILD = 1
    MODERATE = 2
    SEVERE = 3


NAUSEA = ScaleDefinition(
    key="nausea",
    name="Nausea",
    description="Presence and severity of nausea, and whether the client vomited.",
    totalled=False,
    items=(
        ScaleItem("nausea", "Nausea", 0, 3, _anchors((0, "none"), (1, "mild"), (2, "moderate"), (3, "severe"))),
        ScaleItem("vomited", "Vomited", 0, 1, _anchors((0, "no"), (1, "yes"))),
    ),
)


def nausea_answers(severity: NauseaSeverity, vomited: bool) -> dict[str, int]:
    """Answers for :data:`NAUSEA` from the form's two controls."""
    if not isinstance(severity, NauseaSeverity):
        raise ScaleError(f"Nausea severity must be a NauseaSeverity, not {severity!r}", "nausea")
    return {"nausea": severity.value, "vomited": int(bool(vomited))}


# --------------------------------------------------------------------------------------------
# Modified Aldrete
# --------------------------------------------------------------------------------------------

ALDRETE_DISCHARGE_THRESHOLD = 9

ALDRETE = ScaleDefinition(
    key="aldrete",
    name="Modified Aldrete",
    description="Recovery score for discharge; each item 0–2, total 0–10.",
    items=(
        ScaleItem(
            "activity",
            "Activity",
            0,
            2,
            _anchors(
                (2, "moves all four limbs, voluntarily or on command"),
                (1, "moves two limbs"),
                (0, "cannot move limbs"),
            ),
        ),
        ScaleItem(
            "respiration",
            "Respiration",
            0,
            2,
            _anchors(
                (2, "breathes deeply and coughs freely"),
                (1, "short of breath or shallow, limited breathing"),
                (0, "not breathing (apnoea)"),
            ),
        ),
        ScaleItem(
            "circulation",
            "Circulation",
            0,
            2,
            _anchors(
                (2, "blood pressure within ±20% of baseline"),
                (1, "blood pressure 20–49% away from baseline"),
                (0, "blood pressure 50% or more away from baseline"),
            ),
        ),
        ScaleItem(
            "consciousness",
            "Consciousness",
            0,
            2,
            _anchors((2, "fully awake"), (1, "rouses when called by name"), (0, "not responding")),
        ),
        ScaleItem(
            "spo2",
            "SpO₂",
            0,
            2,
            _anchors(
                (2, "keeps SpO₂ above 92% on room air"),
                (1, "needs oxygen to keep SpO₂ above 90%"),
                (0, "SpO₂ below 90% even with oxygen"),
            ),
        ),
    ),
)


def discharge_ready(result: ScaleResult, *, threshold: int = ALDRETE_DISCHARGE_THRESHOLD) -> bool:
    """True when a complete modified Aldrete total reaches ``threshold`` (default 9).

    An incomplete Aldrete is never "ready": an unassessed item is not a passed one. The rest of
    discharge (steady gait, ride home confirmed) is checked elsewhere; this is only the score.
    """
    if result.scale_key != ALDRETE.key:
        raise ScaleError(f"discharge_ready needs a modified Aldrete result, not {result.scale_key!r}")
    low, high = ALDRETE.total_range
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not low <= threshold <= high:
        raise ScaleError(f"Aldrete discharge threshold must be a whole number {low}–{high}, got {threshold!r}")
    return result.complete and result.total is not None and result.total >= threshold


def _systolic_of(value: float | VitalsReading, what: str) -> Fraction:
    if isinstance(value, VitalsReading):
        if value.systolic is None:
            raise ScaleError(f"The {what} reading has no blood pressure", "circulation")
        return Fraction(value.systolic)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScaleError(f"The {what} systolic must be a number, not {value!r}", "circulation")
    if not value > 0 or value != value or value == float("inf"):
        raise ScaleError(f"The {what} systolic must be a positive number, not {value!r}", "circulation")
    return Fraction(value)


def aldrete_circulation_score(current_bp: float | VitalsReading, baseline_bp: float | VitalsReading) -> int:
    """Aldrete circulation item from the current and baseline (pre-dose) systolic pressure.

    Each argument is a systolic in mmHg or a :class:`VitalsReading` (its systolic is used).
    2 = within ±20% of baseline (exactly 20% counts as within); 1 = more than 20% and less than
    50% away; 0 = 50% or more away. Computed with exact fractions so 20% and 50% are not at the
    mercy of float rounding.
    """
    current = _systolic_of(current_bp, "current")
    baseline = _systolic_of(baseline_bp, "baseline")
    deviation = abs(current - baseline) / baseline
    if deviation <= Fraction(20, 100):
        return 2
    if deviation < Fraction(50, 100):
        return 1
    return 0


def aldrete_spo2_score(spo2: float, on_oxygen: bool) -> int:
    """Aldrete SpO₂ item from a saturation and whether the client is on supplemental oxygen.

    Room air: above 92% → 2; above 90% (but not above 92%) → 1, as they would need oxygen;
    90% or lower → 0. On oxygen: above 90% → 1; 90% or lower → 0. The published anchors leave
    exactly 90% unassigned ("> 90" scores 1, "< 90" scores 0); we score it 0, erring towards
    not discharging.
    """
    if isinstance(spo2, bool) or not isinstance(spo2, (int, float)) or not 0 <= spo2 <= 100:
        raise ScaleError(f"SpO₂ must be a number 0–100, not {spo2!r}", "spo2")
    if not on_oxygen and spo2 > 92:
        return 2
    if spo2 > 90:
        return 1
    return 0


# --------------------------------------------------------------------------------------------
# PHQ-9 and GAD-7
# --------------------------------------------------------------------------------------------

_FREQUENCY_ANCHORS = _anchors(
    (0, "not at all"), (1, "several days"), (2, "more than half the days"), (3, "nearly every day")
)

PHQ9 = ScaleDefinition(
    key="phq9",
    name="PHQ-9",
    description="Depression over the last two weeks; each item 0–3, total 0–27.",
    items=(
        ScaleItem("interest", "Little interest or pleasure", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("mood", "Feeling down or hopeless", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("sleep", "Sleep too little or too much", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("energy", "Tired, low energy", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("appetite", "Appetite too low or too high", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("self_worth", "Feeling bad about oneself", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("concentration", "Trouble concentrating", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("psychomotor", "Slowed down, or restless", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem(
            "self_harm",
            "Thoughts of death or self-harm",
            0,
            3,
            _FREQUENCY_ANCHORS,
            flag_at=1,
            flag_message="PHQ-9 item 9: thoughts of death or self-harm endorsed; follow the clinic's safety assessment",
        ),
    ),
    bands=(
        Band("minimal", 0, 4),
        Band("mild", 5, 9),
        Band("moderate", 10, 14),
        Band("moderately severe", 15, 19),
        Band("severe", 20, 27),
    ),
)

GAD7 = ScaleDefinition(
    key="gad7",
    name="GAD-7",
    description="Anxiety over the last two weeks; each item 0–3, total 0–21.",
    items=(
        ScaleItem("nervous", "Nervous, anxious or on edge", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("control_worry", "Cannot stop or control worrying", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("worry", "Worrying too much about different things", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("relaxing", "Trouble relaxing", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("restless", "So restless it is hard to sit still", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("irritable", "Easily annoyed or irritable", 0, 3, _FREQUENCY_ANCHORS),
        ScaleItem("afraid", "Afraid something awful might happen", 0, 3, _FREQUENCY_ANCHORS),
    ),
    bands=(Band("minimal", 0, 4), Band("mild", 5, 9), Band("moderate", 10, 14), Band("severe", 15, 21)),
)

# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


def _registry(definitions: Iterable[ScaleDefinition]) -> Mapping[str, ScaleDefinition]:
    return MappingProxyType({d.key: d for d in definitions})


SCALES: Mapping[str, ScaleDefinition] = _registry(
    (MOAAS, CADSS6, DISSOCIATION_RATING, BPRS_PLUS, NAUSEA, ALDRETE, PHQ9, GAD7)
)


def in_session_scales(mode: DissociationMode) -> tuple[ScaleDefinition, ...]:
    """The scales the in-session pane offers, in display order, with the clinic's dissociation
    scale: sedation, dissociation, psychotic-like symptoms, nausea, discharge."""
    return (MOAAS, dissociation_scale(mode), BPRS_PLUS, NAUSEA, ALDRETE)
