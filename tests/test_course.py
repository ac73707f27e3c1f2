"""The course summaries (pure): what each number in the course view is made of. Synthetic values only."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from kapdesk.domain.course import build_course, measure_key, summarize_session
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import EntryInfo, Payload, Unreadable, Vitals, decode, kind_of
from kapdesk.domain.scales import SCALES, score
from kapdesk.domain.vitals import VitalsReading, parse_vitals


@dataclass(frozen=True)
class Proto:
    name: str = "Sublingual ketamine (troche)"


@dataclass(frozen=True)
class Sess:
    arrival_at: datetime
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    protocol: Proto = Proto()


@dataclass(frozen=True)
class Outcome:
    measure: str
    taken_on: date
    total: int
    session_id: uuid.UUID | None = None
    answers: dict[str, int] = field(default_factory=dict)


_minutes = itertools.count()  # each entry a minute after the one made before it


def entry(data: Payload, current: bool = True) -> EntryInfo:
    """An entry as the store hands it out; ``current=False`` marks it superseded by a correction."""
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=next(_minutes))
    return EntryInfo(uuid.uuid4(), uuid.uuid4(), kind_of(data), moment, moment, uuid.uuid4(), "Nurse (synthetic)",
                     data, superseded_by=None if current else uuid.uuid4())


def stored(kind: str, payload: dict[str, Any]) -> EntryInfo:
    """An entry whose stored payload the store decoded (possibly to Unreadable)."""
    return entry(decode(kind, payload)[1])


def vitals(text: str, current: bool = True) -> EntryInfo:
    return entry(Vitals(parse_vitals(text)), current)


def scale(key: str, answers: dict[str, int]) -> EntryInfo:
    return entry(score(SCALES[key], answers))


def dose(line: str, current: bool = True) -> EntryInfo:
    return entry(parse_dose(line, given_by="Nurse (synthetic)"), current)


def day(d: int) -> datetime:
    return datetime(2026, 1, d, 12, 0, tzinfo=timezone.utc)


def test_one_session_summary():
    session = Sess(day(5))
    entries = [
        vitals("126/82 74 98 14"),
        dose("ketamine 100 mg SL"),
        vitals("190/95 80 97 14", current=False),  # a typo, corrected below: not a peak
        vitals("148/88 80 97 14"),
        vitals("140/96 78 97 14"),  # a higher diastolic, but in another reading: not part of the peak
        dose("ketamine 50 mg SL"),  # a booster
        dose("ketamine 500 mg SL", current=False),
        scale("moaas", {"responsiveness": 4}),
        scale("moaas", {"responsiveness": 3}),
        scale("cadss6", {"cadss_1": 2, "cadss_2": 3, "cadss_6": 1, "cadss_7": 2, "cadss_15": 1, "cadss_22": 0}),
        scale("cadss6", {"cadss_1": 1, "cadss_2": 1, "cadss_6": 0, "cadss_7": 0, "cadss_15": 0, "cadss_22": 0}),
        scale("nausea", {"nausea": 1, "vomited": 0}),
    ]
    s = summarize_session(session, entries)
    assert (s.dose_mg, s.doses, s.dose_text) == (150.0, 2, "150 mg (2 doses)")
    assert (s.peak_systolic, s.peak_diastolic, s.peak_bp_text) == (148, 88, "148/88")
    assert s.peak_bp == VitalsReading(148, 88, 80, 97, 14)
    assert s.lowest_moaas == 3
    assert (s.dissociation_scale, s.dissociation, s.dissociation_text) == ("cadss6", 9, "CADSS-6 9")
    assert (s.phq9, s.gad7) == (None, None)
    assert s.protocol == "Sublingual ketamine (troche)" and s.session_id == session.id


def test_an_empty_session_shows_dashes():
    s = summarize_session(Sess(day(5)), [])
    assert (s.dose_mg, s.peak_systolic, s.lowest_moaas, s.dissociation) == (None, None, None, None)
    assert (s.dose_text, s.peak_bp_text, s.dissociation_text) == ("—", "—", "—")


def test_unreadable_and_incomplete_payloads_are_skipped_not_guessed():
    partial = score(SCALES["cadss6"], {"cadss_1": 4}, allow_partial=True).to_payload()
    entries = [
        stored("scale", partial),
        stored("scale", {"scale": "moaas", "answers": {"responsiveness": 9}, "total": 9, "complete": True}),
        stored("scale", {"scale": "unknown_scale", "answers": {}}),
        stored("vitals", {"systolic": "high"}),
        stored("dose", {"drug": "ketamine"}),
        scale("dissociation_0_10", {"dissociation": 6}),
    ]
    assert [isinstance(e.data, Unreadable) for e in entries] == [False, True, True, True, True, False]
    s = summarize_session(Sess(day(5)), entries)
    assert (s.lowest_moaas, s.peak_systolic, s.dose_mg) == (None, None, None)
    assert (s.dissociation_scale, s.dissociation) == ("dissociation_0_10", 6)  # the partial CADSS-6 does not count
    assert s.dissociation_text == "Dissociation (0–10) 6"


def test_the_peak_is_one_real_reading_never_two_halves():
    """The highest systolic's own diastolic: 300/20, not 300/95 (which no one ever measured)."""
    s = summarize_session(Sess(day(5)), [vitals("150/95 80 97 14"), vitals("300/20 80 97 14")])
    assert (s.peak_systolic, s.peak_diastolic, s.peak_bp_text) == (300, 20, "300/20")
    assert s.peak_bp == VitalsReading(300, 20, 80, 97, 14)


