"""Which alerts are active right now: from the session's entries, the clinic's rules and the clock.

:mod:`kapdesk.domain.alerts` says what one reading breaks and :mod:`kapdesk.domain.scale_alerts`
what one scale entry breaks; this module turns a whole sitting into the list the alert strip
shows. Four kinds of alert:

* **From a reading.** Every *current* vitals entry (not superseded by a correction) is evaluated
  with :func:`kapdesk.domain.alerts.evaluate`: readings taken before T0 are ``pre_dose`` and have
  no baseline; later readings are compared with the sitting's one baseline
  (:func:`kapdesk.domain.record.find_baseline`). These alerts *latch*: they stay until acknowledged, even if
  the next reading is normal, because they report something a clinician must have seen (maybe
  while out of the room). A correction that removes the cause removes the alert: the typo was
  the problem, not the client.
* **From a scale entry.** Every current MOAA/S, BPRS+ and nausea entry, the same way (sedation
  depth, psychotic-like symptoms, vomiting while sedated); the nausea entry is read with the
  MOAA/S in force when it was made.
* **PHQ-9 item 9.** A PHQ-9 taken in this sitting (``outcomes`` whose ``session_id`` is this
  session's) with item 9 above 0 (:func:`kapdesk.domain.suicidality.item9_positive`): a critical
  "suicide-risk assessment today".
* **Reading overdue** (a *reminder*). When the clock's next reminder is past due by the clinic's
  ``overdue_alert_after``. It clears by itself when the reading is taken, because taking it is the
  answer; acknowledging it only quiets the strip until then.

Each alert is written into the record once, as an ``alert`` entry, when it first appears (so the
record shows what the clinician was told, and when); :attr:`ActiveAlert.entry_id` is that entry,
or ``None`` until the pane has written it. An alert is **acknowledged** when a current
``alert_ack`` entry names its ``alert`` entry; the ack entry carries who, when and — required
for a critical alert (:attr:`ActiveAlert.needs_reason`) — why.

**Shown again.** A critical condition still present :attr:`AlertRules.critical_reshow_minutes`
after its acknowledgement is shown again (alarm practice), as a new ``alert`` entry whose
``repeats`` names that acknowledgement. "Still present" means the latest current reading that
measured the vital (or the latest MOAA/S entry) still breaks the rule; a newer reading that breaks
it raises its own alert at once instead. The PHQ-9 item-9 alert is not repeated: the answer does
not change, and its acknowledgement records the assessment.

Identity, so that a restart finds the same alerts and never writes one twice: an alert about an
entry or outcome is its rule key plus that id (:attr:`AlertRaised.reading`) plus the
acknowledgement it repeats after (:attr:`AlertRaised.repeats`, None the first time); the chain
first showing → acknowledgement → showing again → … is rebuilt from the record alone. An overdue
alert is an ``alert`` entry with key ``reading_overdue`` written at or after the due time of the
reminder that is still outstanding (reminders are matched in order, so an older overdue entry
belongs to a reminder that has since been covered).

Pure: entries in, alerts out. No Qt, no store, no clock of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kapdesk.domain.alerts import (
    DEFAULT_RULES,
    AlertRules,
    Severity,
    evaluate,
    severity_rank,
)
from kapdesk.domain.clock import Reminder
from kapdesk.domain.entries import AlertAck, AlertRaised, EntryInfo, of_type
from kapdesk.domain.record import RecordFacts, is_pre_dose, record_facts
from kapdesk.domain.scale_alerts import evaluate_scale, sedation_of
from kapdesk.domain.scales import ScaleResult
from kapdesk.domain.suicidality import item9_answer

__all__ = [
    "ITEM9_ALERT_KEY",
    "OVERDUE_KEY",
    "ActiveAlert",
    "AlertBoard",
    "ReasonRequired",
    "alert_board",
    "raised_at",
]

OVERDUE_KEY = "reading_overdue"
ITEM9_ALERT_KEY = "phq9_item9"
RESHOWN_PREFIX = "Still present: "


class ReasonRequired(ValueError):
    """A critical alert was acknowledged without a reason."""


@dataclass(frozen=True)
class ActiveAlert:
    """One alert the clinician has not acknowledged yet.

    ``key`` is the rule (``"systolic_high"``, ``"reading_overdue"`` …); ``reading_id`` the entry
    (vitals or scale) or PHQ-9 outcome it comes from (``None`` for an overdue reading);
    ``raised_at`` when the condition began (the reading's time, the reminder's due time, or — for
    a condition shown again — its acknowledgement plus the re-show interval); ``entry_id`` the
    ``alert`` entry recording it; ``repeats`` the acknowledgement it is shown again after.
    """

    key: str
    severity: Severity
    message: str
    reading_id: uuid.UUID | None
    raised_at: datetime
    entry_id: uuid.UUID | None = None
    t_plus: str | None = None  # the record's T+ label of ``raised_at`` (None before T0)
    repeats: uuid.UUID | None = None

    @property
    def recorded(self) -> bool:
        return self.entry_id is not None

    @property
    def needs_reason(self) -> bool:
        """Acknowledging a critical alert needs a reason (alarm practice)."""
        return self.severity == "critical"

    def as_entry(self) -> AlertRaised:
        """What the ``alert`` entry records of it."""
        return AlertRaised(self.key, self.severity, self.message, self.reading_id, self.repeats)

    def acknowledgement(self, reason: str = "") -> AlertAck:
        """The ``alert_ack`` entry; only a recorded alert can be acknowledged, a critical one only
        with a reason (:class:`ReasonRequired` otherwise)."""
        if self.entry_id is None:
            raise ValueError("record the alert entry before acknowledging it")
        reason = reason.strip()
        if self.needs_reason and not reason:
            raise ReasonRequired("A critical alert needs a short reason to be acknowledged")
        return AlertAck(self.entry_id, self.key, self.message, reason)


@dataclass(frozen=True)
class AlertBoard:
    """The alerts to show, most pressing first: critical, caution, reminder, then newest first."""

    active: tuple[ActiveAlert, ...] = ()

    @property
    def top(self) -> ActiveAlert | None:
        return self.active[0] if self.active else None

    @property
    def unrecorded(self) -> tuple[ActiveAlert, ...]:
        """Alerts the pane must still write as ``alert`` entries, oldest first (record order)."""
        return tuple(sorted((a for a in self.active if not a.recorded), key=lambda a: a.raised_at))

    def __len__(self) -> int:
        return len(self.active)


@dataclass(frozen=True)
class _Found:
    """A rule broken by one source (reading, scale entry, outcome), before latching."""

    key: str
    severity: Severity
    message: str
    source: uuid.UUID
    at: datetime | None  # None: when it was first recorded (an outcome has a day, not a time)
    persists: bool  # the source is still the latest word on what it measures


def alert_board(
    entries: Sequence[EntryInfo],
    *,
    rules: AlertRules = DEFAULT_RULES,
    dose_at: datetime | None,
    reminder: Reminder | None,
    now: datetime,
    overdue_after: timedelta = timedelta(0),
    outcomes: Iterable[object] = (),
) -> AlertBoard:
    """The active (unacknowledged) alerts of a sitting.

    ``reminder`` is the clock's next reminder (``LiveSession.reading().next_reminder``; ``None``
    when nothing is due or the session has ended); it is overdue when ``now`` is later than its due
    time plus ``overdue_after``. ``outcomes`` are the client's outcome measures
    (:class:`kapdesk.domain.info.OutcomeInfo`); only those taken in this sitting count. See the
    module docstring for identity, acknowledgement and showing again.
    """
    facts = record_facts(entries, dose_at)
    alert_entries = sorted(of_type(entries, AlertRaised), key=lambda pair: pair[0].occurred_at)
    first_ack: dict[uuid.UUID, EntryInfo] = {}
    for ack_entry, ack in sorted(of_type(entries, AlertAck), key=lambda pair: pair[0].occurred_at):
        first_ack.setdefault(ack.alert, ack_entry)
    recorded: dict[tuple[str, uuid.UUID, uuid.UUID | None], EntryInfo] = {}
    for entry, raised in alert_entries:
        if raised.reading is not None:
            recorded.setdefault((raised.key, raised.reading, raised.repeats), entry)

    reshow = timedelta(minutes=rules.critical_reshow_minutes or 0)
    found: list[ActiveAlert] = []
    for cause in _causes(entries, facts, rules, outcomes):
        found.extend(_latched(cause, recorded, first_ack, now, reshow, facts))

    if reminder is not None and reminder.done_at is None and now > reminder.due + overdue_after:
        existing = next(
            (e for e, raised in alert_entries if raised.key == OVERDUE_KEY and e.occurred_at >= reminder.due), None
        )
        due = reminder.due.astimezone().strftime("%H:%M")
        overdue = ActiveAlert(OVERDUE_KEY, "reminder", f"{reminder.label} overdue (due {due}): take a reading",
                              None, reminder.due, existing.id if existing is not None else None,
                              facts.t_plus(reminder.due))
        if overdue.entry_id is None or overdue.entry_id not in first_ack:
            found.append(overdue)

    found.sort(key=lambda a: (severity_rank(a.severity), -a.raised_at.timestamp()))
    return AlertBoard(tuple(found))


def _causes(entries: Sequence[EntryInfo], facts: RecordFacts, rules: AlertRules,
            outcomes: Iterable[object]) -> list[_Found]:
    """Every rule broken by the sitting's current readings, scale entries and PHQ-9 outcomes."""
    causes: list[_Found] = []
    latest: dict[str, uuid.UUID] = {}  # vital -> the latest reading that measured it
    for timed in facts.readings:
        for vital, value in vars(timed.reading).items():
            if value is not None:
                latest[vital] = timed.id
    base = facts.baseline.reading if facts.baseline is not None else None
    for timed in facts.readings:
        pre = is_pre_dose(timed.at, facts.dose_at)
        for alert in evaluate(timed.reading, baseline=None if pre else base, pre_dose=pre, rules=rules):
            causes.append(_Found(alert.key, alert.severity, alert.message, timed.id, timed.at,
                                 latest.get(alert.vital) == timed.id))

    # MOAA/S first among entries of one moment: "the MOAA/S in force" includes one made with it.
    scales = sorted(of_type(entries, ScaleResult),
                    key=lambda pair: (pair[0].occurred_at, sedation_of(pair[1]) is None, pair[0].recorded_at))
    last_moaas = next((e.id for e, result in reversed(scales) if sedation_of(result) is not None), None)
    sedation: int | None = None
    for entry, result in scales:
        for alert in evaluate_scale(result, sedation=sedation, rules=rules):
            causes.append(_Found(alert.key, alert.severity, alert.message, entry.id, entry.occurred_at,
                                 entry.id == last_moaas))
        score = sedation_of(result)
        if score is not None:
            sedation = score

    session = entries[0].session_id if entries else None
    for outcome in outcomes:
        answer = item9_answer(outcome)  # type: ignore[arg-type]
        if session is None or getattr(outcome, "session_id", None) != session or answer is None or not answer.positive:
            continue
        causes.append(_Found(ITEM9_ALERT_KEY, "critical",
                             f"PHQ-9 item 9 = {answer.value}: suicide-risk assessment today",
                             outcome.id, None, False))  # type: ignore[attr-defined]
    return causes


