"""Player queue, fades and record, on NullBackend with a fake clock: no sound, no sleeping.

Time only moves when a test moves it (``Rig.run`` advances the clock and calls ``tick`` as the
50 ms timer would), so every fade can be checked step by step.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from kapdesk.player import (
    EventKind,
    NullBackend,
    PlaybackState,
    Player,
    PlayerSettings,
    SectionChangeMode,
    SectionEnd,
)
from kapdesk.playlists.model import Playlist, Section, Track, TrackStatus

TICK = 0.05
MAX_STEP = 5  # the largest volume step per 50 ms tick the default settings may make at volume 80


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    player: Player
    backend: NullBackend
    clock: FakeClock
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    states: list[PlaybackState] = field(default_factory=list)
    tracks: list[Track | None] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def run(self, seconds: float) -> None:
        """Let ``seconds`` pass, ticking every 50 ms like the player's timer."""
        for _ in range(round(seconds / TICK)):
            self.clock.now += TICK
            self.player.tick()

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def of(self, kind: EventKind) -> list[dict[str, Any]]:
        return [payload for k, payload in self.events if k == kind.value]

    def last(self, kind: EventKind) -> dict[str, Any]:
        found = self.of(kind)
        assert found, f"no {kind.value} event in {self.kinds()}"
        return found[-1]

    def playing_title(self) -> str | None:
        track = self.player.current_track
        return None if track is None else track.title


def make_track(folder: Path, title: str, *, status: TrackStatus = TrackStatus.OK) -> Track:
    path = folder / f"{title}.flac"
    if status is not TrackStatus.OK:
        return Track(title=title, location=path.name, path=None, status=status, reason="file not found")
    path.write_bytes(b"fLaC")  # NullBackend never reads it; the player checks that it exists
    return Track(title=title, location=path.name, path=path, status=TrackStatus.OK, artist="Ensemble")


def make_playlist(folder: Path, spec: dict[str, list[str]]) -> Playlist:
    """``spec`` maps section keys to titles; a title starting with "!" is a missing track."""
    sections = tuple(
        Section(
            key=key,
            title=key.title(),
            tracks=tuple(
                make_track(folder, t[1:], status=TrackStatus.MISSING)
                if t.startswith("!")
                else make_track(folder, t)
                for t in titles
            ),
        )
        for key, titles in spec.items()
    )
    return Playlist(title="Test arc", source=folder / "arc.toml", sections=sections)


ARC = {
    "pre-onset": ["settle", "breathe"],
    "onset": ["drift", "!gone", "open"],
    "peak": ["vast"],
}


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[Rig]:
    clock = FakeClock()
    backend = NullBackend(clock, default_length_s=100.0)
    player = Player(backend, clock=clock)
    r = Rig(player, backend, clock)
    player.event_recorded.connect(lambda kind, payload: r.events.append((kind, payload)))
    player.error.connect(r.errors.append)
    player.state_changed.connect(r.states.append)
    player.track_changed.connect(r.tracks.append)
    player.section_changed.connect(r.sections.append)
    player.load_playlist(make_playlist(tmp_path, ARC))
    yield r
    player.close()


def start(rig: Rig) -> None:
    rig.player.play()
    rig.run(rig.player.settings.fade_in_s + 0.1)


def steps(volumes: list[int]) -> list[int]:
    return [abs(b - a) for a, b in itertools.pairwise(volumes)]


# -- starting, fading in, the record -------------------------------------------------------------


def test_load_puts_the_cursor_on_the_first_playable_track(rig: Rig) -> None:
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.playing_title() == "settle"
    assert rig.player.current_section_key == "pre-onset"
    assert rig.sections == ["pre-onset"]
    assert rig.kinds() == ["playlist_loaded"]
    assert rig.backend.calls == []  # loading never starts music


def test_play_fades_in_from_silence(rig: Rig) -> None:
    rig.player.play()
    assert rig.player.state is PlaybackState.PLAYING
    assert rig.backend.volume == 0 and rig.backend.playing  # starts silent, then rises
    rig.run(rig.player.settings.fade_in_s + 0.1)
    assert rig.backend.volume == rig.player.effective_volume == 80
    volumes = rig.backend.volumes
    assert volumes == sorted(volumes)  # only ever up
    assert max(steps(volumes)) <= MAX_STEP
    assert rig.kinds()[1:] == ["play", "track_start"]


