"""Where an SQLite record lives, checked without SQLAlchemy (it runs before the window paints)."""

from __future__ import annotations

from pathlib import Path

from kapdesk.store.errors import StoreError

SQLITE_HEADER = b"SQLite format 3\x00"


def plain_sqlite_path(target: str) -> Path | None:
    """The file of a ``--db`` given as a plain path; None for a URL (decided by the engine module)."""
    return None if "://" in target else Path(target).expanduser().resolve()


def check_sqlite_location(path: Path) -> None:
    """Fail early, with a message that names the path, rather than deep inside a migration."""
    if path.is_dir():
        raise StoreError(f"cannot use {path} as the database: it is a folder")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder {folder} for the database: {exc.strerror or exc}") from exc
    if path.exists():
        try:
            with path.open("r+b") as handle:
                header = handle.read(16)
        except OSError as exc:
            raise StoreError(f"cannot open the database {path} for writing: {exc.strerror or exc}") from exc
        if header and header != SQLITE_HEADER and not _has_key_file(path):
            raise StoreError(f"{path} is not a KAPDesk database (not an SQLite file), or it is an encrypted record "
                             f"whose key file {path.name}.kdf is missing (it holds the salt: without it the record "
                             "cannot be opened); it was left untouched")
        if header == SQLITE_HEADER:
            check_wal_belongs(path)
    else:
        probe = folder / f".{path.name}.write-test"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"cannot write the database in {folder}: {exc.strerror or exc}") from exc


def is_plain_record(path: Path) -> bool:
    """A plain SQLite record (or none yet) with no key file beside it: nothing to unlock. Cheap, so
    start-up need not import the encryption module for the usual record; anything else (an
    encrypted file, a key file, a mix-up) is for ``crypto.is_encrypted`` to decide and name."""
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except FileNotFoundError:
        header = b""
    except OSError:
        return False
    return header in (b"", SQLITE_HEADER) and not _has_key_file(path)


def _has_key_file(path: Path) -> bool:
    """An encrypted record (``kapdesk db encrypt``) has its key file beside it; see ``store/crypto.py``."""
    return any(path.with_name(path.name + suffix).exists() for suffix in (".kdf", ".kdf.new"))


def check_wal_belongs(path: Path) -> None:
    """Refuse a write-ahead log that does not fit the record, before anything opens it read-write.

    A crash leaves committed entries in ``<record>-wal``; the next open replays them into the record.
    SQLite cannot tell whose log it is: another record's ``-wal`` put beside this one (a restored
    backup, a copied folder) would be replayed into it and checkpointed over its pages. So when a
    log is waiting, a copy of the record and its log is opened first, in a temporary folder, and
    checked; only a copy that checks out lets the real open go ahead. The cost is one copy of the
    record, paid only when a log is waiting (after a crash, or while another program has it open).
    """
    import shutil
    import sqlite3
    import tempfile

    wal = path.with_name(path.name + "-wal")
    try:
        if not wal.is_file() or wal.stat().st_size <= 32:  # a header alone: nothing waits to be replayed
            return
    except OSError:
        return
    with tempfile.TemporaryDirectory(prefix="kapdesk-wal-check-") as folder:
        copy = Path(folder) / path.name
        try:
            shutil.copyfile(path, copy)
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        except OSError:
            return  # cannot copy (no room in the temp folder): the open itself will say what is wrong
        try:
            connection = sqlite3.connect(copy)
            try:
                found = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            finally:
                connection.close()
        except sqlite3.DatabaseError as exc:
            found = [str(exc)]
    if found != ["ok"]:
        raise StoreError(f"the write-ahead log {wal.name} beside {path} does not fit the record ({found[0]}): "
                         f"it may be another record's; nothing was changed. Move {wal.name} aside to open the "
                         "record as it was at its last checkpoint")
