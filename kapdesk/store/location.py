"""Where an SQLite record lives, checked without SQLAlchemy (it runs before the window paints)."""

from __future__ import annotations

from pathlib import Path

from kapdesk.store.errors import StoreError


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
        if header and header != b"SQLite format 3\x00" and not _has_key_file(path):
            raise StoreError(f"{path} is not a KAPDesk database (not an SQLite file), or it is an encrypted record "
                             f"whose key file {path.name}.kdf is missing (it holds the salt: without it the record "
                             "cannot be opened); it was left untouched")
    else:
        probe = folder / f".{path.name}.write-test"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"cannot write the database in {folder}: {exc.strerror or exc}") from exc


def _has_key_file(path: Path) -> bool:
    """An encrypted record (``kapdesk db encrypt``) has its key file beside it; see ``store/crypto.py``."""
    return any(path.with_name(path.name + suffix).exists() for suffix in (".kdf", ".kdf.new"))