def test_play_asks_the_backend_before_recording_or_signalling(rig: Rig, tmp_path: Path) -> None:
    """The record, the state and the pane's slots cost the first sound nothing: they run after
    the backend was asked to play (bench_player.py, "play to first audio")."""
    seen: list[tuple[str, list[str]]] = []
    rig.player.event_recorded.connect(lambda kind, _payload: seen.append((kind, list(rig.backend.calls))))
    rig.player.state_changed.connect(lambda state: seen.append((state.value, list(rig.backend.calls))))
    rig.player.play()
    assert [what for what, _ in seen] == ["play", "playing", "track_start"]
    assert all(calls[-1] == "play" for _, calls in seen)
    play = rig.last(EventKind.PLAY)
    assert play["state"] == "stopped" and play["title"] == "settle" and play["volume"] == 0


def test_play_is_recorded_before_a_vanished_track_is_reported(rig: Rig) -> None:
    assert rig.player.current_track is not None and rig.player.current_track.path is not None
    rig.player.current_track.path.unlink()  # gone since the playlist was checked
    rig.player.play()
    assert rig.kinds()[1:] == ["play", "error", "track_start"]
    assert rig.last(EventKind.TRACK_START)["title"] == "breathe"


def test_track_start_payload_says_what_is_playing(rig: Rig) -> None:
    rig.player.play()
    payload = rig.last(EventKind.TRACK_START)
    assert payload["title"] == "settle"
    assert payload["artist"] == "Ensemble"
    assert payload["location"] == "settle.flac"
    assert payload["path"].endswith("settle.flac")
    assert payload["section"] == "pre-onset"
    assert payload["index"] == 0
    assert payload["state"] == "playing"
    assert payload["reason"] == "play"


def test_every_payload_is_json(rig: Rig) -> None:
    start(rig)
    rig.player.toggle_talk_level()
    rig.player.set_volume(50)
    rig.player.go_to_section("onset", "after_track")
    rig.player.next_track()
    rig.run(5)
    rig.backend.finish()
    rig.player.pause()
    rig.run(3)
    rig.player.play()
    rig.player.fade_out_and_stop(2)
    rig.run(3)
    assert len(rig.events) > 10
    for kind, payload in rig.events:
        assert EventKind(kind)
        assert json.loads(json.dumps(payload)) == payload


def test_position_follows_the_clock(rig: Rig) -> None:
    positions: list[tuple[float, float]] = []
    rig.player.position_changed.connect(lambda pos, length: positions.append((pos, length)))
    rig.player.play()
    rig.run(10)
    assert rig.player.position == pytest.approx(10.0)
    assert positions[-1][0] == pytest.approx(10.0, abs=0.3)
    assert positions[-1][1] == 100.0
    assert 30 <= len(positions) <= 50  # about four a second, not one per tick


def test_play_without_a_playlist_says_so(qtbot: Any) -> None:
    clock = FakeClock()
    player = Player(NullBackend(clock), clock=clock)
    with qtbot.waitSignal(player.error) as blocker:
        player.play()
    assert "No playlist" in blocker.args[0]
    assert player.state is PlaybackState.STOPPED
    player.close()


# -- the queue ----------------------------------------------------------------------------------


def test_end_of_track_advances_and_is_recorded(rig: Rig) -> None:
    start(rig)
    before = len(rig.events)
    rig.backend.finish()
    assert rig.playing_title() == "breathe"
    assert rig.kinds()[before:] == ["track_end", "track_start"]
    end, begin = rig.events[before][1], rig.events[before + 1][1]
    assert end["title"] == "settle" and end["position_s"] == 100.0
    assert begin["title"] == "breathe" and begin["reason"] == "next track"
    assert rig.backend.path is not None and rig.backend.path.name == "breathe.flac"
    assert rig.tracks[-1] is rig.player.current_track


def test_natural_hand_over_keeps_the_volume(rig: Rig) -> None:
    start(rig)
    sent = len(rig.backend.volumes)
    rig.backend.finish()
    rig.run(1)
    assert rig.backend.volumes[sent:] == []  # no dip: the recordings carry their own endings
    assert rig.player.effective_volume == 80


