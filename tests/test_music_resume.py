"""Music after a crash: the now-playing file, checked against the record, and ``Player.continue_at``.

A "crash" here is the first app's objects simply abandoned (no close, no fade, nothing flushed
after the moment of death) and a second ``LiveSession`` + ``Player`` + ``MusicSession`` opened on
the same record and data folder, as a restarted process does. Time is the shared ``FakeClock``,
moved by ``Rig.run`` (which ticks the player as its 50 ms timer would). The real process, libvlc
and SIGKILL version is tests/test_music_crash.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from test_music_session import (  # noqa: F401 (shared fixtures)
    TICK,
    TRACK_S,
    Rig,
    advance_to,
    make_rig,
    playlist_folder,
    rig,
)

from kapdesk.domain.entries import MusicEvent, music_event
from kapdesk.player import NullBackend, PlaybackState, Player
from kapdesk.playlists import load_playlist
from kapdesk.session.live import LiveSession
from kapdesk.session.music import HINT_INTERVAL_S
from kapdesk.session.now_playing import (
    NowPlaying,
    RecordedState,
    hint_path,
    read_hint,
    record_music_state,
    write_hint,
)


def run(rig: Rig, seconds: float) -> None:
    """``Rig.run``, plus what the app's event loop does after each tick: the music session's
    zero-delay timer commits what the player said (and then notes where the music is)."""
    for _ in range(round(seconds / TICK)):
        rig.run(TICK)
        QCoreApplication.processEvents()


def crash_and_restart(first: Rig, make_rig, *, outage_s: float = 20.0) -> Rig:
    """The first app dies now; ``outage_s`` later a new one opens the same sitting."""
    first.player.close()  # no fade, nothing recorded: a dead process says nothing more
    first.clock.advance(outage_s)
    live = LiveSession(first.store, first.live.id, first.live.clinician_id, first.clock)
    return make_rig(live=live)


def music_events(rig: Rig) -> list[MusicEvent]:
    return rig.music_entries()


# -- playing at the crash ---------------------------------------------------------------------------


def test_music_playing_at_the_crash_goes_on_with_the_same_track_at_the_same_place_fading_in(make_rig) -> None:
    first = make_rig()
    advance_to(first.live, "peak")
    first.player.set_volume(50)
    first.player.play()
    run(first, TRACK_S + 12.3)  # Peak A has ended; Peak B ("Peak missing" is skipped) is 12.3 s in
    assert first.player.current_track.title == "Peak B"
    killed_at = first.player.position

    again = crash_and_restart(first, make_rig)

    player = again.player
    assert player.state is PlaybackState.PLAYING
    assert player.current_track.title == "Peak B" and player.current_section_key == "peak"
    assert again.backend.path == again.music.playlist.section("peak").tracks[2].path
    assert killed_at - HINT_INTERVAL_S <= player.position <= killed_at, "at most a second old, never ahead"
    assert again.backend.calls[:3] == ["load", "seek", "play"], "seeked before it is heard"
    # It fades in from silence to the volume the therapist had chosen, never jumping.
    assert again.backend.volumes[-1] == 0
    run(again, player.settings.fade_in_s + 0.1)
    volumes = again.backend.volumes
    assert volumes[0] == 0 and volumes[-1] == 50 and player.volume == 50
    assert volumes == sorted(volumes) and len(volumes) > 20
    assert next(v for v in volumes if v) <= 5, "it starts from near silence"

    entries = again.music_entries()
    resumed = next(m for m in entries if m.event == "resumed_after_restart")
    assert (resumed.title, resumed.section) == ("Peak B", "peak")
    assert resumed.detail("position_s") == pytest.approx(killed_at, abs=HINT_INTERVAL_S)
    assert resumed.detail("as_state") == "playing" and resumed.detail("volume_to") == 50
    assert resumed.detail("since_noted_s") == pytest.approx(20.0, abs=HINT_INTERVAL_S + 0.1)
    assert resumed.detail("position_noted_at")
    start = entries[entries.index(resumed) + 1]
    assert (start.event, start.title, start.detail("reason")) == ("track_start", "Peak B", "resumed after restart")
    assert start.detail("fade_in_s") == player.settings.fade_in_s
    assert start.detail("position_s") == resumed.detail("position_s")
    assert again.music.notice.startswith("KAPDesk restarted: the music fades back in where it was, “Peak B” at 0:1")

    # ... and plays on from there into the next track, as if nothing had happened.
    run(again, TRACK_S - 12.3 + 1.5)
    assert player.current_track.title == "Re-entry A" and again.events()[-2:] == ["track_end", "section_change"] \
        or again.events()[-3:] == ["track_end", "section_change", "track_start"]


def test_a_crash_during_a_track_change_fade_takes_up_the_track_that_was_heard(make_rig) -> None:
    first = make_rig()
    first.player.play()
    run(first, 30)
    first.player.next_track()  # Settle A fades out for 2 s before Settle B starts
    run(first, 1.0)
    assert first.player.current_track.title == "Settle A"
    first.music.flush()
    again = crash_and_restart(first, make_rig)
    assert again.player.current_track.title == "Settle A"
    assert again.player.position == pytest.approx(31.0, abs=HINT_INTERVAL_S)


# -- paused or stopped at the crash -------------------------------------------------------------------


def test_music_paused_at_the_crash_stays_paused_at_that_position_and_play_goes_on_from_there(make_rig) -> None:
    first = make_rig()
    first.player.play()
    run(first, 20)
    first.player.pause()
    run(first, 5)
    assert first.player.state is PlaybackState.PAUSED
    paused_at = first.player.position
    first.music.flush()
    assert read_hint(hint_path(first.live.id)).state == "paused"

    again = crash_and_restart(first, make_rig, outage_s=60)
    player = again.player
    assert player.state is PlaybackState.PAUSED
    assert player.current_track.title == "Settle A"
    assert player.position == pytest.approx(paused_at, abs=0.01), "a paused track has not moved"
    run(again, 10)
    assert "play" not in again.backend.calls and again.backend.volume == 0, "nothing is heard by itself"
    assert again.music.notice == "KAPDesk restarted: “Settle A” waits, paused, at 0:21; press play to go on."
    resumed = [m for m in again.music_entries() if m.event == "resumed_after_restart"]
    assert len(resumed) == 1 and resumed[0].detail("as_state") == "paused"

    player.play()  # the therapist goes on: the resume fade, from the paused point
    run(again, player.settings.resume_fade_s + 0.1)
    assert player.state is PlaybackState.PLAYING and again.backend.volume == player.volume
    assert player.position == pytest.approx(paused_at + player.settings.resume_fade_s + 0.1, abs=0.1)
    assert again.events()[-1] == "resume"


def test_a_crash_during_the_pause_fade_comes_back_paused(make_rig) -> None:
    first = make_rig()
    first.player.play()
    run(first, 20)
    first.player.pause()
    run(first, 0.5)  # still fading down
    assert first.player.state is PlaybackState.PAUSING
    first.music.flush()
    again = crash_and_restart(first, make_rig)
    assert again.player.state is PlaybackState.PAUSED
    assert again.player.position == pytest.approx(20.5, abs=HINT_INTERVAL_S)


def test_music_stopped_at_the_crash_stays_stopped_and_a_stale_file_is_ignored(make_rig) -> None:
    first = make_rig()
    first.player.play()
    run(first, 10)
    first.music.close(fade_s=2.0)  # the therapist left the sitting's screen: the music faded out
    run(first, 2.1)
    assert first.events()[-1] == "stop"
    path = hint_path(first.live.id)
    assert not path.exists(), "stopped music leaves no now-playing file"
    # A file left behind (say the process died between the stop and the removal) claims it plays.
    path.write_text(NowPlaying(
        session=str(first.live.id), playlist_source=str(first.music.playlist_path), title="Settle A",
        location="audio/Settle A.wav", section="pre-onset", index=0, position_s=11.0, state="playing",
        volume=80, written_at=first.clock.utcnow().isoformat(),
    ).to_json(), encoding="utf-8")

    again = crash_and_restart(first, make_rig)
    assert again.player.state is PlaybackState.STOPPED, "the record says stopped, and the record wins"
    assert again.music.notice == ""
    assert not path.exists()
    run(again, 5)
    assert "play" not in again.backend.calls


def test_a_sitting_that_never_played_music_opens_as_before(make_rig) -> None:
    first = make_rig()
    run(first, 5)
    again = crash_and_restart(first, make_rig)
    assert again.player.state is PlaybackState.STOPPED and again.music.notice == ""
    assert again.events() == ["playlist_loaded", "playlist_loaded"]


# -- a file that cannot be trusted ----------------------------------------------------------------------


def played_then_crashed(make_rig, seconds: float = 25.0) -> Rig:
    first = make_rig()
    first.player.play()
    run(first, seconds)
    first.music.flush()
    return first


def assert_stays_stopped(again: Rig, because: str) -> None:
    assert again.player.state is PlaybackState.STOPPED
    assert again.player.current_section_key == "pre-onset", "the cursor waits on the phase's section"
    assert again.music.notice == (
        f"The music was playing when KAPDesk stopped; it stays stopped until you press play, because {because}."
    )
    run(again, 5)
    assert "play" not in again.backend.calls
    assert "resumed_after_restart" not in again.events()


def test_a_track_no_longer_in_the_playlist_leaves_the_music_stopped(make_rig) -> None:
    first = played_then_crashed(make_rig)
    playlist = first.folder / "arc.kap.toml"
    text = playlist.read_text(encoding="utf-8")
    playlist.write_text(text.replace('title = "Settle A"', 'title = "Settle C"')
                        .replace("audio/Settle A.wav", "audio/Settle C.wav"), encoding="utf-8")
    (first.folder / "audio" / "Settle A.wav").rename(first.folder / "audio" / "Settle C.wav")
    again = crash_and_restart(first, make_rig)
    assert_stays_stopped(again, "“Settle A” is no longer in the playlist")


def test_a_track_whose_file_is_gone_leaves_the_music_stopped(make_rig) -> None:
    first = played_then_crashed(make_rig)
    (first.folder / "audio" / "Settle A.wav").unlink()
    again = crash_and_restart(first, make_rig)
    assert_stays_stopped(again, "the file of “Settle A” is missing")


def test_an_unreadable_file_leaves_the_music_stopped(make_rig) -> None:
    first = played_then_crashed(make_rig)
    hint_path(first.live.id).write_text('{"format": 1, "session": ', encoding="utf-8")  # cut short
    again = crash_and_restart(first, make_rig)
    assert again.music.notice.startswith("The music was playing when KAPDesk stopped; it stays stopped until "
                                         "you press play, because not JSON (")
    assert again.player.state is PlaybackState.STOPPED


def test_a_file_of_another_playlist_leaves_the_music_stopped(make_rig) -> None:
    first = played_then_crashed(make_rig)
    path = hint_path(first.live.id)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "playlist_source": str(first.folder / "elsewhere.m3u8")}), encoding="utf-8")
    again = crash_and_restart(first, make_rig)
    assert_stays_stopped(again, "its playlist (elsewhere.m3u8) is not the one loaded now")


def test_a_file_that_disagrees_with_the_record_leaves_the_music_stopped(make_rig) -> None:
    first = played_then_crashed(make_rig)
    path = hint_path(first.live.id)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "title": "Settle B", "location": "audio/Settle B.wav", "index": 1}),
                    encoding="utf-8")
    again = crash_and_restart(first, make_rig)
    assert_stays_stopped(again, "the record and the now-playing file disagree about the track")


def test_a_file_of_another_sitting_leaves_the_music_stopped(make_rig) -> None:
    first = played_then_crashed(make_rig)
    path = hint_path(first.live.id)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "session": "00000000-0000-0000-0000-000000000000"}), encoding="utf-8")
    again = crash_and_restart(first, make_rig)
    assert_stays_stopped(again, "the now-playing file belongs to another sitting")


# -- the file's life --------------------------------------------------------------------------------------


def test_a_position_report_a_little_early_still_rewrites_the_file(rig: Rig) -> None:
    """libvlc reports each whole second of its time, some a few ms less than a second after the
    last: such a report still rewrites the file, or it would be two seconds old half the time."""
    path = hint_path(rig.live.id)
    rig.player.play()
    run(rig, 5)
    rig.clock.advance(HINT_INTERVAL_S)
    rig.player.position_changed.emit(rig.player.position, rig.player.length)  # the file is noted now
    noted = read_hint(path).written_at
    rig.clock.advance(HINT_INTERVAL_S - 0.01)
    rig.player.position_changed.emit(rig.player.position, rig.player.length)
    assert read_hint(path).written_at != noted


def test_the_file_follows_the_music_about_once_a_second_and_goes_when_it_stops(rig: Rig) -> None:
    path = hint_path(rig.live.id)
    assert not path.exists(), "loaded but never played: nothing to go on with"
    rig.player.play()
    rig.music.flush()
    for _ in range(3):
        run(rig, 7.3)
        noted = read_hint(path)
        assert (noted.state, noted.title, noted.section, noted.index) == ("playing", "Settle A", "pre-onset", 0)
        assert rig.player.position - HINT_INTERVAL_S <= noted.position_s <= rig.player.position
        assert noted.playlist_source == str(rig.music.playlist_path) and noted.volume == 80
    rig.player.pause()
    run(rig, 2)
    assert read_hint(path).state == "paused"
    rig.player.play()
    run(rig, 2)
    rig.live.end()  # the end of the sitting fades the music out: a crash now must not bring it back
    rig.music.flush()
    assert not path.exists()


def test_leaving_the_screen_removes_the_file_as_the_fade_begins(rig: Rig) -> None:
    rig.player.play()
    run(rig, 5)
    assert hint_path(rig.live.id).exists()
    rig.music.close(fade_s=3.0)
    assert not hint_path(rig.live.id).exists()


def test_the_file_is_replaced_whole_never_left_half_written(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    rig.player.play()
    run(rig, 3)
    path = hint_path(rig.live.id)
    before = path.read_text(encoding="utf-8")

    full = [True]
    real_replace = os.replace

    def replace(source, target):
        if full[0]:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr("kapdesk.session.now_playing.os.replace", replace)
    run(rig, 3)
    assert path.read_text(encoding="utf-8") == before, "the old file stays whole"
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left behind"
    assert rig.music.notice == ("Where the music is could not be noted for a restart (No space left on device); "
                                "it plays on.")
    assert rig.player.state is PlaybackState.PLAYING
    full[0] = False  # space again: the next note is written and the notice goes
    run(rig, 1.5)
    assert read_hint(path).position_s > json.loads(before)["position_s"] and rig.music.notice == ""


# -- the pieces ---------------------------------------------------------------------------------------------


def ev(kind: str, **fields) -> MusicEvent:
    return music_event(kind, {"title": fields.pop("title", "T"), "location": "t.wav", "section": "peak", **fields})


@pytest.mark.parametrize(("kinds", "state"), [
    ([], RecordedState.NONE),
    (["playlist_loaded"], RecordedState.STOPPED),
    (["playlist_loaded", "play", "track_start"], RecordedState.PLAYING),
    (["playlist_loaded", "play", "track_start", "track_end", "track_start", "volume", "fade"], RecordedState.PLAYING),
    (["play", "track_start", "pause"], RecordedState.PAUSED),
    (["play", "track_start", "pause", "resume"], RecordedState.PLAYING),
    (["play", "track_start", "fade", "stop"], RecordedState.STOPPED),
    (["play", "track_start", "playlist_loaded", "resume", "track_start"], RecordedState.PLAYING),
    (["play", "track_start", "error", "track_skipped"], RecordedState.PLAYING),
])
def test_what_the_record_says_the_music_was_doing(kinds: list[str], state: RecordedState) -> None:
    assert record_music_state([ev(k) for k in kinds])[0] is state


def test_a_continuation_in_the_record_counts_as_the_state_it_restored() -> None:
    paused, track = record_music_state([ev("play"), ev("track_start", title="A"),
                                        ev("resumed_after_restart", title="B", as_state="paused")])
    assert paused is RecordedState.PAUSED and track is not None and track.title == "B"
    assert record_music_state([ev("track_start"), ev("stop")])[1] is None


def test_continue_at_only_from_stopped_and_only_a_track_that_can_play(qtbot, clock, playlist_folder: Path) -> None:
    playlist = load_playlist(playlist_folder / "arc.kap.toml")
    backend = NullBackend(clock.monotonic, default_length_s=TRACK_S)
    player = Player(backend, clock=clock.monotonic)
    events: list[str] = []
    player.event_recorded.connect(lambda kind, _p: events.append(kind))
    try:
        player.load_playlist(playlist)
        with pytest.raises(ValueError, match="no section 'coda'"):
            player.continue_at("coda", 0, 10.0)
        with pytest.raises(ValueError, match="has no track 7"):
            player.continue_at("peak", 7, 10.0)
        assert not player.continue_at("peak", 1, 10.0), "“Peak missing” is not playable"
        (playlist_folder / "audio" / "Peak B.wav").unlink()
        assert not player.continue_at("peak", 2, 10.0), "its file has gone since the playlist was read"
        assert events == ["playlist_loaded"], "a refusal records nothing"
        assert player.continue_at("peak", 0, 10.0)
        assert player.state is PlaybackState.PLAYING and player.position == 10.0
        assert not player.continue_at("onset", 0, 5.0), "not while music plays"
        assert events[1:] == ["resumed_after_restart", "section_change", "track_start"]
    finally:
        player.close()


GOOD = {"format": 1, "session": "s", "playlist_source": "p.kap.toml", "title": "T", "location": "t.wav",
        "section": "peak", "index": 0, "position_s": 12.5, "state": "playing", "volume": 80,
        "written_at": "2026-01-05T09:00:00+00:00"}


@pytest.mark.parametrize(("change", "reason"), [
    ({"format": 2}, "not a now-playing file of this KAPDesk"),
    ({"index": "0"}, "field index is missing or of the wrong type"),
    ({"position_s": True}, "field position_s is missing or of the wrong type"),
    ({"section": None}, "field section is missing or of the wrong type"),
    ({"written_at": "2026-01-05T09:00:00"}, "its time has no time zone"),
    ({"written_at": "noon"}, "Invalid isoformat string"),
])
def test_a_hint_file_is_read_strictly(change: dict, reason: str) -> None:
    assert NowPlaying.from_json(json.dumps(GOOD)).position_s == 12.5
    with pytest.raises(ValueError, match=reason):
        NowPlaying.from_json(json.dumps({**GOOD, **change}))
    without = {k: v for k, v in GOOD.items() if k != "volume"}
    with pytest.raises(ValueError, match="field volume is missing"):
        NowPlaying.from_json(json.dumps(without))


def test_writing_the_file_leaves_one_owner_only_file_and_makes_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "now-playing" / "sitting.json"
    hint = NowPlaying(session="s", playlist_source="arc.kap.toml", title="Settle A", location="a.wav",
                      section="pre-onset", index=0, position_s=1.0, state="playing", volume=80,
                      written_at="2026-01-01T00:00:00+00:00")
    for position in (1.0, 2.0, 3.0):
        write_hint(path, NowPlaying(**{**hint.__dict__, "position_s": position}))
    assert read_hint(path) == NowPlaying(**{**hint.__dict__, "position_s": 3.0})
    assert json.loads(path.read_text(encoding="utf-8")) == {"format": 1, **hint.__dict__, "position_s": 3.0}
    assert "\n" not in path.read_text(encoding="utf-8"), "one line, by json's C encoder"
    assert [p.name for p in path.parent.iterdir()] == ["sitting.json"], "no temporary file is left behind"
    assert path.stat().st_mode & 0o777 == 0o600
