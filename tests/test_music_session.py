"""The glue between the player and the session record, against a real Store.

Most tests drive a ``Player`` over ``NullBackend`` with the shared hand-moved ``FakeClock``: time
moves only when ``Rig.run`` moves it, calling ``tick`` as the 50 ms timer would. One test plays
real WAV files through libvlc (``--aout=dummy``) and waits on Qt signals; nothing sleeps.
The helpers here are reused by ``test_music_pane.py``.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import textwrap
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapdesk.domain.clock import FakeClock, SystemClock
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.entries import MusicEvent, of_type
from kapdesk.domain.observations import Observation
from kapdesk.session.live import LiveSession
from kapdesk.session.music import MusicSession, create_player, find_playlists
from kapdesk.session.now_playing import hint_path
from kapdesk.paths import shipped_playlists_dir
from kapdesk.player import (
    NullBackend,
    PlaybackState,
    Player,
    PlayerSettings,
    SectionChangeMode,
    VlcAvailability,
    VlcBackend,
    install_hint,
    probe_vlc,
)
from kapdesk.store import Store
from kapdesk.store.errors import StoreError

TICK = 0.05
TRACK_S = 60.0  # every NullBackend track lasts a minute
WAIT_MS = 10_000  # a ceiling for a loaded machine, not a delay

# A developer's laptop without libvlc may skip these; CI (CI=true, where `make test` installs
# libvlc) must run them, so there a missing libvlc fails instead of skipping.
needs_libvlc = pytest.mark.skipif(not probe_vlc().available and not os.environ.get("CI"),
                                  reason="libvlc is not installed here")

RATE = 22_050


def write_tone(path: Path, seconds: float, freq: float) -> Path:
    frames = int(seconds * RATE)
    samples = (int(0.3 * 32767 * math.sin(2 * math.pi * freq * i / RATE)) for i in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


# A curated playlist of the five-section arc (synthetic titles); one track of the peak is missing.
ARC = {
    "pre-onset": ["Settle A", "Settle B"],
    "onset": ["Onset A", "Onset B"],
    "peak": ["Peak A", "Peak missing", "Peak B"],
    "re-entry": ["Re-entry A"],
    "return": ["Return A"],
}


def write_playlist(folder: Path, name: str = "arc.kap.toml", title: str = "Test arc (synthetic)") -> Path:
    """A ``.kap.toml`` beside tiny valid WAV files (the playlist check reads their headers;
    NullBackend never plays them, its tracks last ``TRACK_S`` whatever the file holds)."""
    audio = folder / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    lines = ["kapdesk_playlist = 1", f'title = "{title}"', ""]
    for key, titles in ARC.items():
        lines += ["[[section]]", f'key = "{key}"', ""]
        for track in titles:
            file = audio / f"{track}.wav"
            if "missing" not in track and not file.exists():
                write_tone(file, 0.05, 220.0)
            lines += ["[[section.tracks]]", f'title = "{track}"', 'artist = "Synthetic Ensemble"',
                      'duration = "1:00"', f'location = "audio/{file.name}"', ""]
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class Rig:
    """One sitting with its music: a real Store and LiveSession, a NullBackend player, one clock."""

    store: Store
    live: LiveSession
    clock: FakeClock
    player: Player
    backend: NullBackend
    music: MusicSession
    folder: Path

    def run(self, seconds: float) -> None:
        """Let ``seconds`` pass, ticking every 50 ms like the player's timer."""
        for _ in range(round(seconds / TICK)):
            self.clock.advance(TICK)
            self.player.tick()

    def music_entries(self) -> list[MusicEvent]:
        self.music.flush()
        return [event for _, event in of_type(self.live.entries(), MusicEvent)]

    def events(self) -> list[str]:
        return [m.event for m in self.music_entries()]


def make_player(clock: FakeClock, settings: PlayerSettings | None = None) -> tuple[Player, NullBackend]:
    backend = NullBackend(clock.monotonic, default_length_s=TRACK_S)
    return Player(backend, clock=clock.monotonic, settings=settings), backend