def test_track_ends_by_itself_when_its_time_is_up(rig: Rig) -> None:
    rig.player.play()
    rig.run(100.1)
    assert rig.playing_title() == "breathe"
    assert rig.of(EventKind.TRACK_END)[0]["title"] == "settle"


def test_section_end_continues_into_the_next_section(rig: Rig) -> None:
    start(rig)
    rig.backend.finish()  # settle -> breathe
    rig.backend.finish()  # breathe -> drift, a new section
    assert rig.player.current_section_key == "onset"
    assert rig.sections == ["pre-onset", "onset"]
    change = rig.last(EventKind.SECTION_CHANGE)
    assert (change["from_section"], change["to_section"], change["reason"]) == (
        "pre-onset",
        "onset",
        "section ended",
    )
    assert rig.kinds()[-3:] == ["track_end", "section_change", "track_start"]


def test_section_end_loops_when_set(rig: Rig) -> None:
    rig.player.settings = replace(rig.player.settings, at_section_end=SectionEnd.LOOP)
    start(rig)
    rig.backend.finish()
    rig.backend.finish()
    assert rig.playing_title() == "settle"
    assert rig.player.current_section_key == "pre-onset"


def test_missing_tracks_are_skipped_and_said_why(rig: Rig) -> None:
    rig.player.play_track("onset", 0)  # drift
    rig.run(3)
    rig.backend.finish()
    assert rig.playing_title() == "open"
    skipped = rig.last(EventKind.TRACK_SKIPPED)
    assert (skipped["title"], skipped["status"], skipped["reason"]) == ("gone", "missing", "file not found")
    assert "position_s" not in skipped  # it is about the passed-over track, not the playing one
    assert any("Skipped “gone”" in e and "file not found" in e for e in rig.errors)


def test_a_file_deleted_before_its_turn_is_reported_and_skipped(rig: Rig) -> None:
    breathe = rig.player.playlist.section("pre-onset").tracks[1]  # type: ignore[union-attr]
    assert breathe.path is not None
    breathe.path.unlink()
    start(rig)
    rig.backend.finish()
    assert rig.playing_title() == "drift"
    error = rig.last(EventKind.ERROR)
    assert error["title"] == "breathe" and "no longer exists" in error["message"]
    assert any("“breathe”" in e and "no longer exists" in e for e in rig.errors)


def test_a_track_that_fails_while_playing_is_skipped(rig: Rig) -> None:
    start(rig)
    rig.backend.fail("it could not be decoded")
    assert rig.playing_title() == "breathe"
    assert rig.player.state is PlaybackState.PLAYING
    assert rig.last(EventKind.ERROR)["title"] == "settle"
    assert "Could not play “settle”: it could not be decoded. Skipping" in rig.errors[-1]
    assert rig.backend.volume == 0  # the next one fades in rather than starting loud
    rig.run(2)
    assert rig.player.effective_volume == 80


def test_when_every_track_fails_the_music_stops_instead_of_spinning(tmp_path: Path, qtbot: Any) -> None:
    clock = FakeClock()
    playlist = make_playlist(tmp_path, {"peak": ["one", "two"]})
    broken = {t.path: "not audio" for t in playlist.tracks if t.path is not None}
    backend = NullBackend(clock, broken=broken)
    player = Player(backend, clock=clock, settings=PlayerSettings(at_section_end=SectionEnd.LOOP))
    errors: list[str] = []
    player.error.connect(errors.append)
    player.load_playlist(playlist)
    player.play()
    for _ in range(20):  # far more ticks than tracks: it must settle, not loop
        clock.now += TICK
        player.tick()
    assert player.state is PlaybackState.STOPPED
    assert len(errors) == 2 and "No track of the playlist could be played" in errors[-1]
    player.close()


def test_the_end_of_the_playlist_stops(rig: Rig) -> None:
    rig.player.play_track("peak", 0)
    rig.backend.finish()
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.last(EventKind.STOP)["reason"] == "playlist ended"
    assert rig.backend.calls[-1] == "stop"


# -- moving around -------------------------------------------------------------------------------


