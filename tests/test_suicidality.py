"""PHQ-9 item 9 is read in one place (kapdesk.domain.suicidality)."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kapdesk.domain.suicidality import item9_answer, item9_positive, latest_item9


@dataclass
class _Outcome:
    measure: str
    taken_on: date
    answers: dict[str, Any] = field(default_factory=dict)


def test_item9_zero_is_not_positive_and_one_is():
    assert not item9_positive(_Outcome("phq9", date(2026, 11, 1), {"self_harm": 0}))
    assert item9_positive(_Outcome("phq9", date(2026, 11, 1), {"self_harm": 1}))


def test_only_a_phq9_with_item9_answered_has_an_answer():
    assert item9_answer(_Outcome("gad7", date(2026, 11, 1), {"self_harm": 3})) is None
    assert item9_answer(_Outcome("phq9", date(2026, 11, 1), {"mood": 3})) is None
    assert item9_answer(_Outcome("phq9", date(2026, 11, 1), {"self_harm": None})) is None


def test_latest_answer_is_the_newest_by_date():
    outcomes = [
        _Outcome("phq9", date(2026, 11, 8), {"self_harm": 2}),
        _Outcome("phq9", date(2026, 11, 1), {"self_harm": 0}),
        _Outcome("gad7", date(2026, 11, 15), {}),
    ]
    latest = latest_item9(outcomes)
    assert latest is not None and latest.value == 2 and latest.taken_on == date(2026, 11, 8)
    assert latest.describe() == "PHQ-9 item 9 = 2 on 2026-11-08"
    assert latest_item9([]) is None
