"""Readers for the playlists clinics already have: M3U/M3U8, XSPF and PLS.

Each reader takes the playlist's path and returns a flat :class:`Playlist` with one section
(key ``"all"``).  The contract shared by all three:

* A file that cannot be read as a playlist at all raises :class:`PlaylistError` naming the file
  and, where there is one, the line: binary garbage, text that is not UTF-8 where UTF-8 is
  required, malformed XML, a PLS without ``[playlist]``.
* A bad *entry* never raises.  It becomes a Track with a status and a reason (see
  :mod:`kapdesk.playlists.resolve`), and oddities worth telling the therapist about (an entry
  naming the playlist itself, an ``#EXTINF`` with no file after it) become ``problems``.
* Every Track carries the 1-based line of its location in the file.

Real-world files come from Windows laptops, VLC and old media players, so the readers accept a
UTF-8 byte-order mark, CRLF or CR line ends, and (for plain ``.m3u`` and ``.pls``, which predate
UTF-8) the 8-bit text of a Western or Cyrillic Windows laptop (see :func:`decode_legacy`).
"""

from __future__ import annotations

import os
import re
import unicodedata
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from kapdesk.playlists.model import Playlist, PlaylistError, Section, Track, TrackStatus
from kapdesk.playlists.resolve import locate_track, split_artist_title, title_from_location

XSPF_NS = "http://xspf.org/ns/0/"
XML_BASE = "http://www.w3.org/XML/1998/namespace base"  # xml:base as expat names it

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# C0 controls other than tab, line feed, form feed and carriage return never occur in a text
# playlist; finding one means the bytes are not text, whatever the extension says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


# --------------------------------------------------------------------------- text


