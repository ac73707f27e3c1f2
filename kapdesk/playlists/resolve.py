"""From a location written in a playlist to a local file we may hand to the player.

Three questions, answered in order for every entry:

1. *Where is it?*  :func:`resolve_location` turns what the playlist says (a relative or
   absolute path, a ``file://`` URI, a path written on a Windows laptop) into a local
   :class:`~pathlib.Path`.  Network locations are refused here: KAPDesk opens no network
   connections during a sitting, so an ``http://`` stream is reported, never fetched.
2. *Is it audio?*  :func:`sniff_audio` reads the first bytes of the file and recognises the
   containers libvlc plays (WAV, Ogg, FLAC, MP3, AAC, MP4/M4A, AIFF, ...).  The extension alone
   is not trusted: a cover image renamed ``.mp3`` or a half-copied file must not reach the
   player, because a track that fails mid-sitting is worse than one flagged beforehand.
3. *Which one in the clinic's library?*  :class:`MusicLibrary` finds a file for a metadata-only
   reference entry ("Arvo Pärt - Für Alina") by its normalised file name.

Everything here is plain Python with no Qt, and never raises for a bad *entry*: a problem with
one track becomes a :class:`~kapdesk.playlists.model.TrackStatus` and a reason in words a
therapist understands.  Only the playlist readers raise, and only for a bad *file*.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from kapdesk.playlists.model import TrackStatus

# Environment variable naming the clinic's music library folders (os.pathsep-separated).
LIBRARY_ENV = "KAPDESK_MUSIC_LIBRARY"

NETWORK_REASON = "network stream: KAPDesk plays local files only"
LIBRARY_REASON = "not found in the music library"
MIDI_REASON = "a MIDI file: KAPDesk plays recorded audio, not MIDI"

# File names that are playlists, not music.  An entry pointing at one is never followed:
# nested playlists invite loops and hide what will actually play.
PLAYLIST_SUFFIXES = (".m3u", ".m3u8", ".pls", ".xspf", ".kap.toml", ".toml", ".asx", ".wpl", ".cue")

# Extensions the library search considers, and the ones for which unrecognised content means
# "damaged audio" (UNREADABLE) rather than "some other kind of file" (NOT_AUDIO).
AUDIO_SUFFIXES = frozenset(
    {
        ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".mp2", ".m4a", ".m4b",
        ".mp4", ".aac", ".aif", ".aiff", ".aifc", ".wma", ".ape", ".wv", ".mka", ".weba", ".au",
    }
)  # fmt: skip

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_DRIVE = re.compile(r"^[A-Za-z]:([\\/]|$)")
_NETWORK_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "rtsp", "rtmp", "rtp", "udp", "mms", "mmsh", "smb", "sftp", "icyx"})

# How much of a file the sniffer reads.  Enough for every container header we recognise and for
# the MPEG frame that follows an ID3 tag's padding; ID3 tags themselves are skipped by seeking.
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Resolution:
    """Where a playlist location points.

    ``path`` is the local file we looked for (it may not exist), or None when the location
    cannot name a local file at all (a network stream, a drive letter on another computer).
    ``reason`` is set exactly when ``path`` is None and says why.
    """

    path: Path | None
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome of looking at one entry: what the player may do with it, and why not."""

    status: TrackStatus
    reason: str = ""
    nested_playlist: bool = False  # the entry is a playlist (maybe this one): worth a problem line


# --------------------------------------------------------------------------- locations


def resolve_location(location: str, base_dir: Path, *, uri: bool = False) -> Resolution:
    """Turn a location as written in a playlist into a local path.

    ``base_dir`` is the folder holding the playlist; relative locations are relative to it.
    ``uri`` is True for formats whose locations are URI references (XSPF): relative ones are
    then percent-decoded too.  For M3U and PLS a relative path is taken literally first and
    percent-decoded only when the literal file does not exist, because some writers encode.

    Windows-written locations are understood on every system: backslashes in a relative path
    become folder separators on POSIX (``..\\Music\\a.mp3`` next to the playlist), while a
    drive-letter or UNC path can only name a file on the computer that wrote it.
    """
    loc = location.strip()
    if not loc:
        return Resolution(None, "no location given")

    if _DRIVE.match(loc):
        return _windows_absolute(loc)
    if loc.startswith("\\\\") and os.name != "nt":
        return Resolution(None, "a Windows network share; KAPDesk plays local files only")

    scheme_match = _SCHEME.match(loc)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        if scheme == "file":
            return _file_uri(loc)
        if scheme in _NETWORK_SCHEMES:
            return Resolution(None, NETWORK_REASON)
        if "://" in loc:  # cdda://, dvd://, ...; a bare "Track: One.mp3" is still a file name
            return Resolution(None, f"'{scheme}:' locations are not local files")

    if uri:
        loc = unquote(loc)
    path = _local_path(loc, base_dir)
    if not uri and not path.exists() and re.search(r"%[0-9A-Fa-f]{2}", loc):
        decoded = _local_path(unquote(loc), base_dir)
        if decoded.exists():
            return Resolution(decoded)
    return Resolution(path)


