"""The curated ``.kap.toml`` format, library resolution, and the playlists shipped in playlists/."""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import pytest
from conftest import make_wav

from kapdesk.playlists import SECTION_KEYS, PlaylistError, TrackStatus, load_playlist
from kapdesk.playlists.resolve import LIBRARY_ENV, LIBRARY_REASON

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "playlists"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
kapdesk_playlist = 1
title = "Test arc"

[[section]]
key = "pre-onset"

[[section.tracks]]
title = "Calm One"
artist = "Composer A"
duration = "2:30"
location = "audio/one.wav"

[[section]]
key = "peak"
title = "The wide part"

[[section.tracks]]
title = "Für Alina"
artist = "Arvo Pärt"
duration = 650

[[section.tracks]]
title = "Spiegel im Spiegel"
artist = "Arvo Pärt"
duration = "1:00:05.5"
location = "missing.wav"

[[section]]
key = "return"

[[section.tracks]]
title = "Song With Words"
artist = "Singer B"
has_lyrics = true
location = "audio/one.wav"
"""


def test_good_curated_file(tmp_path: Path) -> None:
    audio = make_wav(tmp_path / "audio" / "one.wav")
    playlist = load_playlist(write(tmp_path / "arc.kap.toml", GOOD), library_roots=[])

    assert playlist.title == "Test arc"
    assert [(s.key, s.title) for s in playlist.sections] == [
        ("pre-onset", "Pre-onset"),
        ("peak", "The wide part"),
        ("return", "Return"),
    ]
    calm, alina, spiegel, song = playlist.tracks
    assert (calm.title, calm.artist, calm.duration_s, calm.line) == ("Calm One", "Composer A", 150.0, 11)
    assert calm.playable and calm.path == audio and calm.location == "audio/one.wav"
    assert (alina.duration_s, alina.location, alina.line) == (650.0, "", 17)
    assert alina.status is TrackStatus.MISSING and alina.reason.startswith(LIBRARY_REASON)
    assert spiegel.duration_s == 3605.5
    assert spiegel.status is TrackStatus.MISSING and spiegel.reason == "file not found"
    assert song.has_lyrics and not calm.has_lyrics
    assert playlist.problems == ("no 'onset' section", "no 're-entry' section")


def test_lyrics_in_the_peak_are_noted_not_fatal(tmp_path: Path) -> None:
    text = GOOD.replace('duration = 650\n', 'duration = 650\nhas_lyrics = true\n')
    playlist = load_playlist(write(tmp_path / "arc.kap.toml", text), library_roots=[])
    assert "line 17: 'Für Alina' has lyrics; the peak should have none" in playlist.problems


def error_for(tmp_path: Path, text: str) -> PlaylistError:
    path = write(tmp_path / "bad.kap.toml", text)
    with pytest.raises(PlaylistError) as caught:
        load_playlist(path, library_roots=[])
    assert str(caught.value).startswith(str(path))
    return caught.value


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('artist = "Composer A"', 'artist = Composer A'))
    assert error.line == 9
    assert "not valid TOML" in str(error)


def test_unknown_track_key_names_line_field_and_suggests(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace('has_lyrics = true', 'has_lyric = true'))
    assert error.line == 34
    assert error.detail == "section 3, track 1: field 'has_lyric': not a known field (did you mean 'has_lyrics'?)"


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("duration = 650", 'duration = "ten minutes"', 20, "duration"),
        ("duration = 650", "duration = -3", 20, "duration"),
        ("duration = 650", 'duration = "1:75"', 20, "duration"),
        ("has_lyrics = true", 'has_lyrics = "yes"', 34, "has_lyrics"),
        ('title = "Für Alina"', "title = 7", 18, "title"),
        ('title = "Für Alina"', 'title = "  "', 18, "title"),
        ('location = "missing.wav"', "location = [1]", 26, "location"),
        ('key = "peak"', 'key = "plateau"', 14, "key"),
        ('title = "Test arc"', "title = true", 2, "title"),
        ("kapdesk_playlist = 1", "kapdesk_playlist = 2", 1, "kapdesk_playlist"),
    ],
)
def test_bad_values_name_line_and_field(tmp_path: Path, old: str, new: str, line: int, field: str) -> None:
    assert old in GOOD
    error = error_for(tmp_path, GOOD.replace(old, new, 1))
    assert error.line == line
    assert f"field '{field}'" in error.detail


def test_value_error_in_a_later_track_finds_that_tracks_line(tmp_path: Path) -> None:
    # The same key appears in several tracks; the message must point at the offending one.
    error = error_for(tmp_path, GOOD.replace('duration = "1:00:05.5"', "duration = false"))
    assert error.line == 25
    assert error.detail.startswith("section 2, track 2: field 'duration'")


def test_section_rules(tmp_path: Path) -> None:
    out_of_order = GOOD.replace('key = "peak"', 'key = "onset-x"').replace('key = "onset-x"', 'key = "return"', 1)
    error = error_for(tmp_path, out_of_order)
    assert "appears twice" in error.detail and error.line == 29

    swapped = GOOD.replace('key = "pre-onset"', 'key = "TMP"').replace('key = "peak"', 'key = "pre-onset"').replace('key = "TMP"', 'key = "peak"')
    error = error_for(tmp_path, swapped)
    assert "comes after 'peak'" in error.detail and error.line == 14

    assert "no sections" in error_for(tmp_path, 'kapdesk_playlist = 1\ntitle = "x"\n').detail
    unknown_top = error_for(tmp_path, GOOD.replace('title = "Test arc"', 'title = "Test arc"\nauthor = "someone"'))
    assert unknown_top.line == 3 and "field 'author'" in unknown_top.detail


def test_missing_version_says_what_the_file_should_start_with(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("kapdesk_playlist = 1\n", ""))
    assert "kapdesk_playlist = 1" in error.detail


# --------------------------------------------------------------------------- the music library

REFERENCE = """\
kapdesk_playlist = 1
title = "Reference"

