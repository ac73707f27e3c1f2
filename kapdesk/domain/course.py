"""The course of treatment: one summary line per sitting, and the weekly scores over time.

A course is typically 6–8 dosing sessions with PHQ-9 and GAD-7 taken weekly (product.md). The
course view reads, per session: the dose given (mg, boosters included), the peak blood pressure
(one real reading: :func:`kapdesk.domain.record.peak_bp`), the lowest MOAA/S, the highest dissociation score, and the PHQ-9 /
GAD-7 taken for that session with a marker when a PHQ-9 item 9 was above 0
(:mod:`kapdesk.domain.suicidality`); and, across the course, every PHQ-9 and GAD-7 by date and
every positive item-9 answer.

Only current entries count (a corrected reading is read as corrected). Payloads this build
cannot read are skipped rather than guessed: a summary shows "—", never a wrong number.

Pure Python: no Qt, no store. The inputs are duck-typed (the store's ``SessionInfo``,
``EntryInfo`` and ``OutcomeInfo`` fit) so tests can pass plain objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from kapdesk.domain.entries import EntryInfo, of_type
from kapdesk.domain.record import record_facts
from kapdesk.domain.scales import SCALES, ScaleResult
from kapdesk.domain.suicidality import Item9Answer, item9_answer, positive_item9s, strongest_item9
from kapdesk.domain.vitals import VitalsReading

__all__ = ["Course", "OutcomePoint", "SessionSummary", "build_course", "measure_key", "session_item9",
           "summarize_session"]

# Dissociation scales in the order preferred when a session has more than one.
DISSOCIATION_SCALES = ("cadss6", "dissociation_0_10")
OUTCOME_MEASURES = ("phq9", "gad7")


class _ProtocolLike(Protocol):
    @property
    def name(self) -> str: ...


class SessionLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def arrival_at(self) -> datetime: ...
    @property
    def protocol(self) -> _ProtocolLike: ...


class OutcomeLike(Protocol):
    @property
    def session_id(self) -> uuid.UUID | None: ...
    @property
    def measure(self) -> str: ...
    @property
    def taken_on(self) -> date: ...
    @property
    def total(self) -> int: ...
    @property
    def answers(self) -> dict[str, Any]: ...


def measure_key(measure: str) -> str | None:
    """``"phq9"``, ``"PHQ-9"``, ``"phq 9"`` → ``"phq9"``; a measure the course does not chart → None."""
    key = "".join(ch for ch in measure.casefold() if ch.isalnum())
    return key if key in OUTCOME_MEASURES else None


@dataclass(frozen=True)
class SessionSummary:
    """One row of the course table. Every value is None when the session has none to show."""

    session_id: uuid.UUID
    arrival_at: datetime
    protocol: str
    dose_mg: float | None  # the sum of the session's current doses, boosters included
    doses: int  # how many doses that sum holds
    peak_bp: VitalsReading | None  # the record's peak reading (kapdesk.domain.record.peak_bp)
    lowest_moaas: int | None
    dissociation_scale: str | None  # "cadss6" or "dissociation_0_10"
    dissociation: int | None  # the highest total on that scale
    phq9: int | None
    gad7: int | None
    item9: Item9Answer | None = None  # the strongest positive PHQ-9 item 9 of the session (session_item9)

    @property
    def phq9_text(self) -> str:
        """``"12"``, ``"—"``, or with a positive item 9 ``"3 · ⚑ item 9 = 2"`` (words, not colour alone)."""
        text = _or_dash(self.phq9)
        return f"{text} · {self.item9.marker}" if self.item9 is not None else text

    @property
    def peak_systolic(self) -> int | None:
        return self.peak_bp.systolic if self.peak_bp is not None else None

    @property
    def peak_diastolic(self) -> int | None:
        """The diastolic of the peak reading (the same reading as :attr:`peak_systolic`)."""
        return self.peak_bp.diastolic if self.peak_bp is not None else None

    @property
    def peak_bp_text(self) -> str:
        if self.peak_bp is None:
            return "—"
        return f"{_or_dash(self.peak_systolic)}/{_or_dash(self.peak_diastolic)}"

    @property
    def dissociation_text(self) -> str:
        """``"CADSS-6 11"``, ``"Dissociation (0–10) 6"`` or ``"—"``: totals of different scales
        are not comparable, so the scale is always named."""
        if self.dissociation is None or self.dissociation_scale is None:
            return "—"
        return f"{SCALES[self.dissociation_scale].name} {self.dissociation}"

    @property
    def dose_text(self) -> str:
        if self.dose_mg is None:
            return "—"
        text = f"{self.dose_mg:g} mg"
        return f"{text} ({self.doses} doses)" if self.doses > 1 else text


@dataclass(frozen=True)
class OutcomePoint:
    taken_on: date
    measure: str  # "phq9" or "gad7"
    total: int
    band: str | None
    session_id: uuid.UUID | None
    item9: int | None = None  # a PHQ-9's item-9 answer, when it was answered


@dataclass(frozen=True)
class Course:
    """A client's sessions oldest first, and their outcome scores by date."""

    sessions: tuple[SessionSummary, ...]
    outcomes: tuple[OutcomePoint, ...]
    item9_positives: tuple[Item9Answer, ...] = ()  # every PHQ-9 item 9 above 0, oldest first, session or not

    def series(self, measure: str) -> list[tuple[date, int]]:
        """One measure's totals in date order, for a chart line."""
        return [(p.taken_on, p.total) for p in self.outcomes if p.measure == measure]


