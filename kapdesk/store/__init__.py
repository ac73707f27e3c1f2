"""The durable record: SQLAlchemy models, engine set-up, migrations and the one repository.

Attributes load lazily (PEP 562): importing ``kapdesk.store.errors`` or the lock must not pull in
SQLAlchemy, which costs a few hundred milliseconds of start-up before the window can paint.
"""

from importlib import import_module
from typing import Any

from kapdesk.store.errors import (
    AppendOnlyError, DatabaseLockedError, EntryError, NoteLockedError, SchemaTooNewError, StoreError,
)

_LAZY = {
    name: "kapdesk.store.repository"
    for name in (
        "AddendumInfo", "AuditInfo", "ClientInfo", "ClinicianInfo", "EntryInfo",
        "NoteInfo", "OutcomeInfo", "SessionInfo", "SessionRecord", "Store",
    )
}

__all__ = [
    "AppendOnlyError", "DatabaseLockedError", "EntryError", "NoteLockedError", "SchemaTooNewError", "StoreError", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(name)
