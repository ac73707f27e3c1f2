"""The "now playing" hint of a sitting: where its music was, kept on disk so a restart can go on.

The record says what the music did (``MusicEvent`` entries), not where inside a track it was at
every moment: position ticks are never stored (four rows a second for three hours), and the record
cannot know when the app died. So, beside the record, each sitting whose music is audible or
paused has one small JSON file, ``<data dir>/now-playing/<session id>.json``: the playlist, the
track (location, section, index), the position, the state, the master volume, and the wall time it
was written. ``MusicSession`` replaces it about once a second while the music plays and after every
music entry it commits, and removes it once the music has stopped or the sitting has ended.

Writing is a temporary file in the same folder plus ``os.replace``: a reader sees the old file or
the new one, never half of one. It is not fsynced: a crashed or killed process leaves its written
pages to the kernel, which is the case this file is for; after a power cut it may be older or
missing, and then ``validate`` refuses it and the music simply stays stopped, as before this
file existed. A second of staleness is the price of writing once a second, well inside the 2 s
the continuation promises.

The record stays the source of truth: ``record_music_state`` reads what the sitting's own music
entries say the music was doing, and ``validate`` takes the file only where it agrees with them.
Pure Python, no Qt: tested without an application.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from kapdesk.domain.entries import MusicEvent
from kapdesk.paths import data_dir
from kapdesk.playlists import Playlist

FORMAT = 1
FOLDER = "now-playing"


class RecordedState(Enum):
    """What a sitting's music entries say the music was doing after the last of them."""

    NONE = "none"  # no music entry at all
    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSED = "paused"


# The player's EventKind values, by what they leave the music doing. Any other event (an error,
# a skipped track, a queued section, a volume or talk fade) leaves the state as it was.
_PLAYING_EVENTS = frozenset({"play", "resume", "track_start"})
_STOPPED_EVENTS = frozenset({"stop", "playlist_loaded"})


def record_music_state(events: Iterable[MusicEvent]) -> tuple[RecordedState, MusicEvent | None]:
    """What the music was doing after ``events`` (a sitting's music entries, oldest first), and the
    last event that named the track then loaded (``track_start`` or ``resumed_after_restart``).

    ``playlist_loaded`` counts as stopped: loading never starts music, and when the therapist
    changes playlists while music plays, the player's ``resume`` that carries the music on follows
    it. A ``resumed_after_restart`` leaves the state it restored (``as_state``).
    """
    state, track = RecordedState.NONE, None
    for event in events:
        kind = event.event
        if kind in _PLAYING_EVENTS:
            state = RecordedState.PLAYING
        elif kind == "pause":
            state = RecordedState.PAUSED
        elif kind in _STOPPED_EVENTS:
            state = RecordedState.STOPPED
        elif kind == "resumed_after_restart":
            state = RecordedState.PAUSED if event.detail("as_state") == "paused" else RecordedState.PLAYING
        if kind in ("track_start", "resumed_after_restart"):
            track = event
        elif kind in _STOPPED_EVENTS:
            track = None
    return state, track