[[section]]
key = "peak"

[[section.tracks]]
title = "Für Alina"
artist = "Arvo Pärt"

[[section.tracks]]
title = "Return"
artist = "Composer C"

[[section.tracks]]
title = "Fratres (for violin and piano)"
artist = "Arvo Pärt"
match = "Fratres"

[[section.tracks]]
title = "Moved Piece"
artist = "Composer D"
location = "old/place/moved.wav"

[[section.tracks]]
title = "Not Owned"
artist = "Nobody"
"""


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    make_wav(root / "loose" / "arvo_part - fur alina.wav")  # accents and case dropped by a ripper
    make_wav(root / "Composer C" / "Album" / "03 - Return.wav")  # title-only, artist in folder
    make_wav(root / "Someone Else" / "Album" / "01 Return.wav")  # the same title by another artist
    make_wav(root / "Arvo Part" / "Tabula Rasa" / "1-02 Fratres.wav")
    make_wav(root / "Composer D - Moved Piece.wav")
    (root / "Nobody - Not Owned.mp3").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))  # not audio: skipped
    return root


def test_reference_entries_resolve_against_the_library(tmp_path: Path, library: Path) -> None:
    playlist = load_playlist(write(tmp_path / "lists" / "ref.kap.toml", REFERENCE), library_roots=[library])
    alina, ret, fratres, moved, not_owned = playlist.tracks
    assert alina.playable and alina.path == library / "loose" / "arvo_part - fur alina.wav"
    assert ret.playable and ret.path == library / "Composer C" / "Album" / "03 - Return.wav"
    assert fratres.playable and fratres.path == library / "Arvo Part" / "Tabula Rasa" / "1-02 Fratres.wav"
    assert moved.playable and moved.path == library / "Composer D - Moved Piece.wav"
    assert moved.location == "old/place/moved.wav"
    assert not_owned.status is TrackStatus.MISSING
    assert not_owned.reason == LIBRARY_REASON


def test_ambiguous_title_without_the_artist_in_the_path_is_not_guessed(tmp_path: Path, library: Path) -> None:
    make_wav(library / "Composer E" / "Return.wav")
    text = REFERENCE.replace('artist = "Composer C"', 'artist = "Composer Z"')
    playlist = load_playlist(write(tmp_path / "ref.kap.toml", text), library_roots=[library])
    ret = playlist.tracks[1]
    assert ret.status is TrackStatus.MISSING and ret.reason == LIBRARY_REASON


def test_library_from_environment_variable(tmp_path: Path, library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIBRARY_ENV, f"{tmp_path / 'nonexistent'}{os.pathsep}{library}")
    playlist = load_playlist(write(tmp_path / "ref.kap.toml", REFERENCE))
    assert sum(t.playable for t in playlist.tracks) == 4
    # An explicit empty list means "no library", whatever the environment says.
    assert not any(t.playable for t in load_playlist(tmp_path / "ref.kap.toml", library_roots=[]).tracks)


# --------------------------------------------------------------------------- shipped playlists


def opus_duration_s(path: Path) -> float:
    """Length of an Ogg Opus file: the last page's granule position (48 kHz) minus pre-skip."""
    data = path.read_bytes()
    assert data[28:36] == b"OpusHead"
    pre_skip = struct.unpack_from("<H", data, 38)[0]
    last = data.rindex(b"OggS")
    granule = struct.unpack_from("<q", data, last + 6)[0]
    return (granule - pre_skip) / 48000