def summarize_session(session: SessionLike, entries: Iterable[EntryInfo], outcomes: Iterable[OutcomeLike] = ()) -> SessionSummary:
    """Summarize one session from its entries (all of them; superseded ones are ignored).

    PHQ-9 / GAD-7: the newest score recorded for this session; failing that, one taken on the
    session's day without a session (a weekly score entered from the start screen).
    """
    entries, outcomes = list(entries), list(outcomes)
    facts = record_facts(entries, None)
    moaas: list[int] = []
    dissociation: dict[str, list[int]] = {}
    for _, result in of_type(entries, ScaleResult):
        if not result.complete or result.total is None:
            continue
        if result.scale_key == "moaas":
            moaas.append(result.total)
        elif result.scale_key in DISSOCIATION_SCALES:
            dissociation.setdefault(result.scale_key, []).append(result.total)
    scale = next((k for k in DISSOCIATION_SCALES if k in dissociation), None)
    scores = _session_scores(session, outcomes)
    return SessionSummary(
        session_id=session.id,
        arrival_at=session.arrival_at,
        protocol=session.protocol.name,
        dose_mg=facts.total_dose_mg,
        doses=len(facts.doses),
        peak_bp=facts.peak.reading if facts.peak is not None else None,
        lowest_moaas=min(moaas, default=None),
        dissociation_scale=scale,
        dissociation=max(dissociation[scale]) if scale else None,
        phq9=scores.get("phq9"),
        gad7=scores.get("gad7"),
        item9=session_item9(session, outcomes),
    )


def build_course(sessions: Sequence[tuple[SessionLike, Sequence[EntryInfo]]], outcomes: Sequence[OutcomeLike]) -> Course:
    """The course of one client: ``sessions`` pairs each session with its entries (any order)."""
    summaries = sorted((summarize_session(s, e, outcomes) for s, e in sessions), key=lambda s: s.arrival_at)
    points: list[OutcomePoint] = []
    for outcome in outcomes:
        key = measure_key(outcome.measure)
        if key is None:
            continue
        answer = item9_answer(outcome)
        points.append(OutcomePoint(outcome.taken_on, key, int(outcome.total), SCALES[key].band_for(int(outcome.total)),
                                   outcome.session_id, answer.value if answer is not None else None))
    points.sort(key=lambda p: (p.taken_on, p.measure))
    return Course(tuple(summaries), tuple(points), positive_item9s(outcomes))


def session_item9(session: SessionLike, outcomes: Iterable[OutcomeLike]) -> Item9Answer | None:
    """The strongest positive PHQ-9 item 9 among the session's questionnaires, or ``None``.

    The session's questionnaires are the ones tied to it and the ones taken on its (local) day
    without a session, as for its scores. Unlike the score, where the newest wins, any positive
    answer among them counts: a later PHQ-9 answered 0 does not hide one answered 2 that day.
    """
    day = session.arrival_at.astimezone().date()
    return strongest_item9(o for o in outcomes
                           if o.session_id == session.id or (o.session_id is None and o.taken_on == day))


def _session_scores(session: SessionLike, outcomes: Iterable[OutcomeLike]) -> dict[str, int]:
    linked: dict[str, int] = {}
    same_day: dict[str, int] = {}
    day = session.arrival_at.astimezone().date()  # the local day, as the form dates a score
    for outcome in outcomes:  # in the store's order (by date, then recording), so later wins
        key = measure_key(outcome.measure)
        if key is None:
            continue
        if outcome.session_id == session.id:
            linked[key] = int(outcome.total)
        elif outcome.session_id is None and outcome.taken_on == day:
            same_day[key] = int(outcome.total)
    return {**same_day, **linked}


def _or_dash(value: int | None) -> str:
    return "—" if value is None else str(value)
