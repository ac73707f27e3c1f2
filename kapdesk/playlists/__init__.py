"""Playlists: reading M3U/M3U8, XSPF, PLS and the curated ``.kap.toml`` form, and checking them.

The one entry point the rest of the app needs is :func:`load_playlist`; the data it returns is
described in :mod:`kapdesk.playlists.model`.  Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kapdesk.playlists.curated import load_curated
from kapdesk.playlists.formats import read_m3u, read_playlist_bytes, read_pls, read_xspf
from kapdesk.playlists.model import SECTION_KEYS, Playlist, PlaylistError, Section, Track, TrackStatus

__all__ = [
    "SECTION_KEYS",
    "Playlist",
    "PlaylistError",
    "Section",
    "Track",
    "TrackStatus",
    "load_playlist",
]

_BY_SUFFIX = {".m3u": read_m3u, ".m3u8": read_m3u, ".xspf": read_xspf, ".pls": read_pls}


def load_playlist(path: Path | str, library_roots: Sequence[Path] | None = None) -> Playlist:
    """Read any playlist KAPDesk understands and resolve every entry to a local file.

    The format is recognised by content first (``#EXTM3U``, ``[playlist]``, an XML element) and
    by extension otherwise, because files get renamed on their way between computers.
    ``.kap.toml`` (or ``.toml``) is the curated form.  ``library_roots`` only matters for curated
    reference entries; None means "use KAPDESK_MUSIC_LIBRARY".

    Raises PlaylistError (naming file and line) when the file cannot be read as a playlist;
    entries that cannot be played are returned with their status and reason, never raised.
    """
    path = Path(path)
    data = read_playlist_bytes(path)
    name = path.name.lower()
    if name.endswith(".toml"):
        return load_curated(path, library_roots, data=data)
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:64]
    if head.startswith(b"#EXTM3U"):
        return read_m3u(path, data)
    if head.lower().startswith(b"[playlist]"):
        return read_pls(path, data)
    if head.startswith(b"<") and not (path.suffix.lower() == ".pls" and b"[playlist]" in data.lower()):
        return read_xspf(path, data)  # (a .pls with a [playlist] line has HTML leftovers before it)
    reader = _BY_SUFFIX.get(path.suffix.lower())
    if reader is None:
        raise PlaylistError(path, None, "not a playlist KAPDesk reads (expected .m3u, .m3u8, .xspf, .pls or .kap.toml)")
    return reader(path, data)