def read_playlist_bytes(path: Path) -> bytes:
    """The file's bytes, or a PlaylistError that says plainly why they cannot be had."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if not path.parent.exists():
            raise PlaylistError(path, None, f"the folder {path.parent} does not exist") from None
        raise PlaylistError(path, None, "no such playlist file") from None
    except IsADirectoryError:
        raise PlaylistError(path, None, "this is a folder, not a playlist file") from None
    except PermissionError:
        raise PlaylistError(path, None, "cannot be read: permission denied") from None
    except OSError as exc:
        raise PlaylistError(path, None, f"cannot be read: {exc.strerror or exc}") from None


def decode_playlist_text(path: Path, data: bytes, *, legacy_encodings: bool) -> str:
    """Decode a text playlist and normalise its line ends to ``\\n``.

    UTF-8 is tried first (with or without BOM; UTF-16 with a BOM, as Windows Notepad saves, is
    accepted too).  When ``legacy_encodings`` is set, text that is not UTF-8 is read in the
    8-bit code page :func:`decode_legacy` finds; otherwise it is an error naming the line.
    NUL bytes or other control characters mean binary data.
    """
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise PlaylistError(path, 1, "not valid UTF-16 text") from None
    else:
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
        nul = data.find(b"\x00")
        if nul >= 0:
            raise PlaylistError(path, _line_of(data, nul), "binary data, not a text playlist (a NUL byte)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not legacy_encodings:
                raise PlaylistError(path, _line_of(data, exc.start), "not valid UTF-8 text") from None
            text = decode_legacy(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise PlaylistError(path, line, f"binary data, not a text playlist (control character {ord(control.group()):#04x})")
    return text


# The legacy code pages a playlist from a clinic laptop is written in: Western European first
# (it wins a tie, as the one most files use), then Cyrillic.
_LEGACY_ENCODINGS = ("cp1252", "cp1251")
# Punctuation and signs that are at home in a title in either code page; any other non-ASCII
# character that is not a letter (ƒ, ¹, ÷, Ђ ...) counts against a reading.
_TYPOGRAPHY = frozenset("\u00a0’‘“”„‚–—…•«»©®°·€№™¡¿§ªº´×")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
_LETTERS = re.compile(r"[^\W\d_]+")


def decode_legacy(data: bytes) -> str:
    """Decode 8-bit text whose code page nobody wrote down: Windows-1252 or Windows-1251.

    Every byte sequence decodes in both, so the question is which reading is *language*.  Two
    facts of real text decide it, scored by :func:`_implausibility`: a word is written in one
    script (cp1252 "Café" read as cp1251 is "Cafщ"), and in Western languages accented letters
    are the few in a word (cp1251 "Тишина" read as cp1252 is "Òèøèíà", all accents).  The
    reading with the lower score wins; on a tie, Western.  Bytes cp1252 leaves undefined are
    read as Latin-1, as before.

    Why not a statistical detector such as charset-normalizer: a playlist's non-ASCII text is a
    few short titles, too little for frequency tables to be reliable, and the two facts above
    settle the one confusion that matters here without a new dependency on clinic laptops.
    Other code pages (Central European cp1250, Greek cp1253) are not told apart.
    """
    readings = []
    for order, encoding in enumerate(_LEGACY_ENCODINGS):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            if encoding != "cp1252":
                continue
            text = data.decode("latin-1")
        readings.append((_implausibility(text), order, text))
    return min(readings)[2]


def _implausibility(text: str) -> int:
    """How unlike real words a decoded text looks: 0 for plain text, more for mojibake."""
    score = 0
    for word in _LETTERS.findall(text):
        scripts = {_script(ch) for ch in word} - {None}
        if len(scripts) > 1:  # "Cafщ", "Fьr": one word, two alphabets
            score += len(word)
        elif scripts == {"LATIN"}:
            accented = sum(1 for ch in word if ord(ch) > 0x7F)
            if accented >= 2 and 2 * accented > len(word):  # "Òèøèíà"; Western words have few ("Ágætis")
                score += accented
    score += sum(1 for ch in text if ord(ch) > 0x7F and not ch.isalpha() and ch not in _TYPOGRAPHY)
    return score


def _script(ch: str) -> str | None:
    if ch.isascii():
        return "LATIN"
    script = unicodedata.name(ch, "").partition(" ")[0]
    return script if script in _SCRIPTS else None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _flat(source: Path, title: str, tracks: list[Track], problems: list[str]) -> Playlist:
    return Playlist(
        title=title,
        source=source,
        sections=(Section(key="all", title=title, tracks=tuple(tracks)),),
        problems=tuple(problems),
    )


@dataclass
class _Entry:
    """What a reader found for one entry, before the location is resolved."""

    locations: list[str]
    line: int
    # What each location is resolved as, when that differs from what is written (XSPF xml:base).
    targets: list[str] = field(default_factory=list)
    title: str = ""
    artist: str = ""
    duration_s: float | None = None


def _build_track(entry: _Entry, source: Path, problems: list[str], *, uri: bool = False) -> Track:
    """Resolve an entry's locations (the first playable one wins) into a Track."""
    base = source.parent
    chosen: tuple[str, Path | None, TrackStatus, str, bool] | None = None
    targets = entry.targets or entry.locations
    for location, target in zip(entry.locations or [""], targets or [""]):
        path, verdict = locate_track(target, base, source, uri=uri)
        candidate = (location, path, verdict.status, verdict.reason, verdict.nested_playlist)
        if chosen is None or verdict.status is TrackStatus.OK:
            chosen = candidate
        if verdict.status is TrackStatus.OK:
            break
    assert chosen is not None
    location, path, status, reason, nested = chosen
    if nested:
        problems.append(f"line {entry.line}: {reason}")
    return Track(
        title=entry.title or title_from_location(location, uri=uri),
        location=location,
        path=path,
        status=status,
        reason=reason,
        artist=entry.artist,
        duration_s=entry.duration_s,
        line=entry.line,
    )


def _seconds(value: float) -> float | None:
    """Players write -1 (or 0) for "unknown length"."""
    return value if value > 0 else None


# --------------------------------------------------------------------------- M3U / M3U8


def read_m3u(path: Path, data: bytes | None = None) -> Playlist:
    """Read an M3U or M3U8 playlist.

    Understood: ``#EXTM3U``, ``#EXTINF:<seconds>[ attributes],<Artist - Title>``,
    ``#PLAYLIST:<title>`` and ``#EXTART:<artist>``; other ``#`` lines are comments.  Every
    other non-blank line is a location.  ``.m3u8`` must be UTF-8; ``.m3u`` may be Latin-1.
    """
    raw = read_playlist_bytes(path) if data is None else data
    text = decode_playlist_text(path, raw, legacy_encodings=path.suffix.lower() != ".m3u8")
    title = _stem(path)
    tracks: list[Track] = []
    problems: list[str] = []
    info: tuple[int, float | None, str, str] | None = None  # line, duration, artist, title
    album_artist = ""
    for lineno, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("#"):
            tag, _, value = line.partition(":")
            tag = tag.upper()
            if tag == "#EXTINF":
                if info is not None:
                    problems.append(f"line {info[0]}: #EXTINF without a file after it")
                info = _parse_extinf(value, lineno, problems)
            elif tag == "#PLAYLIST" and value.strip():
                title = value.strip()
            elif tag == "#EXTART":
                album_artist = value.strip()
            continue
        entry = _Entry(locations=[line], line=lineno, artist=album_artist)
        if info is not None:
            _, entry.duration_s, artist, entry.title = info
            entry.artist = artist or album_artist
            info = None
        tracks.append(_build_track(entry, path, problems))
    if info is not None:
        problems.append(f"line {info[0]}: #EXTINF without a file after it")
    return _flat(path, title, tracks, problems)