def test_next_track_fades_out_then_fades_the_next_in(rig: Rig) -> None:
    start(rig)
    assert rig.player.next_track()
    assert rig.last(EventKind.SKIP) | {} == rig.last(EventKind.SKIP)
    assert rig.last(EventKind.SKIP)["action"] == "next" and rig.last(EventKind.SKIP)["to_title"] == "breathe"
    sent = len(rig.backend.volumes)
    rig.run(1.0)
    assert rig.playing_title() == "settle"  # still fading out the old one
    assert 0 < rig.backend.volume < 80
    rig.run(1.1)
    assert rig.playing_title() == "breathe"
    rig.run(2)
    assert rig.player.effective_volume == 80
    dip = rig.backend.volumes[sent:]
    assert min(dip) == 0 and max(steps(dip)) <= MAX_STEP


def test_pressing_next_twice_during_the_fade_skips_two(rig: Rig) -> None:
    start(rig)
    rig.player.next_track()
    rig.run(0.5)
    rig.player.next_track()
    rig.run(3)
    assert rig.playing_title() == "drift"
    assert [p["to_title"] for p in rig.of(EventKind.SKIP)] == ["breathe", "drift"]


def test_previous_restarts_a_track_that_is_well_under_way(rig: Rig) -> None:
    start(rig)
    rig.run(10)
    assert rig.player.previous_track()
    assert rig.last(EventKind.SKIP)["action"] == "restart"
    rig.run(2.1)
    assert rig.playing_title() == "settle"
    assert rig.player.position < 1.0
    assert rig.backend.calls.count("load") == 2


def test_previous_early_in_a_track_goes_back_one(rig: Rig) -> None:
    start(rig)
    rig.backend.finish()  # breathe
    rig.run(2)
    assert rig.player.previous_track()
    rig.run(2.1)
    assert rig.playing_title() == "settle"


def test_previous_goes_back_across_sections_past_missing_tracks(rig: Rig) -> None:
    rig.player.play_track("onset", 2)  # open
    rig.run(1)
    assert rig.player.previous_track()  # over "gone" to "drift"
    rig.run(3)
    assert rig.playing_title() == "drift"
    assert rig.player.previous_track()
    rig.run(3)
    assert rig.playing_title() == "breathe" and rig.player.current_section_key == "pre-onset"


def test_previous_at_the_very_start_does_nothing(rig: Rig) -> None:
    start(rig)
    assert not rig.player.previous_track()


def test_play_track_jumps_there(rig: Rig) -> None:
    start(rig)
    assert rig.player.play_track("onset", 2)
    rig.run(4)
    assert rig.playing_title() == "open"
    assert rig.last(EventKind.SKIP)["action"] == "jump"


def test_play_track_refuses_a_missing_track(rig: Rig) -> None:
    start(rig)
    assert not rig.player.play_track("onset", 1)
    assert rig.playing_title() == "settle"
    assert "“gone”" in rig.errors[-1]
    with pytest.raises(ValueError):
        rig.player.play_track("onset", 9)
    with pytest.raises(ValueError):
        rig.player.play_track("nowhere", 0)


def test_play_track_from_stopped_starts_the_music(rig: Rig) -> None:
    assert rig.player.play_track("peak", 0)
    assert rig.player.state is PlaybackState.PLAYING
    assert rig.playing_title() == "vast"
    assert rig.kinds()[-4:] == ["skip", "section_change", "play", "track_start"]


def test_section_change_with_fade(rig: Rig) -> None:
    start(rig)
    assert rig.player.go_to_section("peak", SectionChangeMode.FADE)
    rig.run(1)
    assert rig.player.current_section_key == "pre-onset" and rig.backend.volume < 80
    rig.run(1.1)
    assert rig.player.current_section_key == "peak"
    assert rig.sections[-1] == "peak"
    change = rig.last(EventKind.SECTION_CHANGE)
    assert (change["from_section"], change["to_section"], change["reason"]) == (
        "pre-onset",
        "peak",
        "section change",
    )
    assert rig.last(EventKind.TRACK_START)["title"] == "vast"


def test_section_change_after_the_current_track(rig: Rig) -> None:
    queued: list[str] = []
    rig.player.queued_section_changed.connect(queued.append)
    start(rig)
    assert rig.player.go_to_section("peak", "after_track")
    assert rig.player.queued_section_key == "peak" and queued == ["peak"]
    assert rig.last(EventKind.SECTION_QUEUED)["to_section"] == "peak"
    rig.run(20)
    assert rig.playing_title() == "settle"  # undisturbed, at full volume
    assert rig.player.effective_volume == 80
    rig.backend.finish()
    assert rig.playing_title() == "vast"  # not "breathe"
    assert rig.player.queued_section_key is None and queued == ["peak", ""]
    assert rig.last(EventKind.SECTION_CHANGE)["reason"] == "queued section"


