"""M3U/M3U8, XSPF and PLS readers, location resolution and audio sniffing.

Every playlist here is written into ``tmp_path`` byte for byte, so the odd real-world details
(BOM, CRLF, Latin-1, backslashes, percent-encoding) are exactly what the test says they are.
Audio fixtures are tiny real WAV files made with the stdlib ``wave`` module.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import make_wav

from kapdesk.playlists import PlaylistError, TrackStatus, load_playlist
from kapdesk.playlists.formats import decode_playlist_text, read_m3u
from kapdesk.playlists.resolve import (
    NETWORK_REASON,
    examine,
    normalise_name,
    resolve_location,
    sniff_audio,
)

POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="drive letters are real paths on Windows")


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


# --------------------------------------------------------------------------- M3U


def test_m3u8_with_bom_crlf_extinf_and_unicode_titles(tmp_path: Path) -> None:
    make_wav(tmp_path / "Music" / "Für Alina.wav")
    make_wav(tmp_path / "Music" / "spiegel.wav")
    text = (
        "#EXTM3U\r\n"
        "#PLAYLIST:Abend\r\n"
        "#EXTINF:652,Arvo Pärt - Für Alina\r\n"
        "Music/Für Alina.wav\r\n"
        "\r\n"
        "#EXTINF:-1,Spiegel im Spiegel\r\n"
        "Music/spiegel.wav\r\n"
    )
    playlist = load_playlist(write(tmp_path / "abend.m3u8", b"\xef\xbb\xbf" + text.encode()))

    assert playlist.title == "Abend"
    assert [s.key for s in playlist.sections] == ["all"]
    first, second = playlist.tracks
    assert (first.artist, first.title, first.duration_s, first.line) == ("Arvo Pärt", "Für Alina", 652.0, 4)
    assert first.status is TrackStatus.OK and first.playable
    assert first.path == tmp_path / "Music" / "Für Alina.wav"
    assert first.location == "Music/Für Alina.wav"
    assert (second.artist, second.title, second.duration_s, second.line) == ("", "Spiegel im Spiegel", None, 7)
    assert second.playable
    assert playlist.problems == ()


def test_plain_m3u_in_latin1_and_title_from_file_name(tmp_path: Path) -> None:
    make_wav(tmp_path / "Für Alina.wav")
    playlist = load_playlist(write(tmp_path / "old.m3u", "Für Alina.wav\n", encoding="latin-1"))
    (track,) = playlist.tracks
    assert track.title == "Für Alina"
    assert track.playable
    assert playlist.title == "old"


def test_m3u8_that_is_not_utf8_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.m3u8", "#EXTM3U\na.wav\nF\xfcr Alina.wav\n", encoding="latin-1")
    with pytest.raises(PlaylistError) as caught:
        load_playlist(path)
    assert str(caught.value).startswith(f"{path}:3:")
    assert "UTF-8" in str(caught.value)


def test_extinf_attributes_with_commas_and_dangling_extinf(tmp_path: Path) -> None:
    make_wav(tmp_path / "a.wav")
    text = '#EXTM3U\n#EXTINF:90 group-title="Calm, slow",Artist X - Title, with comma\na.wav\n#EXTINF:10,Nothing follows\n'
    playlist = load_playlist(write(tmp_path / "p.m3u", text))
    (track,) = playlist.tracks
    assert (track.artist, track.title, track.duration_s) == ("Artist X", "Title, with comma", 90.0)
    assert playlist.problems == ("line 4: #EXTINF without a file after it",)


def test_extinf_artist_comma_title_read_as_vlc_does(tmp_path: Path) -> None:
    # The cases of VLC's own M3U demux test (test/modules/demux/m3u.c): after the length and the
    # first comma, "artist - title", ",title" (no artist) and "artist,title" are all understood.
    for name in ("a", "b", "c", "d", "e"):
        make_wav(tmp_path / f"{name}.wav")
    text = (
        "#EXTM3U\n"
        "#EXTINF: 1\na.wav\n"
        "#EXTINF: 3,artist3 - name3\nb.wav\n"
        "#EXTINF: 4,,name4\nc.wav\n"
        "#EXTINF: 5,artist5,name5\nd.wav\n"
        "#EXTINF:6,Pärt - Für Alina, for piano\ne.wav\n"
    )
    tracks = load_playlist(write(tmp_path / "vlc.m3u8", text)).tracks
    assert [(t.artist, t.title, t.duration_s) for t in tracks] == [
        ("", "a", 1.0),
        ("artist3", "name3", 3.0),
        ("", "name4", 4.0),
        ("artist5", "name5", 5.0),
        ("Pärt", "Für Alina, for piano", 6.0),  # " - " first: a comma after it stays in the title
    ]


def test_cp1251_title_and_file_name_are_not_mojibake(tmp_path: Path) -> None:
    make_wav(tmp_path / "Тишина.wav")
    text = "#EXTM3U\r\n#EXTINF:300,Тишина\r\nТишина.wav\r\n"
    (track,) = load_playlist(write(tmp_path / "ru.m3u", text, encoding="cp1251")).tracks
    assert (track.title, track.playable) == ("Тишина", True)

    pls = "[playlist]\nFile1=Тишина.wav\nTitle1=Спокойствие - Тишина\n"
    (track,) = load_playlist(write(tmp_path / "ru.pls", pls, encoding="cp1251")).tracks
    assert (track.artist, track.title, track.playable) == ("Спокойствие", "Тишина", True)


def test_cp1252_text_still_reads_as_western(tmp_path: Path) -> None:
    make_wav(tmp_path / "Café.wav")
    make_wav(tmp_path / "Été.wav")
    text = "#EXTINF:200,Café\nCafé.wav\n#EXTINF:10,Été – “Nocturne”\nÉté.wav\n"
    first, second = load_playlist(write(tmp_path / "west.m3u", text, encoding="cp1252")).tracks
    assert (first.title, first.playable) == ("Café", True)
    assert (second.title, second.playable) == ("Été – “Nocturne”", True)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Für Alina", "cp1252"),
        ("Ólafur Arnalds – Saman", "cp1252"),
        ("Sigur Rós – Ágætis byrjun", "cp1252"),
        ("Ça ira, élan, façade", "cp1252"),
        ("Тишина", "cp1251"),
        ("ПОКОЙ № 2 — «Вечер»", "cp1251"),
        ("Чайковский - Времена года", "cp1251"),
    ],
)
def test_legacy_code_page_is_recognised(tmp_path: Path, text: str, encoding: str) -> None:
    assert decode_playlist_text(tmp_path / "x.m3u", text.encode(encoding), legacy_encodings=True) == text


def test_windows_backslash_relative_path_resolves_against_playlist_folder(tmp_path: Path) -> None:
    make_wav(tmp_path / "Music" / "Calm" / "x.wav")
    playlist = load_playlist(write(tmp_path / "lists" / "win.m3u", "..\\Music\\Calm\\x.wav\r\n"))
    (track,) = playlist.tracks
    assert track.playable
    assert track.path == tmp_path / "Music" / "Calm" / "x.wav"
    assert track.location == "..\\Music\\Calm\\x.wav"


@POSIX_ONLY
def test_windows_drive_and_unc_paths_are_missing_with_a_reason(tmp_path: Path) -> None:
    text = "C:\\Music\\x.flac\r\n\\\\clinic-nas\\music\\y.flac\r\nfile:///D:/Music/z.flac\r\n"
    drive, unc, uri = load_playlist(write(tmp_path / "win.m3u", text)).tracks
    assert drive.status is TrackStatus.MISSING and drive.path is None
    assert "drive C:" in drive.reason
    assert unc.status is TrackStatus.MISSING and "network share" in unc.reason
    assert uri.status is TrackStatus.MISSING and "drive D:" in uri.reason


def test_network_streams_are_never_played(tmp_path: Path) -> None:
    text = "#EXTM3U\nhttp://radio.example/stream\nhttps://example.org/a.mp3\n"
    tracks = load_playlist(write(tmp_path / "net.m3u8", text)).tracks
    assert [(t.status, t.reason, t.path) for t in tracks] == [(TrackStatus.MISSING, NETWORK_REASON, None)] * 2


def test_missing_and_absolute_entries(tmp_path: Path) -> None:
    real = make_wav(tmp_path / "elsewhere" / "a.wav")
    text = f"{real}\nnot-here.flac\n"
    present, absent = load_playlist(write(tmp_path / "lists" / "p.m3u", text)).tracks
    assert present.playable and present.path == real
    assert absent.status is TrackStatus.MISSING
    assert absent.reason == "file not found"
    assert absent.path == tmp_path / "lists" / "not-here.flac"  # where we looked, for the check output


def test_percent_encoded_relative_path_in_m3u_is_decoded_when_literal_is_absent(tmp_path: Path) -> None:
    make_wav(tmp_path / "a b.wav")
    (track,) = load_playlist(write(tmp_path / "p.m3u", "a%20b.wav\n")).tracks
    assert track.playable and track.path == tmp_path / "a b.wav"


def test_non_audio_unreadable_and_folder_entries(tmp_path: Path) -> None:
    write(tmp_path / "cover.mp3", b"\x89PNG\r\n\x1a\n" + bytes(64))  # an image renamed .mp3
    write(tmp_path / "notes.txt", "Session notes, not music.\n")
    write(tmp_path / "lyrics.flac", "words words words\n")  # text behind an audio extension
    write(tmp_path / "empty.mp3", b"")
    write(tmp_path / "garbage.flac", bytes(range(130, 256)) * 8)
    (tmp_path / "a folder").mkdir()
    text = "cover.mp3\nnotes.txt\nlyrics.flac\nempty.mp3\ngarbage.flac\na folder\n"
    tracks = load_playlist(write(tmp_path / "p.m3u8", text)).tracks
    assert [t.status for t in tracks] == [
        TrackStatus.NOT_AUDIO,
        TrackStatus.NOT_AUDIO,
        TrackStatus.NOT_AUDIO,
        TrackStatus.UNREADABLE,
        TrackStatus.UNREADABLE,
        TrackStatus.NOT_AUDIO,
    ]
    assert "PNG image" in tracks[0].reason
    assert "text file" in tracks[1].reason
    assert "empty" in tracks[3].reason
    assert "damaged" in tracks[4].reason
    assert "folder" in tracks[5].reason
    assert not any(t.playable for t in tracks)


def test_truncated_wav_is_unreadable(tmp_path: Path) -> None:
    whole = make_wav(tmp_path / "whole.wav", seconds=0.5).read_bytes()
    write(tmp_path / "cut.wav", whole[: len(whole) // 2])  # a copy interrupted halfway
    write(tmp_path / "header-only.wav", whole[:30])
    assert sniff_audio(tmp_path / "whole.wav").status is TrackStatus.OK
    assert sniff_audio(tmp_path / "cut.wav").status is TrackStatus.UNREADABLE
    assert "truncated" in sniff_audio(tmp_path / "cut.wav").reason
    assert sniff_audio(tmp_path / "header-only.wav").status is TrackStatus.UNREADABLE


def test_permission_error_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot lock root out, so the error is raised where the sniffer opens the file.
    locked = make_wav(tmp_path / "locked.wav")
    real_open = Path.open

    def refusing_open(self: Path, *args: object, **kwargs: object):  # noqa: ANN202
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refusing_open)
    (track,) = load_playlist(write(tmp_path / "p.m3u", "locked.wav\n")).tracks
    assert track.status is TrackStatus.UNREADABLE
    assert "permission denied" in track.reason


def test_self_reference_and_nested_playlists_are_not_followed(tmp_path: Path) -> None:
    write(tmp_path / "other.xspf", '<playlist xmlns="http://xspf.org/ns/0/"><trackList/></playlist>')
    write(tmp_path / "renamed-list.wav", "#EXTM3U\nsomething.flac\n")
    text = "#EXTM3U\nself.m3u8\n./self.m3u8\nother.xspf\nrenamed-list.wav\n"
    playlist = load_playlist(write(tmp_path / "self.m3u8", text))
    itself, again, other, renamed = playlist.tracks
    assert itself.status is TrackStatus.NOT_AUDIO and "playlist itself" in itself.reason
    assert again.status is TrackStatus.NOT_AUDIO and "playlist itself" in again.reason
    assert other.status is TrackStatus.NOT_AUDIO and "another playlist" in other.reason
    assert renamed.status is TrackStatus.NOT_AUDIO and "a playlist" in renamed.reason
    assert "line 2: this is the playlist itself, not a track" in playlist.problems
    assert any(p.startswith("line 4:") for p in playlist.problems)


def test_binary_garbage_named_m3u_is_an_error(tmp_path: Path) -> None:
    with_nul = write(tmp_path / "a.m3u", b"#EXTM3U\nok.wav\n\x00\x01\x02\xff")
    with pytest.raises(PlaylistError) as caught:
        load_playlist(with_nul)
    assert str(caught.value).startswith(f"{with_nul}:3:") and "binary" in str(caught.value)

    no_nul = write(tmp_path / "b.m3u", bytes(range(1, 32)) * 4 + bytes(range(128, 256)))
    with pytest.raises(PlaylistError, match="binary"):
        load_playlist(no_nul)


def test_missing_playlist_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(PlaylistError, match="no such playlist file"):
        load_playlist(tmp_path / "absent.m3u")
    with pytest.raises(PlaylistError, match="does not exist") as caught:
        load_playlist(tmp_path / "no-such-folder" / "x.m3u")
    assert str(tmp_path / "no-such-folder") in str(caught.value)
    with pytest.raises(PlaylistError, match="a folder, not a playlist"):
        load_playlist(tmp_path)


def test_unknown_format_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PlaylistError, match="not a playlist KAPDesk reads"):
        load_playlist(write(tmp_path / "list.doc", "hello\n"))


def test_content_wins_over_extension(tmp_path: Path) -> None:
    make_wav(tmp_path / "a.wav")
    playlist = load_playlist(write(tmp_path / "really-pls.m3u", "[playlist]\nFile1=a.wav\nNumberOfEntries=1\n"))
    assert [t.title for t in playlist.tracks] == ["a"]
    assert playlist.tracks[0].line == 2


def test_read_m3u_directly_with_utf16_bom(tmp_path: Path) -> None:
    make_wav(tmp_path / "a.wav")
    path = write(tmp_path / "notepad.m3u", "\ufeff#EXTINF:5,Für Alina\r\na.wav\r\n".encode("utf-16-le"))
    (track,) = read_m3u(path).tracks
    assert (track.title, track.line, track.playable) == ("Für Alina", 2, True)


# --------------------------------------------------------------------------- XSPF


def vlc_xspf(locations: list[str]) -> str:
    tracks = "".join(
        f"""
