"""Encrypting a plain record, and changing an encrypted record's passphrase (``kapdesk db``).

The caller holds KAPDesk's single-instance lock on the record (``kapdesk.store.db_cli``), so the
app is not writing to it; a WAL checkpoint that reports the file busy, or a WAL file that outlives
our connection, means another program has it open, and the conversion stops with nothing changed.

**Encrypting.** The plain file is checkpointed, copied into a new SQLCipher file beside it with
``ATTACH … KEY`` and ``sqlcipher_export`` (plus the ``user_version``, which the export leaves out),
and the copy is checked before anything is renamed: SQLite's ``integrity_check``, SQLCipher's
``cipher_integrity_check`` (every page's HMAC), the same schema, the same row count in every
table, the same Alembic revision. Then the new key file is written as ``.kdf.new``, the original
is kept under a second name (a hard link), the copy is renamed over the record (atomic), the key
file is renamed into place, and the record is checked again where it now lives. Only then is the
unencrypted original removed: a plaintext copy of every client's record left on a shared laptop
is the very thing encryption is for, and after two checks it protects against nothing the
encrypted record does not. Earlier unencrypted copies the user made or the schema upgrades made
(``*.schema-*.bak``) are named in the result, not deleted: they are the user's backups.

A crash leaves a record that opens: before the swap the plain record is untouched (the stale
``.kdf.new`` and ``.encrypting`` files are ignored and replaced by the next run); after it, the
encrypted record opens with ``.kdf.new`` until that is renamed (see :func:`crypto.unlock`).

**Rekeying.** The new key file is written as ``.kdf.new`` first, then ``PRAGMA rekey`` rewrites
every page under the new key in one transaction, then ``.kdf.new`` is renamed over ``.kdf``. A
crash before the rekey commits leaves the old passphrase working (``.kdf``); after it, the new one
(``.kdf.new``, renamed on the next open).
"""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kapdesk.store import crypto
from kapdesk.store.errors import StoreError

__all__ = ["Encrypted", "Snapshot", "encrypt_record", "rekey_record", "snapshot"]

ENCRYPTING_SUFFIX = ".encrypting"


@dataclass(frozen=True)
class Snapshot:
    """What a faithful copy must have: every schema object, every table's rows, the versions."""

    schema: tuple[tuple[str, str, str, str], ...]
    counts: dict[str, int] = field(default_factory=dict)
    alembic: str | None = None
    user_version: int = 0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Encrypted:
    db: Path
    key_file: Path
    snapshot: Snapshot
    plain_copies_left: list[Path]