def _parse_extinf(value: str, lineno: int, problems: list[str]) -> tuple[int, float | None, str, str]:
    """``123 tvg-id="x",Artist - Title`` -> (line, 123.0, "Artist", "Title").

    The display text starts after the first comma outside double quotes, because attribute
    values (written by IPTV tools and some media managers) may contain commas.  It is read as
    VLC reads it (the player KAPDesk plays through, and the one most clinic playlists were made
    in; its own M3U test carries these cases): "Artist - Title" splits at the first " - ";
    otherwise ",Title" is a title with no artist and "Artist,Title" splits at the comma.
    """
    in_quotes, comma = False, -1
    for index, ch in enumerate(value):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            comma = index
            break
    head, display = (value[:comma], value[comma + 1 :]) if comma >= 0 else (value, "")
    number = head.strip().split(" ", 1)[0]
    duration: float | None = None
    if number:
        try:
            duration = _seconds(float(number))
        except ValueError:
            problems.append(f"line {lineno}: #EXTINF length {number!r} is not a number of seconds")
    return lineno, duration, *_extinf_artist_title(display)


def _extinf_artist_title(display: str) -> tuple[str, str]:
    if " - " not in display:
        artist, comma, title = display.partition(",")
        if comma and title.strip():
            return artist.strip(), title.strip()
    return split_artist_title(display)


# --------------------------------------------------------------------------- XSPF


@dataclass
class _Node:
    """An XML element with the line it starts on (ElementTree does not keep lines)."""

    ns: str
    tag: str
    line: int
    base: str | None  # the xml:base in force here (XML Base), None when no element sets one
    children: list[_Node] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts).strip()

    def is_xspf(self, tag: str) -> bool:
        # Files without the namespace declaration exist in the wild; accept them as XSPF.
        return self.tag == tag and self.ns in (XSPF_NS, "")


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _parse_xml(path: Path, data: bytes) -> _Node:
    """Parse with expat (the parser under xml.etree), keeping each element's line.

    Document type declarations are refused outright: a playlist never needs one, and refusing
    them shuts out entity-expansion ("billion laughs") and external-entity tricks without a
    third-party hardened parser.
    """
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    root: list[_Node] = []
    document_uri = Path(os.path.abspath(path)).as_uri()

    def refuse_doctype(*_args: object) -> None:
        message = "a <!DOCTYPE> or <!ENTITY> declaration; XSPF playlists have none, so it is refused"
        raise _Refused(parser.CurrentLineNumber, message)

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _, tag = name.rpartition(" ")
        base = stack[-1].base if stack else None
        if XML_BASE in attrs:  # relative to the parent's base, or to the file when none is set
            base = urljoin(base or document_uri, attrs[XML_BASE].strip())
        node = _Node(ns=ns, tag=tag, line=parser.CurrentLineNumber, base=base)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text_parts.append(data)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise PlaylistError(path, exc.line, exc.message) from None
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.errors.messages.get(exc.code, str(exc))
        raise PlaylistError(path, exc.lineno, f"malformed XML: {reason} (column {exc.offset + 1})") from None
    return root[0]


def read_xspf(path: Path, data: bytes | None = None) -> Playlist:
    """Read an XSPF playlist as VLC and other players write it.

    Per track: ``<location>`` (a URI; several are allowed and the first playable one wins),
    ``<title>``, ``<creator>``, ``<duration>`` in milliseconds.  ``<extension>`` elements (VLC
    writes its own ids and options there) and unknown elements are ignored.  ``xml:base`` on any
    element is honoured as XML Base says: a relative ``<location>`` is resolved against the
    nearest base, and a relative base against its parent's base or the playlist's own folder.
    """
    raw = read_playlist_bytes(path) if data is None else data
    root = _parse_xml(path, raw)
    if not root.is_xspf("playlist"):
        raise PlaylistError(path, root.line, f"not an XSPF playlist: the top element is <{root.tag}>, expected <playlist>")
    title = _stem(path)
    tracks: list[Track] = []
    problems: list[str] = []
    for child in root.children:
        if child.is_xspf("title") and child.text:
            title = child.text
        elif child.is_xspf("trackList"):
            for node in child.children:
                if node.is_xspf("track"):
                    tracks.append(_build_track(_xspf_entry(node, problems), path, problems, uri=True))
    return _flat(path, title, tracks, problems)