\t\t<track>
\t\t\t<location>{loc}</location>
\t\t\t<title>Title {i}</title>
\t\t\t<creator>Artist {i}</creator>
\t\t\t<duration>{(i + 1) * 61500}</duration>
\t\t\t<extension application="http://www.videolan.org/vlc/playlist/0">
\t\t\t\t<vlc:id>{i}</vlc:id>
\t\t\t\t<vlc:option>start-time=0</vlc:option>
\t\t\t</extension>
\t\t</track>"""
        for i, loc in enumerate(locations)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<playlist xmlns="http://xspf.org/ns/0/" xmlns:vlc="http://www.videolan.org/vlc/playlist/ns/0/" version="1">
\t<title>Wiedergabeliste</title>
\t<trackList>{tracks}
\t</trackList>
\t<extension application="http://www.videolan.org/vlc/playlist/0">
\t\t<vlc:item tid="0"/>
\t</extension>
</playlist>
"""


def test_xspf_as_vlc_exports_it(tmp_path: Path) -> None:
    unicode_file = make_wav(tmp_path / "Music" / "Spiegel im Spiegel – Pärt.wav")
    spaced = make_wav(tmp_path / "Music" / "with space.wav")
    locations = [
        "file://" + quote(str(unicode_file)),  # percent-encoded UTF-8, as VLC writes it
        "Music/with%20space.wav",  # a relative URI reference
        "file:///nowhere/at%20all.flac",
    ]
    playlist = load_playlist(write(tmp_path / "vlc.xspf", vlc_xspf(locations)))

    assert playlist.title == "Wiedergabeliste"
    first, second, third = playlist.tracks
    assert first.playable and first.path == unicode_file
    assert (first.title, first.artist, first.duration_s) == ("Title 0", "Artist 0", 61.5)
    assert first.line == 6  # the <location> line, not the <track> line (5)
    assert second.playable and second.path == spaced
    assert second.duration_s == 123.0
    assert third.status is TrackStatus.MISSING and third.path == Path("/nowhere/at all.flac")
    assert playlist.problems == ()