def _local_path(text: str, base_dir: Path) -> Path:
    """Join a (possibly Windows-style) relative path to ``base_dir``, or take an absolute one.

    On POSIX a backslash is a legal file-name character, so the literal reading is kept when
    such a file exists; otherwise backslashes are read as the separators a Windows laptop meant.
    """
    candidate = _normalise(base_dir / text)
    if os.name != "nt" and "\\" in text and not candidate.exists():
        candidate = _normalise(base_dir / text.replace("\\", "/"))
    return candidate


def _normalise(path: Path) -> Path:
    # abspath folds "a/../b" lexically, which is what a playlist author means by "..",
    # without resolving symlinks (a library reached through a symlink keeps its name).
    return Path(os.path.abspath(path))


def _windows_absolute(loc: str) -> Resolution:
    if os.name == "nt":
        return Resolution(_normalise(Path(loc)))
    drive = PureWindowsPath(loc).drive or loc[:2]
    return Resolution(None, f"a Windows path on drive {drive.upper()}, which this computer does not have")


def _file_uri(loc: str) -> Resolution:
    parts = urlsplit(loc)
    host = parts.netloc
    path = unquote(parts.path)
    if _DRIVE.match(host):  # "file://C:/Music/a.flac", a common malformation of file:///C:/...
        return _windows_absolute(host + path)
    if host and host.lower() != "localhost":
        return Resolution(None, f"a file on another computer ({host}); KAPDesk plays local files only")
    if re.match(r"^/[A-Za-z]:([\\/]|$)", path):  # file:///C:/Music/a.flac
        return _windows_absolute(path[1:])
    if not path:
        return Resolution(None, "a file:// location without a path")
    return Resolution(_normalise(Path(path)))


# --------------------------------------------------------------------------- sniffing


