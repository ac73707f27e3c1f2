"""The kinds of session entry, what their payloads hold, and how each reads. Plain text, no Qt.

The contract every pane, export and test relies on (payloads are JSON objects):

======================  =======================================================================
kind                    payload
======================  =======================================================================
session_started         {"protocol": id}
phase                   {"index": int, "key": str, "name": str}
phase_extended          {"index": int, "minutes": int}
dose_time               {}  (T0; the dose itself is a ``dose`` entry)
reminder_done           {"reminder": label}  (a reading taken outside KAPDesk)
session_ended           {}
vitals                  VitalsReading.to_payload() = {"systolic", "diastolic", "hr", "spo2", "rr",
                        "temp_c"} (None = not measured) + {"baseline": bool}
dose                    Dose.to_payload() = {"drug", "amount_mg", "route", "given_by", "lot",
                        "booster", "mg_per_kg", "weight_kg", "warnings"}
scale                   ScaleResult.to_payload() = {"scale": key, "answers", "total", "band",
                        "complete", "flags"}; keys moaas, cadss6, dissociation_0_10, bprs_plus,
                        nausea, aldrete
observation             {"text": str, "tags": [str], "quote": bool}
presence                {"present": [str], "handoff_to": str | None, "note": str}
alert                   {"key", "severity", "message", "reading": entry id | None}
alert_ack               {"alert": entry id, "key", "message"}
music                   {"event": play | pause | resume | skip | track_start | track_end | section
                        | fade | error | stop, "title", "artist", "location", "section", ...}
preparation             {"intention": str, "checklist": {item: bool | None},
                        "contraindications": {item: bool | None}, "medications": {class: bool | None},
                        "weight_kg": float | None}
safety_override         {"items": [str], "reason": str}  (dosing with unanswered safety items)
rems                    {"serious_adverse_events": str, "ready_without_2h_minutes": int | None}
======================  =======================================================================

A correction is an entry of the same kind whose ``supersedes_id`` names the entry it replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

KIND_LABELS: dict[str, str] = {
    "session_started": "Session",
    "phase": "Phase",
    "phase_extended": "Phase",
    "dose_time": "Dose time",
    "reminder_done": "Reminder",
    "session_ended": "Session",
}

_DESCRIBERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "session_started": lambda p: f"started ({p.get('protocol', '?')})",
    "phase": lambda p: f"→ {p.get('name', '?')}",
    "phase_extended": lambda p: f"extended by {p.get('minutes', '?')} min",
    "dose_time": lambda p: "T0 marked",
    "reminder_done": lambda p: f"{p.get('reminder', 'vitals')} taken",
    "session_ended": lambda p: "ended",
}


def register_kind(kind: str, label: str, describe: Callable[[dict[str, Any]], str]) -> None:
    """Later parts (music, vitals, notes) add their kinds here instead of editing this table."""
    KIND_LABELS[kind] = label
    _DESCRIBERS[kind] = describe


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def describe_entry(kind: str, payload: dict[str, Any]) -> str:
    describe = _DESCRIBERS.get(kind)
    if describe is None:
        return ", ".join(f"{k} {v}" for k, v in payload.items())
    return describe(payload)