def test_xspf_several_locations_first_playable_wins_and_bad_duration_noted(tmp_path: Path) -> None:
    make_wav(tmp_path / "b.wav")
    text = """<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>
<track><location>a.wav</location><location>b.wav</location><duration>long</duration></track>
</trackList></playlist>"""
    playlist = load_playlist(write(tmp_path / "p.xspf", text))
    (track,) = playlist.tracks
    assert track.location == "b.wav" and track.playable and track.title == "b"
    assert playlist.problems == ("line 2: duration 'long' is not a whole number of milliseconds",)


def test_xspf_xml_base_on_playlist_and_track(tmp_path: Path) -> None:
    # XML Base: a relative xml:base is relative to the playlist's folder, a nested one to its
    # parent's base, and each <location> to the base of its own element.
    on_list = make_wav(tmp_path / "Music" / "a b.wav")
    on_track = make_wav(tmp_path / "Music" / "Calm" / "c.wav")
    absolute = make_wav(tmp_path / "elsewhere" / "d.wav")
    text = f"""<?xml version="1.0"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/" xml:base="../Music/">
<trackList>
<track><location>a%20b.wav</location></track>
<track xml:base="Calm/"><location>c.wav</location></track>
<track xml:base="{(tmp_path / "elsewhere").as_uri()}/"><location>d.wav</location></track>
<track><location xml:base="http://radio.example/">live</location></track>
</trackList></playlist>"""
    a, c, d, live = load_playlist(write(tmp_path / "lists" / "based.xspf", text)).tracks
    assert a.playable and a.path == on_list
    assert a.location == "a%20b.wav" and a.title == "a b"  # as written, for the check output
    assert c.playable and c.path == on_track
    assert d.playable and d.path == absolute
    assert live.status is TrackStatus.MISSING and live.reason == NETWORK_REASON


def test_malformed_xspf_names_the_line(tmp_path: Path) -> None:
    text = vlc_xspf(["a.wav"]).replace("</creator>", "</creatorr>")
    path = write(tmp_path / "broken.xspf", text)
    with pytest.raises(PlaylistError) as caught:
        load_playlist(path)
    assert caught.value.line == 8  # the line of </creatorr>
    assert str(caught.value).startswith(f"{path}:8: malformed XML")


def test_xspf_with_doctype_or_entities_is_refused(tmp_path: Path) -> None:
    text = """<?xml version="1.0"?>
<!DOCTYPE playlist [
  <!ENTITY lol "lollollollollollollol">
]>
<playlist xmlns="http://xspf.org/ns/0/"><title>&lol;</title><trackList/></playlist>
"""
    path = write(tmp_path / "evil.xspf", text)
    with pytest.raises(PlaylistError, match="DOCTYPE") as caught:
        load_playlist(path)
    assert caught.value.line == 2


def test_xml_that_is_not_xspf(tmp_path: Path) -> None:
    with pytest.raises(PlaylistError, match="expected <playlist>"):
        load_playlist(write(tmp_path / "x.xspf", "<?xml version='1.0'?>\n<html><body/></html>"))


# --------------------------------------------------------------------------- PLS