def test_section_change_mode_defaults_to_the_setting(rig: Rig) -> None:
    rig.player.settings = replace(rig.player.settings, section_change_mode=SectionChangeMode.AFTER_TRACK)
    start(rig)
    rig.player.go_to_section("onset")
    assert rig.player.queued_section_key == "onset"


def test_section_change_while_stopped_only_moves_the_cursor(rig: Rig) -> None:
    assert rig.player.go_to_section("onset", "after_track")
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.playing_title() == "drift"
    assert rig.backend.calls == []
    rig.player.play()
    assert rig.last(EventKind.TRACK_START)["title"] == "drift"


def test_section_without_playable_tracks_is_refused(rig: Rig, tmp_path: Path) -> None:
    rig.player.load_playlist(make_playlist(tmp_path, {"onset": ["a"], "peak": ["!b", "!c"]}))
    start(rig)
    assert not rig.player.go_to_section("peak")
    assert rig.playing_title() == "a"
    assert "has no playable tracks" in rig.errors[-1]


# -- pause, resume, end of session ---------------------------------------------------------------


def test_pause_fades_down_then_pauses(rig: Rig) -> None:
    start(rig)
    rig.player.pause()
    assert rig.player.state is PlaybackState.PAUSING
    assert rig.backend.playing and "pause" not in rig.backend.calls
    rig.run(0.5)
    assert 0 < rig.backend.volume < 80
    rig.run(1.1)
    assert rig.player.state is PlaybackState.PAUSED
    assert rig.backend.volume == 0 and not rig.backend.playing
    assert rig.backend.calls[-1] == "pause"
    assert rig.last(EventKind.PAUSE)["title"] == "settle"


def test_resume_plays_then_fades_up(rig: Rig) -> None:
    start(rig)
    rig.run(10)
    rig.player.pause()
    rig.run(2)
    paused_at = rig.player.position
    sent = len(rig.backend.volumes)
    rig.player.toggle_pause()
    assert rig.player.state is PlaybackState.PLAYING and rig.backend.playing
    assert rig.backend.calls[-1] == "play" and rig.backend.volume == 0
    rig.run(2)
    up = rig.backend.volumes[sent:]
    assert up == sorted(up) and up[-1] == 80 and max(steps(up)) <= MAX_STEP
    assert rig.player.position == pytest.approx(paused_at + 2.0)  # continued where it paused
    assert rig.last(EventKind.RESUME)["position_s"] == pytest.approx(paused_at, abs=0.01)


def test_resume_during_the_pause_fade_turns_back_without_a_jump(rig: Rig) -> None:
    start(rig)
    rig.player.pause()
    rig.run(0.6)
    low = rig.backend.volume
    sent = len(rig.backend.volumes)
    rig.player.play()
    rig.run(2)
    assert rig.player.state is PlaybackState.PLAYING and "pause" not in rig.backend.calls
    back = rig.backend.volumes[sent:]
    assert abs(back[0] - low) <= MAX_STEP and back[-1] == 80


def test_a_track_ending_during_the_pause_fade_leaves_the_next_one_cued(rig: Rig) -> None:
    start(rig)
    rig.player.pause()
    rig.run(0.5)
    rig.backend.finish()
    assert rig.player.state is PlaybackState.PAUSED
    assert rig.playing_title() == "breathe"
    rig.player.play()
    assert rig.last(EventKind.TRACK_START)["title"] == "breathe"


def test_skip_while_paused_cues_the_track_and_resume_starts_it(rig: Rig) -> None:
    start(rig)
    rig.player.pause()
    rig.run(2)
    rig.player.next_track()
    assert rig.player.state is PlaybackState.PAUSED
    assert rig.playing_title() == "breathe" and rig.backend.calls[-1] == "stop"
    rig.player.play()
    assert rig.last(EventKind.TRACK_START)["title"] == "breathe"
    assert rig.backend.volume == 0  # fades in
    rig.run(2)
    assert rig.player.effective_volume == 80


