"""PHQ-9 item 9: the one answer that must never disappear into a total.

Item 9 ("thoughts that you would be better off dead, or of hurting yourself") above 0 calls for a
suicide-risk assessment the same day, whatever the total (product.md, "Safety rules"). The PHQ-9
is stored item by item (:class:`kapdesk.domain.info.OutcomeInfo.answers`, key ``self_harm``);
this module is the one place that reads that item, for the session's alert, the course and history
markers, the preparation pane, the PDF and FHIR alike.

Pure: outcomes in, facts out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from kapdesk.domain.scales import SCALES

__all__ = [
    "ITEM9_ADVICE",
    "ITEM9_KEY",
    "ITEM9_MARK",
    "Item9Answer",
    "item9_answer",
    "item9_marker",
    "item9_positive",
    "item9_value",
    "latest_item9",
    "outcome_summary",
    "positive_item9s",
    "strongest_item9",
]

ITEM9_KEY = "self_harm"  # the PHQ-9 definition's key for item 9 (kapdesk.domain.scales.PHQ9)
# The one marker for a positive item 9, on screen and in text: a symbol *and* words, never colour alone.
ITEM9_MARK = "⚑"
# What a positive answer calls for (product.md, "Safety rules"); the PDF prints it beside the answer.
ITEM9_ADVICE = "a suicide-risk assessment the same day, whatever the total"


class _Outcome(Protocol):
    @property
    def measure(self) -> str: ...
    @property
    def taken_on(self) -> date: ...
    @property
    def answers(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Item9Answer:
    """One recorded item-9 answer: its value (0–3) and the day the PHQ-9 was taken."""

    value: int
    taken_on: date

    @property
    def positive(self) -> bool:
        return self.value > 0

    def describe(self) -> str:
        """``"PHQ-9 item 9 = 2 on 2026-11-24"``."""
        return f"PHQ-9 item 9 = {self.value} on {self.taken_on.isoformat()}"

    @property
    def marker(self) -> str:
        """``"⚑ item 9 = 2"``: the same words in the outcomes form, the course view and the history list."""
        return _marker_text(self.value)


class _Scored(_Outcome, Protocol):
    @property
    def total(self) -> int: ...


def _measure_key(measure: str) -> str:
    """``"PHQ-9"``, ``"phq 9"``, ``"phq9"`` → ``"phq9"``."""
    return "".join(ch for ch in measure.casefold() if ch.isalnum())


def item9_value(measure: str, answers: Mapping[str, Any]) -> int | None:
    """Item 9 of a set of answers (a form still being typed, a stored outcome): ``None`` if the
    measure is not the PHQ-9 or item 9 is not answered."""
    if _measure_key(measure) != "phq9":
        return None
    value = answers.get(ITEM9_KEY)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def item9_marker(measure: str, answers: Mapping[str, Any]) -> str | None:
    """``"⚑ item 9 = 2"`` when item 9 of these answers is above 0, else ``None``."""
    value = item9_value(measure, answers)
    return _marker_text(value) if value is not None and value > 0 else None


def _marker_text(value: int) -> str:
    return f"{ITEM9_MARK} item 9 = {value}"


def item9_answer(outcome: _Outcome) -> Item9Answer | None:
    """The item-9 answer of one outcome; ``None`` if it is not a PHQ-9 or item 9 was not answered."""
    value = item9_value(outcome.measure, outcome.answers)
    return None if value is None else Item9Answer(value, outcome.taken_on)


def item9_positive(outcome: _Outcome) -> bool:
    """True when ``outcome`` is a PHQ-9 whose item 9 is above 0."""
    answer = item9_answer(outcome)
    return answer is not None and answer.positive


def latest_item9(outcomes: Iterable[_Outcome]) -> Item9Answer | None:
    """The most recent item-9 answer among ``outcomes`` (by date; the later one in the list on a tie)."""
    latest: Item9Answer | None = None
    for outcome in outcomes:
        answer = item9_answer(outcome)
        if answer is not None and (latest is None or answer.taken_on >= latest.taken_on):
            latest = answer
    return latest


def positive_item9s(outcomes: Iterable[_Outcome]) -> tuple[Item9Answer, ...]:
    """Every item-9 answer above 0 among ``outcomes``, oldest first (a stable sort: list order on a tie)."""
    found = [a for a in (item9_answer(o) for o in outcomes) if a is not None and a.positive]
    return tuple(sorted(found, key=lambda a: a.taken_on))


def strongest_item9(outcomes: Iterable[_Outcome]) -> Item9Answer | None:
    """The highest positive item-9 answer among ``outcomes`` (the later one on a tie), or ``None``.

    For a row that stands for several PHQ-9s (a session's, a day's): a positive answer is never
    hidden by a later questionnaire answered 0.
    """
    strongest: Item9Answer | None = None
    for answer in positive_item9s(outcomes):
        if strongest is None or answer.value >= strongest.value:
            strongest = answer
    return strongest


def outcome_summary(outcome: _Scored) -> str:
    """One outcome measure in words, the same wherever it is written.

    ``"PHQ-9 3 (minimal)"``; with item 9 above 0 ``"PHQ-9 3 (minimal) · ⚑ item 9 = 3"``, so a
    positive item 9 never disappears into a low total. A measure this build does not know is named
    as stored, its total without a band.
    """
    definition = SCALES.get(_measure_key(outcome.measure))
    name = definition.name if definition is not None else outcome.measure
    band = definition.band_for(outcome.total) if definition is not None else None
    text = f"{name} {outcome.total}" + (f" ({band})" if band else "")
    answer = item9_answer(outcome)
    if answer is not None and answer.positive:
        text += f" · {answer.marker}"
    return text
