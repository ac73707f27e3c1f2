"""How each kind of entry reads in the session log, the timeline and the exports. Plain text, no Qt."""

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
