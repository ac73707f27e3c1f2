"""``kapdesk export``: write one session as a PDF report, CSV data or a FHIR R4 bundle.

Usage (``argv`` is what follows ``export`` on the command line)::

    kapdesk export SESSION_ID --format pdf|csv|fhir --out PATH [--db PATH_OR_URL] [--as CLINICIAN]

``--out`` may name a file or an existing folder (the file is then named
``kapdesk-<date>-<client label>-<id prefix>.<ext>``). ``--db`` defaults to ``KAPDESK_DB`` or the
user data folder, as for the app. ``--as`` names the clinician recorded as the exporter in the
audit trail (self-declared: the command line has no login; without it the event has no actor).

Exit status: 0 written (path on stdout); 2 bad usage, or a session id that is malformed or not in
this database; 3 the output path cannot be written (nothing was written there); 4 the database
cannot be used. An unsigned note does not stop an export: it is marked DRAFT and a note goes to
stderr. Every export also says on stderr that the file is an unencrypted copy (owner-only, 0600):
an encrypted record's protection does not follow its exports.

The writing itself is :func:`kapdesk.session.exports.export_session`, the app's way too.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kapdesk.export import FORMATS, OutputPathError, UnknownSessionError
from kapdesk.paths import default_db
from kapdesk.session.exports import default_file_name, export_session, parse_session_id
from kapdesk.store.errors import StoreError

if TYPE_CHECKING:
    pass

__all__ = ["EXIT_OK", "EXIT_OUTPUT", "EXIT_STORE", "EXIT_USAGE", "build_parser", "default_file_name",
           "export_session", "headless", "main"]

EXIT_OK = 0
EXIT_USAGE = 2  # argparse's own status for usage errors; also a bad or unknown session id
EXIT_OUTPUT = 3
EXIT_STORE = 4

_GUI_APP: Any = None  # the QGuiApplication the CLI made for the PDF writer; kept alive here


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapdesk export",
        description="Write one session as a PDF report, CSV data or a FHIR R4 bundle (JSON).",
    )
    parser.add_argument("session_id", metavar="SESSION_ID", help="the session's id (a UUID, as `kapdesk demo` prints)")
    parser.add_argument("--format", "-f", required=True, choices=FORMATS, help="pdf, csv or fhir")
    parser.add_argument("--out", "-o", required=True, metavar="PATH", help="the file to write, or an existing folder")
    parser.add_argument("--db", default=None, metavar="PATH_OR_URL",
                        help="database file or SQLAlchemy URL (default: KAPDESK_DB or the user data folder)")
    parser.add_argument("--as", dest="actor", default=None, metavar="CLINICIAN",
                        help="the clinician to name as exporter in the audit trail")
    return parser


def main(argv: list[str]) -> int:
    """Run ``kapdesk export`` with ``argv`` (the arguments after ``export``); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or the help)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        session_id = parse_session_id(args.session_id)
    except UnknownSessionError as exc:
        return _fail(EXIT_USAGE, str(exc))
    target = args.db or default_db()
    missing = _missing_sqlite_file(target)
    if missing is not None:
        return _fail(EXIT_STORE, f"there is no database at {missing} (use --db to name one)")
    from kapdesk.store.repository import Store  # SQLAlchemy only once the arguments are known good

    try:
        store = Store.open(target)
    except StoreError as exc:
        return _fail(EXIT_STORE, str(exc))
    try:
        actor_id = None
        if args.actor is not None:
            actor = next((c for c in store.clinicians() if c.name == args.actor), None)
            if actor is None:
                return _fail(EXIT_USAGE, f"no clinician named {args.actor!r} in {target}")
            actor_id = actor.id
        if args.format == "pdf":
            ensure_gui_application()
        written = export_session(store, session_id, args.format, args.out, actor_id,
                                 on_draft=lambda reason: print(f"kapdesk export: note: exported as DRAFT — {reason}",
                                                               file=sys.stderr))
    except UnknownSessionError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except OutputPathError as exc:
        return _fail(EXIT_OUTPUT, str(exc))
    except StoreError as exc:
        return _fail(EXIT_STORE, str(exc))
    finally:
        store.close()
    print(written)
    print(f"kapdesk export: note: {written} is an unencrypted copy of health information, readable only by your "
          "user account: keep it off shared folders and delete it when it is no longer needed", file=sys.stderr)
    return EXIT_OK


def headless(environ: Mapping[str, str], platform: str) -> bool:
    """True when Qt should use its offscreen platform: an X11/Wayland system with no display to
    open (an SSH session, a cron job). Windows and macOS always have their native platform."""
    unixlike = platform.startswith("linux") or "bsd" in platform
    return unixlike and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY") \
        and "QT_QPA_PLATFORM" not in environ


def ensure_gui_application() -> Any:
    """The QGuiApplication the PDF writer needs: the running one, or a new one (offscreen when
    :func:`headless`). Raises ``RuntimeError`` if a non-GUI Qt application already runs in this
    process: Qt allows one application object, so a GUI one cannot be added."""
    global _GUI_APP
    if headless(os.environ, sys.platform):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication

    existing = QCoreApplication.instance()
    if existing is None:
        _GUI_APP = QGuiApplication(["kapdesk-export"])
        return _GUI_APP
    if not isinstance(existing, QGuiApplication):
        raise RuntimeError("a non-GUI Qt application is running: the PDF report needs a QGuiApplication")
    return existing


# ----------------------------------------------------------------------------------------------


def _missing_sqlite_file(target: str) -> Path | None:
    """The path of a plain ``--db`` file that does not exist (opening it would create an empty
    database, and the export would then report a confusing "no session")."""
    from kapdesk.store.location import plain_sqlite_path

    path = plain_sqlite_path(target)
    return path if path is not None and not path.exists() else None


def _fail(status: int, message: str) -> int:
    print(f"kapdesk export: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":  # ``python -m kapdesk.export.cli …`` until the app wires ``kapdesk export``
    sys.exit(main(sys.argv[1:]))
