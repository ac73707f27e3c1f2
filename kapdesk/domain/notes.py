"""The integration note: its sections, and the hash that proves a signed note is what was signed.

Integration is client-led: the sections hold the client's own words and the therapist's record
of them, not interpretation (product.md, "Three stages").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NoteSection:
    key: str
    title: str
    hint: str


SECTIONS: tuple[NoteSection, ...] = (
    NoteSection("intention", "Intention revisited", "The intention set in preparation, and how it sits now"),
    NoteSection("described", "What the client described", "In the client's own words where possible"),
    NoteSection("themes", "Themes", "Recurring images, memories, relationships"),
    NoteSection("insights", "Insights", "What the client takes from it"),
    NoteSection("body", "Body / felt sense", "Sensations, tension, release, where in the body"),
    NoteSection("emotions", "Emotions", "What was felt, and how strongly"),
    NoteSection("actions", "Action items", "Concrete steps toward the client's goals"),
    NoteSection("support", "Support system", "Who and what supports the client this week"),
    NoteSection("follow_up", "Follow-up plan", "Next integration session, check-ins, referrals"),
    NoteSection("free_text", "Free text", "Anything else"),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)


def clean_sections(sections: Mapping[str, str]) -> dict[str, str]:
    """Only known sections, as text, in the canonical order; unknown keys are a programming error."""
    unknown = set(sections) - set(SECTION_KEYS)
    if unknown:
        raise ValueError(f"unknown note sections: {', '.join(sorted(unknown))}")
    return {key: str(sections.get(key, "")) for key in SECTION_KEYS}


def content_hash(session_id: str, sections: Mapping[str, str], signer: str, signed_at: datetime) -> str:
    """SHA-256 over a canonical JSON form: the same content always gives the same hash."""
    canonical = json.dumps(
        {"session": session_id, "sections": clean_sections(sections), "signer": signer, "signed_at": signed_at.isoformat()},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def addendum_hash(note_hash: str, text: str, author: str, signed_at: datetime) -> str:
    canonical = json.dumps({"note": note_hash, "text": text, "author": author, "signed_at": signed_at.isoformat()},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
