"""Exports: the record that leaves the room — a PDF report, the data as CSV, a FHIR R4 bundle.

=================  ==========================================================================
module             what it writes
=================  ==========================================================================
``csv_export``     one row per entry, corrections included (``write_csv`` / ``read_csv``)
``fhir``           a FHIR R4 ``collection`` Bundle as JSON (``build_bundle`` / ``write_fhir``)
``pdf_report``     the readable A4 session report (``write_pdf``; needs a ``QGuiApplication``):
                   layout and pages; its parts are ``pdf_sections`` (the text), ``pdf_rems``
                   (the REMS form), ``pdf_chart`` (the vitals chart) and ``pdf_html`` (helpers)
``cli``            ``kapdesk export …`` and ``export_session``, the one entry point the UI calls
=================  ==========================================================================

Every writer takes a :class:`kapdesk.store.SessionRecord` and a path, writes that path and
nothing else, and touches neither the store nor the network. Writing atomically, naming the
file and recording the audit event are ``cli.export_session``'s job, so a half-written export
can never be mistaken for a finished one.

The exports compute no clinical fact of their own: the baseline, peak readings, rises, T+
labels, alerts and the chart's data come from the domain (:mod:`kapdesk.domain.record`, :mod:`kapdesk.domain.series`,
:mod:`kapdesk.domain.alerts`), the same functions the screen reads.

This module holds only what all formats must agree on (time format, minutes from T0, when an
export is a DRAFT, how corrections chain) and imports neither Qt nor SQLAlchemy: importing
``kapdesk.export`` must stay cheap for the UI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kapdesk.domain.entries import EntryInfo
    from kapdesk.domain.info import SessionRecord

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "ExportError",
    "OutputPathError",
    "UnknownSessionError",
    "draft_reason",
    "minutes_from_dose",
    "parse_utc_iso",
    "previous_versions",
    "utc_iso",
]

UTC = timezone.utc

FORMATS: tuple[str, ...] = ("pdf", "csv", "fhir")
EXTENSIONS: Mapping[str, str] = {"pdf": ".pdf", "csv": ".csv", "fhir": ".fhir.json"}


class ExportError(Exception):
    """An export that could not be made; the message is a sentence for the user."""


class UnknownSessionError(ExportError):
    """The session id is malformed or names no session in this database."""


class OutputPathError(ExportError):
    """The output path cannot be written; the message names it. Nothing was written there."""


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2026-01-05T09:12:00Z``.

    Seconds always; microseconds only when the stamp has them, so a stored time comes back
    identical through :func:`parse_utc_iso`. A naive datetime is refused: the store only hands
    out aware UTC times, and guessing a zone would shift clinical times silently.
    """
    if moment.tzinfo is None:
        raise ValueError(f"refusing a naive datetime {moment!r}: every stored time is UTC-aware")
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_utc_iso(text: str) -> datetime:
    """The inverse of :func:`utc_iso` (also accepts ``+00:00`` and other explicit offsets)."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone: exports write UTC times ending in Z")
    return moment.astimezone(UTC)


def minutes_from_dose(record: SessionRecord, moment: datetime) -> float | None:
    """Minutes from T0 (the marked dose time) to ``moment``; negative before it, None without T0.

    T0 is the session's ``dose_at`` (the ``dose_time`` entry), the clock every clinic reads
    vitals against; it is not the time of the first ``dose`` entry, which may be typed later.
    """
    dose_at = record.info.dose_at
    if dose_at is None:
        return None
    return (moment - dose_at).total_seconds() / 60.0


def draft_reason(record: SessionRecord) -> str | None:
    """Why an export of this record is a DRAFT, or None when it is final.

    Final means the session has ended and its integration note is signed (and so locked).
    Exporting a draft is allowed — a clinic may need the vitals before the note is written —
    but every format says so plainly.
    """
    if record.note is None:
        reason = "no integration note has been written"
    elif not record.note.signed:
        reason = "the integration note is not signed"
    else:
        reason = None
    if record.info.ended_at is None:
        still = "the session is still in progress"
        reason = f"{still}; {reason}" if reason else still
    return reason


def previous_versions(entry: EntryInfo, entries: Iterable[EntryInfo]) -> list[EntryInfo]:
    """The entries ``entry`` replaced, newest first (its correction chain, itself excluded)."""
    by_id: dict[uuid.UUID, EntryInfo] = {e.id: e for e in entries}
    chain: list[EntryInfo] = []
    seen: set[uuid.UUID] = {entry.id}
    current = entry
    while current.supersedes_id is not None and current.supersedes_id not in seen:
        older = by_id.get(current.supersedes_id)
        if older is None:
            break
        chain.append(older)
        seen.add(older.id)
        current = older
    return chain
