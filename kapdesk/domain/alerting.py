"""Which alerts are active right now: from the session's entries, the clinic's rules and the clock.

:mod:`kapdesk.domain.alerts` says what one reading breaks; this module turns a whole sitting into
the list the alert strip shows. Two kinds of alert:

* **From a reading.** Every *current* vitals entry (not superseded by a correction) is evaluated
  with :func:`kapdesk.domain.alerts.evaluate`: readings taken before T0 are ``pre_dose`` and have
  no baseline; later readings are compared with the baseline, the latest current pre-dose reading
  (preferring those saved with ``"baseline": true``), because the reading just before dosing is
  the one a rise is measured from. These alerts *latch*: they stay until acknowledged, even if
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
its rule key plus the reading's entry id (``payload["reading"]``); an overdue alert is an
``alert`` entry with key ``reading_overdue`` written at or after the due time of the reminder
that is still outstanding (reminders are matched in order, so an older overdue entry belongs to a
reminder that has since been covered).

Pure: entries in, alerts out. No Qt, no store, no clock of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules, evaluate
from kapdesk.domain.clock import Reminder
from kapdesk.domain.vitals import VitalsError, VitalsReading
from kapdesk.domain.entries import RecordedEntry

__all__ = [
    "OVERDUE_KEY",
    "ActiveAlert",
    "AlertBoard",
    "RecordedEntry",
    "alert_board",
    "baseline_entry",
    "is_pre_dose",
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

    @property
    def recorded(self) -> bool:
        return self.entry_id is not None

    def entry_payload(self) -> dict[str, Any]:
        """The ``alert`` entry's payload, per the contract in :mod:`kapdesk.domain.entries`."""
        return {
            "key": self.key,
            "severity": self.severity,
            "message": self.message,
            "reading": str(self.reading_id) if self.reading_id is not None else None,
        }

    def ack_payload(self) -> dict[str, Any]:
        """The ``alert_ack`` entry's payload; only a recorded alert can be acknowledged."""
        if self.entry_id is None:
            raise ValueError("record the alert entry before acknowledging it")
        return {"alert": str(self.entry_id), "key": self.key, "message": self.message}


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


def is_pre_dose(occurred_at: datetime, dose_at: datetime | None) -> bool:
    """A reading taken before T0 (or while T0 is not marked yet) is a pre-dose reading."""
    return dose_at is None or occurred_at < dose_at


def baseline_entry(entries: Iterable[RecordedEntry], dose_at: datetime | None) -> RecordedEntry | None:
    """The reading rises are measured from: the latest current pre-dose vitals entry.

    Entries saved with ``"baseline": true`` are preferred; if none is (a record from another
    tool), any pre-dose reading serves. ``None`` before T0 (a pre-dose reading has no baseline of
    its own) and when no pre-dose reading exists.
    """
    if dose_at is None:
        return None
    pre = [e for e in entries if e.kind == "vitals" and e.current and e.occurred_at < dose_at and _reading(e)]
    flagged = [e for e in pre if e.payload.get("baseline")]
    pool = flagged or pre
    return max(pool, key=lambda e: e.occurred_at) if pool else None


def alert_board(
    entries: Sequence[RecordedEntry],
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
    current = [e for e in entries if e.current]
    alert_entries = [e for e in current if e.kind == "alert"]
    acknowledged = {str(e.payload.get("alert")) for e in current if e.kind == "alert_ack"}

    recorded: dict[tuple[str, str], RecordedEntry] = {}
    for e in sorted(alert_entries, key=lambda e: e.occurred_at):
        reading = e.payload.get("reading")
        if reading:
            recorded.setdefault((str(e.payload.get("key")), str(reading)), e)

    found: list[ActiveAlert] = []
    base = baseline_entry(current, dose_at)
    base_reading = _reading(base) if base is not None else None
    for entry in current:
        if entry.kind != "vitals":
            continue
        reading = _reading(entry)
        if reading is None:
            continue
        pre = is_pre_dose(entry.occurred_at, dose_at)
        for alert in evaluate(reading, baseline=None if pre else base_reading, pre_dose=pre, rules=rules):
            existing = recorded.get((alert.key, str(entry.id)))
            found.append(
                ActiveAlert(alert.key, alert.severity, alert.message, entry.id, entry.occurred_at,
                            existing.id if existing is not None else None)
            )

    if reminder is not None and reminder.done_at is None and now > reminder.due + overdue_after:
        existing = next(
            (e for e in sorted(alert_entries, key=lambda e: e.occurred_at)
             if e.payload.get("key") == OVERDUE_KEY and e.occurred_at >= reminder.due),
            None,
        )
        due = reminder.due.astimezone().strftime("%H:%M")
        found.append(
            ActiveAlert(OVERDUE_KEY, "caution", f"{reminder.label} overdue (due {due}): take a reading",
                        None, reminder.due, existing.id if existing is not None else None)
        )

    active = [a for a in found if a.entry_id is None or str(a.entry_id) not in acknowledged]
    active.sort(key=lambda a: (_SEVERITY_ORDER.get(a.severity, 2), -a.raised_at.timestamp()))
    return AlertBoard(tuple(active))


def _reading(entry: RecordedEntry) -> VitalsReading | None:
    """The stored reading, or ``None`` for a payload this build cannot read (never an exception:
    one odd entry must not blind the strip to every other alert)."""
    try:
        return VitalsReading.from_payload(entry.payload)
    except (VitalsError, TypeError, ValueError):
        return None
