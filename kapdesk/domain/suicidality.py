"""PHQ-9 item 9: the one answer that must never disappear into a total.

Item 9 ("thoughts that you would be better off dead, or of hurting yourself") above 0 calls for a
suicide-risk assessment the same day, whatever the total (product.md, "Safety rules"). The PHQ-9
is stored item by item (:class:`kapdesk.domain.info.OutcomeInfo.answers`, key ``self_harm``);
this module is the one place that reads that item, for the session's alert, the course and history
markers, the preparation pane, the PDF and FHIR alike.

Pure: outcomes in, facts out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

__all__ = ["ITEM9_KEY", "Item9Answer", "item9_answer", "item9_positive", "latest_item9"]

ITEM9_KEY = "self_harm"  # the PHQ-9 definition's key for item 9 (kapdesk.domain.scales.PHQ9)


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


def item9_answer(outcome: _Outcome) -> Item9Answer | None:
    """The item-9 answer of one outcome; ``None`` if it is not a PHQ-9 or item 9 was not answered."""
    if outcome.measure.casefold().replace("-", "") != "phq9":
        return None
    value = outcome.answers.get(ITEM9_KEY)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return Item9Answer(value, outcome.taken_on)


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
