"""One sitting in progress: the actions of the clock band, each saved before the screen moves.

No Qt here. Each action commits through the store, then re-reads the session's facts once, so
the clock's picture always comes from what is on disk. Ticking (``reading()``) reads no database.
"""

from __future__ import annotations

import uuid

from kapdesk.domain.clock import Clock, ClockReading, SessionClock
from kapdesk.store import EntryInfo, SessionInfo, Store


class LiveSession:
    def __init__(self, store: Store, session_id: uuid.UUID, clinician_id: uuid.UUID, clock: Clock) -> None:
        self.store = store
        self.clinician_id = clinician_id
        self.clock = clock
        self.info: SessionInfo = store.session(session_id)
        self._session_clock = SessionClock(self.info.protocol, store.facts(session_id), clock)

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
        self._session_clock = SessionClock(self.info.protocol, self.store.facts(self.id), self.clock)

    def mark_dose(self) -> None:
        self.store.mark_dose(self.id, self.clinician_id)
        self.refresh()

    def advance_phase(self) -> None:
        self.store.advance_phase(self.id, self.clinician_id)
        self.refresh()

    def extend_phase(self, minutes: int) -> None:
        self.store.extend_phase(self.id, self.clinician_id, minutes)
        self.refresh()

    def reminder_done(self) -> EntryInfo:
        """The clinician took the due reading on paper or a monitor: record that it was done, and when."""
        reminder = self._session_clock.next_reminder()
        label = reminder.label if reminder else "Vitals"
        entry = self.store.add_entry(self.id, "reminder_done", {"reminder": label}, self.clinician_id)
        self.refresh()
        return entry

    def end(self) -> None:
        self.store.end_session(self.id, self.clinician_id)
        self.refresh()

    def entries(self) -> list[EntryInfo]:
        return self.store.entries(self.id)
