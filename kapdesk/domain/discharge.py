"""Discharge: when a client may leave, and what is still open before they do. Pure: no Qt, no I/O.

One rule, read by the session view's end-session gate, the discharge page, the clock band and
the PDF (:func:`discharge_status`):

* **Minimum observation.** The protocol's ``min_observation_minutes`` (esketamine: 120, the
  label's "monitor at least 2 hours") counts from the first dose: the earlier of the dose mark
  (T0) and the first recorded dose of the protocol's drug (:func:`kapdesk.domain.record.first_dose_at`).
  The earliest discharge is that moment plus the minimum; ending before it (119 min 59 s) is
  open, at it (120 min 0 s) is not.
* **Modified Aldrete** (a ``scale`` entry, F4): the latest complete score taken since the first
  dose must reach the clinic's ``[scales] aldrete_discharge_score`` (product.md: ≥ 9).
* **The discharge check** (a ``discharge_check`` entry, the discharge page): steady gait,
  oriented, dissociation resolved and "told not to drive or operate machinery until the next
  day after a night's sleep" each answered yes (the esketamine label; product.md, "Discharge"),
  and the escort home named.

A sitting in which nothing was dosed (no T0, no dose entry) has nothing to discharge from: no
item is open. The items are plain words; the session view lists them and asks for a reason to
end anyway, recorded as a ``safety_override`` with ``gate = "discharge"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kapdesk.domain.entries import DISCHARGE_GATE, DischargeCheck, EntryInfo, SafetyOverride, of_type
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.record import first_dose_at, minutes_between, record_facts, whole_minutes
from kapdesk.domain.scales import ALDRETE, ALDRETE_DISCHARGE_THRESHOLD, ScaleResult, discharge_ready

__all__ = [
    "DISCHARGE_QUESTIONS",
    "NO_ESCORT",
    "DischargeQuestion",
    "DischargeStatus",
    "discharge_from",
    "discharge_status",
    "earliest_discharge",
    "make_discharge_override",
    "open_discharge_items",
]


@dataclass(frozen=True)
class DischargeQuestion:
    """One yes/no item of the discharge check; ``key`` is its field of :class:`DischargeCheck`."""

    key: str
    label: str


DISCHARGE_QUESTIONS: tuple[DischargeQuestion, ...] = (
    DischargeQuestion("steady_gait", "Steady gait"),
    DischargeQuestion("oriented", "Oriented"),
    DischargeQuestion("dissociation_resolved", "Dissociation resolved"),
    DischargeQuestion("no_driving_told", "Told not to drive or operate machinery until the next day, after sleep"),
)
NO_ESCORT = "Escort home not named"


@dataclass(frozen=True)
class DischargeStatus:
    """Where a sitting stands on discharge at one moment (see the module docstring)."""

    first_dose: datetime | None  # the earlier of T0 and the first recorded dose; None: nothing dosed
    earliest: datetime | None  # first dose + the protocol's minimum observation; None when either is missing
    aldrete: tuple[EntryInfo, ScaleResult] | None  # the latest Aldrete since the first dose
    check: tuple[EntryInfo, DischargeCheck] | None  # the latest discharge check
    open_items: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.open_items


def earliest_discharge(first_dose: datetime | None, min_observation_minutes: int) -> datetime | None:
    """The first moment a client may leave: the first dose plus the minimum observation (None when
    nothing was dosed or the protocol sets no minimum)."""
    if first_dose is None or min_observation_minutes <= 0:
        return None
    return first_dose + timedelta(minutes=min_observation_minutes)


def discharge_from(entries: Iterable[EntryInfo], protocol: Protocol, dose_at: datetime | None) -> datetime | None:
    """The earliest discharge of a sitting (the clock band's "Discharge from 12:14"): its first
    dose plus the protocol's minimum observation; None when nothing was dosed or there is no minimum."""
    return earliest_discharge(first_dose_at(record_facts(entries, dose_at), protocol.drug),
                              protocol.min_observation_minutes)


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def _latest(found: list[tuple[EntryInfo, object]]) -> tuple[EntryInfo, object] | None:
    return max(found, key=lambda pair: pair[0].occurred_at) if found else None


def discharge_status(entries: Iterable[EntryInfo], *, protocol: Protocol, dose_at: datetime | None,
                     now: datetime, aldrete_score: int = ALDRETE_DISCHARGE_THRESHOLD,
                     answers: DischargeCheck | None = None) -> DischargeStatus:
    """The discharge facts and the open items, in display order, as plain words.

    ``answers`` judges a discharge check not saved yet (the form as typed) in place of the latest
    recorded one, so the list under the form is the list the gate will show.
    """
    entries = list(entries)
    first = first_dose_at(record_facts(entries, dose_at), protocol.drug)
    earliest = earliest_discharge(first, protocol.min_observation_minutes)
    aldretes = [(e, r) for e, r in of_type(entries, ScaleResult)
                if r.scale_key == ALDRETE.key and (first is None or e.occurred_at >= first)]
    aldrete = _latest(aldretes)
    check = _latest(of_type(entries, DischargeCheck))
    if first is None:
        return DischargeStatus(None, None, aldrete, check, ())  # nothing dosed: nothing to discharge from

    items: list[str] = []
    if earliest is not None and now < earliest:
        watched = whole_minutes(minutes_between(first, now))
        items.append(f"Minimum observation: {watched} of {protocol.min_observation_minutes} min since the first "
                     f"dose at {_local(first)} (discharge from {_local(earliest)})")
    needed = f"≥ {aldrete_score} needed"
    if aldrete is None:
        items.append(f"Modified Aldrete not recorded since the dose ({needed})")
    elif not discharge_ready(aldrete[1], threshold=aldrete_score):
        entry, result = aldrete
        score = result.total if result.complete else "incomplete"
        items.append(f"Modified Aldrete {score} at {_local(entry.occurred_at)} ({needed})")
    if answers is None:
        answers = check[1] if check is not None else DischargeCheck()
    for question in DISCHARGE_QUESTIONS:
        answer = getattr(answers, question.key)
        if answer is not True:
            items.append(f"{question.label}: {'not answered' if answer is None else 'no'}")
    if not answers.escort.strip():
        items.append(NO_ESCORT)
    return DischargeStatus(first, earliest, aldrete, check, tuple(items))


def open_discharge_items(entries: Iterable[EntryInfo], *, protocol: Protocol, dose_at: datetime | None,
                         now: datetime, aldrete_score: int = ALDRETE_DISCHARGE_THRESHOLD) -> list[str]:
    """What is still open before the client may leave (empty: ready); see :func:`discharge_status`."""
    return list(discharge_status(entries, protocol=protocol, dose_at=dose_at, now=now,
                                 aldrete_score=aldrete_score).open_items)


def make_discharge_override(items: Iterable[str], reason: str) -> SafetyOverride:
    """The ``safety_override`` (gate ``"discharge"``) recorded when the session ends despite open
    items: the items and the clinician's reason, which is required (ValueError without one)."""
    reason = (reason or "").strip()
    items = tuple(str(i) for i in items)
    if not reason:
        raise ValueError("Type the reason for ending the session with discharge items open")
    if not items:
        raise ValueError("There is nothing to override")
    return SafetyOverride(items, reason, gate=DISCHARGE_GATE)