def test_shipped_demo_playlist_resolves_fully() -> None:
    playlist = load_playlist(SHIPPED / "demo-ambient.kap.toml", library_roots=[])
    assert [s.key for s in playlist.sections] == list(SECTION_KEYS)
    assert all(1 <= len(s.tracks) <= 2 for s in playlist.sections)
    assert playlist.problems == ()
    for track in playlist.tracks:
        assert track.playable, (track.title, track.reason)
        assert track.path is not None and track.path.parent == SHIPPED / "audio"
        assert not track.has_lyrics
        actual = opus_duration_s(track.path)
        assert 90 <= actual <= 180
        assert track.duration_s is not None and abs(actual - track.duration_s) < 1.0


def test_shipped_audio_is_small_and_all_listed() -> None:
    files = sorted((SHIPPED / "audio").iterdir())
    assert sum(f.stat().st_size for f in files) < 10 * 1024 * 1024
    listed = {t.path for t in load_playlist(SHIPPED / "demo-ambient.kap.toml", library_roots=[]).tracks}
    assert set(files) == listed


def test_shipped_reference_playlist_is_a_three_hour_arc() -> None:
    playlist = load_playlist(SHIPPED / "kap-reference-3h.kap.toml", library_roots=[])
    assert [s.key for s in playlist.sections] == list(SECTION_KEYS)
    total = sum(t.duration_s or 0 for t in playlist.tracks)
    assert 2.75 * 3600 <= total <= 3.25 * 3600
    assert all(t.duration_s for t in playlist.tracks)
    peak = playlist.section("peak")
    assert peak is not None and peak.tracks and not any(t.has_lyrics for t in peak.tracks)
    assert all(t.location == "" and t.status is TrackStatus.MISSING for t in playlist.tracks)
    assert all(t.reason.startswith(LIBRARY_REASON) for t in playlist.tracks)
    assert playlist.problems == ()


def test_shipped_reference_playlist_finds_what_a_clinic_owns(tmp_path: Path) -> None:
    make_wav(tmp_path / "Arvo Pärt" / "Alina" / "02 Für Alina.wav")
    make_wav(tmp_path / "Brian Eno - 1_1.wav")
    playlist = load_playlist(SHIPPED / "kap-reference-3h.kap.toml", library_roots=[tmp_path])
    assert {t.title for t in playlist.tracks if t.playable} == {"Für Alina", "1/1"}


def test_readme_example_is_a_valid_playlist(tmp_path: Path) -> None:
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    make_wav(tmp_path / "audio" / "01-still-water.wav")
    text = example.group(1).replace("01-still-water.opus", "01-still-water.wav")
    playlist = load_playlist(write(tmp_path / "example.kap.toml", text), library_roots=[])
    assert [s.key for s in playlist.sections] == ["pre-onset", "peak", "return"]
    assert playlist.tracks[0].playable
