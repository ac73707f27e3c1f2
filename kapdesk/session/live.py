"""One sitting in progress: every action on its record, each saved before the screen moves.

The panes of a session reach the record only through this object: the clock band's actions, the
entries of the record pane, the preparation, the integration note and its addenda, the outcome
measures taken that day, and the exports. Each action commits through the store, then emits
:attr:`LiveSession.changed` (a Qt signal: a pane that goes away is disconnected by Qt, so no
listener needs a guard of its own). The clock's picture always comes from what is on disk;
ticking (``reading()``) reads no database.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from kapdesk.domain.clock import Clock, ClockReading, Reminder, SessionClock
from kapdesk.domain.entries import READING_KINDS, EntryInfo, Handoff, Payload, ReminderDone, kind_of, of_type
from kapdesk.domain.info import (
    AddendumInfo, ClientInfo, ClinicianInfo, NoteInfo, OutcomeInfo, SessionInfo, SessionRecord,
)
from kapdesk.domain.record import RecordFacts, record_facts
from kapdesk.domain.rems import RemsHistory
from kapdesk.store.repository import Store


class LiveSession(QObject):
    changed = Signal(object)  # EntryInfo | None: the entry just committed, or None after other changes
    outcome_saved = Signal(object)  # OutcomeInfo just committed (the alert strip reads PHQ-9 item 9)

    def __init__(self, store: Store, session_id: uuid.UUID, clinician_id: uuid.UUID, clock: Clock,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.clinician_id = clinician_id
        self.clock = clock
        self.info: SessionInfo = store.session(session_id)
        self._session_clock = SessionClock(self.info.protocol, store.facts(session_id, self.info), clock)

    def _changed(self, entry: EntryInfo | None = None, *, reread: bool = True) -> None:
        if reread:
            self.refresh()
        self.changed.emit(entry)

    @property
    def id(self) -> uuid.UUID:
        return self.info.id

    @property
    def ended(self) -> bool:
        return self.info.ended_at is not None

    def reading(self) -> ClockReading:
        return self._session_clock.read()

    def open_reminders(self) -> tuple[Reminder, ...]:
        """The reminders not yet taken or missed, in time order (the locked screen shows their times)."""
        return tuple(r for r in self._session_clock.reminders() if r.state == "open")

    def clinician_name(self) -> str:
        return next((c.name for c in self.store.clinicians() if c.id == self.clinician_id), self.info.clinician_name)

    def last_actor(self) -> tuple[uuid.UUID, str]:
        """Who was acting when the sitting was last left: the latest hand-off's clinician, else the
        one who started it (a restart, a sign-out or the start screen does not change it)."""
        handoffs = of_type(self.entries(), Handoff)
        if handoffs:
            latest = max(handoffs, key=lambda pair: pair[0].occurred_at)[1]
            return latest.to_id, latest.to_name
        return self.info.clinician_id, self.info.clinician_name

    def continue_as(self, clinician: ClinicianInfo) -> EntryInfo | None:
        """A signed-in clinician resumes the sitting: when they are not the one who was acting, that
        is a hand-off (they proved who they are with their password at sign-in), recorded like one."""
        before_id, before_name = self.last_actor()
        if before_id == clinician.id:
            return None
        entry = self.store.add_entry(self.id, Handoff(before_id, before_name, clinician.id, clinician.name,
                                                      "password"), clinician.id)
        self.clinician_id = clinician.id
        self._changed(entry, reread=False)
        return entry

    def hand_over(self, clinician: ClinicianInfo, by: str) -> EntryInfo:
        """``clinician`` (who has just proved who they are ``by`` password, PIN or the emergency code)
        takes over: the hand-off is recorded, under their name, and everything after it is theirs."""
        entry = self.store.add_entry(self.id, Handoff(self.clinician_id, self.clinician_name(), clinician.id,
                                                      clinician.name, by), clinician.id)
        self.clinician_id = clinician.id
        self._changed(entry, reread=False)
        return entry

    def refresh(self) -> None:
        """Re-read the facts after something was committed (by us or by another pane)."""
        self.info = self.store.session(self.id)
        self._session_clock = SessionClock(self.info.protocol, self.store.facts(self.id, self.info), self.clock)

    # -- the clock band ---------------------------------------------------------------------------

    def mark_dose(self) -> None:
        self.store.mark_dose(self.id, self.clinician_id)
        self._changed()

    def advance_phase(self) -> None:
        self.store.advance_phase(self.id, self.clinician_id)
        self._changed()

    def extend_phase(self, minutes: int) -> None:
        self.store.extend_phase(self.id, self.clinician_id, minutes)
        self._changed()

    def end(self) -> None:
        self.store.end_session(self.id, self.clinician_id)
        self._changed()

    # -- entries ------------------------------------------------------------------------------------

    def record(self, data: Payload, *, occurred_at: datetime | None = None,
               supersedes: uuid.UUID | None = None, note: str | None = None) -> EntryInfo:
        """Append one entry by the acting clinician; returns only once it is committed."""
        entry = self.store.add_entry(self.id, data, self.clinician_id, occurred_at=occurred_at,
                                     supersedes=supersedes, note=note)
        if supersedes is not None:
            self._changed(entry)  # a correction may move what the clock knows: read it all again
        elif kind_of(data) in READING_KINDS:
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
        return self.record(ReminderDone(reminder.label if reminder else "Vitals"))

    def entries(self) -> list[EntryInfo]:
        return self.store.entries(self.id)

    def facts(self, entries: list[EntryInfo] | None = None) -> RecordFacts:
        """The sitting's derived facts (baseline, peak, T+ …) from ``entries`` or the record."""
        return record_facts(self.entries() if entries is None else entries, self.info.dose_at)

    # -- the rest of the sitting's record ------------------------------------------------------------

    def client(self) -> ClientInfo:
        return self.store.client(self.info.client_id)

    def note(self) -> NoteInfo | None:
        return self.store.note(self.id)

    def save_note_draft(self, sections: dict[str, str]) -> NoteInfo:
        return self.store.save_note_draft(self.id, sections, self.clinician_id)

    def sign_note(self) -> NoteInfo:
        note = self.store.sign_note(self.id, self.clinician_id)
        self._changed(None, reread=False)
        return note

    def add_addendum(self, text: str) -> AddendumInfo:
        return self.store.add_addendum(self.id, text, self.clinician_id)

    def addenda(self) -> list[AddendumInfo]:
        return self.store.addenda(self.id)

    def add_outcome(self, measure: str, answers: dict[str, Any], total: int, taken_on: date) -> OutcomeInfo:
        outcome = self.store.add_outcome(self.info.client_id, measure, answers, total, self.clinician_id, taken_on,
                                         self.id)
        self.outcome_saved.emit(outcome)
        return outcome

    def outcomes(self) -> list[OutcomeInfo]:
        return self.store.outcomes(self.info.client_id)

    def session_outcomes(self) -> list[OutcomeInfo]:
        """The outcome measures taken in this sitting (the item-9 alert reads them)."""
        return [o for o in self.outcomes() if o.session_id == self.id]

    def session_record(self) -> SessionRecord:
        return self.store.session_record(self.id)

    def rems_history(self) -> RemsHistory:
        """The client's REMS enrolment and first-treatment answers from this and earlier sittings
        (asked once per client), and whether an earlier esketamine sitting was dosed."""
        return self.store.rems_history(self.id, self.info)

    def export(self, fmt: str, out_path: Path | str, **options: Any) -> Path:
        """Write the sitting's PDF, CSV or FHIR file (see :func:`kapdesk.session.exports.export_session`)."""
        from kapdesk.session.exports import export_session

        return export_session(self.store, self.id, fmt, out_path, self.clinician_id, **options)
