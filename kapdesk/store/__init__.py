"""The durable record: SQLAlchemy models, engine set-up, migrations and the one repository."""

from kapdesk.store.engine import DatabaseLockedError, SchemaTooNewError, StoreError
from kapdesk.store.repository import (
    AppendOnlyError,
    ClientInfo,
    ClinicianInfo,
    EntryError,
    EntryInfo,
    SessionInfo,
    Store,
)

__all__ = [
    "AppendOnlyError", "ClientInfo", "ClinicianInfo", "DatabaseLockedError", "EntryError", "EntryInfo",
    "SchemaTooNewError", "SessionInfo", "Store", "StoreError",
]