def test_pls_entries_titles_lengths_and_count_check(tmp_path: Path) -> None:
    make_wav(tmp_path / "one.wav")
    make_wav(tmp_path / "two.wav")
    text = (
        "\r\n[playlist]\r\n"
        "File2=two.wav\r\nTitle2=Ólafur Arnalds - Saman\r\nLength2=167\r\n"
        "File1=one.wav\r\nTitle1=Für Alina\r\nLength1=-1\r\n"
        "NumberOfEntries=3\r\nVersion=2\r\n"
    )
    playlist = load_playlist(write(tmp_path / "radio.pls", text))
    one, two = playlist.tracks
    assert (one.title, one.artist, one.duration_s, one.line) == ("Für Alina", "", None, 6)
    assert (two.title, two.artist, two.duration_s, two.line) == ("Saman", "Ólafur Arnalds", 167.0, 3)
    assert one.playable and two.playable
    assert playlist.problems == ("line 9: NumberOfEntries says 3, the file has 2",)


def test_pls_without_playlist_header_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.pls", "; exported\nFile1=a.wav\n")
    with pytest.raises(PlaylistError, match=r"\[playlist\]") as caught:
        load_playlist(path)
    assert caught.value.line == 2


def test_pls_junk_before_header_is_skipped_and_noted(tmp_path: Path) -> None:
    make_wav(tmp_path / "a.wav")
    text = "garbage line from a web page\n; comment\n[playlist]\nFile1=a.wav\nNumberOfEntries=1\n"
    playlist = load_playlist(write(tmp_path / "junk.pls", text))
    (track,) = playlist.tracks
    assert track.playable and track.line == 4
    assert playlist.problems == ("line 1: text before [playlist], ignored",)

    html = "<html><body>saved from the radio's page</body></html>\n[playlist]\nFile1=a.wav\n"
    playlist = load_playlist(write(tmp_path / "saved.pls", html))
    assert [t.playable for t in playlist.tracks] == [True]
    assert playlist.problems == ("line 1: text before [playlist], ignored",)


