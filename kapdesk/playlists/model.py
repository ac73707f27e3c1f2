"""Plain data for playlists: what every reader produces and what the player queues.

No Qt and no I/O here. Readers (M3U/M3U8, XSPF, PLS, the curated TOML form) build these;
``kapdesk playlist check`` prints them; the player queues ``Track`` objects whose
``status`` is ``TrackStatus.OK``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class TrackStatus(Enum):
    OK = "ok"
    MISSING = "missing"  # no file at the resolved location, or never resolved in this library
    NOT_AUDIO = "not audio"  # the file exists but is not something we can play (an image, text, ...)
    UNREADABLE = "unreadable"  # exists but cannot be opened or is truncated/corrupt


# The arc of a KAP sitting, in order (product.md, "Music").
SECTION_KEYS: tuple[str, ...] = ("pre-onset", "onset", "peak", "re-entry", "return")


@dataclass(frozen=True)
class Track:
    title: str
    location: str  # exactly as written in the playlist file (path, file:// URI, or "" for metadata only)
    path: Path | None = None  # resolved local file, None when unresolved
    status: TrackStatus = TrackStatus.MISSING
    reason: str = ""  # why it is not playable, in words a therapist understands
    artist: str = ""
    duration_s: float | None = None
    has_lyrics: bool = False
    line: int | None = None  # 1-based line in the playlist file, for messages

    @property
    def playable(self) -> bool:
        return self.status is TrackStatus.OK and self.path is not None


@dataclass(frozen=True)
class Section:
    key: str  # one of SECTION_KEYS for curated playlists; "all" for a flat playlist
    title: str
    tracks: tuple[Track, ...] = ()

    @property
    def playable_tracks(self) -> tuple[Track, ...]:
        return tuple(t for t in self.tracks if t.playable)


@dataclass(frozen=True)
class Playlist:
    title: str
    source: Path
    sections: tuple[Section, ...]
    problems: tuple[str, ...] = field(default=())  # non-fatal: "line 7: entry points at the playlist itself"

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def tracks(self) -> tuple[Track, ...]:
        return tuple(t for s in self.sections for t in s.tracks)


class PlaylistError(Exception):
    """A playlist file that cannot be parsed at all. The message names the file and line."""

    def __init__(self, source: Path, line: int | None, message: str) -> None:
        where = f"{source}:{line}" if line else str(source)
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.detail = message
