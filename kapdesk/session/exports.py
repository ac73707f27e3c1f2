"""Exports: a sitting's record written as a PDF report, CSV data or a FHIR R4 bundle.

The one way the app and ``kapdesk export`` write a file: :func:`export_session` writes to a
temporary file in the target folder, syncs it and renames it over the target, so a reader never
sees half a file and a failed export leaves any earlier file untouched; then it records the audit
event. The writers (``kapdesk.export``) read the record's facts; they compute none.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kapdesk.domain.info import SessionRecord
from kapdesk.export import EXTENSIONS, FORMATS, OutputPathError, UnknownSessionError, draft_reason
from kapdesk.store.errors import EntryError

if TYPE_CHECKING:
    from kapdesk.domain.alerts import AlertRules
    from kapdesk.store.repository import Store

__all__ = ["default_file_name", "export_session", "parse_session_id"]


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
