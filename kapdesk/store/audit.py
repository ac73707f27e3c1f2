"""Reading the audit trail back: verify its hash chain, and list it as an audit report.

:func:`verify` walks the chain (kapdesk.store.chain) from the first event and checks, in order:
each event's ``seq`` follows the one before it, its ``prev_hash`` is that event's hash, and its
own hash matches its content; then that every entry, outcome measure, signed note and addendum
in the database has its event and still has the digest that event recorded. It reads with plain
SQL, so it sees what a text editor for SQLite may have written, not what the app would.

:func:`trail` gives the events as ONC 170.315(d)(2)/(d)(3) and ASTM E2147 ask of an audit log:
when, who, what action, which patient, and which category of data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from kapdesk.domain.entries import Kind
from kapdesk.domain.notes import addendum_hash, content_hash
from kapdesk.store.chain import GENESIS, entry_digest, event_digest, outcome_digest
from kapdesk.store.models import (
    AuditEvent, Client, Clinician, Entry, IntegrationNote, NoteAddendum, OutcomeMeasure, Session,
)

__all__ = ["ChainProblem", "TrailRow", "trail", "verify"]


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong with the trail; ``seq`` is the event concerned (None: a row with no event)."""

    seq: int | None
    message: str

    def __str__(self) -> str:
        return f"event #{self.seq}: {self.message}" if self.seq is not None else self.message


def verify(engine: Engine) -> list[ChainProblem]:
    """Every problem found, the first broken event first; an empty list means the trail is intact."""
    with OrmSession(engine) as orm:
        events = list(orm.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        problems = list(_chain_problems(events))
        covered: dict[tuple[str, str], AuditEvent] = {}
        for e in events:  # the event that recorded each row: the first one carrying its digest
            if e.object_type in ("entry", "outcome_measure", "note_addendum") and (
                    "hash" in e.detail or e.object_type == "note_addendum"):
                covered.setdefault((e.object_type, e.object_id), e)
        problems += _entry_problems(orm, covered)
        problems += _outcome_problems(orm, covered)
        signings = {e.object_id: e for e in events  # the latest signing of each note (events are in seq order)
                    if e.object_type == "integration_note" and e.action == "signed"}
        problems += _note_problems(orm, covered, signings)
    return sorted(problems, key=lambda p: (p.seq is None, p.seq or 0))


def tail_problem(engine: Engine, last: int = 200) -> ChainProblem | None:
    """The first problem among the chain's newest ``last`` events, or None: cheap enough for every
    opening of the record (the full walk is ``kapdesk audit verify``)."""
    with OrmSession(engine) as orm:
        events = list(orm.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(last + 1)))[::-1]
    if len(events) < 2:
        return next(iter(_chain_problems(events)), None)
    return next(iter(_chain_problems(events[1:], start=events[0].seq + 1, prev=events[0].hash)), None)


def _chain_problems(events: list[AuditEvent], *, start: int = 1, prev: str = GENESIS) -> Iterator[ChainProblem]:
    for expected, event in enumerate(events, start=start):
        what = f"{event.action} {event.object_type} {event.object_id} at {_when(event.at)}"
        if event.seq != expected:
            yield ChainProblem(event.seq, f"the chain jumps from #{expected - 1} to #{event.seq}: "
                                          f"{event.seq - expected} event(s) before this one were removed ({what})")
        elif event.prev_hash != prev:
            yield ChainProblem(event.seq, f"does not follow event #{expected - 1}: the event before it was "
                                          f"changed or replaced ({what})")
        digest = event_digest(seq=event.seq, prev_hash=event.prev_hash, id=event.id, at=event.at,
                              actor_id=event.actor_id, action=event.action, object_type=event.object_type,
                              object_id=event.object_id, detail=event.detail)
        if digest != event.hash:
            yield ChainProblem(event.seq, f"was changed after it was written: its hash does not match ({what})")
        prev = event.hash


def _covered_problem(kind: str, row_id: uuid.UUID, label: str, digest: str | None,
                     covered: dict[tuple[str, str], AuditEvent]) -> ChainProblem | None:
    event = covered.pop((kind, str(row_id)), None)
    if event is None:
        return ChainProblem(None, f"{label} has no audit event: it was written outside KAPDesk")
    if digest is not None and "hash" in event.detail and event.detail["hash"] != digest:
        return ChainProblem(event.seq, f"{label} was changed after event #{event.seq} recorded it")
    return None


def _entry_problems(orm: OrmSession, covered: dict[tuple[str, str], AuditEvent]) -> Iterator[ChainProblem]:
    for row in orm.scalars(select(Entry).order_by(Entry.recorded_at)):
        digest = entry_digest(id=row.id, session_id=row.session_id, kind=row.kind, occurred_at=row.occurred_at,
                              recorded_at=row.recorded_at, author_id=row.author_id, supersedes_id=row.supersedes_id,
                              payload=row.payload, note=row.note)
        problem = _covered_problem("entry", row.id, f"entry {row.id} ({row.kind}, {_when(row.occurred_at)})", digest,
                                   covered)
        if problem is not None:
            yield problem
    for (kind, object_id), event in list(covered.items()):
        if kind == "entry":
            del covered[(kind, object_id)]
            yield ChainProblem(event.seq, f"records entry {object_id}, which is no longer in the database")


def _outcome_problems(orm: OrmSession, covered: dict[tuple[str, str], AuditEvent]) -> Iterator[ChainProblem]:
    for row in orm.scalars(select(OutcomeMeasure).order_by(OutcomeMeasure.recorded_at)):
        digest = outcome_digest(id=row.id, client_id=row.client_id, session_id=row.session_id, measure=row.measure,
                                taken_on=row.taken_on, answers=row.answers, total=row.total, author_id=row.author_id,
                                recorded_at=row.recorded_at)
        problem = _covered_problem("outcome_measure", row.id, f"outcome measure {row.id} ({row.measure})", digest,
                                   covered)
        if problem is not None:
            yield problem


