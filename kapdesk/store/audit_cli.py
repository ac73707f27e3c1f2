"""``kapdesk audit``: check the audit trail's hash chain, or print the trail as an audit report.

Usage (``argv`` is what follows ``audit`` on the command line)::

    kapdesk audit verify [--db PATH_OR_URL]
    kapdesk audit list [--db PATH_OR_URL] [--since YYYY-MM-DD] [--client LABEL] [--format text|csv]

``verify`` exits 0 when the chain is whole and every entry, outcome measure, signed note and
addendum matches the event that recorded it; 1 naming the first broken event and what is wrong
with it (and how many more problems follow); 4 when the database cannot be used.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from typing import TextIO

from kapdesk.paths import default_db
from kapdesk.store.errors import StoreError

EXIT_OK, EXIT_BROKEN, EXIT_USAGE, EXIT_STORE = 0, 1, 2, 4
COLUMNS = ("seq", "time", "user", "action", "patient", "data", "object")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kapdesk audit", description="Check or print the audit trail.")
    commands = parser.add_subparsers(dest="command", required=True)
    db_help = "database file or SQLAlchemy URL (default: KAPDESK_DB or the user data folder)"
    verify = commands.add_parser("verify", help="walk the hash chain; exit 1 naming the first broken event")
    verify.add_argument("--db", default=None, metavar="PATH_OR_URL", help=db_help)
    listing = commands.add_parser("list", help="print the trail: time, user, action, patient, data")
    listing.add_argument("--db", default=None, metavar="PATH_OR_URL", help=db_help)
    listing.add_argument("--since", type=_date, default=None, metavar="YYYY-MM-DD", help="events on or after this day")
    listing.add_argument("--client", default=None, metavar="LABEL", help="only events about this client")
    listing.add_argument("--format", choices=("text", "csv"), default="text")
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def main(argv: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from kapdesk.store import Store
    from kapdesk.store.audit import trail, verify

    try:
        store = Store.open(args.db or default_db())
    except StoreError as exc:
        print(f"kapdesk audit: {exc}", file=err)
        return EXIT_STORE
    try:
        if args.command == "verify":
            problems = verify(store.engine)
            if not problems:
                print("audit trail intact: every event follows the one before, and every record matches its event",
                      file=out)
                return EXIT_OK
            more = f" ({len(problems) - 1} more problem(s) after it)" if len(problems) > 1 else ""
            print(f"audit trail broken: {problems[0]}{more}", file=out)
            return EXIT_BROKEN
        rows = [row.as_dict() for row in trail(store.engine, since=args.since, client=args.client)]
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                print("  ".join(row[c] or "-" for c in COLUMNS if c != "seq"), file=out)
        return EXIT_OK
    except BrokenPipeError:  # `kapdesk audit list | head`: the reader has all it wanted
        return EXIT_OK
    except StoreError as exc:
        print(f"kapdesk audit: {exc}", file=err)
        return EXIT_STORE
    finally:
        store.close()
