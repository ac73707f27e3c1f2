"""PHQ-9 item 9 is read in one place (kapdesk.domain.suicidality)."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from kapdesk.domain.suicidality import (
    ITEM9_MARK,
    item9_answer,
    item9_positive,
    latest_item9,
    outcome_summary,
    positive_item9s,
    strongest_item9,
)


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


# -- the marker and the summary text: the same words wherever an outcome is written ------------


@dataclass
class _Scored(_Outcome):
    total: int = 0


def _phq9(item9: int | None, total: int, on: date = date(2026, 11, 24)) -> _Scored:
    answers: dict[str, Any] = {"interest": 0, "mood": 0, "sleep": 0, "energy": 0, "appetite": 0, "self_worth": 0,
                               "concentration": 0, "psychomotor": total - (item9 or 0)}
    if item9 is not None:
        answers["self_harm"] = item9
    return _Scored("phq9", on, answers, total)


def test_the_marker_names_the_item_and_its_value_in_words():
    answer = item9_answer(_phq9(2, 2))
    assert answer is not None and answer.marker == f"{ITEM9_MARK} item 9 = 2" == "⚑ item 9 = 2"


@pytest.mark.parametrize(("item9", "total", "expected"), [
    (0, 3, "PHQ-9 3 (minimal)"),  # 0: no flag
    (1, 3, "PHQ-9 3 (minimal) · ⚑ item 9 = 1"),  # the lowest positive answer is flagged
    (3, 3, "PHQ-9 3 (minimal) · ⚑ item 9 = 3"),  # the case: all 0, item 9 = 3
    (3, 27, "PHQ-9 27 (severe) · ⚑ item 9 = 3"),
    (None, 4, "PHQ-9 4 (minimal)"),  # item 9 not stored (an older row): nothing invented
])
def test_outcome_summary_carries_a_positive_item9(item9, total, expected):
    assert outcome_summary(_phq9(item9, total)) == expected


def test_outcome_summary_of_other_measures():
    assert outcome_summary(_Scored("gad7", date(2026, 11, 24), {"self_harm": 3}, 10)) == "GAD-7 10 (moderate)"
    assert outcome_summary(_Scored("PHQ-9", date(2026, 11, 24), {"self_harm": 2}, 5)) == "PHQ-9 5 (mild) · ⚑ item 9 = 2"
    assert outcome_summary(_Scored("hads", date(2026, 11, 24), {}, 7)) == "hads 7"


def test_positives_in_date_order_and_the_strongest_is_not_hidden_by_a_later_zero():
    outcomes = [_phq9(1, 5, date(2026, 11, 20)), _phq9(2, 5, date(2026, 11, 3)), _phq9(0, 5, date(2026, 11, 24)),
                _Scored("gad7", date(2026, 11, 1), {}, 3)]
    assert [(a.value, a.taken_on.day) for a in positive_item9s(outcomes)] == [(2, 3), (1, 20)]
    strongest = strongest_item9(outcomes)
    assert strongest is not None and (strongest.value, strongest.taken_on.day) == (2, 3)
    assert strongest_item9([_phq9(0, 5)]) is None and strongest_item9([]) is None
