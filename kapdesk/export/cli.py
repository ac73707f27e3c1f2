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
stderr.

:func:`export_session` is the one entry point for the app as well: it writes to a temporary file
in the target folder, syncs it and renames it over the target, so a reader never sees half a
file and a failed export leaves any earlier file untouched; then it records the audit event.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kapdesk.export import EXTENSIONS, FORMATS, OutputPathError, UnknownSessionError, draft_reason
from kapdesk.paths import default_db
from kapdesk.store.errors import StoreError

if TYPE_CHECKING:
    from kapdesk.domain.alerts import AlertRules
    from kapdesk.store.repository import SessionRecord, Store

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
    return EXIT_OK


def export_session(store: Store, session_id: uuid.UUID | str, fmt: str, out_path: Path | str,
                   actor_id: uuid.UUID | None = None, *,
                   on_draft: Callable[[str], None] | None = None, rules: AlertRules | None = None) -> Path:
    """Export one session and record the audit event; returns the path written.

    ``fmt`` is ``"pdf"``, ``"csv"`` or ``"fhir"`` (``ValueError`` otherwise). ``out_path`` is a
    file, or an existing folder to write :func:`default_file_name` into. ``on_draft`` is called
    with the reason when the export is a DRAFT (unsigned note, session in progress). ``rules``
    are the clinic's alert thresholds for the PDF's chart and REMS lines (default: the built-in
    defaults); the other formats do not use them.

    Raises :class:`UnknownSessionError` (malformed or unknown id), :class:`OutputPathError` (the
    path cannot be written; nothing was written there and an existing file is untouched) or
    ``StoreError``. The file is created owner-readable only (0600 on POSIX): it is health
    information. The export counts only once the audit event is stored: if the audit cannot be
    written the new file is removed again and the error raised, so no export escapes the trail.
    A PDF needs a ``QGuiApplication`` (the app has one; the CLI makes one).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    from kapdesk.store.repository import EntryError

    sid = parse_session_id(session_id) if isinstance(session_id, str) else session_id
    try:
        record = store.session_record(sid)
    except EntryError as exc:
        raise UnknownSessionError(f"no session with id {sid} in this database") from exc
    target = Path(out_path).expanduser()
    if target.is_dir():
        target = target / default_file_name(record, fmt)
    writer = _writer(fmt)
    if fmt == "pdf" and rules is not None:
        _write_atomically(target, lambda path: writer(record, path, rules=rules))
    else:
        _write_atomically(target, lambda path: writer(record, path))
    try:
        store.record_export(sid, actor_id, fmt, str(target.resolve()))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    reason = draft_reason(record)
    if reason and on_draft is not None:
        on_draft(reason)
    return target


def parse_session_id(text: str) -> uuid.UUID:
    """A session id from the command line; :class:`UnknownSessionError` names a malformed one."""
    try:
        return uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        raise UnknownSessionError(f"{text!r} is not a session id: expected a UUID such as "
                                  "0b9f6c1e-6f1a-4d0e-9a8c-2f4e1d3c5b7a") from None


def default_file_name(record: SessionRecord, fmt: str) -> str:
    """``kapdesk-2026-01-05-DEMO-01-synthetic-client-1a2b3c4d.pdf``: sortable, and safe on every
    file system (the client's label is reduced to letters, digits, ``-`` and ``_``)."""
    label = re.sub(r"[^A-Za-z0-9_-]+", "-", record.client.label).strip("-")[:40] or "client"
    day = record.info.arrival_at.date().isoformat()
    return f"kapdesk-{day}-{label}-{str(record.info.id)[:8]}{EXTENSIONS[fmt]}"


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


def _writer(fmt: str) -> Callable[..., Any]:
    """Import the chosen writer only: CSV and FHIR exports never load Qt."""
    if fmt == "csv":
        from kapdesk.export.csv_export import write_csv

        return write_csv
    if fmt == "fhir":
        from kapdesk.export.fhir import write_fhir

        return write_fhir
    from kapdesk.export.pdf_report import write_pdf

    return write_pdf


def _write_atomically(target: Path, write: Callable[[Path], Any]) -> None:
    """Write through a temporary file beside ``target``, fsync it, then rename it over ``target``.

    Any ``OSError`` becomes :class:`OutputPathError` naming ``target``; the temporary file is
    always removed on failure, and ``target`` is either the old file or the complete new one.
    """
    folder = target.parent
    if not folder.is_dir():
        raise OutputPathError(f"cannot write {target}: the folder {folder} does not exist")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        os.close(handle)
    except OSError as exc:
        raise OutputPathError(f"cannot write {target}: {exc.strerror or exc}") from exc
    temp = Path(temp_name)
    try:
        write(temp)
        with temp.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputPathError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


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