def test_skip_during_the_pause_fade_applies_when_it_ends(rig: Rig) -> None:
    start(rig)
    rig.player.pause()
    rig.run(0.5)
    rig.player.next_track()
    rig.run(2)
    assert rig.player.state is PlaybackState.PAUSED
    assert rig.playing_title() == "breathe"


def test_fade_out_and_stop_for_the_end_of_the_session(rig: Rig) -> None:
    start(rig)
    rig.player.fade_out_and_stop(10)
    assert rig.player.state is PlaybackState.STOPPING
    fade = rig.last(EventKind.FADE)
    assert (fade["what"], fade["volume_from"], fade["volume_to"], fade["duration_s"]) == (
        "session end",
        80,
        0,
        10,
    )
    sent = len(rig.backend.volumes)
    rig.run(5)
    assert 0 < rig.backend.volume < 80 and rig.backend.playing
    rig.run(5.1)
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.backend.calls[-1] == "stop"
    down = rig.backend.volumes[sent:]
    assert down == sorted(down, reverse=True) and down[-1] == 0 and max(steps(down)) <= 2
    assert rig.last(EventKind.STOP)["reason"] == "faded out"
    assert rig.states[-2:] == [PlaybackState.STOPPING, PlaybackState.STOPPED]


def test_play_during_the_end_fade_brings_the_music_back(rig: Rig) -> None:
    start(rig)
    rig.player.fade_out_and_stop(10)
    rig.run(3)
    rig.player.play()
    rig.run(3)
    assert rig.player.state is PlaybackState.PLAYING and rig.player.effective_volume == 80


def test_fade_out_while_paused_stops_quietly(rig: Rig) -> None:
    start(rig)
    rig.player.pause()
    rig.run(2)
    rig.player.fade_out_and_stop()
    assert rig.player.state is PlaybackState.STOPPED and rig.backend.calls[-1] == "stop"


# -- volume and talk-down ----------------------------------------------------------------------


def test_talk_level_fades_down_and_back_up(rig: Rig) -> None:
    talk: list[bool] = []
    rig.player.talk_changed.connect(talk.append)
    start(rig)
    assert rig.player.toggle_talk_level() is True
    rig.run(3.1)
    assert rig.player.effective_volume == 20  # a quarter of 80
    assert rig.player.volume == 80  # the music volume itself is unchanged
    down = rig.last(EventKind.FADE)
    assert (down["what"], down["volume_from"], down["volume_to"]) == ("talk down", 80, 20)
    assert rig.player.toggle_talk_level() is False
    rig.run(3.1)
    assert rig.player.effective_volume == 80
    assert talk == [True, False]
    assert max(steps(rig.backend.volumes)) <= MAX_STEP


def test_talk_level_survives_a_track_change(rig: Rig) -> None:
    start(rig)
    rig.player.toggle_talk_level()
    rig.run(3.1)
    rig.backend.finish()
    rig.run(1)
    assert rig.playing_title() == "breathe" and rig.player.effective_volume == 20


def test_talk_pressed_twice_quickly_returns_from_where_it_was(rig: Rig) -> None:
    start(rig)
    rig.player.toggle_talk_level()
    rig.run(1.0)
    mid = rig.player.effective_volume
    assert 20 < mid < 80
    rig.player.toggle_talk_level()
    up = rig.last(EventKind.FADE)
    assert up["duration_s"] < 3.0  # the part of the way it had gone, at the same pace
    rig.run(up["duration_s"] + 0.1)
    assert rig.player.effective_volume == 80


def test_set_volume_ramps_and_is_recorded(rig: Rig) -> None:
    levels: list[int] = []
    rig.player.volume_changed.connect(levels.append)
    start(rig)
    levels.clear()
    rig.player.set_volume(30)
    assert rig.player.volume == 30 and rig.player.effective_volume == 80  # heading there, not there
    rig.run(2.0)
    assert levels[-1] == 30 and len(levels) > 5 and max(steps(levels)) <= MAX_STEP
    change = rig.last(EventKind.VOLUME)
    assert (change["volume_from"], change["volume_to"]) == (80, 30)


