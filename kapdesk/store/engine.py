"""Opening the database: where it lives, our pragmas, and the errors a clinician can act on.

SQLite is the embedded default (one file in the user data folder). Any SQLAlchemy URL works as
``--db`` so that a clinic server (PostgreSQL) can be used later with the same models and
migrations; only the SQLite-specific parts below are conditional.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kapdesk.store.errors import DatabaseLockedError, SchemaTooNewError, StoreError
from kapdesk.store.location import check_sqlite_location

__all__ = ["DatabaseLockedError", "SchemaTooNewError", "StoreError", "check_sqlite_location", "database_url",
           "open_engine", "sqlite_path"]


def database_url(target: str) -> str:
    """A path becomes an SQLite URL; a URL (``postgresql+psycopg://...``) is taken as it is."""
    if "://" in target:
        try:
            make_url(target)
        except ArgumentError as exc:
            raise StoreError(f"--db {target!r} is not a valid database URL: {exc}") from exc
        return target
    return f"sqlite+pysqlite:///{Path(target).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _set_sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    """Durability first (product.md, "Durability").

    WAL lets the UI read while a commit is written; ``synchronous=FULL`` syncs the WAL on every
    commit, so a committed entry survives a power cut (NORMAL may lose the last commits).
    ``foreign_keys`` is off by default in SQLite; entries must never point at nothing.
    ``busy_timeout`` rides out a moment's contention with a backup or a reader.
    """
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"the database could not be switched to WAL mode (it reports {mode!r})")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def open_engine(target: str) -> Engine:
    """Create the engine for ``target`` (path or URL), checking an SQLite file is usable first."""
    url = database_url(target)
    path = sqlite_path(url)
    if path is not None:
        check_sqlite_location(path)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine
