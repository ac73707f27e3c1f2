"""The curated KAPDesk playlist: tracks grouped into the sections of a sitting's arc.

A ``.kap.toml`` file (TOML, read with :mod:`tomllib`) holds one ``[[section]]`` table per phase
of the arc (:data:`SECTION_KEYS`, in that order) and one ``[[section.tracks]]`` table per track.
The full reference, with an example, is ``playlists/README.md``; keep the two in step.

A track either names a file (``location``, relative to the playlist) or is a metadata-only
*reference* entry that each clinic resolves against its own music library (``match``, or the
artist and title).  Unresolved tracks are MISSING, never fatal: a reference playlist is useful
to read and to plan with even before the clinic owns every recording.

Contract: a file that is not valid TOML, or that has an unknown key or a value of the wrong
kind, raises :class:`PlaylistError` naming the file, the line and the field, because a
hand-edited file with a typo ("has_lyric") must not silently lose what the therapist meant.
Softer things (a missing section, lyrics in the peak) go to ``Playlist.problems``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kapdesk.playlists.formats import decode_playlist_text, read_playlist_bytes
from kapdesk.playlists.model import SECTION_KEYS, Playlist, PlaylistError, Section, Track, TrackStatus
from kapdesk.playlists.resolve import LIBRARY_REASON, MusicLibrary, library_roots_from_env, locate_track

FORMAT_VERSION = 1
VERSION_KEY = "kapdesk_playlist"

SECTION_TITLES: dict[str, str] = {
    "pre-onset": "Pre-onset",
    "onset": "Onset",
    "peak": "Peak",
    "re-entry": "Re-entry",
    "return": "Return",
}

_TOP_KEYS = frozenset({VERSION_KEY, "title", "description", "section"})
_SECTION_KEYS = frozenset({"key", "title", "description", "tracks"})
_TRACK_KEYS = frozenset({"title", "artist", "duration", "has_lyrics", "location", "match"})

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{2}(?:\.\d+)?)$")

# Scopes for line look-up: the top level, the i-th [[section]], the j-th track of section i.
Scope = tuple[Any, ...]
_TOP: Scope = ("top",)


def load_curated(path: Path, library_roots: Sequence[Path] | None = None, data: bytes | None = None) -> Playlist:
    """Read a ``.kap.toml`` playlist and resolve every track.

    ``library_roots`` are the clinic's music folders for reference entries; None means "use
    KAPDESK_MUSIC_LIBRARY", an empty list means "no library".  The folders are walked only if
    some track needs them.
    """
    raw = read_playlist_bytes(path) if data is None else data
    text = decode_playlist_text(path, raw, legacy_encodings=False)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(path, exc) from None
    roots = library_roots_from_env() if library_roots is None else list(library_roots)
    return _Reader(path, _KeyLines(text), MusicLibrary(roots)).read(document)


def _syntax_error(path: Path, exc: tomllib.TOMLDecodeError) -> PlaylistError:
    # tomllib (3.11-3.13) reports the position only inside the message: "... (at line 3, column 9)".
    message = str(exc)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found:
        return PlaylistError(path, int(found.group(1)), f"not valid TOML: {message[: found.start()]} (column {found.group(2)})")
    return PlaylistError(path, None, f"not valid TOML: {message}")


class _KeyLines:
    """Where each key of each [[section]] / [[section.tracks]] occurrence is written.

    tomllib returns plain dicts without positions, so value errors are located by scanning the
    text the same way TOML nests it: the n-th ``[[section]]`` header opens section n, and each
    ``[[section.tracks]]`` after it opens that section's next track.  Lines inside multi-line
    strings are skipped.  Keys written as inline tables fall back to their table's header line.
    """

    _HEADER = re.compile(r"^\s*(\[\[?)([^\[\]]+)\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[Scope, str], int] = {}
        self.headers: dict[Scope, int] = {}
        scope: Scope = _TOP
        section, tracks_in_section = -1, -1
        in_multiline = False
        for lineno, line in enumerate(text.split("\n"), start=1):
            if in_multiline:
                in_multiline = (line.count('"""') + line.count("'''")) % 2 == 0
                continue
            header = self._HEADER.match(line)
            if header:
                name = re.sub(r"\s+", "", header.group(2))
                if header.group(1) == "[[" and name == "section":
                    section, tracks_in_section = section + 1, -1
                    scope = ("section", section)
                elif header.group(1) == "[[" and name == "section.tracks":
                    tracks_in_section += 1
                    scope = ("track", section, tracks_in_section)
                else:
                    scope = ("table", name)
                self.headers.setdefault(scope, lineno)
                continue
            key = self._KEY.match(line)
            if key:
                name = next(group for group in key.groups() if group is not None)
                self.keys.setdefault((scope, name), lineno)
            in_multiline = (line.count('"""') + line.count("'''")) % 2 == 1

    def line(self, scope: Scope, key: str | None = None) -> int | None:
        if key is not None and (scope, key) in self.keys:
            return self.keys[(scope, key)]
        return self.headers.get(scope) or (1 if scope == _TOP else None)


@dataclass
class _Reader:
    source: Path
    lines: _KeyLines
    library: MusicLibrary

    def fail(self, scope: Scope, key: str | None, message: str) -> PlaylistError:
        where = self.describe(scope)
        field = f"field '{key}': " if key else ""
        return PlaylistError(self.source, self.lines.line(scope, key), f"{where}{field}{message}")

    def describe(self, scope: Scope) -> str:
        if scope[0] == "section":
            return f"section {scope[1] + 1}: "
        if scope[0] == "track":
            return f"section {scope[1] + 1}, track {scope[2] + 1}: "
        return ""

    # ----------------------------------------------------------------- document

    def read(self, document: Mapping[str, Any]) -> Playlist:
        self.check_keys(_TOP, document, _TOP_KEYS)
        version = document.get(VERSION_KEY)
        if version is None:
            raise self.fail(_TOP, None, f"not a KAPDesk playlist: the first line should be '{VERSION_KEY} = {FORMAT_VERSION}'")
        if type(version) is not int or version != FORMAT_VERSION:
            raise self.fail(_TOP, VERSION_KEY, f"format version {version!r} is not one this KAPDesk reads ({FORMAT_VERSION})")
        title = self.text(_TOP, document, "title", required=True)
        self.text(_TOP, document, "description")
        raw_sections = document.get("section")
        if not isinstance(raw_sections, list) or not raw_sections:
            where = self.lines.keys.get((_TOP, "section")) or self.lines.headers.get(("table", "section"))
            raise PlaylistError(self.source, where, "no sections: write one [[section]] table per phase of the sitting")

        problems: list[str] = []
        sections: list[Section] = []
        seen: list[str] = []
        for index, raw in enumerate(raw_sections):
            scope: Scope = ("section", index)
            if not isinstance(raw, dict):
                raise self.fail(scope, None, "each section must be a [[section]] table")
            section = self.section(scope, raw, problems)
            if section.key in seen:
                raise self.fail(scope, "key", f"section '{section.key}' appears twice")
            if seen and SECTION_KEYS.index(section.key) < SECTION_KEYS.index(seen[-1]):
                arc = ", ".join(SECTION_KEYS)
                raise self.fail(scope, "key", f"section '{section.key}' comes after '{seen[-1]}'; sections follow the arc: {arc}")
            seen.append(section.key)
            sections.append(section)
        for key in SECTION_KEYS:
            if key not in seen:
                problems.append(f"no '{key}' section")
        return Playlist(title=title, source=self.source, sections=tuple(sections), problems=tuple(problems))

    def section(self, scope: Scope, raw: Mapping[str, Any], problems: list[str]) -> Section:
        self.check_keys(scope, raw, _SECTION_KEYS)
        key = self.text(scope, raw, "key", required=True)
        if key not in SECTION_KEYS:
            raise self.fail(scope, "key", f"{key!r} is not a phase; use one of {', '.join(SECTION_KEYS)}")
        title = self.text(scope, raw, "title") or SECTION_TITLES[key]
        self.text(scope, raw, "description")
        raw_tracks = raw.get("tracks", [])
        if not isinstance(raw_tracks, list):
            raise self.fail(scope, "tracks", "must be written as [[section.tracks]] tables")
        tracks: list[Track] = []
        for number, raw_track in enumerate(raw_tracks):
            track_scope: Scope = ("track", scope[1], number)
            if not isinstance(raw_track, dict):
                raise self.fail(track_scope, None, "each track must be a [[section.tracks]] table")
            track = self.track(track_scope, raw_track)
            if key == "peak" and track.has_lyrics:
                problems.append(f"line {track.line}: '{track.title}' has lyrics; the peak should have none")
            tracks.append(track)
        if not tracks:
            problems.append(f"section '{key}' has no tracks")
        return Section(key=key, title=title, tracks=tuple(tracks))

    # ----------------------------------------------------------------- tracks

    def track(self, scope: Scope, raw: Mapping[str, Any]) -> Track:
        self.check_keys(scope, raw, _TRACK_KEYS)
        title = self.text(scope, raw, "title", required=True)
        artist = self.text(scope, raw, "artist")
        location = self.text(scope, raw, "location")
        match = self.text(scope, raw, "match")
        duration = self.duration(scope, raw)
        has_lyrics = raw.get("has_lyrics", False)
        if type(has_lyrics) is not bool:
            raise self.fail(scope, "has_lyrics", f"must be true or false, not {has_lyrics!r}")
        line = self.lines.line(scope, "location") if location else self.lines.line(scope)

        path: Path | None = None
        status, reason = TrackStatus.MISSING, LIBRARY_REASON if self.library else f"{LIBRARY_REASON} (no library folder is set)"
        if location:
            path, verdict = locate_track(location, self.source.parent, self.source)
            status, reason = verdict.status, verdict.reason
        if status is not TrackStatus.OK and self.library:  # a moved or unplayable file: try the library
            found = self.library.find(artist, title, match)
            if found is not None:
                path, status, reason = found, TrackStatus.OK, ""
        return Track(
            title=title,
            location=location,
            path=path,
            status=status,
            reason=reason,
            artist=artist,
            duration_s=duration,
            has_lyrics=has_lyrics,
            line=line,
        )

    def duration(self, scope: Scope, raw: Mapping[str, Any]) -> float | None:
        """Seconds as a number, or a clock string "m:ss" / "h:mm:ss" as people write them."""
        value = raw.get("duration")
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value < 0:
                raise self.fail(scope, "duration", f"must not be negative, got {value}")
            return float(value)
        if isinstance(value, str):
            clock = _CLOCK.match(value.strip())
            if clock:
                hours, minutes, seconds = clock.groups()
                if float(seconds) < 60 and (hours is None or int(minutes) < 60):
                    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
        raise self.fail(scope, "duration", f'expected seconds (240) or "m:ss" ("4:00"), got {value!r}')

    # ----------------------------------------------------------------- helpers

    def text(self, scope: Scope, raw: Mapping[str, Any], key: str, *, required: bool = False) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                raise self.fail(scope, key, "is required")
            return ""
        if not isinstance(value, str):
            raise self.fail(scope, key, f"must be text in quotes, not {value!r}")
        if required and not value.strip():
            raise self.fail(scope, key, "must not be empty")
        return value.strip()

    def check_keys(self, scope: Scope, raw: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for key in raw:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(allowed))})"
                raise self.fail(scope, key, f"not a known field{hint}")
