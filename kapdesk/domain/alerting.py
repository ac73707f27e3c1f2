"""Which alerts are active right now: from the session's entries, the clinic's rules and the clock.

:mod:`kapdesk.domain.alerts` says what one reading breaks; this module turns a whole sitting into
the list the alert strip shows. Two kinds of alert:

* **From a reading.** Every *current* vitals entry (not superseded by a correction) is evaluated
  with :func:`kapdesk.domain.alerts.evaluate`: readings taken before T0 are ``pre_dose`` and have
  no baseline; later readings are compared with the sitting's one baseline
  (:func:`kapdesk.domain.record.find_baseline`). These alerts *latch*: they stay until acknowledged, even if
  the next reading is normal, because they report something a clinician must have seen (maybe
  while out of the room). A correction that removes the cause removes the alert: the typo was
  the problem, not the client.
* **Reading overdue.** When the clock's next reminder is past due by the clinic's
  ``overdue_alert_after``. It clears by itself when the reading is taken, because taking it is the
  answer; acknowledging it only quiets the strip until then.

Each alert is written into the record once, as an ``alert`` entry, when it first appears (so the
record shows what the clinician was told, and when); :attr:`ActiveAlert.entry_id` is that entry,
or ``None`` until the pane has written it. An alert is **acknowledged** when a current
``alert_ack`` entry names its ``alert`` entry; the ack entry carries who and when.

Identity, so that a restart finds the same alerts and never writes one twice: a reading alert is
its rule key plus the reading's entry id (:attr:`AlertRaised.reading`); an overdue alert is an
``alert`` entry with key ``reading_overdue`` written at or after the due time of the reminder
that is still outstanding (reminders are matched in order, so an older overdue entry belongs to a
reminder that has since been covered).

Pure: entries in, alerts out. No Qt, no store, no clock of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules, evaluate
from kapdesk.domain.clock import Reminder
from kapdesk.domain.entries import AlertAck, AlertRaised, EntryInfo, of_type
from kapdesk.domain.record import RecordFacts, is_pre_dose, record_facts

__all__ = [
    "OVERDUE_KEY",
    "ActiveAlert",
    "AlertBoard",
    "alert_board",
    "raised_at",
]

OVERDUE_KEY = "reading_overdue"

Severity = Literal["caution", "warning"]
_SEVERITY_ORDER = {"warning": 0, "caution": 1}


@dataclass(frozen=True)
class ActiveAlert:
    """One alert the clinician has not acknowledged yet.

    ``key`` is the rule (``"systolic_high"``, ``"reading_overdue"`` …); ``reading_id`` the vitals
    entry it comes from (``None`` for an overdue reading); ``raised_at`` when the condition began
    (the reading's time, or the reminder's due time); ``entry_id`` the ``alert`` entry recording it.
    """

    key: str
    severity: Severity
    message: str
    reading_id: uuid.UUID | None
    raised_at: datetime
    entry_id: uuid.UUID | None = None
    t_plus: str | None = None  # the record's T+ label of ``raised_at`` (None before T0)

    @property
    def recorded(self) -> bool:
        return self.entry_id is not None

    def as_entry(self) -> AlertRaised:
        """What the ``alert`` entry records of it."""
        return AlertRaised(self.key, self.severity, self.message, self.reading_id)

    def acknowledgement(self) -> AlertAck:
        """The ``alert_ack`` entry; only a recorded alert can be acknowledged."""
        if self.entry_id is None:
            raise ValueError("record the alert entry before acknowledging it")
        return AlertAck(self.entry_id, self.key, self.message)


@dataclass(frozen=True)
class AlertBoard:
    """The alerts to show, most pressing first: warnings before cautions, then newest first."""

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


def alert_board(
    entries: Sequence[EntryInfo],
    *,
    rules: AlertRules = DEFAULT_RULES,
    dose_at: datetime | None,
    reminder: Reminder | None,
    now: datetime,
    overdue_after: timedelta = timedelta(0),
) -> AlertBoard:
    """The active (unacknowledged) alerts of a sitting.

    ``reminder`` is the clock's next reminder (``LiveSession.reading().next_reminder``; ``None``
    when nothing is due or the session has ended); it is overdue when ``now`` is later than its due
    time plus ``overdue_after``. See the module docstring for identity and acknowledgement.
    """
    facts = record_facts(entries, dose_at)
    alert_entries = sorted(of_type(entries, AlertRaised), key=lambda pair: pair[0].occurred_at)
    acknowledged = {ack.alert for _, ack in of_type(entries, AlertAck)}
    recorded: dict[tuple[str, uuid.UUID], EntryInfo] = {}
    for entry, raised in alert_entries:
        if raised.reading is not None:
            recorded.setdefault((raised.key, raised.reading), entry)

    found: list[ActiveAlert] = []
    base = facts.baseline.reading if facts.baseline is not None else None
    for timed in facts.readings:
        pre = is_pre_dose(timed.at, dose_at)
        for alert in evaluate(timed.reading, baseline=None if pre else base, pre_dose=pre, rules=rules):
            existing = recorded.get((alert.key, timed.id))
            found.append(
                ActiveAlert(alert.key, alert.severity, alert.message, timed.id, timed.at,
                            existing.id if existing is not None else None, facts.t_plus(timed.at))
            )

    if reminder is not None and reminder.done_at is None and now > reminder.due + overdue_after:
        existing = next(
            (e for e, raised in alert_entries if raised.key == OVERDUE_KEY and e.occurred_at >= reminder.due), None
        )
        due = reminder.due.astimezone().strftime("%H:%M")
        found.append(
            ActiveAlert(OVERDUE_KEY, "caution", f"{reminder.label} overdue (due {due}): take a reading",
                        None, reminder.due, existing.id if existing is not None else None, facts.t_plus(reminder.due))
        )

    active = [a for a in found if a.entry_id is None or a.entry_id not in acknowledged]
    active.sort(key=lambda a: (_SEVERITY_ORDER.get(a.severity, 2), -a.raised_at.timestamp()))
    return AlertBoard(tuple(active))


def raised_at(entry: EntryInfo, alert: AlertRaised, facts: RecordFacts) -> datetime:
    """When a recorded alert's condition began: the time of the reading it is about (as the strip
    shows it, :attr:`ActiveAlert.raised_at`), or, for an alert about no reading (an overdue one),
    when it was recorded."""
    reading = facts.reading(alert.reading) if alert.reading is not None else None
    return reading.at if reading is not None else entry.occurred_at
