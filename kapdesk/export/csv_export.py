"""The session as CSV: one row per entry, corrections and the entries they replaced alike.

The file is for spreadsheets and statistics, and for a clinic that wants its data out of
KAPDesk. Its contract (documented column by column in ``docs/export-formats.md``):

* plain UTF-8 (no byte-order mark), RFC 4180: a header row, comma separated, fields quoted only
  when needed (``"`` doubled inside), records ended by CRLF; a newline inside a note stays inside
  its quoted field;
* every time is ISO 8601 UTC ending in ``Z``; ``minutes_from_dose`` is relative to T0;
* ``payload_json`` holds the whole payload, so nothing is lost to the flattened value columns
  (which are a convenience for spreadsheets and cover only the common kinds);
* nothing is hidden: a superseded entry has its row, ``current`` = ``false`` and
  ``superseded_by`` naming its correction; the correction names it in ``supersedes``.

Spreadsheet formula injection: a free-text cell that begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return would run as a formula when the file is opened in a spreadsheet (a
client quote is free text). Such cells get a leading apostrophe, as OWASP advises; a cell that
itself begins with an apostrophe gets one more, so :func:`read_csv` can always undo it exactly.
Numbers, times, ids and ``payload_json`` (which begins with ``{``) are never escaped.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import EntryInfo, Payload, Vitals, decode, stored_json
from kapdesk.domain.info import SessionRecord
from kapdesk.domain.infusions import InfusionStart
from kapdesk.domain.observations import Observation
from kapdesk.domain.rescue import AdverseEvent, RescueMedication, RescueUnit, linked_rescue
from kapdesk.domain.scales import ScaleResult
from kapdesk.export import minutes_from_dose, parse_utc_iso, utc_iso

__all__ = ["COLUMNS", "read_csv", "rows", "write_csv"]

# The column order is part of the contract: append new columns at the end, never reorder.
COLUMNS: tuple[str, ...] = (
    "entry_id",
    "session_id",
    "client_label",
    "kind",
    "occurred_at_utc",
    "recorded_at_utc",
    "minutes_from_dose",
    "author",
    "author_id",
    "supersedes",
    "superseded_by",
    "current",
    "correction_note",
    "summary",
    "systolic",
    "diastolic",
    "hr",
    "spo2",
    "rr",
    "temp_c",
    "drug",
    "amount_mg",
    "route",
    "lot",
    "scale",
    "total",
    "text",
    "tags",
    "quote",
    "payload_json",
    # Rescue medication and adverse events (issue 9), appended: older readers keep their columns.
    "amount",
    "unit",
    "reason",
    "device",
    "event",
    "severity",
    "outcome",
    "serious",
    "rescue_entry",
)

# Cells a person typed: the only ones a spreadsheet could mistake for a formula.
_FREE_TEXT = frozenset({"client_label", "author", "correction_note", "summary", "drug", "lot", "text", "tags"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FREE_TEXT |= {"reason", "device", "event"}



def _value_columns(data: Payload) -> dict[str, Any]:
    """The spreadsheet columns a payload fills (the common kinds only; ``payload_json`` has it all)."""
    if isinstance(data, Vitals):
        r = data.reading
        return {"systolic": r.systolic, "diastolic": r.diastolic, "hr": r.heart_rate, "spo2": r.spo2,
                "rr": r.resp_rate, "temp_c": r.temperature_c}
    if isinstance(data, Dose):
        return {"drug": data.drug, "amount_mg": data.amount_mg, "route": data.route.value, "lot": data.lot}
    if isinstance(data, ScaleResult):
        return {"scale": data.scale_key, "total": data.total}
    if isinstance(data, Observation):
        return {"text": data.text, "tags": list(data.tags), "quote": data.quote}
    if isinstance(data, RescueMedication):
        return {"drug": data.drug, "amount_mg": data.amount if data.unit is RescueUnit.MG else None,
                "route": data.route.value, "lot": data.lot, "amount": data.amount, "unit": data.unit.value,
                "reason": data.reason, "device": data.device}
    if isinstance(data, AdverseEvent):
        return {"event": data.name, "severity": data.severity.value, "outcome": data.outcome.value,
                "serious": data.serious, "text": data.note}
    return {}


def write_csv(record: SessionRecord, path: Path | str) -> Path:
    """Write every entry of ``record`` to ``path`` (overwritten) and return the path.

    Rows are in the store's time order (occurred, then recorded). Raises ``OSError`` when the
    file cannot be written; atomic replacement is the caller's business (``cli.export_session``).
    """
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(COLUMNS)
        for row in rows(record):
            writer.writerow([row[column] for column in COLUMNS])
    return path


def rows(record: SessionRecord) -> list[dict[str, str]]:
    """The CSV rows as dicts of column → cell text (already escaped), one per entry."""
    return [_row(record, entry) for entry in record.entries]


def read_csv(path: Path | str) -> list[EntryInfo]:
    """Read a file written by :func:`write_csv` back into entries.

    Ids, kind, both times, author (id and name), correction links, the correction note and the
    payload come back identical to what was exported (the payload from ``payload_json``; the
    flattened value columns are ignored, being copies). Raises ``ValueError`` for a file whose
    header is not this format's.
    """
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path} is not a KAPDesk CSV export: columns missing: {', '.join(sorted(missing))}")
        return [_entry(row) for row in reader]


# ----------------------------------------------------------------------------------------------


def _row(record: SessionRecord, entry: EntryInfo) -> dict[str, str]:
    minutes = minutes_from_dose(record, entry.occurred_at)
    row: dict[str, Any] = {column: "" for column in COLUMNS}
    row.update(
        entry_id=str(entry.id),
        session_id=str(entry.session_id),
        client_label=record.client.label,
        kind=entry.stored_kind,
        occurred_at_utc=utc_iso(entry.occurred_at),
        recorded_at_utc=utc_iso(entry.recorded_at),
        minutes_from_dose="" if minutes is None else f"{minutes:.1f}",
        author=entry.author_name,
        author_id=str(entry.author_id),
        supersedes=_id(entry.supersedes_id),
        superseded_by=_id(entry.superseded_by),
        current=_bool(entry.current),
        correction_note=entry.note or "",
        summary=entry.describe(),
        payload_json=stored_json(entry.data),
    )
    for column, value in _value_columns(entry.data).items():
        row[column] = _cell(value)
    if isinstance(entry.data, AdverseEvent) and entry.data.rescue is not None:
        treated = linked_rescue(entry.data, record.entries)  # the rescue medication's version in force
        row["rescue_entry"] = str(treated.id if treated is not None else entry.data.rescue)
    if isinstance(entry.data, InfusionStart):
        # The infusion's delivered total (domain/infusions.py, the same as the PDF and FHIR) on its start row.
        period = next((p for p in record.facts.infusions if p.entry.id == entry.id), None)
        row.update(drug=entry.data.drug, route=entry.data.route.value, lot=_cell(entry.data.lot),
                   amount_mg=_cell(period.delivered_mg) if period is not None else "")
    return {column: _escape(value) if column in _FREE_TEXT else str(value) for column, value in row.items()}


def _entry(row: Mapping[str, str]) -> EntryInfo:
    stored = json.loads(row["payload_json"])
    if not isinstance(stored, dict):
        raise ValueError(f"entry {row['entry_id']}: payload_json is not a JSON object")
    kind, data = decode(row["kind"], stored)
    return EntryInfo(
        id=uuid.UUID(row["entry_id"]),
        session_id=uuid.UUID(row["session_id"]),
        kind=kind,
        occurred_at=parse_utc_iso(row["occurred_at_utc"]),
        recorded_at=parse_utc_iso(row["recorded_at_utc"]),
        author_id=uuid.UUID(row["author_id"]),
        author_name=_unescape(row["author"]),
        data=data,
        supersedes_id=_uuid_or_none(row["supersedes"]),
        superseded_by=_uuid_or_none(row["superseded_by"]),
        note=_unescape(row["correction_note"]) or None,
    )


def _cell(value: Any) -> str:
    """One payload value as a spreadsheet cell: lists joined with ``; ``, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _bool(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 100.0 mg reads as 100 in a spreadsheet; payload_json keeps 100.0
    return str(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _id(value: uuid.UUID | None) -> str:
    return "" if value is None else str(value)


def _uuid_or_none(text: str) -> uuid.UUID | None:
    return uuid.UUID(text) if text.strip() else None


def _escape(text: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula (reversibly; see the module doc)."""
    return "'" + text if text.startswith(_FORMULA_START) or text.startswith("'") else text


def _unescape(text: str) -> str:
    return text[1:] if text.startswith("'") else text

