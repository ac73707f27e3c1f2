"""``kapdesk db``: back up, restore and check a record; encrypt it, or change its passphrase.

Usage (``argv`` is what follows ``db`` on the command line)::

    kapdesk db backup PATH [--db PATH]    a checked snapshot, also while a session is recorded
    kapdesk db restore PATH [--db PATH]   put a backup back (KAPDesk closed); the current file is kept aside
    kapdesk db check [--db PATH]          integrity, foreign keys, protections, audit chain (exit 1 on a problem)
    kapdesk db encrypt [--db PATH]
    kapdesk db rekey [--db PATH]

The passphrase is never a command-line argument: arguments are kept in the shell's history and
shown to every user of the computer by ``ps``. It is asked at the terminal (twice when it is being
set); or, for scripts, read from standard input when that is not a terminal, one line per
passphrase (``rekey``: the current one, then the new one); or taken from ``KAPDESK_PASSPHRASE``
(``rekey``: the new one from ``KAPDESK_NEW_PASSPHRASE``). Every other command that opens a record
(``kapdesk demo``, ``export``, ``audit``) asks for an encrypted record's passphrase the same way.

Exit status: 0 done; 2 bad usage, or a new passphrase that is refused (too short, typed
differently twice); 4 the record cannot be used (wrong passphrase, open in KAPDesk, in use, not a
record). In every failure the record is as it was.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from kapdesk.paths import default_db
from kapdesk.store import crypto
from kapdesk.store.errors import StoreError

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_STORE = 0, 1, 2, 4
NEW_PASSPHRASE_ENV = "KAPDESK_NEW_PASSPHRASE"


class TerminalPassphrases:
    """Where a passphrase comes from: the environment variable, else standard input when it is not a
    terminal (one line each), else a prompt that does not echo."""

    def __init__(self, stdin: TextIO | None = None, environ: Mapping[str, str] | None = None,
                 ask: Callable[[str], str] = getpass.getpass) -> None:
        self.stdin = stdin or sys.stdin
        self.environ = os.environ if environ is None else environ
        self.ask = ask

    def _interactive(self) -> bool:
        try:
            return self.stdin.isatty()
        except (AttributeError, ValueError):
            return False

    def _line(self, what: str) -> str:
        line = self.stdin.readline()
        if not line:
            raise crypto.PassphraseRequiredError(f"no {what} on standard input (nothing was opened or changed)")
        return line.rstrip("\r\n")

    def _prompt(self, prompt: str) -> str:
        try:
            return self.ask(prompt)
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            raise crypto.PassphraseRequiredError("no passphrase given (nothing was opened or changed)") from None

    def current(self, db: Path) -> str:
        """The passphrase that opens ``db`` now."""
        if self.environ.get(crypto.PASSPHRASE_ENV):
            return self.environ[crypto.PASSPHRASE_ENV]
        if not self._interactive():
            return self._line("passphrase")
        return self._prompt(f"Passphrase for {db}: ")

    def new(self, db: Path, env_name: str) -> str:
        """A passphrase being set: checked against the rules, and typed twice at a prompt.

        ``ValueError`` names a refused one."""
        if self.environ.get(env_name):
            return crypto.check_new_passphrase(self.environ[env_name])
        if not self._interactive():
            return crypto.check_new_passphrase(self._line("new passphrase"))
        first = crypto.check_new_passphrase(self._prompt(f"New passphrase for {db} (at least "
                                                         f"{crypto.MIN_PASSPHRASE} characters): "))
        if self._prompt("The same passphrase again: ") != first:
            raise ValueError("the two passphrases differ (nothing was changed)")
        return first


def ask_passphrase(db: Path) -> str:
    """The store's passphrase provider on the command line (``crypto.set_passphrase_provider``)."""
    return TerminalPassphrases().current(db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kapdesk db", description="Encryption at rest of a record file.")
    commands = parser.add_subparsers(dest="command", required=True)
    db_help = "the record file (default: KAPDESK_DB or the user data folder)"
    encrypt = commands.add_parser("encrypt", help="encrypt a plain record in place (asks for a new passphrase)")
    encrypt.add_argument("--db", default=None, metavar="PATH", help=db_help)
    rekey = commands.add_parser("rekey", help="change an encrypted record's passphrase")
    rekey.add_argument("--db", default=None, metavar="PATH", help=db_help)
    backup = commands.add_parser("backup", help="write a checked snapshot of the record (works during a session)")
    backup.add_argument("destination", metavar="PATH", type=Path, help="the backup file, or a folder to put it in")
    backup.add_argument("--db", default=None, metavar="PATH", help=db_help)
    restore = commands.add_parser("restore", help="put a backup in place of the record (KAPDesk closed)")
    restore.add_argument("backup", metavar="PATH", type=Path, help="the backup file")
    restore.add_argument("--db", default=None, metavar="PATH", help=db_help)
    check = commands.add_parser("check", help="integrity, foreign keys, protections and the audit chain")
    check.add_argument("--db", default=None, metavar="PATH_OR_URL", help=db_help)
    return parser


def _maintain(args: argparse.Namespace, target: str, out: TextIO, err: TextIO) -> int:
    """backup and check open the record like the app (an encrypted one asks for its passphrase)."""
    from kapdesk.store import Store
    from kapdesk.store.maintenance import backup, check

    try:
        store = Store.open(target)
    except StoreError as exc:
        print(f"kapdesk db: {exc}", file=err)
        return EXIT_STORE
    try:
        if args.command == "backup":
            written, counts = backup(store.engine, args.destination)
            store.record_event(None, "backed up", "record", str(written), {"rows": sum(counts.values())})
            print(f"backup written and checked: {written} ({sum(counts.values())} rows in {len(counts)} tables)",
                  file=out)
            return EXIT_OK
        lines = check(store.engine)
        for line in lines:
            print(line, file=out)
        return EXIT_OK if all(line.ok for line in lines) else EXIT_PROBLEM
    except StoreError as exc:
        print(f"kapdesk db: {exc}", file=err)
        return EXIT_STORE
    finally:
        store.close()


def main(argv: list[str], *, passphrases: TerminalPassphrases | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from kapdesk.store.location import plain_sqlite_path

    target = args.db or default_db()
    if args.command in ("backup", "check"):
        return _maintain(args, target, out, err)
    path = plain_sqlite_path(target)
    if path is None:
        print(f"kapdesk db: {target} is a server URL: encryption at rest here is for a record file "
              "(a clinic server encrypts its own storage)", file=err)
        return EXIT_USAGE
    if not path.is_file() and args.command != "restore":
        print(f"kapdesk db: there is no record at {path} (nothing was changed)", file=err)
        return EXIT_STORE
    passphrases = passphrases or TerminalPassphrases()
    from kapdesk.instance import InstanceLock

    lock = InstanceLock(path)
    try:
        lock.acquire()  # KAPDesk itself must not be writing while the file is converted
    except StoreError as exc:
        print(f"kapdesk db: {exc} (nothing was changed)", file=err)
        return EXIT_STORE
    try:
        if args.command == "encrypt":
            return _encrypt(path, passphrases, out)
        if args.command == "restore":
            return _restore(args.backup, path, out)
        return _rekey(path, passphrases, out)
    except ValueError as exc:
        print(f"kapdesk db: {exc}", file=err)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"kapdesk db: {exc}", file=err)
        return EXIT_STORE
    finally:
        lock.release()


def _encrypt(path: Path, passphrases: TerminalPassphrases, out: TextIO) -> int:
    from kapdesk.store.encryption import encrypt_record

    result = encrypt_record(path, passphrases.new(path, crypto.PASSPHRASE_ENV))
    tables = sum(1 for name in result.snapshot.counts if not name.startswith("sqlite_"))
    print(f"encrypted {result.db}: {tables} tables, {result.snapshot.rows} rows checked in the encrypted copy "
          "(SQLCipher 4, AES-256)", file=out)
    print(f"its key comes from your passphrase (Argon2id); the salt is in {result.key_file}: keep that file "
          "with the record, and back up both", file=out)
    print("the unencrypted original was removed once the copy was checked; old blocks of it may stay on the disk "
          "until overwritten (full-disk encryption protects those)", file=out)
    print("if the passphrase is lost, the record cannot be recovered, by you or by anyone", file=out)
    for left in result.plain_copies_left:
        print(f"unencrypted copy still here: {left} (remove it securely once the record opens)", file=out)
    return EXIT_OK


def _rekey(path: Path, passphrases: TerminalPassphrases, out: TextIO) -> int:
    from kapdesk.store.encryption import rekey_record

    if not crypto.is_encrypted(path):
        raise StoreError(f"{path} is not encrypted: `kapdesk db encrypt` encrypts it (nothing was changed)")
    current = passphrases.current(path)
    crypto.unlock(path, current)  # a wrong passphrase is said before the new one is asked for
    key_file = rekey_record(path, current, passphrases.new(path, NEW_PASSPHRASE_ENV))
    print(f"the passphrase of {path} was changed (a new salt is in {key_file})", file=out)
    print("backups made before keep the passphrase of their day; if the new one is lost, the record cannot be "
          "recovered", file=out)
    return EXIT_OK


def _restore(backup_file: Path, path: Path, out: TextIO) -> int:
    from kapdesk.store.maintenance import restore
    from kapdesk.store.models import SCHEMA_HEAD

    aside = restore(backup_file, path, head=SCHEMA_HEAD)
    print(f"restored {backup_file} as {path}", file=out)
    if aside is not None:
        print(f"the record it replaced is kept at {aside}", file=out)
    return EXIT_OK
