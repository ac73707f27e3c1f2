"""The real thing: libvlc playing WAV files written here, headless, plus life without libvlc.

Playback tests use ``--aout=dummy`` (decodes, plays nothing, runs faster than real time) or
``--aout=afile`` (decodes into a WAV we can inspect). They wait on Qt signals with generous
timeouts; nothing sleeps. The no-libvlc paths run for real: python-vlc is blocked in
``sys.modules``, pointed at a library that does not exist, or denied the library by ``ctypes``
in a child process, exactly as on a laptop without VLC.
"""

from __future__ import annotations

import array
import itertools
import math
import os
import struct
import subprocess
import sys
import textwrap
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QThread

from kapdesk.player import (
    EventKind,
    PlaybackState,
    Player,
    PlayerSettings,
    VlcBackend,
    VlcUnavailableError,
    create_vlc_backend,
    install_hint,
    probe_vlc,
)
from kapdesk.player.availability import VlcAvailability
from kapdesk.playlists.model import Playlist, Section, Track, TrackStatus

WAIT_MS = 10_000  # a ceiling for a loaded CI machine, not a delay: waitSignal returns at the signal
RATE = 22_050

# A developer's laptop without libvlc may skip these; CI (CI=true, where `make test` installs
# libvlc) must run them, so there a missing libvlc fails instead of skipping.
needs_libvlc = pytest.mark.skipif(not probe_vlc().available and not os.environ.get("CI"),
                                  reason="libvlc is not installed here")