def is_playlist_name(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(PLAYLIST_SUFFIXES)


def examine(path: Path, playlist: Path | None = None) -> Verdict:
    """Say whether ``path`` is something the player can play, and if not, why.

    ``playlist`` is the file the entry came from; an entry naming it, or any other playlist,
    is NOT_AUDIO and flagged as nested so the reader can add a problem line.  Nested playlists
    are never read (no recursion, no loops).
    """
    if playlist is not None and _same_file(path, playlist):
        return Verdict(TrackStatus.NOT_AUDIO, "this is the playlist itself, not a track", nested_playlist=True)
    try:
        info = path.stat()
    except FileNotFoundError:
        return Verdict(TrackStatus.MISSING, "file not found")
    except NotADirectoryError:
        return Verdict(TrackStatus.MISSING, "file not found (a folder on the way is a file)")
    except PermissionError:
        return Verdict(TrackStatus.UNREADABLE, "cannot be opened: permission denied")
    except OSError as exc:
        return Verdict(TrackStatus.UNREADABLE, f"cannot be opened: {exc.strerror or exc}")
    if stat.S_ISDIR(info.st_mode):
        return Verdict(TrackStatus.NOT_AUDIO, "a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        return Verdict(TrackStatus.NOT_AUDIO, "not a regular file")
    if is_playlist_name(path):
        reason = "another playlist; playlists inside playlists are not followed"
        return Verdict(TrackStatus.NOT_AUDIO, reason, nested_playlist=True)
    return sniff_audio(path)


def sniff_audio(path: Path) -> Verdict:
    """Recognise an audio file by its first bytes; the extension only breaks ties.

    OK: a container libvlc plays, with its header complete.  UNREADABLE: empty, truncated, or
    unrecognised bytes behind an audio extension, or the file cannot be opened.  NOT_AUDIO:
    recognisably something else (an image, a document, text, a video, a playlist).
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
            size = os.fstat(handle.fileno()).st_size
            if head.startswith(b"ID3"):
                return _after_id3(handle, head, size)
            if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
                return _check_wav(handle, size)
    except PermissionError:
        return Verdict(TrackStatus.UNREADABLE, "cannot be opened: permission denied")
    except OSError as exc:
        return Verdict(TrackStatus.UNREADABLE, f"cannot be read: {exc.strerror or exc}")

    if size == 0:
        return Verdict(TrackStatus.UNREADABLE, "empty file (0 bytes)")
    audio_ext = path.suffix.lower() in AUDIO_SUFFIXES
    verdict = _recognise(head, size)
    if verdict is not None:
        return verdict
    other = _recognise_other(head)
    if other is not None:
        return Verdict(TrackStatus.NOT_AUDIO, f"not audio: {other}")
    if audio_ext:
        return Verdict(TrackStatus.UNREADABLE, f"damaged or not really {path.suffix.lower()} audio (unrecognised data)")
    return Verdict(TrackStatus.NOT_AUDIO, "not an audio file (unrecognised content)")


_OK = Verdict(TrackStatus.OK)


def _truncated(kind: str) -> Verdict:
    return Verdict(TrackStatus.UNREADABLE, f"damaged: the {kind} file is truncated")


def _recognise(head: bytes, size: int) -> Verdict | None:
    """Audio containers by magic bytes; None when the bytes are not audio we know."""
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Verdict(TrackStatus.NOT_AUDIO, "not audio: a video file (AVI)")
    if head[:4] == b"MThd" or (head[:4] == b"RIFF" and head[8:12] == b"RMID"):
        # Music, but notes for a synthesizer, not sound: libvlc needs a SoundFont and the
        # fluidsynth plugin to render it, and how it sounds depends on that SoundFont.
        return Verdict(TrackStatus.NOT_AUDIO, MIDI_REASON)
    if head[:4] == b"OggS":
        return _check_ogg(head)
    if head[:4] == b"fLaC":
        # STREAMINFO (block type 0, 34 bytes) must follow the marker.
        return _OK if len(head) >= 42 and head[4] & 0x7F == 0 else _truncated("FLAC")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4V ", b"qt  ", b"M4VH", b"M4VP"):
            return Verdict(TrackStatus.NOT_AUDIO, "not audio: a video file (MP4/QuickTime)")
        return _OK if size >= 32 else _truncated("MP4/M4A")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _OK if size >= 54 else _truncated("AIFF")
    if head[:16] == b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c":
        return _OK  # ASF: WMA
    if head[:4] in (b"MAC ", b"wvpk") or head[:5] == b"#!AMR" or head[:4] == b".snd":
        return _OK
    if head[:4] == b"\x1a\x45\xdf\xa3":  # Matroska / WebM (.mka, .weba)
        return _OK
    if _mpeg_sync_at(head, 0, size):
        return _OK
    return None


def _check_wav(handle: BinaryIO, size: int) -> Verdict:
    """Walk the RIFF chunks: a 'fmt ' chunk, then a 'data' chunk whose bytes are present.

    A data size of 0 or 0xFFFFFFFF is what streaming recorders leave when they cannot seek
    back; such files play, so only a declared size larger than the file counts as truncated
    (a half-copied file would otherwise stop abruptly in the middle of a sitting).
    """
    offset, seen_fmt = 12, False
    for _ in range(256):  # a bound, so a corrupt chunk table cannot spin forever
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8:
            break
        chunk_id, chunk_size = header[:4], int.from_bytes(header[4:], "little")
        body = offset + 8
        if chunk_id == b"fmt ":
            seen_fmt = True
        elif chunk_id == b"data":
            if not seen_fmt:
                break
            if chunk_size in (0, 0xFFFFFFFF):
                return _OK if size > body else _truncated("WAV")
            return _OK if body + chunk_size <= size else _truncated("WAV")
        offset = body + chunk_size + (chunk_size & 1)
    return _truncated("WAV")


def _check_ogg(head: bytes) -> Verdict:
    """The first Ogg page carries the codec's identification header."""
    if len(head) < 28:
        return _truncated("Ogg")
    segments = head[26]
    packet = head[27 + segments : 27 + segments + 8]
    if packet.startswith(b"\x80theora") or packet.startswith(b"\x80kate"):
        return Verdict(TrackStatus.NOT_AUDIO, "not audio: a video file (Ogg Theora)")
    if packet.startswith((b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")):
        return _OK
    if len(packet) < 8:
        return _truncated("Ogg")
    return _OK  # another Ogg codec; libvlc will say if it cannot decode it


def _after_id3(handle: BinaryIO, head: bytes, size: int) -> Verdict:
    """Skip an ID3v2 tag (it may hold megabytes of cover art) and check the audio after it."""
    if len(head) < 10:
        return _truncated("MP3")
    tag_size = 10 + _syncsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)
    if tag_size >= size:
        return Verdict(TrackStatus.UNREADABLE, "damaged: only a tag, no audio after it")
    handle.seek(tag_size)
    after = handle.read(_SNIFF_BYTES)
    # Some taggers pad with zeros beyond the declared size; FLAC and AAC may carry ID3 too.
    start = len(after) - len(after.lstrip(b"\x00"))
    rest = after[start:]
    if not rest:
        return Verdict(TrackStatus.UNREADABLE, "damaged: only a tag, no audio after it")
    verdict = _recognise(rest, size - tag_size - start)
    if verdict is not None:
        return verdict
    return Verdict(TrackStatus.UNREADABLE, "damaged: no audio frames after the ID3 tag")


def _syncsafe(four: bytes) -> int:
    return (four[0] & 0x7F) << 21 | (four[1] & 0x7F) << 14 | (four[2] & 0x7F) << 7 | (four[3] & 0x7F)


# MPEG-1/2/2.5 Layer I-III bitrates in kbit/s, by (MPEG-1?, layer) and the header's index.
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_frame_length(b: bytes) -> int | None:
    """Length in bytes of the MPEG audio frame whose 4-byte header is ``b``; None if invalid.

    Returns 0 for a valid ADTS (AAC) header, whose length we do not need.
    """
    if len(b) < 4 or b[0] != 0xFF or b[1] & 0xE0 != 0xE0:
        return None
    version = (b[1] >> 3) & 3  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 reserved
    layer_bits = (b[1] >> 1) & 3  # 3 = Layer I, 2 = II, 1 = III, 0 = reserved (or ADTS)
    if layer_bits == 0:
        is_adts = b[1] & 0xF6 == 0xF0 and (b[2] >> 2) & 0xF < 13
        return 0 if is_adts else None
    bitrate_index, rate_index = b[2] >> 4, (b[2] >> 2) & 3
    if version == 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    bitrate = _BITRATES[(version == 3, layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    padding = (b[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    per_frame = 144 if layer == 2 or version == 3 else 72
    return per_frame * bitrate // rate + padding


def _mpeg_sync_at(head: bytes, offset: int, size: int) -> bool:
    """A valid frame at ``offset``, complete, and (when the bytes are here) a second one after it.

    Two consecutive headers make a random 0xFF 0xFx in garbage very unlikely to pass.
    """
    length = _mpeg_frame_length(head[offset : offset + 4])
    if length is None:
        return False
    if length == 0:  # ADTS
        return True
    if offset + length > size:
        return False
    following = head[offset + length : offset + length + 4]
    return len(following) < 4 or _mpeg_frame_length(following) is not None


_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "a text document (RTF)"),
    (b"\xd0\xcf\x11\xe0", "an office document"),
)


def _recognise_other(head: bytes) -> str | None:
    """Name a recognisable non-audio file, for a reason a therapist can act on."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    for magic, what in _OTHER_SIGNATURES:
        if head.startswith(magic):
            return what
    text = head.lstrip(b"\xef\xbb\xbf")
    stripped = text.lstrip()
    if stripped.startswith(b"#EXTM3U") or stripped.lower().startswith(b"[playlist]"):
        return "a playlist"
    if stripped.startswith(b"<"):
        return "an XML or HTML document"
    if _looks_like_text(text):
        return "a text file"
    return None


def _looks_like_text(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:  # a multi-byte character cut by the read is still text
            return False
        decoded = data[: exc.start].decode("utf-8")
    controls = sum(1 for ch in decoded if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls == 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return _normalise(a) == _normalise(b)


# --------------------------------------------------------------------------- one entry


def locate_track(
    location: str,
    base_dir: Path,
    playlist: Path,
    *,
    uri: bool = False,
) -> tuple[Path | None, Verdict]:
    """Resolve and examine one entry: the path to record on the Track, and its verdict."""
    where = resolve_location(location, base_dir, uri=uri)
    if where.path is None:
        return None, Verdict(TrackStatus.MISSING, where.reason)
    return where.path, examine(where.path, playlist)


def title_from_location(location: str, *, uri: bool = False) -> str:
    """A readable title for an entry that has none: the file name without its extension.

    ``uri`` as for :func:`resolve_location`: a relative URI reference (XSPF) is percent-decoded.
    """
    loc = location.strip()
    if _SCHEME.match(loc) and not _DRIVE.match(loc):
        loc = unquote(urlsplit(loc).path) or loc
    elif uri:
        loc = unquote(loc)
    name = re.split(r"[\\/]", loc.rstrip("\\/"))[-1]
    stem, dot, ext = name.rpartition(".")
    return (stem if dot and stem and len(ext) <= 5 else name) or location


def split_artist_title(text: str) -> tuple[str, str]:
    """``"Artist - Title"`` -> (artist, title); without the separator the whole is the title.

    Splits at the first " - " so a title may itself contain one ("Part 1 - Live").
    """
    artist, sep, title = text.partition(" - ")
    if sep and artist.strip() and title.strip():
        return artist.strip(), title.strip()
    return "", text.strip()


# --------------------------------------------------------------------------- the library


def normalise_name(text: str) -> str:
    """Fold a title or file stem for matching: case, accents, punctuation and spacing.

    "Arvo Pärt – Für Alina" and "arvo_part-fur alina" both become "arvo part fur alina":
    rippers and file systems drop accents, swap dashes and underscores, and slashes cannot
    appear in file names at all ("1/1" is saved as "1_1").
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.casefold().replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ð", "d").replace("þ", "th")
    return " ".join(re.findall(r"\w+", plain.replace("_", " ")))


_TRACK_NUMBER = re.compile(r"^\s*(?:\d{1,2}[-.])?\d{1,3}(?:\s*[-.]\s*|\s+)")


def library_roots_from_env(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The folders named by KAPDESK_MUSIC_LIBRARY (os.pathsep-separated); empty when unset."""
    value = (os.environ if environ is None else environ).get(LIBRARY_ENV, "")
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


class MusicLibrary:
    """The clinic's own music folders, searched by normalised file name.

    The folders are walked once, on the first search, and only files with an audio extension
    are indexed.  Each file is indexed under its normalised stem and, when the stem starts with
    a track number ("03 - Für Alina"), under the stem without it.

    Matching rule for a wanted (artist, title):

    * a file named "artist - title" is taken first;
    * a file named just "title" is taken when the artist's name appears in one of its folders
      (the usual Artist/Album/NN Title layout), or when it is the only file of that name;
      otherwise a short title like "Return" could pick the wrong piece, and playing the wrong
      music in a sitting is worse than showing the track as missing.

    Symlinked folders are not followed, so a link loop cannot hang the walk.
    """

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots: tuple[Path, ...] = tuple(Path(r) for r in roots)
        self._index: dict[str, list[Path]] | None = None

    def __bool__(self) -> bool:
        return bool(self.roots)

    def _build(self) -> dict[str, list[Path]]:
        index: dict[str, list[Path]] = {}
        for root in self.roots:
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                for name in sorted(files):
                    stem, ext = os.path.splitext(name)
                    if ext.lower() not in AUDIO_SUFFIXES:
                        continue
                    path = Path(folder, name)
                    keys = {normalise_name(stem), normalise_name(_TRACK_NUMBER.sub("", stem, count=1))}
                    for key in keys - {""}:
                        index.setdefault(key, []).append(path)
        return index

    def find(self, artist: str, title: str, match: str = "") -> Path | None:
        """A playable file for the wanted piece, or None.

        ``match`` ("Artist - Title", or just "Title") replaces the names to search for; a match
        without an artist keeps ``artist`` for telling apart files with the same title.
        """
        if self._index is None:
            self._index = self._build()
        if match:
            match_artist, title = split_artist_title(match)
            artist = match_artist or artist
        if not title:
            return None
        if artist:
            hit = self._first_playable(self._index.get(normalise_name(f"{artist} - {title}"), []))
            if hit:
                return hit
        candidates = self._index.get(normalise_name(title), [])
        if artist and len(candidates) > 1:
            wanted = normalise_name(artist)
            candidates = [p for p in candidates if any(wanted in normalise_name(part) for part in p.parent.parts)]
        return self._first_playable(candidates)

    @staticmethod
    def _first_playable(paths: Iterable[Path]) -> Path | None:
        for path in paths:
            if examine(path).status is TrackStatus.OK:
                return path
        return None