def _latched(cause: _Found, recorded: dict[tuple[str, uuid.UUID, uuid.UUID | None], EntryInfo],
             first_ack: dict[uuid.UUID, EntryInfo], now: datetime, reshow: timedelta,
             facts: RecordFacts) -> list[ActiveAlert]:
    """The cause's one active alert, if any: its first showing until acknowledged, then — for a
    critical condition still present — a showing again per acknowledgement (module docstring)."""

    def active(at: datetime, entry: EntryInfo | None, repeats: uuid.UUID | None) -> list[ActiveAlert]:
        message = cause.message if repeats is None else RESHOWN_PREFIX + cause.message
        return [ActiveAlert(cause.key, cause.severity, message, cause.source, at,
                            entry.id if entry is not None else None, facts.t_plus(at), repeats)]

    node = recorded.get((cause.key, cause.source, None))
    at = cause.at or (node.occurred_at if node is not None else now)
    repeats: uuid.UUID | None = None
    while node is not None:
        ack = first_ack.get(node.id)
        if ack is None:
            return active(at, node, repeats)
        again = ack.occurred_at + reshow
        following = recorded.get((cause.key, cause.source, ack.id))
        if following is not None:
            node, at, repeats = following, again, ack.id
            continue
        if cause.severity == "critical" and cause.persists and reshow and now >= again:
            return active(again, None, ack.id)
        return []
    return active(at, None, None)


def raised_at(entry: EntryInfo, alert: AlertRaised, facts: RecordFacts) -> datetime:
    """When a recorded alert's condition began: the time of the reading it is about (as the strip
    shows it, :attr:`ActiveAlert.raised_at`), or, for an alert about no reading (an overdue one,
    a scale's, item 9's) or one shown again, when it was recorded."""
    reading = facts.reading(alert.reading) if alert.reading is not None and alert.repeats is None else None
    return reading.at if reading is not None else entry.occurred_at
