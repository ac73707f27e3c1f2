"""The audit trail as a hash chain, and the digests of what it covers.

Every audit event carries ``seq`` (1, 2, 3 … with no gap), the hash of the event before it
(``prev_hash``; the first event follows :data:`GENESIS`) and its own ``hash``: SHA-256 over a
canonical JSON of its fields and ``prev_hash``. Entries and signed notes join the chain: the event
that records an entry's creation carries the entry's own digest (:func:`entry_digest`), and a
signing event carries the note's or addendum's content hash. So a changed entry, a changed event,
a removed event or an inserted row is found by :func:`kapdesk.store.audit.verify`, whatever
program made the change (the database triggers stop honest programs; the chain catches the rest).

The digests are a storage format: changing what they cover breaks every existing chain, so each
carries a version prefix and a new version would be a new function beside the old one.

Pure: values in, hex digests out.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64
VERSION = "kapdesk-audit-v1"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be hashed into the audit chain")


def _sha256(*parts: Any) -> str:
    return hashlib.sha256(_canonical([VERSION, *parts])).hexdigest()


def entry_digest(*, id: uuid.UUID, session_id: uuid.UUID, kind: str, occurred_at: datetime, recorded_at: datetime,
                 author_id: uuid.UUID, supersedes_id: uuid.UUID | None, payload: Any, note: str | None) -> str:
    """The digest of one entry row, over every column."""
    return _sha256("entry", id, session_id, kind, occurred_at, recorded_at, author_id, supersedes_id, payload, note)


def outcome_digest(*, id: uuid.UUID, client_id: uuid.UUID, session_id: uuid.UUID | None, measure: str, taken_on: Any,
                   answers: Any, total: int, author_id: uuid.UUID, recorded_at: datetime) -> str:
    """The digest of one outcome-measure row (a PHQ-9 or GAD-7 with its item answers)."""
    return _sha256("outcome", id, client_id, session_id, measure, str(taken_on), answers, total, author_id, recorded_at)


def event_digest(*, seq: int, prev_hash: str, id: uuid.UUID, at: datetime, actor_id: uuid.UUID | None, action: str,
                 object_type: str, object_id: str, detail: Any) -> str:
    """The hash of one audit event, chained to the one before it by ``prev_hash``."""
    return _sha256("event", seq, prev_hash, id, at, actor_id, action, object_type, object_id, detail)
