"""Backup, restore and check of a record file (``kapdesk db backup|restore|check``).

* **Backup** uses SQLite's online backup API on the store's own connection, so it works while a
  session is being recorded: the copy is a consistent snapshot of one moment, WAL included. It is
  written beside its destination first, checked (integrity, the same rows as the record had at that
  moment), then renamed into place. An encrypted record's backup stays encrypted under its key.
* **Restore** puts a backup back. It refuses a backup from a newer KAPDesk, and refuses to go over a
  record that holds more than the backup (a later audit event): that would lose entries. The current
  file is kept aside (``<record>.before-restore-<time>``), never deleted.
* **Check** reports integrity, foreign keys, the database's own protections (append-only and
  locked-note triggers) and the audit chain, one line each.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, text

from kapdesk.store.engine import backup_connection
from kapdesk.store.errors import StoreError

__all__ = ["CheckLine", "backup", "check", "restore", "PROTECTIONS"]

# The triggers the migrations create on SQLite: what keeps the record append-only whatever program writes.
PROTECTIONS = (
    "entry_append_only_update", "entry_append_only_delete",
    "note_locked_update", "note_locked_delete",
    "note_addendum_append_only_update", "note_addendum_append_only_delete",
    "outcome_measure_append_only_update", "outcome_measure_append_only_delete",
    "audit_event_append_only_update", "audit_event_append_only_delete",
    "clinician_never_deleted",
)


@dataclass(frozen=True)
class CheckLine:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _counts(connection) -> dict[str, int]:
    names = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def backup(engine: Engine, destination: Path) -> tuple[Path, dict[str, int]]:
    """Write a checked snapshot of the record to ``destination`` (a file, or a folder to put it in).

    Returns the file written and its row counts per table. Raises ``StoreError`` (nothing left at the
    destination) when it cannot be written or does not check out.
    """
    if engine.dialect.name != "sqlite":
        raise StoreError("backup is for a record file: a clinic server is backed up by its own tools (pg_dump)")
    source = Path(engine.url.database or "")
    if destination.is_dir():
        destination = destination / f"{source.stem}-{_stamp()}.sqlite3"
    if destination.exists():
        raise StoreError(f"{destination} already exists: choose a new name (nothing was written)")
    if destination.resolve() == source.resolve():
        raise StoreError("the backup cannot be the record itself")
    partial = destination.with_name(destination.name + ".partial")
    try:
        target = backup_connection(engine, partial)
        try:
            with engine.connect() as connection:
                raw = connection.connection.driver_connection
                raw.backup(target)  # one consistent moment, even while entries are being written
                expected = _counts(raw)
            problems = target.execute("PRAGMA integrity_check").fetchall()
            copied = _counts(target)
        finally:
            target.close()
        if problems != [("ok",)]:
            raise StoreError(f"the backup did not check out ({problems[0][0]}); nothing was kept")
        if copied != expected:
            raise StoreError("the backup does not hold the same rows as the record; nothing was kept")
        os.replace(partial, destination)
        kdf = partial.with_name(partial.name + ".kdf")
        if kdf.exists():
            os.replace(kdf, destination.with_name(destination.name + ".kdf"))
        return destination, copied
    except sqlite3.Error as exc:
        raise StoreError(f"cannot write the backup {destination}: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"cannot write the backup {destination}: {exc.strerror or exc}") from exc
    finally:
        for leftover in (partial, partial.with_name(partial.name + ".kdf"),
                         partial.with_name(partial.name + "-journal")):
            if leftover.exists():
                leftover.unlink()


def check(engine: Engine) -> list[CheckLine]:
    """Integrity, foreign keys, the protections and the audit chain, one line each."""
    from kapdesk.store.audit import verify

    lines: list[CheckLine] = []
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = [r[0] for r in connection.execute(text("PRAGMA integrity_check"))]
            lines.append(CheckLine("integrity", found == ["ok"], "ok" if found == ["ok"] else "; ".join(found[:3])))
            orphans = list(connection.execute(text("PRAGMA foreign_key_check")))
            lines.append(CheckLine("foreign keys", not orphans, "every reference points at a row" if not orphans
                                   else f"{len(orphans)} row(s) point at nothing, first in {orphans[0][0]}"))
            triggers = {r[0] for r in connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
            missing = [t for t in PROTECTIONS if t not in triggers]
            lines.append(CheckLine("protections", not missing, "append-only and locked-note triggers present"
                                   if not missing else f"missing: {', '.join(missing)}"))
        else:
            lines.append(CheckLine("integrity", True, "kept by the server (PostgreSQL)"))
    problems = verify(engine)
    lines.append(CheckLine("audit chain", not problems, "every event follows the one before, every record matches"
                           if not problems else f"{problems[0]} ({len(problems)} problem(s))"))
    return lines


def _latest_event(path: Path) -> tuple[str | None, int]:
    """The schema revision and the last audit seq of a plain record file (read-only)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        try:
            seq = connection.execute("SELECT coalesce(max(seq), 0) FROM audit_event").fetchone()[0]
        except sqlite3.Error:
            seq = connection.execute("SELECT count(*) FROM audit_event").fetchone()[0]
        return (revision[0] if revision else None), int(seq)
    finally:
        connection.close()


def restore(backup_file: Path, record: Path, *, head: str) -> Path | None:
    """Put ``backup_file`` in place of ``record``; returns where the current record was kept aside."""
    if not backup_file.is_file():
        raise StoreError(f"there is no backup at {backup_file} (nothing was changed)")
    if backup_file.with_name(backup_file.name + ".kdf").exists():
        raise StoreError(f"{backup_file} is encrypted: with KAPDesk closed, copy it and its .kdf file in place of the "
                         "record (restore does not handle encrypted backups yet); nothing was changed")
    try:
        revision, backup_seq = _latest_event(backup_file)
    except sqlite3.Error as exc:
        raise StoreError(f"{backup_file} is not a KAPDesk record ({exc}); nothing was changed") from exc
    if revision is None or revision > head:
        raise StoreError(f"{backup_file} was written by a newer KAPDesk (schema {revision}); nothing was changed")
    aside = None
    if record.exists():
        try:
            _, current_seq = _latest_event(record)
        except sqlite3.Error:
            current_seq = -1  # unreadable: the backup is what there is; the damaged file is kept aside
        if current_seq > backup_seq:
            raise StoreError(f"the record {record} holds {current_seq - backup_seq} more audit event(s) than the "
                             "backup: restoring would lose them (nothing was changed)")
        aside = record.with_name(f"{record.name}.before-restore-{_stamp()}")
        os.replace(record, aside)
        for suffix in ("-wal", "-shm"):
            side = record.with_name(record.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
    partial = record.with_name(record.name + ".restoring")
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        if target.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise StoreError(f"{backup_file} does not pass the integrity check; the record was kept at {aside}")
    finally:
        source.close()
        target.close()
    os.replace(partial, record)
    return aside

