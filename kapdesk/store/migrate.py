"""Bring a database to the schema this build expects, at start-up, on our own connection.

An empty database is created at head; an older one is backed up (SQLite's online backup API,
never a file copy of a live database) and upgraded; a newer one is refused untouched.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, inspect

from kapdesk.store.engine import SchemaTooNewError, StoreError, backup_connection, sqlite_path

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# Rooms reaching an empty clinic server at the same moment take turns to create its schema.
MIGRATION_LOCK = 0x4B415044  # "KAPD": a PostgreSQL advisory lock key of our own


def migrate(engine: Engine, target: str = "head") -> Path | None:
    """Upgrade to ``target``. Returns the path of the backup taken before an upgrade, if any.

    On PostgreSQL the upgrade holds an advisory lock: several rooms may meet an empty or older
    server at once, and the second finds the schema the first has just written."""
    if engine.dialect.name != "postgresql":
        return _migrate(engine, target)
    from sqlalchemy import text

    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        lock.commit()
        try:
            return _migrate(engine, target)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            lock.commit()


def _migrate(engine: Engine, target: str) -> Path | None:
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    current = current_revision(engine)
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            raise SchemaTooNewError(
                f"the database was written by a newer KAPDesk (schema {current}; this build knows up to "
                f"{script.get_current_head()}). Install the newer KAPDesk; the database was left untouched."
            ) from None
    backup = None
    if current is not None and current != script.get_current_head() and target == "head":
        backup = _backup_before_upgrade(engine, current)
    elif current is None and inspect(engine).get_table_names():
        raise StoreError(
            f"{engine.url.database} holds tables but no KAPDesk schema version; it was left untouched"
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    return backup


def _backup_before_upgrade(engine: Engine, revision: str) -> Path | None:
    path = sqlite_path(str(engine.url))
    if path is None:
        return None  # a server database is backed up by the clinic's own server tooling
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.schema-{revision}-{stamp}.bak")
    raw = engine.raw_connection()
    try:
        target = backup_connection(engine, backup)  # an encrypted record's backup is encrypted under its key
        try:
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    finally:
        raw.close()
    return backup