def _note_problems(orm: OrmSession, covered: dict[tuple[str, str], AuditEvent],
                   signings: dict[str, AuditEvent]) -> Iterator[ChainProblem]:
    """Signed notes and addenda against their own content hashes and the events that signed them."""
    names = {c.id: c.name for c in orm.scalars(select(Clinician))}
    notes = {n.id: n for n in orm.scalars(select(IntegrationNote))}
    for note in notes.values():
        if note.signed_at is None:
            continue
        label = f"the signed note of session {note.session_id}"
        actual = content_hash(str(note.session_id), note.sections, names.get(note.signed_by, "?"), note.signed_at)
        signed = signings.get(str(note.id))
        if actual != note.content_hash:
            yield ChainProblem(signed.seq if signed else None, f"{label} was changed after it was signed")
        if signed is None:
            yield ChainProblem(None, f"{label} has no signing event: it was signed outside KAPDesk")
        elif signed.detail.get("hash") != note.content_hash:
            yield ChainProblem(signed.seq, f"{label} does not match the hash its signing event recorded")
    for addendum in orm.scalars(select(NoteAddendum).order_by(NoteAddendum.signed_at)):
        note = notes.get(addendum.note_id)
        actual = addendum_hash(note.content_hash or "" if note else "", addendum.text,
                               names.get(addendum.author_id, "?"), addendum.signed_at)
        label = f"addendum {addendum.id}"
        if actual != addendum.content_hash:
            yield ChainProblem(None, f"{label} was changed after it was signed")
        problem = _covered_problem("note_addendum", addendum.id, label, addendum.content_hash, covered)
        if problem is not None:
            yield problem


# --------------------------------------------------------------------------------------------
# The audit report
# --------------------------------------------------------------------------------------------

_CATEGORY = {
    "entry": "session record",
    "session": "session",
    "client": "demographics",
    "clinician": "user account",
    "integration_note": "integration note",
    "note_addendum": "note addendum",
    "outcome_measure": "outcome measure",
}


@dataclass(frozen=True)
class TrailRow:
    """One audit event as a report line (ASTM E2147: date/time, user, action, patient, data)."""

    seq: int
    at: datetime
    user: str
    action: str
    patient: str
    category: str
    object_id: str

    def as_dict(self) -> dict[str, str]:
        return {"seq": str(self.seq), "time": _when(self.at), "user": self.user, "action": self.action,
                "patient": self.patient, "data": self.category, "object": self.object_id}


def trail(engine: Engine, *, since: date | None = None, client: str | None = None) -> list[TrailRow]:
    """The trail in chain order; ``since`` keeps events on or after that local date, ``client``
    those about the client with that label (case-insensitive)."""
    with OrmSession(engine) as orm:
        users = {c.id: c.name for c in orm.scalars(select(Clinician))}
        labels = {c.id: c.label for c in orm.scalars(select(Client))}
        session_client = {s: c for s, c in orm.execute(select(Session.id, Session.client_id))}
        entry_session = {e: s for e, s in orm.execute(select(Entry.id, Entry.session_id))}
        note_session = {n: s for n, s in orm.execute(select(IntegrationNote.id, IntegrationNote.session_id))}
        addendum_note = {a: n for a, n in orm.execute(select(NoteAddendum.id, NoteAddendum.note_id))}
        outcome_client = {o: c for o, c in orm.execute(select(OutcomeMeasure.id, OutcomeMeasure.client_id))}
        rows = []
        for event in orm.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
            if since is not None and event.at.astimezone().date() < since:
                continue
            client_id = _client_of(event, session_client, entry_session, note_session, addendum_note, outcome_client)
            patient = labels.get(client_id, "") if client_id else ""
            if client is not None and patient.casefold() != client.strip().casefold():
                continue
            rows.append(TrailRow(event.seq, event.at, users.get(event.actor_id, "") if event.actor_id else "",
                                 event.action, patient, _category(event), event.object_id))
    return rows


def _client_of(event: AuditEvent, session_client: dict[Any, Any], entry_session: dict[Any, Any],
               note_session: dict[Any, Any], addendum_note: dict[Any, Any],
               outcome_client: dict[Any, Any]) -> uuid.UUID | None:
    try:
        object_id = uuid.UUID(event.object_id)
    except ValueError:
        return None
    kind = event.object_type
    if kind == "client":
        return object_id
    if kind == "session":
        return session_client.get(object_id)
    if kind == "entry":
        return session_client.get(entry_session.get(object_id))
    if kind == "integration_note":
        return session_client.get(note_session.get(object_id))
    if kind == "note_addendum":
        return session_client.get(note_session.get(addendum_note.get(object_id)))
    if kind == "outcome_measure":
        return outcome_client.get(object_id)
    return None


def _category(event: AuditEvent) -> str:
    category = _CATEGORY.get(event.object_type, event.object_type)
    if event.object_type == "entry":
        try:
            return f"{category}: {Kind(event.detail.get('kind', '')).label}"
        except ValueError:
            return f"{category}: {event.detail.get('kind', '?')}"
    if event.object_type == "outcome_measure" and event.detail.get("measure"):
        return f"{category}: {event.detail['measure']}"
    if event.action == "exported":
        return f"{category} export ({event.detail.get('format', '?')})"
    return category


def _when(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).astimezone().isoformat(timespec="seconds")
