"""Opening the database: where it lives, our pragmas, and the errors a clinician can act on.

SQLite is the embedded default (one file in the user data folder). Any SQLAlchemy URL works as
``--db`` so that a clinic server (PostgreSQL) can be used later with the same models and
migrations; only the SQLite-specific parts below are conditional.

An encrypted record (``kapdesk db encrypt``; see :mod:`kapdesk.store.crypto`) is the same SQLite
schema in an SQLCipher file, opened through SQLAlchemy's ``pysqlcipher`` dialect with the
``sqlcipher3`` module: the key is set first on every new connection, then the same pragmas.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlcipher import SQLiteDialect_pysqlcipher
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kapdesk.store.errors import DatabaseLockedError, SchemaTooNewError, StoreError
from kapdesk.store.location import check_sqlite_location

__all__ = ["DatabaseLockedError", "RawKeySQLCipherDialect", "SchemaTooNewError", "StoreError", "backup_connection",
           "check_sqlite_location", "database_url", "open_engine", "sqlite_path"]


# The engines a record may live in, and the driver each needs (SQLAlchemy dialect+driver).
CIPHER_DRIVER = "kapdesk_sqlcipher"  # an encrypted record's own engine (RawKeySQLCipherDialect below)
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
    if backend == "sqlite" and driver == CIPHER_DRIVER and url.database:
        # An encrypted record's own engine URL (a replicator opening the room's file): the file
        # says it is encrypted, and open_engine takes the key this process already holds.
        return f"sqlite+pysqlite:///{url.database}"
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


def open_engine(target: str, *, key: bytes | None = None) -> Engine:
    """Create the engine for ``target`` (path or URL), checking an SQLite file is usable first.

    An encrypted record is opened with ``key``, or with the key :func:`kapdesk.store.crypto.key_for`
    finds (remembered by the window's prompt, or asked for: terminal, standard input,
    ``KAPDESK_PASSPHRASE``). A wrong passphrase, a missing key file or a plain file beside a key
    file raise :class:`StoreError` with one line, before any connection writes to the file.
    """
    url = database_url(target)
    path = sqlite_path(url)
    if path is not None:
        from kapdesk.store import crypto

        if crypto.is_encrypted(path):
            check_sqlite_location(path)
            if key is None:
                key = crypto.key_for(path)
            crypto.remember_key(path, key)
            return _cipher_engine(path, key)
        check_sqlite_location(path)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


class RawKeySQLCipherDialect(SQLiteDialect_pysqlcipher):
    """SQLAlchemy's ``pysqlcipher`` dialect, minus its ``PRAGMA key`` taken from the URL's password.

    That pragma would carry our key inside the engine's URL (an object that is rendered into logs and
    messages), and with no password it runs ``PRAGMA key=""``, which SQLCipher 4 refuses. Our key is
    set by the engine's own ``connect`` listener instead (:func:`_cipher_engine`). Pooling is the
    plain SQLite file's (``QueuePool``) rather than pysqlcipher's ``SingletonThreadPool``: the latter
    exists because a passphrase key costs a PBKDF2 run per connection, and a raw key costs none.
    """

    supports_statement_cache = True

    def on_connect_url(self, url):  # noqa: ANN001, ANN201 (SQLAlchemy's signature)
        return SQLiteDialect_pysqlite.on_connect_url(self, url)

    @classmethod
    def get_pool_class(cls, url):  # noqa: ANN001, ANN206
        return SQLiteDialect_pysqlite.get_pool_class(url)


registry.register(f"sqlite.{CIPHER_DRIVER}", __name__, "RawKeySQLCipherDialect")


def _cipher_engine(path: Path, key: bytes) -> Engine:
    from kapdesk.store import crypto

    module = crypto.sqlcipher_module()
    engine = create_engine(URL.create(f"sqlite+{CIPHER_DRIVER}", database=str(path)), module=module, future=True)

    def set_key(dbapi_connection: Any, _record: Any) -> None:
        crypto.set_key(dbapi_connection, key)

    # insert=True: ahead of every other listener, SQLAlchemy's own first-connect set-up included,
    # because SQLCipher takes the key only before the first statement that reads the file.
    event.listen(engine, "connect", set_key, insert=True)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def backup_connection(engine: Engine, path: Path) -> Any:
    """A new DBAPI connection to ``path`` of ``engine``'s own kind, for SQLite's online backup API.

    An encrypted record's backup is written under the same key, so it is encrypted too, and the
    record's key file is copied beside it (``<backup>.kdf``): a later rekey replaces the record's
    salt, and the backup must still open with the passphrase of its day. A plain record's backup
    is written with the standard ``sqlite3``.
    """
    if isinstance(engine.dialect, RawKeySQLCipherDialect):
        from kapdesk.store import crypto

        source = sqlite_path(engine.url.render_as_string())
        key = crypto.known_key(source) if source is not None else None
        if source is None or key is None:
            raise StoreError(f"cannot back up {source}: its key is not known in this process")
        crypto.write_key_file(crypto.key_file_path(path), crypto.read_key_file(crypto.key_file_path(source)))
        return crypto.connect(path, key)
    return sqlite3.connect(path)