def test_scores_linked_to_the_session_come_first_then_same_day_ones():
    session = Sess(day(5))
    outcomes = [
        Outcome("phq9", date(2026, 1, 5), 14),  # same day, no session
        Outcome("PHQ-9", date(2026, 1, 5), 12, session.id),  # linked: wins
        Outcome("gad7", date(2026, 1, 5), 9),
        Outcome("gad7", date(2026, 1, 4), 3),  # another day, not linked: not this session's
        Outcome("phq9", date(2026, 1, 12), 8, uuid.uuid4()),  # another session's
    ]
    s = summarize_session(session, [], outcomes)
    assert (s.phq9, s.gad7) == (12, 9)


def test_measure_names():
    assert [measure_key(m) for m in ("phq9", "PHQ-9", "phq 9", "GAD-7", "gad7", "aldrete")] == [
        "phq9", "phq9", "phq9", "gad7", "gad7", None]


def test_a_course_is_oldest_first_with_outcomes_by_date():
    first, second, third = Sess(day(5)), Sess(day(12)), Sess(day(19))
    outcomes = [
        Outcome("phq9", date(2026, 1, 5), 18, first.id),
        Outcome("gad7", date(2026, 1, 5), 12, first.id),
        Outcome("phq9", date(2026, 1, 12), 13, second.id),
        Outcome("phq9", date(2026, 1, 19), 7, third.id),
        Outcome("gad7", date(2026, 1, 19), 6, third.id),
        Outcome("aldrete", date(2026, 1, 19), 10, third.id),  # not charted
    ]
    course = build_course([(third, [dose("ketamine 150 mg SL")]), (first, [dose("ketamine 100 mg SL")]),
                           (second, [dose("ketamine 125 mg SL")])], outcomes)
    assert [s.session_id for s in course.sessions] == [first.id, second.id, third.id]
    assert [s.dose_mg for s in course.sessions] == [100, 125, 150]
    assert [(s.phq9, s.gad7) for s in course.sessions] == [(18, 12), (13, None), (7, 6)]
    assert course.series("phq9") == [(date(2026, 1, 5), 18), (date(2026, 1, 12), 13), (date(2026, 1, 19), 7)]
    assert course.series("gad7") == [(date(2026, 1, 5), 12), (date(2026, 1, 19), 6)]
    assert [p.band for p in course.outcomes if p.measure == "phq9"] == ["moderately severe", "moderate", "mild"]
    assert len(course.outcomes) == 5


# -- PHQ-9 item 9 in the course: a marker in words for the session, and every positive answer ----

def _phq9_answers(item9: int) -> dict[str, int]:
    return {key: 0 for key in SCALES["phq9"].item_keys} | {"self_harm": item9}


def test_a_session_whose_phq9_item9_is_positive_carries_the_marker():
    session = Sess(day(5))
    zero = summarize_session(session, [], [Outcome("phq9", date(2026, 1, 5), 3, session.id, _phq9_answers(0))])
    assert zero.item9 is None and zero.phq9_text == "3"
    one = summarize_session(session, [], [Outcome("phq9", date(2026, 1, 5), 1, session.id, _phq9_answers(1))])
    assert one.item9 is not None and one.item9.value == 1
    assert one.phq9_text == "1 · ⚑ item 9 = 1"
    assert summarize_session(session, [], []).phq9_text == "—"


def test_a_later_zero_the_same_day_does_not_hide_a_positive_answer():
    session = Sess(day(5))
    outcomes = [
        Outcome("phq9", date(2026, 1, 5), 2, None, _phq9_answers(2)),  # same day, no session
        Outcome("phq9", date(2026, 1, 5), 0, session.id, _phq9_answers(0)),  # linked: its total wins
        Outcome("phq9", date(2026, 1, 4), 3, None, _phq9_answers(3)),  # another day: not this session's
        Outcome("phq9", date(2026, 1, 5), 3, uuid.uuid4(), _phq9_answers(3)),  # another session's
    ]
    s = summarize_session(session, [], outcomes)
    assert s.phq9 == 0 and s.item9 is not None and s.item9.value == 2
    assert s.phq9_text == "0 · ⚑ item 9 = 2"


def test_the_course_lists_every_positive_item9_with_its_date_session_or_not():
    first, second = Sess(day(5)), Sess(day(12))
    outcomes = [
        Outcome("phq9", date(2026, 1, 5), 9, first.id, _phq9_answers(0) | {"mood": 3, "sleep": 3, "energy": 3}),
        Outcome("phq9", date(2026, 1, 8), 2, None, _phq9_answers(2)),  # between sessions
        Outcome("phq9", date(2026, 1, 12), 1, second.id, _phq9_answers(1)),
        Outcome("gad7", date(2026, 1, 12), 4, second.id),
    ]
    course = build_course([(first, []), (second, [])], outcomes)
    assert [s.phq9_text for s in course.sessions] == ["9", "1 · ⚑ item 9 = 1"]
    assert [a.describe() for a in course.item9_positives] == ["PHQ-9 item 9 = 2 on 2026-01-08",
                                                              "PHQ-9 item 9 = 1 on 2026-01-12"]
    assert [p.item9 for p in course.outcomes] == [0, 2, None, 1]  # by date, then measure: GAD-7 has none