def start_live(store: Store, people: Any, protocol: Protocol, clock: FakeClock) -> LiveSession:
    clinician, client = people
    info = store.start_session(client.id, clinician.id, protocol)
    return LiveSession(store, info.id, clinician.id, clock)


@pytest.fixture
def playlist_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "playlists"
    folder.mkdir()
    write_playlist(folder)
    return folder


@pytest.fixture
def make_rig(qtbot, store, people, protocols, clock, playlist_folder) -> Iterator[Any]:
    players: list[Player] = []

    def build(settings: PlayerSettings | None = None, live: LiveSession | None = None) -> Rig:
        live = live or start_live(store, people, protocols["sublingual"], clock)
        player, backend = make_player(clock, settings)
        players.append(player)
        music = MusicSession(live, player, VlcAvailability(True, "test", ""), folders=[playlist_folder])
        return Rig(store, live, clock, player, backend, music, playlist_folder)

    yield build
    for player in players:
        player.close()


@pytest.fixture
def rig(make_rig) -> Rig:
    return make_rig()


# -- the record -------------------------------------------------------------------------------------


def test_player_events_become_music_entries_and_position_ticks_do_not(rig: Rig) -> None:
    assert rig.music.playlist is not None and rig.music.playlist.title == "Test arc (synthetic)"
    assert rig.player.state is PlaybackState.STOPPED, "loading a playlist never starts the music"
    rig.player.play()
    rig.run(5)
    entries = rig.music_entries()
    assert [m.event for m in entries] == ["playlist_loaded", "play", "track_start"]
    start = entries[-1]
    assert (start.title, start.artist, start.section) == ("Settle A", "Synthetic Ensemble", "pre-onset")
    assert start.location == "audio/Settle A.wav"
    assert entries[0].detail("playlist_source") == str(rig.folder / "arc.kap.toml")

    rig.run(40)  # 160 position updates, and nothing else happens
    assert rig.events() == ["playlist_loaded", "play", "track_start"]


def test_entries_carry_the_time_of_the_event_not_of_the_commit(rig: Rig) -> None:
    rig.music.flush()
    played_at = rig.clock.utcnow()
    rig.player.play()
    rig.clock.advance(7)  # the commit happens later than the press
    rig.music.flush()
    play = next(e for e, m in of_type(rig.live.entries(), MusicEvent) if m.event == "play")
    assert play.occurred_at == played_at


def test_the_store_is_not_touched_inside_the_players_transition(qtbot, rig: Rig) -> None:
    """A commit (an fsync) must not sit between the end of one track and the start of the next."""
    rig.player.play()
    rig.run(1)
    rig.music.flush()
    counted_during_emit: list[int] = []
    rig.player.event_recorded.connect(lambda kind, _p: counted_during_emit.append(len(rig.live.entries())))
    before = len(rig.live.entries())
    rig.run(TRACK_S)  # the first track ends, the next starts inside the same tick
    assert counted_during_emit and set(counted_during_emit) == {before}
    assert rig.music.pending >= 2
    qtbot.waitUntil(lambda: rig.music.pending == 0)  # the zero-delay timer writes them
    assert rig.events()[-2:] == ["track_end", "track_start"]