def test_volume_never_jumps_through_a_whole_sitting(rig: Rig) -> None:
    rig.player.play()
    rig.run(30)
    rig.player.toggle_talk_level()
    rig.run(1)
    rig.player.next_track()  # skip while talking down
    rig.run(5)
    rig.player.toggle_talk_level()
    rig.player.set_volume(60)
    rig.run(5)
    rig.player.go_to_section("onset")
    rig.run(1)
    rig.player.pause()
    rig.run(0.7)
    rig.player.play()
    rig.run(5)
    rig.backend.finish()
    rig.player.set_volume(100)
    rig.run(1)
    rig.player.fade_out_and_stop(15)
    rig.run(16)
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.backend.volumes[0] == 0 and rig.backend.volumes[-1] == 0
    assert max(steps(rig.backend.volumes)) <= MAX_STEP


# -- the timer and shutdown --------------------------------------------------------------------


def test_the_timer_ticks_by_itself(rig: Rig, qtbot: Any) -> None:
    rig.player.play()
    rig.clock.now += 1.0  # the fade is a second along; only the timer can notice
    with qtbot.waitSignal(rig.player.volume_changed, timeout=2000) as blocker:
        pass
    assert blocker.args[0] > 0


def test_the_timer_rests_when_nothing_moves(rig: Rig) -> None:
    start(rig)
    rig.player.pause()
    rig.run(2)
    assert not rig.player._timer.isActive()
    rig.player.play()
    assert rig.player._timer.isActive()


def test_the_timer_rests_while_a_backend_that_reports_its_position_plays(qtbot: Any, tmp_path: Path) -> None:
    """libvlc says when its time moves (``reports_position``): once the fade-in is over the player
    does not wake up at all while the music just plays, and the position still reaches the pane."""
    clock = FakeClock()
    backend = NullBackend(clock, default_length_s=100.0, reports_position=True)
    player = Player(backend, clock=clock)
    player.load_playlist(make_playlist(tmp_path, ARC))
    positions: list[float] = []
    player.position_changed.connect(lambda position, _length: positions.append(position))
    player.play()
    for _ in range(round((player.settings.fade_in_s + 0.2) / TICK)):
        clock.now += TICK
        player.tick()
    assert player.state is PlaybackState.PLAYING and player.effective_volume == 80
    assert not player._timer.isActive()
    positions.clear()
    for _ in range(round(10 / TICK)):  # the backend's own thread reports; nobody ticks the player
        clock.now += TICK
        backend.poll()
    assert positions == pytest.approx([float(s) for s in range(5, 15)], abs=0.3)  # once a second
    player.pause()
    assert player._timer.isActive()  # a fade wakes it again
    player.close()


def test_loading_a_playlist_while_playing_fades_out_first(rig: Rig, tmp_path: Path) -> None:
    start(rig)
    other = tmp_path / "other"
    other.mkdir()
    rig.player.load_playlist(make_playlist(other, {"return": ["home"]}))
    assert rig.player.state is PlaybackState.STOPPING and rig.backend.playing
    assert rig.playing_title() == "home"
    rig.run(2.1)
    assert rig.player.state is PlaybackState.STOPPED and rig.backend.volume == 0
    stop = rig.last(EventKind.STOP)
    assert stop["title"] == "settle"  # the record names what actually faded out


def test_play_during_the_load_fade_starts_the_new_playlist(rig: Rig, tmp_path: Path) -> None:
    start(rig)
    other = tmp_path / "other"
    other.mkdir()
    rig.player.load_playlist(make_playlist(other, {"return": ["home", "rest"]}))
    rig.run(0.5)
    rig.player.play()  # changed their mind: play now, from the new playlist
    assert rig.player.state is PlaybackState.PLAYING
    rig.run(3)
    assert rig.last(EventKind.TRACK_START)["title"] == "home"
    assert rig.backend.path is not None and rig.backend.path.name == "home.flac"
    assert max(steps(rig.backend.volumes)) <= MAX_STEP


def test_skip_during_the_end_fade_moves_the_cursor_for_next_time(rig: Rig) -> None:
    start(rig)
    rig.player.fade_out_and_stop(4)
    rig.run(1)
    assert rig.player.next_track()
    assert rig.playing_title() == "settle"  # still fading out
    rig.run(3.1)
    assert rig.player.state is PlaybackState.STOPPED
    assert rig.playing_title() == "breathe"


def test_close_releases_the_backend_once(rig: Rig) -> None:
    start(rig)
    rig.player.close()
    rig.player.close()
    rig.player.tick()
    assert rig.backend.closed and rig.backend.calls.count("close") == 1