def _xspf_entry(node: _Node, problems: list[str]) -> _Entry:
    entry = _Entry(locations=[], line=node.line)
    for child in node.children:
        if child.is_xspf("location") and child.text:
            if not entry.locations:
                entry.line = child.line
            entry.locations.append(child.text)
            entry.targets.append(urljoin(child.base, child.text) if child.base else child.text)
        elif child.is_xspf("title"):
            entry.title = child.text
        elif child.is_xspf("creator"):
            entry.artist = child.text
        elif child.is_xspf("duration") and child.text:
            try:
                entry.duration_s = _seconds(int(child.text) / 1000)
            except ValueError:
                problems.append(f"line {child.line}: duration {child.text!r} is not a whole number of milliseconds")
    return entry


# --------------------------------------------------------------------------- PLS

_PLS_KEY = re.compile(r"^(file|title|length)(\d+)$", re.IGNORECASE)


def read_pls(path: Path, data: bytes | None = None) -> Playlist:
    """Read a PLS playlist: ``[playlist]``, then ``FileN=``, ``TitleN=``, ``LengthN=``.

    Entries are taken in the order of N; ``NumberOfEntries`` is checked, not trusted.  A title
    of the form "Artist - Title" is split like an M3U ``#EXTINF``.

    As VLC and other players do, text before ``[playlist]`` (a web page's leftovers, a stray
    line from an editor) is skipped, each such line noted as a problem; a file with no
    ``[playlist]`` line at all is not a PLS playlist.  A value in one pair of matching quotes
    (``File1="a b.mp3"``, as some writers put it) is taken without them.
    """
    raw = read_playlist_bytes(path) if data is None else data
    text = decode_playlist_text(path, raw, legacy_encodings=True)
    lines = text.split("\n")
    content = [n for n, line in enumerate(lines, 1) if line.strip() and not line.lstrip().startswith((";", "#"))]
    header_line = next((n for n in content if lines[n - 1].strip().lower() == "[playlist]"), None)
    if header_line is None:
        first = content[0] if content else 1
        raise PlaylistError(path, first, "not a PLS playlist: there is no [playlist] line (it should be the first line)")

    files: dict[int, tuple[str, int]] = {}
    titles: dict[int, str] = {}
    lengths: dict[int, float | None] = {}
    declared: tuple[int, int] | None = None
    problems: list[str] = [f"line {n}: text before [playlist], ignored" for n in content if n < header_line]
    for lineno in range(header_line + 1, len(lines) + 1):
        line = lines[lineno - 1].strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("["):  # another section: the [playlist] section has ended
            break
        key, sep, value = line.partition("=")
        key, value = key.strip(), _unquote(value.strip())
        if not sep:
            problems.append(f"line {lineno}: not a key=value line, ignored")
            continue
        match = _PLS_KEY.match(key)
        if match:
            kind, number = match.group(1).lower(), int(match.group(2))
            if kind == "file":
                if number in files:
                    problems.append(f"line {lineno}: File{number} appears twice; the first one is used")
                else:
                    files[number] = (value, lineno)
            elif kind == "title":
                titles[number] = value
            else:
                try:
                    lengths[number] = _seconds(float(value))
                except ValueError:
                    problems.append(f"line {lineno}: Length{number} {value!r} is not a number of seconds")
        elif key.lower() == "numberofentries":
            try:
                declared = (int(value), lineno)
            except ValueError:
                problems.append(f"line {lineno}: NumberOfEntries {value!r} is not a number")

    for number in sorted(set(titles) | set(lengths)):
        if number not in files:
            problems.append(f"entry {number} has a title or length but no File{number}")
    if declared is not None and declared[0] != len(files):
        problems.append(f"line {declared[1]}: NumberOfEntries says {declared[0]}, the file has {len(files)}")

    tracks: list[Track] = []
    for number in sorted(files):
        location, lineno = files[number]
        artist, title = split_artist_title(titles.get(number, ""))
        entry = _Entry(locations=[location], line=lineno, title=title, artist=artist, duration_s=lengths.get(number))
        tracks.append(_build_track(entry, path, problems))
    return _flat(path, _stem(path), tracks, problems)


def _unquote(value: str) -> str:
    """``"a b.mp3"`` or ``'a b.mp3'`` -> ``a b.mp3``; anything else as it is."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".m3u8", ".m3u", ".xspf", ".pls"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem
