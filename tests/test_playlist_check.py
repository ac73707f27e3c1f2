"""``kapdesk playlist check``: output lines and exit status 0 / 1 / 2."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_wav

from kapdesk.playlists.check import format_duration, main
from kapdesk.playlists.resolve import LIBRARY_ENV

REPO = Path(__file__).resolve().parent.parent


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_library_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LIBRARY_ENV, raising=False)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    make_wav(tmp_path / "a.wav")
    make_wav(tmp_path / "b.wav")
    path = tmp_path / "good.m3u8"
    path.write_text("#EXTM3U\n#EXTINF:61,Composer A - Calm\na.wav\n#EXTINF:3600,Composer B - Long\nb.wav\n", encoding="utf-8")
    return path


@pytest.fixture
def partly_missing(tmp_path: Path) -> Path:
    make_wav(tmp_path / "a.wav")
    path = tmp_path / "partly.m3u"
    path.write_text("a.wav\ngone.flac\nhttp://radio.example/live\n", encoding="utf-8")
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.xspf"
    path.write_text('<?xml version="1.0"?>\n<playlist>\n<trackList>\n</playlist>\n', encoding="utf-8")
    return path


def test_all_playable_exits_0(good: Path, tmp_path: Path) -> None:
    code, out, err = run([str(good)])
    assert code == 0 and err == ""
    header, first, second = out.splitlines()
    assert header == f'{good}: "good", 2 entries, 2 playable, 1:01:01'
    assert first.split() == ["ok", "3", str(tmp_path / "a.wav")]
    assert second.split() == ["ok", "5", str(tmp_path / "b.wav")]


def test_unplayable_entry_exits_1_and_says_why(partly_missing: Path, tmp_path: Path) -> None:
    code, out, err = run([str(partly_missing)])
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == f'{partly_missing}: "partly", 3 entries, 1 playable'
    assert lines[2].split() == ["missing", "2", str(tmp_path / "gone.flac"), "--", "file", "not", "found"]
    assert lines[3].split(None, 2) == ["missing", "3", "http://radio.example/live  -- network stream: KAPDesk plays local files only"]


def test_unparsable_file_exits_2_with_file_and_line_on_stderr(broken: Path, good: Path, partly_missing: Path) -> None:
    code, out, err = run([str(good), str(broken), str(partly_missing)])
    assert code == 2
    assert err.startswith(f"error: {broken}:4: malformed XML")
    assert str(good) in out and str(partly_missing) in out  # the other files are still checked


def test_curated_file_with_library_option(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    make_wav(library / "Arvo Pärt" / "Für Alina.wav")
    curated = tmp_path / "ref.kap.toml"
    curated.write_text(
        'kapdesk_playlist = 1\ntitle = "Ref"\n\n[[section]]\nkey = "peak"\n\n'
        '[[section.tracks]]\ntitle = "Für Alina"\nartist = "Arvo Pärt"\nduration = "10:50"\n',
        encoding="utf-8",
    )
    code, out, _ = run([str(curated)])
    assert code == 1
    assert "missing" in out and "peak" in out and "Arvo Pärt - Für Alina  -- not found in the music library" in out
    assert "note: no 'pre-onset' section" in out

    code, out, _ = run(["--library", str(tmp_path / "elsewhere"), "--library", str(library), str(curated)])
    assert code == 0
    entry = out.splitlines()[1]
    assert entry.split(None, 3) == ["ok", "7", "peak", str(library / "Arvo Pärt" / "Für Alina.wav")]


def test_empty_playlist_is_not_a_pass(tmp_path: Path) -> None:
    empty = tmp_path / "empty.m3u8"
    empty.write_text("#EXTM3U\n", encoding="utf-8")
    code, out, _ = run([str(empty)])
    assert code == 1 and "(no entries)" in out


def test_usage_errors_return_2_instead_of_exiting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "FILE" in capsys.readouterr().err
    assert main(["--help"]) == 0


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run([str(tmp_path / "nope" / "x.m3u")])
    assert code == 2 and "does not exist" in err


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0, 59.6, 61, 3600, 10_654)] == ["0:00", "1:00", "1:01", "1:00:00", "2:57:34"]


def test_exit_codes_through_a_real_process(good: Path, partly_missing: Path, broken: Path) -> None:
    script = "import sys; from kapdesk.playlists.check import main; sys.exit(main(sys.argv[1:]))"
    codes = [
        subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=REPO, timeout=60)
        for path in (good, partly_missing, broken)
    ]
    assert [c.returncode for c in codes] == [0, 1, 2]
    assert codes[1].stdout.count("missing") == 2
    assert f"{broken}:4:" in codes[2].stderr


def test_shipped_demo_checks_clean() -> None:
    code, out, _ = run([str(REPO / "playlists" / "demo-ambient.kap.toml")])
    assert code == 0, out
    assert "7 entries, 7 playable" in out


def test_options_may_come_before_between_or_after_files(good: Path, partly_missing: Path, tmp_path: Path) -> None:
    library = str(tmp_path / "lib")
    for argv in (
        ["--library", library, str(good), str(partly_missing)],
        [str(good), "--library", library, str(partly_missing)],
        [str(good), str(partly_missing), f"--library={library}"],
    ):
        code, out, err = run(argv)
        assert (code, err) == (1, ""), argv
        assert out.count(": \"") == 2, argv  # both files were checked


def test_kapdesk_playlist_check_help_and_options_through_the_app(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kapdesk.app import main as kapdesk_main

    assert kapdesk_main(["playlist", "check", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: kapdesk playlist check") and "--library" in help_text

    assert kapdesk_main(["playlist", "check", "--library", str(tmp_path), str(good)]) == 0
    assert kapdesk_main(["playlist", "check", str(good), "--library", str(tmp_path)]) == 0
    assert str(good) in capsys.readouterr().out

    assert kapdesk_main(["playlist", "check", "--no-such-option", str(good)]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_kapdesk_playlist_check_help_in_a_real_process() -> None:
    result = subprocess.run([sys.executable, "-m", "kapdesk", "playlist", "check", "--help"],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: kapdesk playlist check" in result.stdout and result.stderr == ""


def test_junk_before_pls_header_is_a_note_not_a_refusal(tmp_path: Path) -> None:
    make_wav(tmp_path / "a.wav")
    pls = tmp_path / "junk.pls"
    pls.write_text("junk\n[playlist]\nFile1=a.wav\n", encoding="utf-8")
    code, out, err = run([str(pls)])
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "  note: line 1: text before [playlist], ignored"