def write_sine(path: Path, *, seconds: float = 1.2, freq: float = 440.0, amplitude: float = 0.5) -> Path:
    frames = int(seconds * RATE)
    samples = (int(amplitude * 32767 * math.sin(2 * math.pi * freq * i / RATE)) for i in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def ok_track(path: Path) -> Track:
    return Track(title=path.stem, location=path.name, path=path, status=TrackStatus.OK)


def playlist_of(*paths: Path) -> Playlist:
    section = Section(key="peak", title="Peak", tracks=tuple(ok_track(p) for p in paths))
    return Playlist(title="VLC test", source=paths[0].parent / "list.m3u8", sections=(section,))


class Recorder:
    def __init__(self, player: Player) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[str] = []
        player.event_recorded.connect(lambda kind, payload: self.events.append((kind, payload)))
        player.error.connect(self.errors.append)

    def titled(self, kind: EventKind) -> list[str]:
        return [payload["title"] for k, payload in self.events if k == kind.value]


def is_event(kind: EventKind, title: str | None = None) -> Any:
    def check(k: str, payload: dict[str, Any]) -> bool:
        return k == kind.value and (title is None or payload.get("title") == title)

    return check


@pytest.fixture
def vlc_player(qtbot: Any) -> Iterator[Player]:
    backend = VlcBackend(["--aout=dummy"])
    player = Player(backend, settings=PlayerSettings(fade_in_s=0.3, change_fade_in_s=0.3))
    yield player
    player.close()


# -- real playback -------------------------------------------------------------------------------


@pytest.mark.slow
@needs_libvlc
def test_end_of_track_one_advances_to_track_two(qtbot: Any, tmp_path: Path, vlc_player: Player) -> None:
    one = write_sine(tmp_path / "one.wav")
    two = write_sine(tmp_path / "two.wav", freq=660.0)
    record = Recorder(vlc_player)
    vlc_player.load_playlist(playlist_of(one, two))
    with qtbot.waitSignal(
        vlc_player.event_recorded, timeout=WAIT_MS, check_params_cb=is_event(EventKind.TRACK_START, "two")
    ):
        vlc_player.play()
    kinds = [(k, p["title"]) for k, p in record.events if k in ("track_start", "track_end")]
    assert kinds == [("track_start", "one"), ("track_end", "one"), ("track_start", "two")]
    assert vlc_player.current_track is not None and vlc_player.current_track.title == "two"
    assert record.errors == []
    track_end = next(p for k, p in record.events if k == "track_end")
    assert track_end["position_s"] == pytest.approx(1.2, abs=0.05)  # libvlc's own length of the file

    with qtbot.waitSignal(
        vlc_player.state_changed, timeout=WAIT_MS, check_params_cb=lambda s: s is PlaybackState.STOPPED
    ):
        pass  # two plays out; the playlist ends and the player stops by itself
    assert record.events[-1][0] == "stop" and record.events[-1][1]["reason"] == "playlist ended"


@pytest.mark.slow
@needs_libvlc
def test_audio_really_is_decoded(qtbot: Any, tmp_path: Path) -> None:
    source = write_sine(tmp_path / "tone.wav", seconds=1.0, freq=441.0)
    captured = tmp_path / "captured.wav"
    backend = VlcBackend(["--aout=afile", f"--audiofile-file={captured}"])
    player = Player(backend, settings=PlayerSettings(fade_in_s=0.0))
    player.load_playlist(playlist_of(source))
    with qtbot.waitSignal(
        player.event_recorded, timeout=WAIT_MS, check_params_cb=is_event(EventKind.TRACK_END)
    ):
        player.play()
    player.close()  # libvlc finishes the WAV header when the output closes

    with wave.open(str(captured)) as result:
        assert result.getsampwidth() == 2
        channels, rate = result.getnchannels(), result.getframerate()
        samples = array.array("h", result.readframes(result.getnframes()))
    mono = samples[::channels]
    assert len(mono) / rate == pytest.approx(1.0, abs=0.1)
    assert max(abs(s) for s in mono) > 8000  # the tone, not silence (written at half scale)
    crossings = sum(1 for a, b in itertools.pairwise(mono) if a < 0 <= b)
    assert crossings / (len(mono) / rate) == pytest.approx(441.0, rel=0.05)  # and the right tone


@pytest.mark.slow
@needs_libvlc
@pytest.mark.parametrize("paused", [False, True], ids=["playing", "paused-then-play"])
def test_continue_at_starts_the_audio_itself_at_that_position(qtbot: Any, tmp_path: Path, paused: bool) -> None:
    """libvlc ignores a seek before the media plays; the backend makes it the media's start instead.
    The capture's own pitch (a rising chirp) says which second of the track was heard first."""
    from audio_probe import start_of, write_chirp

    chirp = write_chirp(tmp_path / "chirp.wav", 30.0)
    captured = tmp_path / "captured.wav"
    backend = VlcBackend(["--aout=afile", f"--audiofile-file={captured}"])
    player = Player(backend, settings=PlayerSettings(fade_in_s=0.3, resume_fade_s=0.3))
    try:
        player.load_playlist(playlist_of(chirp))
        assert player.continue_at("peak", 0, 12.37, paused=paused)
        assert player.position == pytest.approx(12.37), "the position is known before libvlc has started"
        if paused:
            assert player.state is PlaybackState.PAUSED
            player.play()
        with qtbot.waitSignal(player.position_changed, timeout=WAIT_MS,
                              check_params_cb=lambda position, _length: position >= 13.0):
            pass
        assert player.position < 14.5, "it went on from 12 s, not from the start nor past the end"
    finally:
        player.close()  # libvlc finishes the capture when the output closes
    assert start_of(captured) == pytest.approx(12.37, abs=0.15)


@pytest.mark.slow
@needs_libvlc
def test_the_position_comes_from_libvlc_while_the_timer_rests(qtbot: Any, tmp_path: Path) -> None:
    """While the music just plays the player's timer is off; libvlc's time events keep the position
    (the pane's "time left") moving, handed over at most once per whole second."""
    sine = write_sine(tmp_path / "sine.wav", seconds=4.0)
    backend = VlcBackend(["--aout=afile", f"--audiofile-file={tmp_path / 'captured.wav'}"])
    player = Player(backend, settings=PlayerSettings(fade_in_s=0.2))
    positions: list[float] = []
    try:
        player.load_playlist(playlist_of(sine))
        player.play()
        qtbot.waitUntil(lambda: not player._timer.isActive(), timeout=WAIT_MS)  # the fade-in is over
        assert player.state is PlaybackState.PLAYING
        player.position_changed.connect(lambda position, _length: positions.append(position))
        with qtbot.waitSignal(player.position_changed, timeout=WAIT_MS,
                              check_params_cb=lambda position, _length: position >= 2.0):
            pass
        assert not player._timer.isActive()
    finally:
        player.close()
    whole = [int(position) for position in positions]
    assert whole == sorted(set(whole)), f"one report per whole second: {positions}"


@pytest.mark.slow
@needs_libvlc
def test_libvlc_events_are_handed_to_the_gui_thread(qtbot: Any, tmp_path: Path) -> None:
    class WatchedBackend(VlcBackend):
        raw_threads: list[int]

        def _handle_vlc_event(self, event: Any) -> None:
            self.raw_threads.append(threading.get_ident())
            super()._handle_vlc_event(event)

    backend = WatchedBackend(["--aout=dummy"])
    backend.raw_threads = []
    main = threading.get_ident()
    gui_thread = QCoreApplication.instance().thread()  # type: ignore[union-attr]
    slot_threads: list[tuple[int, bool]] = []
    backend.length_changed.connect(
        lambda _: slot_threads.append((threading.get_ident(), QThread.currentThread() is gui_thread))
    )
    backend.end_reached.connect(
        lambda: slot_threads.append((threading.get_ident(), QThread.currentThread() is gui_thread))
    )

    # Every libvlc call we make must come from the GUI thread, never from inside a libvlc callback.
    libvlc_call_threads: list[tuple[str, int]] = []
    for name in (
        "set_media",
        "play",
        "stop",
        "set_pause",
        "audio_set_volume",
        "get_length",
        "get_time",
        "get_state",
    ):
        original = getattr(backend._player, name)

        def watched(*args: Any, _original: Any = original, _name: str = name) -> Any:
            libvlc_call_threads.append((_name, threading.get_ident()))
            return _original(*args)

        setattr(backend._player, name, watched)

    backend.set_volume(37)  # before any audio output exists
    backend.load(write_sine(tmp_path / "t.wav"))
    with qtbot.waitSignal(backend.end_reached, timeout=WAIT_MS):
        backend.play()
        calls_before_events = len(libvlc_call_threads)
    backend.close()

    assert backend.raw_threads and all(ident != main for ident in backend.raw_threads)
    assert len(slot_threads) == 2 and all(ident == main and in_gui for ident, in_gui in slot_threads)
    assert {ident for _, ident in libvlc_call_threads} == {main}
    # The volume was applied again once playback had started (the Playing event, on the GUI thread).
    later = [name for name, _ in libvlc_call_threads[calls_before_events:]]
    assert "audio_set_volume" in later


@pytest.mark.slow
@needs_libvlc
def test_a_file_deleted_just_before_its_turn_is_skipped(
    qtbot: Any, tmp_path: Path, vlc_player: Player
) -> None:
    one, gone, three = (write_sine(tmp_path / f"{n}.wav") for n in ("one", "gone", "three"))
    record = Recorder(vlc_player)
    vlc_player.load_playlist(playlist_of(one, gone, three))
    gone.unlink()
    with qtbot.waitSignal(
        vlc_player.event_recorded, timeout=WAIT_MS, check_params_cb=is_event(EventKind.TRACK_START, "three")
    ):
        vlc_player.play()
    errors = [p for k, p in record.events if k == "error"]
    assert [p["title"] for p in errors] == ["gone"] and "no longer exists" in errors[0]["message"]
    assert any("“gone”" in e for e in record.errors)
    assert record.titled(EventKind.TRACK_START) == ["one", "three"]


@pytest.mark.slow
@needs_libvlc
def test_a_file_deleted_while_it_plays_never_stops_the_music(
    qtbot: Any, tmp_path: Path, vlc_player: Player
) -> None:
    one, doomed, three = (write_sine(tmp_path / f"{n}.wav") for n in ("one", "doomed", "three"))
    record = Recorder(vlc_player)

    def delete_when_it_starts(kind: str, payload: dict[str, Any]) -> None:
        if kind == "track_start" and payload["title"] == "doomed":
            doomed.unlink()

    vlc_player.event_recorded.connect(delete_when_it_starts)
    vlc_player.load_playlist(playlist_of(one, doomed, three))
    with qtbot.waitSignal(
        vlc_player.event_recorded, timeout=WAIT_MS, check_params_cb=is_event(EventKind.TRACK_START, "three")
    ):
        vlc_player.play()
    assert not doomed.exists()
    # Whether libvlc had already read it (Linux keeps an open file readable) or not, the record
    # says how "doomed" ended and the music went on.
    doomed_outcomes = [
        k for k, p in record.events if p.get("title") == "doomed" and k in ("track_end", "error")
    ]
    assert len(doomed_outcomes) == 1


@pytest.mark.slow
@needs_libvlc
def test_garbage_and_truncated_files_are_reported_and_skipped(
    qtbot: Any, tmp_path: Path, vlc_player: Player
) -> None:
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(os.urandom(20_000))
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(write_sine(tmp_path / "whole.wav").read_bytes()[:60])  # header and a sliver
    good = write_sine(tmp_path / "good.wav")
    record = Recorder(vlc_player)
    vlc_player.load_playlist(playlist_of(garbage, truncated, good))
    with qtbot.waitSignal(
        vlc_player.event_recorded, timeout=WAIT_MS, check_params_cb=is_event(EventKind.TRACK_START, "good")
    ):
        vlc_player.play()
    errors = [(p["title"], p["message"]) for k, p in record.events if k == "error"]
    assert [title for title, _ in errors] == ["garbage", "truncated"]
    assert all("could not be decoded" in message for _, message in errors)
    assert len(record.errors) == 2 and all("Skipping to the next track" in e for e in record.errors)
    assert vlc_player.state is PlaybackState.PLAYING


@pytest.mark.slow
@needs_libvlc
def test_backend_reports_a_missing_file_as_an_error(qtbot: Any, tmp_path: Path) -> None:
    backend = VlcBackend(["--aout=dummy"])
    backend.load(tmp_path / "never-there.wav")
    with qtbot.waitSignal(backend.error, timeout=WAIT_MS) as blocker:
        backend.play()
    assert blocker.args == ["the file no longer exists"]
    backend.close()
    backend.close()  # idempotent


@pytest.mark.slow
@needs_libvlc
def test_stale_events_of_a_replaced_media_are_dropped(qtbot: Any, tmp_path: Path) -> None:
    class EndWatchingBackend(VlcBackend):
        raw_end: threading.Event
        end_type: int

        def _handle_vlc_event(self, event: Any) -> None:
            super()._handle_vlc_event(event)  # hands the end over (queued) before we say so
            if event.type.value == self.end_type:
                self.raw_end.set()

    import vlc

    backend = EndWatchingBackend(["--aout=dummy"])
    backend.raw_end = threading.Event()
    backend.end_type = vlc.EventType.MediaPlayerEndReached.value
    ends: list[str] = []
    backend.end_reached.connect(lambda: ends.append("end"))
    backend.error.connect(ends.append)
    backend.load(write_sine(tmp_path / "first.wav", seconds=0.3))
    backend.play()
    # Block the GUI thread (no event loop) until libvlc has raised the first end: its hand-off is
    # now queued but not delivered. Loading another media must void it.
    assert backend.raw_end.wait(WAIT_MS / 1000)
    backend.raw_end.clear()
    backend.load(write_sine(tmp_path / "second.wav", seconds=0.3))
    backend.play()
    assert backend.raw_end.wait(WAIT_MS / 1000)  # the second end is now queued behind the first
    QCoreApplication.processEvents()  # deliver everything queued, stale and current
    assert ends == ["end"]  # only the second media's end; the first's was dropped, not an error
    backend.close()


# -- life without libvlc --------------------------------------------------------------------------


def test_probe_reports_an_available_libvlc() -> None:
    availability = probe_vlc()
    if not availability.available and not os.environ.get("CI"):
        pytest.skip(availability.reason)
    assert availability.version.startswith("3.")
    assert availability.install_hint == ""


def test_python_vlc_missing(monkeypatch: pytest.MonkeyPatch, qtbot: Any) -> None:
    monkeypatch.setitem(sys.modules, "vlc", None)  # "import vlc" now raises ImportError
    availability = probe_vlc()
    assert not availability.available
    assert "python-vlc" in availability.reason
    assert availability.install_hint == install_hint()
    backend, why = create_vlc_backend()
    assert backend is None and why == availability
    with pytest.raises(VlcUnavailableError) as raised:
        VlcBackend()
    assert raised.value.availability.reason == availability.reason


@needs_libvlc
@pytest.mark.parametrize("instance", [lambda *a: None, "raise"])
def test_libvlc_that_cannot_start(monkeypatch: pytest.MonkeyPatch, instance: Any) -> None:
    import vlc

    def broken(*args: Any) -> Any:
        raise vlc.VLCException("no plugins")

    monkeypatch.setattr(vlc, "Instance", broken if instance == "raise" else instance)
    availability = probe_vlc()
    assert not availability.available
    assert "could not start" in availability.reason
    assert "apt-get install libvlc5 vlc-plugin-base" in availability.install_hint


CHILD = """
import json, sys
{prelude}
from kapdesk.player import probe_vlc, create_vlc_backend, Player, NullBackend
from PySide6.QtCore import QCoreApplication
app = QCoreApplication([])
availability = probe_vlc()
backend, _ = create_vlc_backend()
player = Player(backend or NullBackend(lambda: 0.0))  # the app starts, music or not
player.close()
print(json.dumps({{"available": availability.available, "reason": availability.reason,
                  "hint": availability.install_hint, "backend": backend is not None}}))
"""

HIDE_LIBVLC = """
import ctypes, ctypes.util
ctypes.util.find_library = lambda name: None
_real_cdll = ctypes.CDLL
class _NoVlc(_real_cdll):
    def __init__(self, name, *args, **kwargs):
        if name is None or "vlc" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        super().__init__(name, *args, **kwargs)
ctypes.CDLL = _NoVlc
"""


def run_child(prelude: str = "", **env: str) -> dict[str, Any]:
    import json

    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(prelude=textwrap.dedent(prelude))],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_no_libvlc_on_linux_raises_not_implemented_and_is_handled() -> None:
    # What python-vlc does on a Linux box without libvlc: NotImplementedError("Cannot find libvlc lib").
    outcome = run_child(HIDE_LIBVLC)
    assert outcome["available"] is False and outcome["backend"] is False
    assert "Cannot find libvlc lib" in outcome["reason"]
    if sys.platform.startswith("linux"):
        assert "sudo apt-get install libvlc5 vlc-plugin-base" in outcome["hint"]


@pytest.mark.slow
def test_a_wrong_libvlc_path_does_not_exit_the_app(tmp_path: Path) -> None:
    # python-vlc calls sys.exit(1) while being imported when this path cannot be loaded.
    outcome = run_child(PYTHON_VLC_LIB_PATH=str(tmp_path / "no-such-libvlc.so"))
    assert outcome["available"] is False and outcome["backend"] is False
    assert "PYTHON_VLC_LIB_PATH" in outcome["reason"]


def test_importing_the_player_does_not_load_libvlc() -> None:
    code = "import sys, kapdesk.player; print('vlc' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "sudo apt-get install libvlc5 vlc-plugin-base"),
        ("win32", "VLC 3 for Windows"),
        ("darwin", "VLC 3 for macOS"),
        ("freebsd14", "VLC 3"),
    ],
)
def test_install_hint_names_what_to_install(platform: str, expected: str) -> None:
    hint = install_hint(platform)
    assert expected in hint
    if platform in ("win32", "darwin"):
        assert "64-bit" in hint and "videolan.org" in hint


def test_availability_is_plain_data() -> None:
    availability = VlcAvailability(False, "why", "what")
    assert (availability.available, availability.reason, availability.install_hint) == (False, "why", "what")