def test_pls_quoted_values_lose_one_pair_of_quotes(tmp_path: Path) -> None:
    make_wav(tmp_path / "a b.wav")
    make_wav(tmp_path / "c.wav")
    make_wav(tmp_path / "'odd\".wav")
    text = (
        "[playlist]\n"
        'File1="a b.wav"\nTitle1="Arvo Pärt - Für Alina"\n'
        "File2='c.wav'\nTitle2='Calm'\n"
        "File3='odd\".wav\n"  # not a matching pair: taken as written
    )
    first, second, third = load_playlist(write(tmp_path / "quoted.pls", text)).tracks
    assert first.playable and first.path == tmp_path / "a b.wav"
    assert (first.artist, first.title) == ("Arvo Pärt", "Für Alina")
    assert second.playable and second.title == "Calm"
    assert third.playable


# --------------------------------------------------------------------------- sniffing and names


def mpeg_frame() -> bytes:
    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes per frame.
    header = b"\xff\xfb\x90\x00"
    return header + bytes(413)


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("a.opus", b"OggS\x00\x02" + bytes(20) + b"\x01\x13" + b"OpusHead" + bytes(11), TrackStatus.OK),
        ("a.ogg", b"OggS\x00\x02" + bytes(20) + b"\x01\x1e" + b"\x01vorbis" + bytes(22), TrackStatus.OK),
        ("a.ogv", b"OggS\x00\x02" + bytes(20) + b"\x01\x2a" + b"\x80theora" + bytes(34), TrackStatus.NOT_AUDIO),
        ("a.flac", b"fLaC\x80\x00\x00\x22" + bytes(34), TrackStatus.OK),
        ("a.flac", b"fLaC\x80\x00", TrackStatus.UNREADABLE),
        ("a.mp3", mpeg_frame() * 3, TrackStatus.OK),
        ("a.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10) + mpeg_frame() * 2, TrackStatus.OK),
        ("a.mp3", b"ID3\x04\x00\x00\x00\x00\x01\x00" + bytes(128), TrackStatus.UNREADABLE),  # tag, then nothing
        ("a.mp3", b"\xff\xfb" + bytes(100), TrackStatus.UNREADABLE),  # a sync word is not enough
        ("a.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(64), TrackStatus.OK),
        ("a.mp4", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2" + bytes(64), TrackStatus.OK),
        ("a.aiff", b"FORM\x00\x00\x10\x00AIFFCOMM" + bytes(80), TrackStatus.OK),
        ("a.aac", b"\xff\xf1\x50\x80" + bytes(60), TrackStatus.OK),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(60), TrackStatus.NOT_AUDIO),
        ("doc.pdf", b"%PDF-1.7\n" + bytes(60), TrackStatus.NOT_AUDIO),
    ],
)
def test_sniffing_by_magic_bytes(tmp_path: Path, name: str, content: bytes, status: TrackStatus) -> None:
    assert examine(write(tmp_path / name, content)).status is status


def test_midi_is_named_as_midi(tmp_path: Path) -> None:
    smf = b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"
    rmid = b"RIFF\x24\x00\x00\x00RMIDdata\x18\x00\x00\x00" + smf
    for name, content in (("song.mid", smf), ("song.rmi", rmid), ("renamed.mp3", smf)):
        verdict = examine(write(tmp_path / name, content))
        assert verdict.status is TrackStatus.NOT_AUDIO, name
        assert verdict.reason == "a MIDI file: KAPDesk plays recorded audio, not MIDI", name


def test_location_forms(tmp_path: Path) -> None:
    assert resolve_location("", tmp_path).path is None
    assert resolve_location("file://localhost/tmp/a%C3%BC.flac", tmp_path).path == Path("/tmp/aü.flac")
    assert "another computer" in resolve_location("file://server/share/a.flac", tmp_path).reason
    assert resolve_location("Track: One.wav", tmp_path).path == tmp_path / "Track: One.wav"
    assert resolve_location("x/../a.wav", tmp_path).path == tmp_path / "a.wav"
    assert "not local" in resolve_location("cdda://sr0/1", tmp_path).reason


def test_normalise_name_folds_case_accents_and_punctuation() -> None:
    assert normalise_name("Arvo Pärt – Für Alina") == normalise_name("arvo_part-FUR  alina") == "arvo part fur alina"
    assert normalise_name("Hildur Guðnadóttir") == "hildur gudnadottir"
    assert normalise_name("1/1") == normalise_name("1_1") == "1 1"
