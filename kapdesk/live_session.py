"""One sitting in progress: the actions of the clock band, each saved before the screen moves.

No Qt here. Each action commits through the store, then re-reads the session's facts once, so
the clock's picture always comes from what is on disk. Ticking (``reading()``) reads no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from kapdesk.domain.clock import Clock, ClockReading, SessionClock
from kapdesk.store import EntryInfo, SessionInfo, Store
from kapdesk.store.repository import READING_KINDS


class LiveSession:
    def __init__(self, store: Store, session_id: uuid.UUID, clinician_id: uuid.UUID, clock: Clock) -> None:
        self.store = store
        self.clinician_id = clinician_id
        self.clock = clock
        self.info: SessionInfo = store.session(session_id)
        self._session_clock = SessionClock(self.info.protocol, store.facts(session_id, self.info), clock)
        self._listeners: list[Callable[[EntryInfo | None], None]] = []

    def on_change(self, listener: Callable[[EntryInfo | None], None]) -> None:
        """Call ``listener`` after every committed change (the new entry, or None for other changes)."""
        self._listeners.append(listener)

    def _changed(self, entry: EntryInfo | None = None, *, reread: bool = True) -> None:
        if reread:
            self.refresh()
        for listener in list(self._listeners):
            listener(entry)

    @property
    def id(self) -> uuid.UUID:
        return self.info.id

    @property
    def ended(self) -> bool:
        return self.info.ended_at is not None

    def reading(self) -> ClockReading:
        return self._session_clock.read()

    def refresh(self) -> None:
        """Re-read the facts after something was committed (by us or by another pane)."""
        self.info = self.store.session(self.id)
        self._session_clock = SessionClock(self.info.protocol, self.store.facts(self.id, self.info), self.clock)

    def mark_dose(self) -> None:
        self.store.mark_dose(self.id, self.clinician_id)
        self._changed()

    def advance_phase(self) -> None:
        self.store.advance_phase(self.id, self.clinician_id)
        self._changed()

    def extend_phase(self, minutes: int) -> None:
        self.store.extend_phase(self.id, self.clinician_id, minutes)
        self._changed()

    def record(self, kind: str, payload: dict[str, Any], *, occurred_at: datetime | None = None,
               supersedes: uuid.UUID | None = None, note: str | None = None) -> EntryInfo:
        """Append one entry by the acting clinician; returns only once it is committed."""
        entry = self.store.add_entry(self.id, kind, payload, self.clinician_id, occurred_at=occurred_at,
                                     supersedes=supersedes, note=note)
        if supersedes is not None:
            self._changed(entry)  # a correction may move what the clock knows: read it all again
        elif kind in READING_KINDS:
            # A new reading only adds a time the reminders count; no need to re-read the record.
            facts = self._session_clock.facts
            facts = replace(facts, readings=(*facts.readings, entry.occurred_at))
            self._session_clock = SessionClock(self.info.protocol, facts, self.clock)
            self._changed(entry, reread=False)
        else:
            self._changed(entry, reread=False)  # nothing the clock derives from
        return entry

    def reminder_done(self) -> EntryInfo:
        """The clinician took the due reading on paper or a monitor: record that it was done, and when."""
        reminder = self._session_clock.next_reminder()
        label = reminder.label if reminder else "Vitals"
        return self.record("reminder_done", {"reminder": label})

    def end(self) -> None:
        self.store.end_session(self.id, self.clinician_id)
        self._changed()

    def entries(self) -> list[EntryInfo]:
        return self.store.entries(self.id)
