"""The record, as SQLAlchemy 2 typed models.

Keys are UUIDs so records made on different laptops can later meet on a clinic server without
renumbering. Every entry carries its author and UTC times and is append-only: a correction is a
new entry whose ``supersedes_id`` points at the old one (enforced by database triggers and by a
flush guard in ``repository``). Only the small ``Session`` row is updated in place, and only as a
cache of what its entries say (status, dose time, end).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kapdesk.domain.status import SessionStatus  # noqa: F401 (re-exported for the store's users)
from kapdesk.store.revision import SCHEMA_HEAD  # noqa: F401 (re-exported: the revision these models are)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zone type; PostgreSQL's ``timestamptz`` does. Refusing naive datetimes here
    stops a local wall time from ever being stored as if it were UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store: pass an aware UTC datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, uuid.UUID: Uuid}


class Clinician(Base):
    """A clinician account. Never deleted (the record names its authors): deactivated instead.
    Secrets are Argon2id hashes (kapdesk.session.credentials); ``None`` means not set."""

    __tablename__ = "clinician"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(60), default="therapist")
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    pin_hash: Mapped[str | None] = mapped_column(String(200))


class SecuritySetting(Base):
    """Clinic-wide secrets and switches kept with the record (the emergency code's hash)."""

    __tablename__ = "security_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime]
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinician.id"))


class EmergencyAccess(Base):
    """A "break glass" unlock: when, why, and the admin review that clears it from the start screen."""

    __tablename__ = "emergency_access"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinician.id"))


class Client(Base):
    """A client known only by a pseudonymous label chosen by the clinic."""

    __tablename__ = "client"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    label: Mapped[str] = mapped_column(String(80), unique=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinician.id"))


class Session(Base):
    __tablename__ = "session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id"), index=True)
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinician.id"))
    protocol_id: Mapped[str] = mapped_column(String(60))
    # The protocol as it stood when the session began: a clinic may edit its files later,
    # but this session's plan (and its record) must not change with them.
    protocol: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), index=True)
    arrival_at: Mapped[datetime] = mapped_column(index=True)
    dose_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    client: Mapped[Client] = relationship()
    clinician: Mapped[Clinician] = relationship()


class Entry(Base):
    """One authored, timestamped fact of a session: a phase change, a reading, a dose, a track...

    ``kind`` says what ``payload`` holds. ``occurred_at`` is when it happened in the room (the
    clinician may enter a reading a minute late); ``recorded_at`` is when it was committed.
    """

    __tablename__ = "entry"
    __table_args__ = (Index("ix_entry_session_time", "session_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("session.id"))
    kind: Mapped[str] = mapped_column(String(40))  # no index of its own: see migration 0007
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinician.id"))
    # At most one correction per entry (unique): corrections form a chain, never a fork.
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("entry.id"), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)


class IntegrationNote(Base):
    """The post-session note: a draft autosaved in place until signed, then locked for good.

    ``sections`` maps section keys (see ``kapdesk.domain.notes``) to text. ``content_hash`` is the
    SHA-256 of the signed content, so a later reader can tell the text is what was signed.
    """

    __tablename__ = "integration_note"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("session.id"), unique=True)
    sections: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    saved_at: Mapped[datetime]
    saved_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinician.id"))
    signed_at: Mapped[datetime | None]
    signed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinician.id"))
    content_hash: Mapped[str | None] = mapped_column(String(64))


class NoteAddendum(Base):
    __tablename__ = "note_addendum"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integration_note.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinician.id"))
    signed_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))


class OutcomeMeasure(Base):
    """A PHQ-9 or GAD-7 taken on a day, for the course view (optionally tied to a session)."""

    __tablename__ = "outcome_measure"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("session.id"))
    measure: Mapped[str] = mapped_column(String(20))
    taken_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict[str, Any]]
    total: Mapped[int]
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinician.id"))
    recorded_at: Mapped[datetime]


class AuditEvent(Base):
    """Who created, changed, signed or exported what, and when. Append-only, and a hash chain:
    ``seq`` counts events without a gap, ``prev_hash`` is the hash of event ``seq - 1`` and
    ``hash`` covers this event's fields and ``prev_hash`` (kapdesk.store.chain)."""

    __tablename__ = "audit_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinician.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# -- replication to the clinic server (kapdesk.sync; migration 0006) ------------------------------


class SyncOutbox(Base):
    """What this room's record still has to send to the clinic server, in the order it was written.

    Filled by SQLite triggers in the same transaction as each replicated row (never by the app),
    emptied by the replicator as the server acknowledges. Unused on the server itself."""

    __tablename__ = "sync_outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(64))


class SyncState(Base):
    """Small values of the replicator (the server audit seq pulled up to)."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SyncPulling(Base):
    """Holds a row only inside the replicator's pull transaction: rows copied from the server are not queued."""

    __tablename__ = "sync_pulling"

    flag: Mapped[int] = mapped_column(primary_key=True)


class SyncConflict(Base):
    """Two rooms created a client (or clinician) offline under one label: both are kept, and an
    admin links them. ``object_id`` was stored as ``stored_as``; ``other_id`` already held ``label``."""

    __tablename__ = "sync_conflict"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[uuid.UUID]
    other_id: Mapped[uuid.UUID]
    label: Mapped[str] = mapped_column(String(120))
    stored_as: Mapped[str] = mapped_column(String(120))
    room: Mapped[str] = mapped_column(String(80))
    found_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinician.id"))
