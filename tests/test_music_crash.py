"""SIGKILL a real KAPDesk process mid-track; the restarted one plays the same track from where it was.

The driver (tests/drivers/music_app.py) is the real app on a real SQLite file, playing a playlist
through libvlc with the ``afile`` audio output (real-time paced, a WAV instead of a sound card).
The track is a rising chirp (tests/audio_probe.py), so the restarted process's own audio says
which second of the track it began with. The first process is killed with SIGKILL (no clean-up,
no atexit, no Qt shutdown) while the music plays; the second opens the sitting in progress, and:

* the same track plays again, starting within 2 s of where it was when the first was killed
  (read from the audio itself, and from libvlc's position);
* it fades in: the volumes sent to libvlc rise from near silence to the therapist's volume;
* the record tells it (``resumed_after_restart`` with the position, then ``track_start``).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from audio_probe import start_of, write_chirp

from kapdesk.domain.entries import MusicEvent, of_type
from kapdesk.player import probe_vlc
from kapdesk.store import Store

DRIVER = Path(__file__).parent / "drivers" / "music_app.py"
TITLE = "Rising tone (synthetic)"
KILL_AFTER_S = 8.0  # into the track
WITHIN_S = 2.0  # the promise: the same position within 2 s

pytestmark = [
    pytest.mark.slow,
    # CI (CI=true, where `make test` installs libvlc) must run it; a laptop without libvlc may skip.
    pytest.mark.skipif(not probe_vlc().available and not os.environ.get("CI"), reason="libvlc is not installed here"),
]


def write_playlist(folder: Path) -> Path:
    audio = folder / "audio"
    audio.mkdir()
    write_chirp(audio / "rising.wav", 40.0)
    write_chirp(audio / "second.wav", 5.0)
    playlist = folder / "crash.kap.toml"
    playlist.write_text("\n".join([
        "kapdesk_playlist = 1", 'title = "Crash test (synthetic)"', "",
        "[[section]]", 'key = "pre-onset"', "",
        "[[section.tracks]]", f'title = "{TITLE}"', 'location = "audio/rising.wav"', "",
        "[[section.tracks]]", 'title = "Second (synthetic)"', 'location = "audio/second.wav"', "",
    ]), encoding="utf-8")
    return playlist


def launch(tmp_path: Path, playlist: Path, capture: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KAPDESK_DATA_DIR": str(tmp_path / "user-data")}
    return subprocess.Popen([sys.executable, str(DRIVER), str(tmp_path / "record.sqlite3"), str(playlist),
                             str(capture), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def read_line(process: subprocess.Popen[str], seen: list[str]) -> str:
    line = process.stdout.readline()  # blocks until the driver says something (no sleep)
    if not line or line.startswith("FAILED"):
        process.kill()
        raise AssertionError(f"driver failed after {seen[-3:]}: {line!r} {process.stderr.read()}")
    seen.append(line.rstrip("\n"))
    return seen[-1]


def test_music_goes_on_where_it_was_after_a_sigkill(tmp_path: Path) -> None:
    playlist = write_playlist(tmp_path)

    # 1. A sitting with music playing; killed mid-track, KILL_AFTER_S in.
    first = launch(tmp_path, playlist, tmp_path / "first.wav", "start")
    seen: list[str] = []
    try:
        while True:
            _pos, position, title = read_line(first, seen).split(" ", 2)
            if title == TITLE and float(position) >= KILL_AFTER_S:
                break
    finally:
        first.send_signal(signal.SIGKILL)  # at once, mid-track
    assert first.wait() == -signal.SIGKILL
    killed_at = float(position)
    hints = list((tmp_path / "user-data" / "now-playing").glob("*.json"))
    assert len(hints) == 1, "the dead process left where its music was"

    # 2. The app again, on the same record: the sitting in progress is opened.
    second = launch(tmp_path, playlist, tmp_path / "second.wav", "resume")
    lines: list[str] = []
    while not read_line(second, lines).startswith("DONE"):
        pass
    assert second.wait(timeout=60) == 0, second.stderr.read()
    opened = lines[0].split(" ", 3)
    assert opened[0] == "OPENED" and opened[1] == "playing" and opened[3] == TITLE, lines[0]
    assert lines[1].startswith(f"NOTICE KAPDesk restarted: the music fades back in where it was, “{TITLE}” at 0:0")

    # The record tells it: where the track was taken up, and that it faded in.
    db = sqlite3.connect(tmp_path / "record.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    store = Store.open(str(tmp_path / "record.sqlite3"))
    try:
        [session] = store.sessions()
        music = [m for _, m in of_type(store.entries(session.id), MusicEvent)]
    finally:
        store.close()
    events = [m.event for m in music]
    cut = events.index("resumed_after_restart")
    assert events[:cut] == ["playlist_loaded", "playlist_loaded", "play", "track_start", "playlist_loaded"]
    assert events[cut:] == ["resumed_after_restart", "track_start", "fade", "stop"]  # quitting: a 0 s fade
    resumed, start = music[cut], music[cut + 1]
    resumed_at = resumed.detail("position_s")
    assert resumed.title == TITLE and resumed.detail("as_state") == "playing" and resumed.detail("volume_to") == 80
    assert killed_at - WITHIN_S <= resumed_at <= killed_at + 0.005, (killed_at, resumed_at)  # stored to 0.01 s
    assert (start.title, start.detail("reason"), start.detail("fade_in_s")) == (TITLE, "resumed after restart", 4.0)
    assert start.detail("position_s") == pytest.approx(resumed_at, abs=0.01)

    # The audio itself: the first sound the restarted process made is from that point of the track.
    heard_from = start_of(tmp_path / "second.wav")
    print(f"killed at {killed_at:.3f} s, taken up at {resumed_at:.2f} s, first audio from {heard_from:.2f} s")
    assert abs(heard_from - killed_at) <= WITHIN_S, (killed_at, heard_from)
    assert heard_from == pytest.approx(resumed_at, abs=0.15)

    # A fade-in: the volumes sent to libvlc climb from near silence to the therapist's volume, never down.
    volumes = [(float(t), int(v), float(p)) for _, t, v, p in (line.split() for line in lines if line.startswith("VOLUME"))]
    levels = [v for _, v, _ in volumes]
    assert levels[0] <= 5 and levels[-1] == 80, levels
    assert levels == sorted(levels) and len(set(levels)) >= 10, levels
    assert volumes[-1][0] - volumes[0][0] >= 3.0, "a ramp of seconds (fade_in_s = 4), not a jump"
    assert all(resumed_at - 0.5 <= p < resumed_at + 6.0 for _, _, p in volumes), "on the same track, from there"
    done = lines[-1].split()
    assert float(done[2]) > resumed_at + 3.0, "it played on"
    assert not any((tmp_path / "user-data" / "now-playing").glob("*.json")), "the clean quit removed the file"
