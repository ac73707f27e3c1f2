"""Encryption at rest: the record's key, the key file beside it, and telling the two kinds of record apart.

An encrypted record is an SQLCipher 4 file. Its 256-bit key is derived from the clinician's
passphrase with Argon2id; the salt and the Argon2 parameters live beside the record in
``<record>.kdf`` (a small JSON file), never the passphrase or the key. SQLCipher is given the
key as a raw key (``PRAGMA key = "x'<64 hex digits>'"``), so it runs no key derivation of its own
on top of ours and the passphrase never reaches it.

Which kind a record is, is read from the disk: a plain SQLite file starts with
``SQLite format 3\\0``; an SQLCipher file starts with random bytes, and must have a key file. A
plain file *with* a key file beside it is refused (someone may have swapped the encrypted record
for a plain copy; writing into it would store health information unencrypted without a word).

A key file is written whole or not at all (temporary file, fsync, rename). Changing the key
writes the new one as ``<record>.kdf.new`` *before* the record is rekeyed and renames it over
``<record>.kdf`` after, so a crash between the two leaves a pair that still opens: :func:`unlock`
tries ``.kdf`` and then ``.kdf.new`` with the passphrase it is given, and finishes the rename when
the new one is the one that opens the record.

Nothing here imports Qt, and argon2/sqlcipher3 are imported only when a key is needed: a plain
record's start-up pays nothing for this module.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kapdesk.store.errors import StoreError
from kapdesk.store.location import SQLITE_HEADER

__all__ = [
    "KEY_FILE_SUFFIX", "PASSPHRASE_ENV", "PENDING_SUFFIX", "SHIPPED_PARAMS", "SQLITE_HEADER", "TEST_PARAMS",
    "WEAK_KDF_ENV", "KdfParams", "KeyFile", "KeyFileError", "PassphraseRequiredError", "WrongPassphraseError",
    "check_new_passphrase", "connect", "derive_key", "file_header", "forget_key", "is_encrypted", "key_file_path",
    "key_for", "key_opens", "known_key", "new_params", "pending_key_file_path", "raw_key_literal", "read_key_file",
    "remember_key", "set_key", "set_passphrase_provider", "sqlcipher_module", "sync_folder", "try_unlock", "unlock",
    "write_key_file",
]

KEY_FILE_SUFFIX = ".kdf"
PENDING_SUFFIX = ".kdf.new"
KEY_BYTES = 32  # AES-256, SQLCipher 4's cipher
SALT_BYTES = 16  # RFC 9106 recommends 128 bits
FORMAT_VERSION = 1
MIN_PASSPHRASE = 10  # issue 10: secrets under 10 characters are refused
MAX_PASSPHRASE = 1024

PASSPHRASE_ENV = "KAPDESK_PASSPHRASE"
# Tests only: new key files get TEST_PARAMS, so deriving a key costs microseconds. Only *new* key
# files are affected (an existing file's parameters are read from it), and the name says what it is.
WEAK_KDF_ENV = "KAPDESK_TESTING_WEAK_KDF"


class KeyFileError(StoreError):
    """The key file beside an encrypted record is missing, unreadable or damaged; nothing was changed."""


class WrongPassphraseError(StoreError):
    """The passphrase does not open the record; nothing was changed."""


class PassphraseRequiredError(StoreError):
    """The record is encrypted and no passphrase was given (no prompt, no standard input, no variable)."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: passes over memory, memory in KiB, lanes. Stored in each key file, so they can be
    raised later for new files (``kapdesk db rekey``) while old files still open with their own."""

    time_cost: int
    memory_kib: int
    parallelism: int = 1

    def check(self) -> KdfParams:
        """Bounds that keep a damaged or hostile key file from asking for absurd work."""
        if not 1 <= self.time_cost <= 64:
            raise ValueError(f"time_cost {self.time_cost} is outside 1..64")
        if not 1 <= self.parallelism <= 16:
            raise ValueError(f"parallelism {self.parallelism} is outside 1..16")
        if not 8 * self.parallelism <= self.memory_kib <= 4 * 1024 * 1024:
            raise ValueError(f"memory_kib {self.memory_kib} is outside {8 * self.parallelism}..4194304")
        return self


# Measured on this build machine (2 cores shared with other jobs), `python -m kapdesk.store.crypto`:
# Argon2id t=3, m=64 MiB, p=1 → 0.13 s uncontended (the fastest of 9), median 0.14–0.25 s at load
# average ~4, 0.52–0.66 s at load ~7.7; t=2 was 0.10–0.22 s. So ~0.25 s on a clinic laptop that is
# doing other things; these are RFC 9106's second recommended memory and passes (one lane: the other
# cores keep the music and the window going). Raise them here: existing key files keep their own
# parameters until the next `kapdesk db rekey`.
SHIPPED_PARAMS = KdfParams(time_cost=3, memory_kib=64 * 1024, parallelism=1)
TEST_PARAMS = KdfParams(time_cost=1, memory_kib=8, parallelism=1)  # the lowest cost Argon2 accepts


def new_params() -> KdfParams:
    return TEST_PARAMS if os.environ.get(WEAK_KDF_ENV) == "1" else SHIPPED_PARAMS


@dataclass(frozen=True)
class KeyFile:
    """What ``<record>.kdf`` holds: the salt and the parameters. Neither is secret; both are needed."""

    salt: bytes
    params: KdfParams
    version: int = FORMAT_VERSION

    @classmethod
    def fresh(cls, params: KdfParams | None = None) -> KeyFile:
        return cls(secrets.token_bytes(SALT_BYTES), (params or new_params()).check())

    def to_json(self) -> str:
        return json.dumps({
            "format": "kapdesk-record-key",
            "version": self.version,
            "kdf": "argon2id",
            "salt": self.salt.hex(),
            **asdict(self.params),
            "key_bytes": KEY_BYTES,
            "note": "Salt and Argon2id parameters of the encrypted KAPDesk record beside this file. Neither the "
                    "passphrase nor the key is stored here. Without this file the record cannot be opened.",
        }, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KeyFile:
        """Raises ``ValueError`` naming what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"it is not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict) or data.get("format") != "kapdesk-record-key":
            raise ValueError("it is not a KAPDesk key file")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"it has version {data.get('version')!r}; this KAPDesk reads version {FORMAT_VERSION}")
        if data.get("kdf") != "argon2id" or data.get("key_bytes") != KEY_BYTES:
            raise ValueError("it names a key derivation this KAPDesk does not use")
        try:
            salt = bytes.fromhex(data["salt"])
            params = KdfParams(int(data["time_cost"]), int(data["memory_kib"]), int(data["parallelism"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"its salt or parameters are damaged ({type(exc).__name__}: {exc})") from None
        if not SALT_BYTES <= len(salt) <= 64:
            raise ValueError(f"its salt has {len(salt)} bytes (expected {SALT_BYTES} to 64)")
        return cls(salt, params.check())


def key_file_path(db: Path) -> Path:
    return db.with_name(db.name + KEY_FILE_SUFFIX)


def pending_key_file_path(db: Path) -> Path:
    return db.with_name(db.name + PENDING_SUFFIX)


def read_key_file(path: Path) -> KeyFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        text = ""
    try:
        return KeyFile.from_json(text)
    except ValueError as exc:
        raise KeyFileError(f"the key file {path} is damaged ({exc}): without its salt the record cannot be "
                           "opened; restore the file from a backup (nothing was changed)") from None


def write_key_file(path: Path, key_file: KeyFile) -> None:
    """Whole or not at all: a private temporary file, fsync, rename, fsync of the folder."""
    write_private(path, key_file.to_json().encode("utf-8"))


def write_private(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX; Windows has no folder handle to sync and needs none)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- the key --------------------------------------------------------------------------------------

def derive_key(passphrase: str, key_file: KeyFile) -> bytes:
    """The record's 32-byte key. The passphrase is NFC-normalised first, so the same words typed on
    another keyboard or system (composed or decomposed accents) give the same key."""
    from argon2.low_level import Type, hash_secret_raw

    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    p = key_file.params
    return hash_secret_raw(secret, key_file.salt, time_cost=p.time_cost, memory_cost=p.memory_kib,
                           parallelism=p.parallelism, hash_len=KEY_BYTES, type=Type.ID)


def raw_key_literal(key: bytes) -> str:
    """SQLCipher's raw key syntax for ``PRAGMA key`` / ``PRAGMA rekey``: the double-quoted ``x'…'`` blob."""
    if len(key) != KEY_BYTES:
        raise ValueError("a record key has 32 bytes")
    return f"\"x'{key.hex()}'\""


def check_new_passphrase(passphrase: str) -> str:
    """The rule for a passphrase being set; ``ValueError`` says why one is refused."""
    if not passphrase.strip():
        raise ValueError("the passphrase is empty")
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(f"the passphrase is too short: use at least {MIN_PASSPHRASE} characters (a few words)")
    if len(passphrase) > MAX_PASSPHRASE:
        raise ValueError(f"the passphrase is too long: use at most {MAX_PASSPHRASE} characters")
    return passphrase


def sqlcipher_module() -> Any:
    try:
        import sqlcipher3.dbapi2 as module
    except ImportError as exc:
        raise StoreError("this record is encrypted and this installation cannot read encrypted records: "
                         "install the sqlcipher3-wheels package (pip install sqlcipher3-wheels)") from exc
    return module


def set_key(dbapi_connection: Any, key: bytes) -> None:
    """The first statements on a connection to an encrypted record: quiet logging, then the raw key.

    ``cipher_log_level = NONE``: SQLCipher otherwise prints "hmac check failed" lines on stderr for
    a wrong key, and the user must see one line of ours instead. ``temp_store = MEMORY``: this
    build already keeps temporary tables in memory (compiled with TEMP_STORE=2); saying so keeps
    it so whatever a future wheel's default, so no sorted scratch copy of the record touches disk.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA cipher_log_level = NONE")
        cursor.execute(f"PRAGMA key = {raw_key_literal(key)}")
        cursor.execute("PRAGMA temp_store = MEMORY")
    finally:
        cursor.close()


def connect(db: Path, key: bytes | None, *, read_only: bool = False) -> Any:
    """A raw SQLCipher connection (autocommit) to ``db``, keyed when ``key`` is given (none: a plain file)."""
    module = sqlcipher_module()
    uri = db.resolve().as_uri() + ("?mode=ro" if read_only else "")
    connection = module.connect(uri, uri=True, isolation_level=None)
    try:
        if key is not None:
            set_key(connection, key)
        else:
            connection.execute("PRAGMA cipher_log_level = NONE")
    except BaseException:
        connection.close()
        raise
    return connection


def key_opens(db: Path, key: bytes) -> bool:
    """True when ``key`` opens ``db``: read-only, so a wrong key changes nothing on disk."""
    module = sqlcipher_module()
    connection = connect(db, key, read_only=True)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except module.DatabaseError:
        return False
    finally:
        connection.close()


# -- which kind of record -------------------------------------------------------------------------

def file_header(db: Path) -> bytes | None:
    try:
        with db.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER))
    except OSError:
        return None


def is_encrypted(db: Path) -> bool:
    """Whether ``db`` must be opened with a key. Raises :class:`StoreError` with one readable line for
    the mixed-up cases (a plain file with a key file beside it; a key file without its record).

    A file that is neither SQLite nor has a key file is left to ``check_sqlite_location`` to name.
    """
    key_file, pending = key_file_path(db), pending_key_file_path(db)
    header = file_header(db) if db.is_file() else None
    if not header:  # missing or empty: a new record, plain unless a key file says otherwise
        if key_file.exists():
            raise KeyFileError(f"{db} is missing or empty, but its key file {key_file} is there: was the "
                               "encrypted record moved or deleted? Nothing was created or changed")
        return False
    if header == SQLITE_HEADER:
        if key_file.exists():
            raise StoreError(
                f"{db} is not encrypted, but the key file {key_file.name} beside it says it should be: it may "
                "have been replaced by an unencrypted copy. Nothing was opened or changed. If you restored an "
                f"unencrypted backup on purpose, encrypt it again with `kapdesk db encrypt --db {db}`")
        return False  # a lone .kdf.new is what an interrupted `kapdesk db encrypt` leaves: ignored
    return key_file.exists() or pending.exists()


# -- unlocking, and the keys this process knows ---------------------------------------------------

_known: dict[Path, bytes] = {}
PassphraseProvider = Callable[[Path], str]
_provider: PassphraseProvider | None = None


def set_passphrase_provider(provider: PassphraseProvider | None) -> None:
    """Who is asked for a passphrase when the store meets an encrypted record it has no key for.

    The command line installs a terminal prompt (``kapdesk.store.db_cli``); without one, only
    ``KAPDESK_PASSPHRASE`` is read. The window asks before it opens the record, and remembers the key.
    """
    global _provider
    _provider = provider


def remember_key(db: Path, key: bytes) -> None:
    _known[db.resolve()] = key


def forget_key(db: Path) -> None:
    _known.pop(db.resolve(), None)


def known_key(db: Path) -> bytes | None:
    return _known.get(db.resolve())


def env_passphrase(db: Path) -> str:
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not passphrase:
        raise PassphraseRequiredError(f"{db} is encrypted: give its passphrase at the prompt, on standard input "
                                      f"or in {PASSPHRASE_ENV} (nothing was opened)")
    return passphrase


def key_for(db: Path) -> bytes:
    """The key of the encrypted record ``db``: known already, or from a passphrase (asked once)."""
    key = known_key(db)
    if key is None:
        key = unlock(db, (_provider or env_passphrase)(db))
        remember_key(db, key)
    return key


def unlock(db: Path, passphrase: str) -> bytes:
    """The key that ``passphrase`` derives and that opens ``db``; :class:`WrongPassphraseError` otherwise.

    Tries ``<record>.kdf`` then ``<record>.kdf.new`` (left by a rekey interrupted after the record
    was rekeyed); when the new one opens the record, it replaces the old one. Only reads otherwise.
    """
    key_file, pending = key_file_path(db), pending_key_file_path(db)
    candidates = [path for path in (key_file, pending) if path.exists()]
    if not candidates:
        raise KeyFileError(f"the key file {key_file} of the encrypted record {db} is missing: it holds the salt, "
                           "and without it the record cannot be opened; restore it from a backup "
                           "(nothing was changed)")
    damaged: KeyFileError | None = None
    for path in candidates:
        try:
            parsed = read_key_file(path)
        except KeyFileError as exc:
            damaged = damaged or exc
            continue
        key = derive_key(passphrase, parsed)
        if key_opens(db, key):
            if path == pending:
                _finish_pending(pending, key_file)
            return key
    if damaged is not None:
        raise damaged
    raise WrongPassphraseError(f"the passphrase does not open {db} (nothing was changed)")


def try_unlock(db: Path, passphrase: str) -> str | None:
    """For a prompt that asks again: ``None`` when the passphrase opened ``db`` (the key is remembered),
    else the one line to show."""
    try:
        remember_key(db, unlock(db, passphrase))
    except StoreError as exc:
        return str(exc)
    return None


def _finish_pending(pending: Path, key_file: Path) -> None:
    """The record opens with the pending key file: the rekey that wrote it committed; finish its rename.

    Another process may be finishing the same rename at the same moment; either outcome is the same
    file, so a vanished ``pending`` is fine."""
    try:
        os.replace(pending, key_file)
        sync_folder(key_file.parent)
    except FileNotFoundError:
        pass


def measure(params: KdfParams = SHIPPED_PARAMS, rounds: int = 5) -> list[float]:
    """Seconds per derivation with ``params`` (``python -m kapdesk.store.crypto`` prints them)."""
    key_file = KeyFile.fresh(params)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        derive_key("correct horse (synthetic)", key_file)
        times.append(time.perf_counter() - start)
    return times


if __name__ == "__main__":  # pragma: no cover
    import statistics

    p = SHIPPED_PARAMS
    figures = measure()
    print(f"Argon2id t={p.time_cost} m={p.memory_kib} KiB p={p.parallelism}: median "
          f"{statistics.median(figures):.3f} s per derivation (min {min(figures):.3f}, max {max(figures):.3f}; "
          f"load average {os.getloadavg()[0]:.1f})")