def test_an_entry_the_store_refuses_waits_and_is_written_in_order(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    rig.music.flush()
    real_record = rig.live.record
    refusals = iter([StoreError("database is busy (synthetic)")])

    def flaky(data: MusicEvent, **kw: Any) -> Any:
        for exc in refusals:
            raise exc
        return real_record(data, **kw)

    monkeypatch.setattr(rig.live, "record", flaky)
    rig.player.play()
    rig.music.flush()
    assert rig.music.pending == 2  # play, track_start: nothing lost, nothing out of order
    assert "will retry" in rig.music.notice
    rig.music.flush()  # the retry (its timer would do the same)
    assert rig.music.pending == 0
    assert rig.events() == ["playlist_loaded", "play", "track_start"]


# -- the arc ------------------------------------------------------------------------------------------


def advance_to(live: LiveSession, phase_key: str) -> None:
    while live.info.protocol.phases[live.reading().phase_index].key != phase_key:
        live.advance_phase()


def test_phase_change_fades_into_its_section_in_fade_mode(make_rig) -> None:
    rig = make_rig(PlayerSettings(section_change_mode=SectionChangeMode.FADE))
    rig.player.play()
    rig.run(10)
    rig.live.advance_phase()  # arrival -> dosing: both pre-onset, the music does not move
    assert rig.player.current_section_key == "pre-onset" and rig.player.state is PlaybackState.PLAYING
    rig.live.advance_phase()  # dosing -> onset
    assert rig.live.info.protocol.phases[rig.live.reading().phase_index].music == "onset"
    rig.run(rig.player.settings.change_fade_out_s + 0.1)
    assert rig.player.current_section_key == "onset"
    assert rig.player.current_track is not None and rig.player.current_track.title == "Onset A"
    entries = rig.music_entries()
    skip = next(m for m in entries if m.event == "skip")
    assert (skip.detail("action"), skip.detail("to_section")) == ("section", "onset")
    change = next(m for m in entries if m.event == "section_change")
    assert (change.detail("from_section"), change.detail("to_section")) == ("pre-onset", "onset")
    assert entries[-1].event == "track_start" and entries[-1].section == "onset"


def test_phase_change_waits_for_the_track_in_after_track_mode(make_rig) -> None:
    rig = make_rig(PlayerSettings(section_change_mode=SectionChangeMode.AFTER_TRACK))
    rig.player.play()
    rig.run(10)
    advance_to(rig.live, "onset")
    rig.run(5)
    assert rig.player.current_section_key == "pre-onset"
    assert rig.player.queued_section_key == "onset"
    rig.run(TRACK_S - 15 + 0.5)  # Settle A ends; the queued section starts instead of Settle B
    assert rig.player.current_track is not None and rig.player.current_track.title == "Onset A"
    events = rig.events()
    assert events[events.index("section_queued"):] == ["section_queued", "track_end", "section_change", "track_start"]


def test_stopped_music_only_moves_its_cursor_when_the_phase_changes(rig: Rig) -> None:
    advance_to(rig.live, "peak")
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.player.current_section_key == "peak"
    assert "play" not in rig.events()


def test_session_end_fades_the_music_out(rig: Rig) -> None:
    rig.player.play()
    rig.run(10)
    rig.live.end()
    assert rig.player.state is PlaybackState.STOPPING
    rig.run(rig.player.settings.session_end_fade_s + 0.1)
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.backend.volume == 0
    entries = rig.music_entries()
    fade = next(m for m in entries if m.event == "fade")
    assert fade.detail("what") == "session end"
    assert entries[-1].event == "stop"
    kinds = [e.kind for e in rig.live.entries()]
    assert kinds.index("session_ended") < len(kinds) - 1, "the fade is recorded after the end"


def test_next_section_follows_the_arc(rig: Rig) -> None:
    rig.player.play()
    rig.run(5)
    assert rig.music.next_section()
    rig.run(5)
    assert rig.player.current_section_key == "onset"
    for _ in range(3):
        rig.music.next_section()
        rig.run(5)
    assert rig.player.current_section_key == "return"
    assert not rig.music.next_section()
    assert rig.music.notice == "This is the last section of the playlist."


# -- start, resume, choose ------------------------------------------------------------------------------


def test_resume_after_a_crash_without_a_now_playing_file_preselects_the_phase_and_waits(make_rig) -> None:
    """Without the now-playing file (power cut, say) the music cannot go on where it was: it waits for
    play, as it always did, and the notice says why. The continuation itself: test_music_resume.py."""
    first = make_rig()
    other = write_playlist(first.folder, "other.kap.toml", "Other arc (synthetic)")
    assert first.music.choose_playlist(other)
    first.player.play()
    first.run(5)
    advance_to(first.live, "peak")
    first.run(5)
    first.music.flush()
    # The app dies here: no close, no fade; and the now-playing file is lost. A new app opens the sitting.
    hint = hint_path(first.live.id)
    assert hint.is_file()
    hint.unlink()
    live = LiveSession(first.store, first.live.id, first.live.clinician_id, first.clock)
    again = make_rig(live=live)
    assert again.player.state is PlaybackState.STOPPED
    assert again.player.current_section_key == "peak"
    assert again.music.playlist_path == other, "the sitting's own playlist comes back"
    assert again.music.notice == ("The music was playing when KAPDesk stopped, but where it was is not known "
                                  "(no now-playing file): it stays stopped until you press play.")
    again.run(30)
    assert again.backend.calls.count("play") == 0, "no music starts by itself"
    assert again.events()[-1] == "playlist_loaded"


def test_default_playlist_is_the_shipped_demo(qtbot, store, people, protocols, clock) -> None:
    live = start_live(store, people, protocols["sublingual"], clock)
    player, _backend = make_player(clock)
    try:
        music = MusicSession(live, player, VlcAvailability(True, "test", ""))
        assert music.playlist_path == shipped_playlists_dir() / "demo-ambient.kap.toml"
        assert music.playlist is not None and player.current_section_key == "pre-onset"
        labels = [choice.label for choice in music.playlists]
        assert "Demo: ambient pads" in labels and "KAP reference arc (about 3 hours)" in labels
    finally:
        player.close()


def test_choosing_a_playlist_while_playing_carries_on_into_it(rig: Rig) -> None:
    other = write_playlist(rig.folder, "other.kap.toml", "Other arc (synthetic)")
    assert [c.label for c in find_playlists([rig.folder])] == ["Test arc (synthetic)", "Other arc (synthetic)"]
    rig.player.play()
    rig.run(10)
    assert rig.music.choose_playlist(other)
    rig.run(5)
    assert rig.player.state is PlaybackState.PLAYING
    assert rig.player.playlist is rig.music.playlist and rig.music.playlist.title == "Other arc (synthetic)"
    loaded = [m for m in rig.music_entries() if m.event == "playlist_loaded"]
    assert loaded[-1].detail("playlist_title") == "Other arc (synthetic)"


def test_an_unreadable_playlist_is_a_notice_and_the_music_stays(rig: Rig) -> None:
    broken = rig.folder / "broken.kap.toml"
    broken.write_text("kapdesk_playlist = 1\ntitle = [unclosed\n", encoding="utf-8")
    before = rig.music.playlist
    assert not rig.music.choose_playlist(broken)
    assert rig.music.playlist is before
    assert rig.music.notice.startswith("Could not open the playlist:") and "broken.kap.toml" in rig.music.notice


def test_a_sitting_that_has_ended_is_left_alone(store, people, protocols, clock) -> None:
    live = start_live(store, people, protocols["sublingual"], clock)
    live.end()
    player, backend = make_player(clock)
    try:
        music = MusicSession(live, player, VlcAvailability(True, "test", ""))
        assert not music.active and music.playlist is None and player.playlist is None
        music.close()
        assert [e.kind for e in live.entries()] == ["session_started", "phase", "session_ended"]
    finally:
        player.close()


# -- leaving ---------------------------------------------------------------------------------------------


def test_close_fades_out_and_records_until_the_music_has_stopped(rig: Rig) -> None:
    rig.player.play()
    rig.run(10)
    rig.music.close(fade_s=3.0)
    assert rig.player.state is PlaybackState.STOPPING
    rig.run(3.1)
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.events()[-2:] == ["fade", "stop"]
    rig.player.play()  # a later sitting's use of the shared player is not written into this one
    rig.run(1)
    assert rig.events()[-1] == "stop"


def test_close_at_app_exit_stops_at_once_and_records_it(rig: Rig) -> None:
    rig.player.play()
    rig.run(10)
    rig.music.close(fade_s=0)
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.music.pending == 0
    assert rig.events()[-1] == "stop"


# -- without libvlc ---------------------------------------------------------------------------------------


def test_without_libvlc_there_is_no_player_and_the_sitting_works(store, people, protocols, clock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vlc", None)  # python-vlc blocked: import raises ImportError
    player, availability = create_player()
    assert player is None and not availability.available
    assert availability.install_hint == install_hint()
    live = start_live(store, people, protocols["sublingual"], clock)
    music = MusicSession(live, None, availability)
    assert music.playlist is not None, "the playlist is still read, to look at"
    assert not music.next_section()
    live.mark_dose()
    advance_to(live, "peak")
    live.record(Observation("calm (synthetic)"))
    live.end()
    music.close()
    kinds = [e.kind for e in live.entries()]
    assert "music" not in kinds and kinds[-1] == "session_ended"


# -- the real thing ------------------------------------------------------------------------------------------

@pytest.mark.slow
@needs_libvlc
def test_libvlc_plays_track_one_into_track_two_and_the_record_follows(qtbot, tmp_path: Path, protocols) -> None:
    write_tone(tmp_path / "one.wav", 1.0, 330.0)
    write_tone(tmp_path / "two.wav", 1.0, 440.0)
    playlist = tmp_path / "tones.kap.toml"
    playlist.write_text(textwrap.dedent("""\
        kapdesk_playlist = 1
        title = "Two tones (synthetic)"

        [[section]]
        key = "pre-onset"

        [[section.tracks]]
        title = "Tone one"
        location = "one.wav"

        [[section.tracks]]
        title = "Tone two"
        location = "two.wav"
        """), encoding="utf-8")
    wall = SystemClock()  # real time end to end: libvlc plays in real time
    store = Store.open(str(tmp_path / "vlc.sqlite3"), now=wall.utcnow)
    backend = VlcBackend(extra_args=["--aout=dummy"])
    player = Player(backend, settings=PlayerSettings(fade_in_s=0.2))
    try:
        clinician = store.add_clinician("VLC Clinician (synthetic)")
        client = store.add_client("VLC-01 (synthetic)", clinician.id)
        info = store.start_session(client.id, clinician.id, protocols["sublingual"])
        live = LiveSession(store, info.id, clinician.id, wall)
        music = MusicSession(live, player, VlcAvailability(True, "test", ""), playlist=playlist)

        def starts(title: str):
            return lambda kind, payload: kind == "track_start" and payload["title"] == title

        with qtbot.waitSignal(player.event_recorded, timeout=WAIT_MS, check_params_cb=starts("Tone two")):
            player.play()
        with qtbot.waitSignal(player.event_recorded, timeout=WAIT_MS,
                              check_params_cb=lambda kind, _p: kind == "stop"):
            pass  # track two ends, and with it the playlist
        music.flush()
        record = [(m.event, m.title) for _, m in of_type(live.entries(), MusicEvent)]
        assert record == [
            ("playlist_loaded", None),  # recorded before the cursor lands on a track
            ("play", "Tone one"),
            ("track_start", "Tone one"),
            ("track_end", "Tone one"),
            ("track_start", "Tone two"),
            ("track_end", "Tone two"),
            ("stop", "Tone two"),
        ]
    finally:
        player.close()
        store.close()


def test_a_playlist_that_no_longer_opens_falls_back_to_the_next_choice(store, people, protocols, clock,
                                                                       playlist_folder: Path) -> None:
    broken = playlist_folder / "broken.kap.toml"
    broken.write_text("kapdesk_playlist = 1\ntitle = [unclosed\n", encoding="utf-8")
    live = start_live(store, people, protocols["sublingual"], clock)
    player, _backend = make_player(clock)
    try:
        music = MusicSession(live, player, VlcAvailability(True, "test", ""), folders=[playlist_folder],
                             playlist=broken)
        assert music.playlist_path == playlist_folder / "arc.kap.toml"
        assert "broken.kap.toml" in music.notice
    finally:
        player.close()


def test_app_exit_during_the_end_of_session_fade_still_records_the_stop(rig: Rig) -> None:
    rig.player.play()
    rig.run(10)
    rig.live.end()  # a 20 s fade begins
    rig.run(5)
    rig.music.close(fade_s=0)  # the app closes mid-fade; the owner closes the player next
    rig.player.close()
    stop = rig.music_entries()[-1]
    assert (stop.event, stop.detail("reason"), stop.title) == ("stop", "app closed during a fade", "Settle A")