@dataclass(frozen=True)
class NowPlaying:
    """One hint file's content. ``state`` is the player's state word (``PlaybackState.value``)."""

    session: str
    playlist_source: str
    title: str | None
    location: str | None
    section: str
    index: int
    position_s: float
    state: str
    volume: int
    written_at: str  # ISO 8601, UTC

    @property
    def paused(self) -> bool:
        return self.state in ("paused", "pausing")

    @classmethod
    def from_json(cls, text: str) -> NowPlaying:
        """Raises ``ValueError`` for anything that is not a hint of this format."""
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON ({exc.msg})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a now-playing file of this KAPDesk")
        try:
            hint = cls(
                session=_str(data, "session"), playlist_source=_str(data, "playlist_source"),
                title=_opt_str(data, "title"), location=_opt_str(data, "location"), section=_str(data, "section"),
                index=_int(data, "index"), position_s=_number(data, "position_s"), state=_str(data, "state"),
                volume=_int(data, "volume"), written_at=_str(data, "written_at"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"field {exc.args[0]} is missing or of the wrong type") from None
        if datetime.fromisoformat(hint.written_at).tzinfo is None:  # ValueError if it is no time at all
            raise ValueError("its time has no time zone")
        return hint

    def to_json(self) -> str:
        # One line, by json's C encoder (indent= takes the pure-Python one), from the fields as they
        # are (all str/int/float: asdict's deep copy has nothing to copy): written once a second.
        return json.dumps({"format": FORMAT, **vars(self)}, ensure_ascii=False)


def hint_path(session_id: uuid.UUID, folder: Path | None = None) -> Path:
    return (folder or data_dir() / FOLDER) / f"{session_id}.json"


def write_hint(path: Path, hint: NowPlaying) -> None:
    """Replace ``path`` atomically (temporary file + ``os.replace``). Raises ``OSError``.

    Written once a second for hours, so it is four system calls: the temporary file has a fixed
    name beside ``path`` (one sitting has one writer, its app), created 0600, and the folder is made
    only when it is missing. (``mkstemp``, ``mkdir`` and a text wrapper each time cost twice that,
    measured: ~0.3 ms against ~0.13 ms a write.)
    """
    temporary = path.with_name(f".{path.name}.tmp")
    data = hint.to_json().encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temporary, flags, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, flags, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove_hint(path: Path) -> None:
    """Remove ``path`` if it is there. Raises ``OSError`` for anything but its absence."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def read_hint(path: Path) -> NowPlaying:
    """Raises ``FileNotFoundError`` when there is none, ``ValueError`` / ``OSError`` when unusable."""
    return NowPlaying.from_json(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Continuation:
    """What to resume: a track of the loaded playlist, where, and whether it plays or waits paused."""

    section: str
    index: int
    title: str
    position_s: float
    paused: bool
    volume: int
    written_at: str


def validate(
    hint: NowPlaying,
    *,
    session_id: uuid.UUID,
    playlist: Playlist,
    playlist_path: Path | None,
    recorded: RecordedState,
    last_track: MusicEvent | None,
) -> Continuation:
    """The continuation ``hint`` allows, checked against the record and the loaded playlist.

    The state (playing or paused) is the record's; the file gives only the position and the volume.
    Raises ``ValueError`` with the reason, in words for the therapist, when they disagree or the
    track cannot be found again.
    """
    if hint.session != str(session_id):
        raise ValueError("the now-playing file belongs to another sitting")
    if recorded not in (RecordedState.PLAYING, RecordedState.PAUSED):
        raise ValueError("the record says the music had stopped")
    if playlist_path is None or Path(hint.playlist_source) != playlist_path:
        raise ValueError(f"its playlist ({Path(hint.playlist_source).name}) is not the one loaded now")
    if hint.state not in ("playing", "pausing", "paused"):
        raise ValueError(f"the now-playing file says the music was {hint.state}")
    section = playlist.section(hint.section)
    if section is None or not 0 <= hint.index < len(section.tracks):
        raise ValueError(f"“{hint.title or hint.location}” is no longer in the playlist")
    track = section.tracks[hint.index]
    if track.location != hint.location:
        raise ValueError(f"“{hint.title or hint.location}” is no longer in the playlist")
    if last_track is None or (last_track.location, last_track.section) != (hint.location, hint.section):
        raise ValueError("the record and the now-playing file disagree about the track")
    if not track.playable or track.path is None or not track.path.exists():
        raise ValueError(f"the file of “{track.title}” is missing")
    return Continuation(
        section=hint.section, index=hint.index, title=track.title, position_s=max(0.0, hint.position_s),
        paused=recorded is RecordedState.PAUSED, volume=max(0, min(100, hint.volume)), written_at=hint.written_at,
    )


def _str(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(key)
    return value


def _int(data: dict[str, Any], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(key)
    return value


def _number(data: dict[str, Any], key: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(key)
    return float(value)