def snapshot(connection: Any) -> Snapshot:
    schema = tuple(connection.execute(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name").fetchall())
    tables = [name for kind, name, _t, _s in schema if kind == "table"]
    counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
    alembic = None
    if "alembic_version" in counts:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        alembic = row[0] if row else None
    user_version = connection.execute("PRAGMA user_version").fetchone()[0]
    return Snapshot(schema, counts, alembic, user_version)


def verify_copy(db: Path, key: bytes, expected: Snapshot) -> None:
    """Raise :class:`StoreError` unless ``db`` opens with ``key`` and holds what ``expected`` describes."""
    connection = crypto.connect(db, key, read_only=True)
    try:
        integrity = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
        if integrity != ["ok"]:
            raise StoreError(f"the encrypted copy {db} fails SQLite's integrity check: {integrity[0]}")
        pages = connection.execute("PRAGMA cipher_integrity_check").fetchall()
        if pages:
            raise StoreError(f"the encrypted copy {db} fails SQLCipher's page check: {pages[0][0]}")
        found = snapshot(connection)
    except crypto.sqlcipher_module().DatabaseError as exc:
        raise StoreError(f"the encrypted copy {db} cannot be read back: {exc}") from exc
    finally:
        connection.close()
    if found.schema != expected.schema:
        raise StoreError(f"the encrypted copy {db} has a different schema from the original")
    for table, count in expected.counts.items():
        if found.counts.get(table) != count:
            raise StoreError(f"the encrypted copy {db} has {found.counts.get(table)} rows in {table}, the original "
                             f"{count}")
    if (found.alembic, found.user_version) != (expected.alembic, expected.user_version):
        raise StoreError(f"the encrypted copy {db} has schema version {found.alembic}/{found.user_version}, the "
                         f"original {expected.alembic}/{expected.user_version}")


def encrypt_record(db: Path, passphrase: str, *, params: crypto.KdfParams | None = None,
                   now: datetime | None = None) -> Encrypted:
    """Encrypt the plain record ``db`` in place under ``passphrase``. See the module docstring.

    Raises ``ValueError`` for a passphrase that may not be set, :class:`StoreError` for a record that
    cannot be encrypted; in both cases the record is as it was.
    """
    crypto.check_new_passphrase(passphrase)
    db = db.resolve()
    header = crypto.file_header(db) if db.is_file() else None
    if not header:
        raise StoreError(f"there is no record at {db} to encrypt (nothing was changed)")
    if header != crypto.SQLITE_HEADER:
        if crypto.key_file_path(db).exists() or crypto.pending_key_file_path(db).exists():
            raise StoreError(f"{db} is encrypted already: `kapdesk db rekey` changes its passphrase "
                             "(nothing was changed)")
        raise StoreError(f"{db} is not a KAPDesk database (not an SQLite file); it was left untouched")

    temp = db.with_name(db.name + ENCRYPTING_SUFFIX)
    _remove_with_journals(temp)  # what an interrupted run left: encrypted, and never the record
    for link in db.parent.glob(glob.escape(db.name) + ".plain-backup-*"):
        if os.path.samefile(link, db):  # an interrupted run's second name for this very file, not a backup
            link.unlink()
    key_file = crypto.KeyFile.fresh(params)
    key = crypto.derive_key(passphrase, key_file)
    try:
        expected = _export(db, temp, key)
        verify_copy(temp, key, expected)
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        _remove_with_journals(temp)
        raise

    pending, final = crypto.pending_key_file_path(db), crypto.key_file_path(db)
    crypto.write_key_file(pending, key_file)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    backup = db.with_name(f"{db.name}.plain-backup-{stamp}")
    _keep_second_name(db, backup)
    Path(f"{db}-shm").unlink(missing_ok=True)  # the plain file's WAL index; SQLite must not read it for the new one
    os.replace(temp, db)
    crypto.sync_folder(db.parent)
    os.replace(pending, final)
    crypto.sync_folder(db.parent)
    try:
        verify_copy(db, key, expected)
    except StoreError as exc:
        raise StoreError(f"{exc}. The unencrypted original is kept as {backup}") from exc
    backup.unlink()
    crypto.sync_folder(db.parent)
    crypto.remember_key(db, key)
    return Encrypted(db, final, expected, _plain_copies(db))


def rekey_record(db: Path, current: str, new: str, *, params: crypto.KdfParams | None = None) -> Path:
    """Change the passphrase of the encrypted record ``db`` (a new salt too); returns the key file.

    :class:`crypto.WrongPassphraseError` when ``current`` does not open it (nothing changed).
    """
    crypto.check_new_passphrase(new)
    db = db.resolve()
    if not crypto.is_encrypted(db):
        raise StoreError(f"{db} is not encrypted: `kapdesk db encrypt` encrypts it (nothing was changed)")
    old_key = crypto.unlock(db, current)  # also finishes a rekey interrupted after its commit
    key_file = crypto.KeyFile.fresh(params)
    new_key = crypto.derive_key(new, key_file)
    pending, final = crypto.pending_key_file_path(db), crypto.key_file_path(db)
    crypto.write_key_file(pending, key_file)
    connection = crypto.connect(db, old_key)
    try:
        try:
            _checkpoint(connection, db)
            connection.execute(f"PRAGMA rekey = {crypto.raw_key_literal(new_key)}").fetchall()
        except BaseException:
            pending.unlink(missing_ok=True)  # the rekey did not commit: the old key file is still the one
            raise
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except crypto.sqlcipher_module().DatabaseError as exc:
        raise StoreError(f"the passphrase of {db} could not be changed: {exc}") from exc
    finally:
        connection.close()
    if not crypto.key_opens(db, new_key):
        pending.unlink(missing_ok=True)
        raise StoreError(f"the passphrase of {db} could not be changed (the record still opens with the old one)")
    try:
        os.replace(pending, final)
    except FileNotFoundError:  # an opener in another process finished the rename for us
        pass
    crypto.sync_folder(db.parent)
    crypto.remember_key(db, new_key)
    return final


# ------------------------------------------------------------------------------------------------


def _export(db: Path, temp: Path, key: bytes) -> Snapshot:
    plain = crypto.connect(db, None)
    try:
        _checkpoint(plain, db)
        plain.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(temp), f"x'{key.hex()}'"))
        try:
            plain.execute("BEGIN IMMEDIATE")  # what is snapshotted is what is exported
            expected = snapshot(plain)
            plain.execute("SELECT sqlcipher_export('encrypted')").fetchall()
            plain.execute(f"PRAGMA encrypted.user_version = {int(expected.user_version)}")
            plain.execute("COMMIT")
        finally:
            if plain.in_transaction:
                plain.execute("ROLLBACK")
            plain.execute("DETACH DATABASE encrypted")
    except crypto.sqlcipher_module().DatabaseError as exc:
        raise StoreError(f"{db} could not be copied into an encrypted file: {exc} (nothing was changed)") from exc
    finally:
        plain.close()
    if Path(f"{db}-wal").exists():  # our connection was not the last one: someone else has the file open
        raise StoreError(f"{db} is open in another program (a KAPDesk export or audit?): close it and try again "
                         "(nothing was changed)")
    return expected


def _checkpoint(connection: Any, db: Path) -> None:
    """Fold the WAL into the file, so the copy (or the rekey) sees every commit; busy = someone else reads."""
    busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise StoreError(f"{db} is in use by another program: close it and try again (nothing was changed)")


def _keep_second_name(db: Path, backup: Path) -> None:
    """The original under a second name until the encrypted record is checked in its place: a hard link
    (instant, no second copy of the data), or a copy where the file system has no links."""
    try:
        os.link(db, backup)
    except OSError:
        shutil.copy2(db, backup)


def _remove_with_journals(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _plain_copies(db: Path) -> list[Path]:
    pattern = glob.escape(db.name)
    found = [*db.parent.glob(pattern + ".schema-*.bak"), *db.parent.glob(pattern + ".plain-backup-*")]
    return sorted(path for path in found if crypto.file_header(path) == crypto.SQLITE_HEADER)
