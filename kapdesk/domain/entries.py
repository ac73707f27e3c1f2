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
music                   {"event": playlist_loaded | play | pause | resume | skip | section_change
                        | section_queued | fade | volume | track_start | track_end | track_skipped
                        | error | stop, "title", "artist", "location", "section", ...}
                        (kapdesk.player.EventKind; position ticks are never stored)
preparation             {"intention": str, "checklist": {item: bool | None},
                        "contraindications": {item: bool | None}, "medications": {class: bool | None},
                        "weight_kg": float | None}
safety_override         {"items": [str], "reason": str}  (dosing with unanswered safety items)
rems                    {"serious_adverse_events": str, "ready_without_2h_minutes": int | None}
======================  =======================================================================

A correction is an entry of the same kind whose ``supersedes_id`` names the entry it replaces.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol


class RecordedEntry(Protocol):
    """What the domain reads of a stored entry; ``kapdesk.store.EntryInfo`` fits, so do test fakes.

    Domain modules take this rather than the store's class so they stay importable and testable
    without SQLAlchemy.
    """

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def kind(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def current(self) -> bool: ...


KIND_LABELS: dict[str, str] = {
    "session_started": "Session",
    "phase": "Phase",
    "phase_extended": "Phase",
    "dose_time": "Dose time",
    "reminder_done": "Reminder",
    "session_ended": "Session",
    "vitals": "Vitals",
    "dose": "Dose",
    "scale": "Scale",
    "observation": "Observation",
    "presence": "Presence",
    "alert": "Alert",
    "alert_ack": "Alert",
    "music": "Music",
    "preparation": "Preparation",
    "safety_override": "Override",
    "rems": "REMS",
}


def _vitals(p: dict[str, Any]) -> str:
    from kapdesk.domain.vitals import VitalsReading

    text = VitalsReading.from_payload(p).format()
    return f"{text}  (baseline)" if p.get("baseline") else text


def _dose(p: dict[str, Any]) -> str:
    from kapdesk.domain.doses import Dose

    return f"{Dose.from_payload(p).format()} · given by {p.get('given_by', '?')}"


def _scale(p: dict[str, Any]) -> str:
    from kapdesk.domain.scales import SCALES, ScaleResult, summarize

    key = p.get("scale")
    if key not in SCALES:
        return f"{key}: {p.get('total')}"
    return summarize(SCALES[key], ScaleResult.from_payload(p))


def _observation(p: dict[str, Any]) -> str:
    text = str(p.get("text", ""))
    text = f"“{text}”" if p.get("quote") else text
    tags = p.get("tags") or []
    return f"{text}  [{', '.join(tags)}]" if tags else text


def _presence(p: dict[str, Any]) -> str:
    text = "present: " + ", ".join(p.get("present") or []) if p.get("present") else ""
    if p.get("handoff_to"):
        text += f"; handed off to {p['handoff_to']}"
    if p.get("note"):
        text += f" ({p['note']})"
    return text.strip("; ")


def _music(p: dict[str, Any]) -> str:
    event = str(p.get("event", "")).replace("_", " ")
    title = " – ".join(x for x in (p.get("artist"), p.get("title")) if x)
    section = f" [{p['section']}]" if p.get("section") else ""
    return f"{event}: {title}{section}" if title else f"{event}{section}"


def _preparation(p: dict[str, Any]) -> str:
    intention = str(p.get("intention") or "").strip()
    return f"intention: {intention}" if intention else "preparation recorded"


_DESCRIBERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "session_started": lambda p: f"started ({p.get('protocol', '?')})",
    "phase": lambda p: f"→ {p.get('name', '?')}",
    "phase_extended": lambda p: f"extended by {p.get('minutes', '?')} min",
    "dose_time": lambda p: "T0 marked",
    "reminder_done": lambda p: f"{p.get('reminder', 'vitals')} taken",
    "session_ended": lambda p: "ended",
    "vitals": _vitals,
    "dose": _dose,
    "scale": _scale,
    "observation": _observation,
    "presence": _presence,
    "alert": lambda p: str(p.get("message", p.get("key", ""))),
    "alert_ack": lambda p: f"acknowledged: {p.get('message', p.get('key', ''))}",
    "music": _music,
    "preparation": _preparation,
    "safety_override": lambda p: f"dosed despite: {', '.join(p.get('items') or [])} (reason: {p.get('reason', '')})",
    "rems": lambda p: f"serious adverse events: {p.get('serious_adverse_events') or 'none'}; ready without the 2-hour rule "
                      f"at {p.get('ready_without_2h_minutes', '?')} min",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def describe_entry(kind: str, payload: dict[str, Any]) -> str:
    """One line of plain text; a payload this build cannot read is shown raw rather than hidden."""
    describe = _DESCRIBERS.get(kind)
    if describe is not None:
        try:
            return describe(payload)
        except (ValueError, TypeError, KeyError):
            pass
    return ", ".join(f"{k} {v}" for k, v in payload.items())
