"""What the record holds, as plain frozen values: clinicians, clients, sessions, notes, outcomes.

The store hands these out and nothing else (no ORM object leaves it), so the screen, the exports
and the tests read the record without SQLAlchemy. Entries are :class:`EntryInfo`
(:mod:`kapdesk.domain.entries`); the facts derived from them are in :mod:`kapdesk.domain.record`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

from kapdesk.domain.entries import EntryInfo, of_type
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.record import RecordFacts, record_facts
from kapdesk.domain.rems import RemsHistory
from kapdesk.domain.sign_in import ClinicianInfo, EmergencyAccessInfo  # noqa: F401 (re-exported)

P = TypeVar("P")


@dataclass(frozen=True)
class ClientInfo:
    id: uuid.UUID
    label: str
    date_of_birth: date | None


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    client_id: uuid.UUID
    client_label: str
    clinician_id: uuid.UUID
    clinician_name: str
    protocol: Protocol
    status: str
    arrival_at: datetime
    dose_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class NoteInfo:
    id: uuid.UUID
    session_id: uuid.UUID
    sections: dict[str, str]
    saved_at: datetime
    saved_by: str
    signed_at: datetime | None
    signed_by: str | None
    content_hash: str | None

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True)
class AddendumInfo:
    id: uuid.UUID
    text: str
    author: str
    signed_at: datetime
    content_hash: str


@dataclass(frozen=True)
class OutcomeInfo:
    id: uuid.UUID
    client_id: uuid.UUID
    session_id: uuid.UUID | None
    measure: str
    taken_on: date
    answers: dict[str, Any]
    total: int
    author: str


@dataclass(frozen=True)
class AuditInfo:
    at: datetime
    actor: str | None
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class SessionRecord:
    """Everything one session's report or export needs, read in one go."""

    info: SessionInfo
    client: ClientInfo
    entries: list[EntryInfo]
    note: NoteInfo | None
    addenda: list[AddendumInfo]
    outcomes: list[OutcomeInfo]
    # The client's other sittings as the esketamine REMS form reads them (esketamine sittings only).
    rems: RemsHistory | None = None

    def of(self, payload_type: type[P]) -> list[tuple[EntryInfo, P]]:
        """The current entries holding a ``payload_type``, in time order, with it."""
        return of_type(self.entries, payload_type)

    @cached_property
    def facts(self) -> RecordFacts:
        """The sitting's derived facts (baseline, peak, T+ …), computed once per record."""
        return record_facts(self.entries, self.info.dose_at)
