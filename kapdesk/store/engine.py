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


# The engines a record may live in, and the driver each needs (SQLAlchemy dialect+driver).
_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
_ALIASES = {"postgres": "postgresql"}


def database_url(target: str) -> str:
    """A path becomes an SQLite URL; a URL is checked and given its driver.

    ``postgresql://`` (or ``postgres://``) means PostgreSQL through psycopg 3, the driver KAPDesk
    ships with. Another engine or driver is refused with one line saying what KAPDesk takes.
    """
    if "://" not in target:
        return f"sqlite+pysqlite:///{Path(target).expanduser().resolve()}"
    try:
        url = make_url(target)
    except ArgumentError:
        raise StoreError(f"--db {_safe(target)} is not a database URL: use a file path, or "
                         "postgresql://user@host/database for the clinic server") from None
    backend = _ALIASES.get(url.get_backend_name(), url.get_backend_name())
    if backend not in _DRIVERS:
        raise StoreError(f"--db {_safe(target)}: KAPDesk keeps its record in SQLite (a file path) or PostgreSQL "
                         f"(postgresql://…), not {url.get_backend_name()}")
    driver = url.get_driver_name() if "+" in url.drivername else _DRIVERS[backend]
    if driver != _DRIVERS[backend]:
        raise StoreError(f"--db {_safe(target)}: the {driver} driver is not used by KAPDesk; "
                         f"write {backend}+{_DRIVERS[backend]}:// or just {backend}://")
    if backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StoreError("the PostgreSQL driver psycopg is not installed: pip install 'psycopg[binary]'") from None
    return url.set(drivername=f"{backend}+{_DRIVERS[backend]}").render_as_string(hide_password=False)


def _safe(target: str) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return make_url(target).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(target)


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
