"""``kapdesk playlist check FILE...``: say, before a sitting, which tracks will play.

For each file: a header line (title, entries, playable, total length), then one line per entry
with its status, its resolved location (or the location as written, or "Artist - Title" for a
reference entry), and the reason when it is not playable; notes (``Playlist.problems``) last.

Exit status, so a clinic can script it: 0 when every entry of every file is playable, 1 when
any entry is not (an empty playlist counts: there is nothing to play), 2 when a file cannot be
parsed (its PlaylistError, which names file and
line, goes to stderr; the remaining files are still checked).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from kapdesk.playlists import load_playlist
from kapdesk.playlists.model import Playlist, PlaylistError, Track, TrackStatus
from kapdesk.playlists.resolve import LIBRARY_ENV

EXIT_OK, EXIT_UNPLAYABLE, EXIT_UNPARSABLE = 0, 1, 2

_STATUS_WIDTH = max(len(status.value) for status in TrackStatus)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapdesk playlist check",
        description="Check that every track of one or more playlists can be played from this computer.",
        epilog=f"Exit status: 0 all playable, 1 some entry is not, 2 a file cannot be parsed. "
        f"Without --library, the folders in {LIBRARY_ENV} (separated by '{os.pathsep}') are searched.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="an .m3u, .m3u8, .xspf, .pls or .kap.toml playlist")
    parser.add_argument(
        "--library",
        action="append",
        type=Path,
        metavar="DIR",
        help="a music library folder for reference entries (repeatable; replaces the environment variable)",
    )
    return parser


def main(argv: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the check; returns the exit status instead of exiting, so the CLI and tests share it.

    ``out``/``err`` default to the process's stdout/stderr at call time.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        # Intermixed, so an option may follow the files as well as precede them: plain
        # parse_args ends the nargs="+" list at the first option and refuses the files after it.
        args = parser.parse_intermixed_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse has printed why
        return exc.code if isinstance(exc.code, int) else EXIT_UNPARSABLE

    status = EXIT_OK
    for index, path in enumerate(args.files):
        if index:
            print(file=out)
        try:
            playlist = load_playlist(path, args.library)
        except PlaylistError as exc:
            print(f"error: {exc}", file=err)
            status = max(status, EXIT_UNPARSABLE)
            continue
        print_playlist(path, playlist, out)
        if not playlist.tracks or not all(track.playable for track in playlist.tracks):
            status = max(status, EXIT_UNPLAYABLE)
    return status


def print_playlist(shown_as: Path, playlist: Playlist, out: TextIO) -> None:
    tracks = playlist.tracks
    playable = sum(track.playable for track in tracks)
    known = [track.duration_s for track in tracks if track.duration_s is not None]
    length = ""
    if known:
        length = f", {format_duration(sum(known))}" + (" (some lengths unknown)" if len(known) < len(tracks) else "")
    print(f'{shown_as}: "{playlist.title}", {len(tracks)} entries, {playable} playable{length}', file=out)
    sectioned = any(section.key != "all" for section in playlist.sections)
    key_width = max((len(section.key) for section in playlist.sections), default=0)
    for section in playlist.sections:
        for track in section.tracks:
            column = f"{section.key:<{key_width}}  " if sectioned else ""
            line = f"{track.line:>5}" if track.line else "    -"
            reason = f"  -- {track.reason}" if track.status is not TrackStatus.OK and track.reason else ""
            print(f"  {track.status.value:<{_STATUS_WIDTH}}  {line}  {column}{where(track)}{reason}", file=out)
    if not tracks:
        print("  (no entries)", file=out)
    for problem in playlist.problems:
        print(f"  note: {problem}", file=out)


def where(track: Track) -> str:
    """The most useful way to name an entry: the file we looked at, else what was written."""
    if track.path is not None:
        return str(track.path)
    if track.location:
        return track.location
    return f"{track.artist} - {track.title}" if track.artist else track.title


def format_duration(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
