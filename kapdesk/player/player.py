"""The music player: our own queue over a backend, every volume change a fade, every act recorded.

``Player`` is a widget-free ``QObject`` (style.md, habit 2). It owns the queue (a ``Playlist``'s
sections, a cursor, a section queued for "after this track"), the volume and the fades; the
backend (``backends.py``) only plays one file at a time. The UI calls the methods below and listens
to the signals; the store connects ``event_recorded`` so the session record shows what was playing
at every moment, next to vitals and notes (product.md, "Music").

Volume is three layers multiplied together (``fades.effective_volume``):

* master  0..100, the therapist's music volume; ``set_volume`` ramps it.
* talk    1.0, or ``talk_fraction`` while talking; ``toggle_talk_level`` ramps it.
* transport 0..1, fades for starting, pausing, changing track and ending the session.

Keeping them apart lets a talk-down during a track change, or a volume change during a talk-down,
simply combine instead of fighting over one number. Each layer moves along a ``fades.Ramp``;
``tick`` (a 50 ms ``QTimer``, or the test calling it) reads the injected monotonic ``clock``,
advances the ramps and sends the effective volume to the backend whenever its integer changes.

Track transitions (a documented choice): one libvlc ``MediaPlayer``, no overlap. A true crossfade
needs two players, two audio streams, two sets of events and twice the failure surface, during a
three-hour sitting where a stuck stream is worse than a short seam. So:

* a track that ends by itself hands over at once at the current volume: curated KAP tracks carry
  their own endings and openings, and libvlc starts the next file within a few tens of
  milliseconds, which is as near gapless as one player gets;
* a change the therapist makes (next, previous, jump, section change in "fade" mode) fades the
  current track out along the equal-power fade-out half, then fades the next track in along the
  equal-power fade-in half (``fades.crossfade_gains`` is the same pair, overlapped).

After a restart, ``continue_at`` takes a track up at a position (fading in as ``play`` does, or
loaded and paused there); ``MusicSession`` decides whether and where (``session/now_playing.py``).

Nothing stops abruptly: pause fades down and then pauses, resume plays and then fades up, the end of
the session fades out and then stops. A fade reversed half-way (resume during a pause fade, talk
pressed twice) returns from where it is, at the same pace, never from a jump.

States: STOPPED (not started, or finished; ``play`` starts the track at the cursor), PLAYING
(audible; may be fading between tracks), PAUSING (fading towards PAUSED), PAUSED (silent; ``play``
resumes, or starts the cursor track if the therapist moved while paused), STOPPING (fading towards
STOPPED).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from kapdesk.domain.fades import FadeCurve, Ramp, clamp_volume, effective_volume, proportional_duration
from kapdesk.player.backends import PlaybackBackend
from kapdesk.playlists.model import Playlist, Section, Track


class PlaybackState(Enum):
    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSING = "pausing"
    PAUSED = "paused"
    STOPPING = "stopping"


class SectionChangeMode(Enum):
    FADE = "fade"  # fade the current track out and start the section now
    AFTER_TRACK = "after_track"  # let the current track finish, then start the section


class SectionEnd(Enum):
    CONTINUE = "continue"  # the arc moves on into the next section
    LOOP = "loop"  # stay in this section until the therapist moves on


class EventKind(StrEnum):
    """The ``kind`` strings of ``Player.event_recorded``; the store keys session entries on them."""

    PLAYLIST_LOADED = "playlist_loaded"
    PLAY = "play"  # the therapist started the music from stopped
    PAUSE = "pause"  # pause asked for (the fade-down starts now)
    RESUME = "resume"
    SKIP = "skip"  # next / previous / restart / jump / section (payload "action")
    SECTION_CHANGE = "section_change"  # a different section is now playing (or cued)
    SECTION_QUEUED = "section_queued"  # a section will start when the current track ends
    FADE = "fade"  # talk-down, talk-up, end-of-session fade (payload "what")
    VOLUME = "volume"  # master volume change
    TRACK_START = "track_start"
    TRACK_END = "track_end"  # played to its end
    TRACK_SKIPPED = "track_skipped"  # passed over: not playable (payload "status", "reason")
    ERROR = "error"  # a track failed while being started or played
    STOP = "stop"  # the music stopped (payload "reason")
    RESUMED_AFTER_RESTART = "resumed_after_restart"  # continue_at: a track taken up where it was (payload
    # "position_s", "as_state" playing|paused, and what the caller adds, e.g. when that position was noted)


@dataclass(frozen=True)
class PlayerSettings:
    """Clinic settings for the music; every duration in seconds.

    Durations of fades are for the full way (silence to full, or full to talk level); a fade that
    starts part-way takes the matching part of the time.
    """

    fade_in_s: float = 4.0  # music starting from stopped
    pause_fade_s: float = 1.5
    resume_fade_s: float = 1.5
    change_fade_out_s: float = 2.0  # next / previous / jump / section change, outgoing track
    change_fade_in_s: float = 1.5  # ... and the incoming one
    talk_fraction: float = 0.25  # talk level as a fraction of the music volume
    talk_fade_s: float = 3.0
    volume_ramp_s: float = 2.0  # master volume from 0 to 100 (a smaller change takes its share)
    session_end_fade_s: float = 20.0  # fade_out_and_stop's default
    section_change_mode: SectionChangeMode = SectionChangeMode.FADE
    at_section_end: SectionEnd = SectionEnd.CONTINUE
    restart_threshold_s: float = 5.0  # previous_track restarts the track when further in than this
    tick_ms: int = 50
    curve: FadeCurve = FadeCurve.S_CURVE  # pause, resume, talk, volume, start and end of session
    change_curve: FadeCurve = FadeCurve.EQUAL_POWER  # the two halves of a track change

    def __post_init__(self) -> None:
        for name in (
            "fade_in_s",
            "pause_fade_s",
            "resume_fade_s",
            "change_fade_out_s",
            "change_fade_in_s",
            "talk_fade_s",
            "volume_ramp_s",
            "session_end_fade_s",
            "restart_threshold_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if not 0.0 <= self.talk_fraction <= 1.0:
            raise ValueError("talk_fraction must be between 0 and 1")
        if self.tick_ms <= 0:
            raise ValueError("tick_ms must be positive")


@dataclass(frozen=True)
class _Cursor:
    section: int  # index into Playlist.sections
    index: int  # index into Section.tracks (all tracks, playable or not, as the playlist lists them)


@dataclass(frozen=True)
class _NowPlaying:
    """What the backend has loaded: kept apart from the cursor because a newly loaded playlist
    moves the cursor while the old track is still fading out."""

    track: Track
    section: Section
    index: int


@dataclass
class _Level:
    """One volume layer: a value that follows a ``Ramp`` started at clock time ``started``."""

    value: float
    ramp: Ramp | None = None
    started: float = 0.0

    @property
    def target(self) -> float:
        return self.ramp.end if self.ramp is not None else self.value

    @property
    def moving(self) -> bool:
        return self.ramp is not None

    def fade_to(self, end: float, duration_s: float, curve: FadeCurve, now: float) -> None:
        self.ramp = Ramp(max(0.0, self.value), end, max(0.0, duration_s), curve)
        self.started = now

    def set(self, value: float) -> None:
        self.value = value
        self.ramp = None

    def advance(self, now: float) -> bool:
        """Move to where the ramp is at ``now``; True exactly when the ramp has just finished."""
        if self.ramp is None:
            return False
        elapsed = now - self.started
        self.value = max(0.0, self.ramp.value_at(elapsed))  # float drift must not go below silence
        if self.ramp.finished(elapsed):
            self.ramp = None
            return True
        return False


class Player(QObject):
    """The music of a sitting. See the module docstring for states, layers and transitions.

    Construct with a backend and, in tests, a fake monotonic ``clock``; the player's ``QTimer``
    calls ``tick`` every ``settings.tick_ms`` while anything moves, and tests may call it directly.
    """

    state_changed = Signal(PlaybackState)  # PlaybackState
    track_changed = Signal(object)  # Track | None: the track at the cursor (playing, or next to play)
    # seconds into the track, its length (0.0 if unknown): at every jump, and while playing about once a
    # second from a backend that reports_position (libvlc's time events; no timer then), else polled
    position_changed = Signal(float, float)
    volume_changed = Signal(int)  # effective volume 0..100 actually sent to the output
    section_changed = Signal(str)  # section key of the track at the cursor
    queued_section_changed = Signal(str)  # key queued for "after this track", "" when none
    talk_changed = Signal(bool)  # True while the music is at talk level (or fading there)
    error = Signal(str)  # a sentence for the therapist: what failed and what the player did about it
    event_recorded = Signal(str, dict)  # EventKind value, JSON-able payload (see _record)

    POSITION_INTERVAL_S = 0.25  # position_changed at most this often while polling
    PLAYED_OK_AFTER_S = 1.0  # a track this far in has proved playable: reset the failure count

    def __init__(
        self,
        backend: PlaybackBackend,
        *,
        clock: Callable[[], float] = time.monotonic,
        settings: PlayerSettings | None = None,
        volume: int = 80,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._clock = clock
        self._settings = settings or PlayerSettings()
        self._state = PlaybackState.STOPPED
        self._playlist: Playlist | None = None
        self._cursor: _Cursor | None = None
        self._now_playing: _NowPlaying | None = None  # set while the backend holds a track
        self._pending: tuple[_Cursor, str] | None = None  # (target, reason) once the fade-out ends
        self._queued_section: int | None = None  # AFTER_TRACK section change waiting for the end
        self._failures = 0  # consecutive tracks that failed; guards against looping over bad files
        self._master = _Level(float(clamp_volume(volume)))
        self._talk = _Level(1.0)
        self._transport = _Level(0.0)
        self._talk_active = False
        self._effective = 0
        self._last_position_emit = float("-inf")
        self._closed = False

        backend.end_reached.connect(self._on_end_reached)
        backend.error.connect(self._on_backend_error)
        backend.position_changed.connect(self._on_backend_position)
        backend.set_volume(0)  # silent until something is deliberately faded in

        self._timer = QTimer(self)
        self._timer.setInterval(self._settings.tick_ms)
        self._timer.timeout.connect(self.tick)

    # -- what the UI reads ------------------------------------------------------------------------

    @property
    def state(self) -> PlaybackState:
        return self._state

    @property
    def playlist(self) -> Playlist | None:
        return self._playlist

    @property
    def current_track(self) -> Track | None:
        """The track at the cursor: the one playing, or the one ``play`` will start."""
        return None if self._cursor is None else self._track_at(self._cursor)

    @property
    def current_section_key(self) -> str | None:
        return None if self._cursor is None else self._section_at(self._cursor).key

    @property
    def queued_section_key(self) -> str | None:
        return None if self._queued_section is None else self._sections[self._queued_section].key

    @property
    def loaded(self) -> tuple[str, int, Track] | None:
        """The track the backend holds, as (section key, index as listed, track); None when nothing
        is loaded. During a track change it is the outgoing track until the next one starts."""
        playing = self._now_playing
        return None if playing is None else (playing.section.key, playing.index, playing.track)

    @property
    def position(self) -> float:
        return self._backend.position() if self._now_playing is not None else 0.0

    @property
    def length(self) -> float:
        if self._now_playing is None:
            return 0.0
        return self._backend.length() or self._now_playing.track.duration_s or 0.0

    @property
    def volume(self) -> int:
        """The master volume the therapist chose (where the ramp is heading)."""
        return clamp_volume(self._master.target)

    @property
    def effective_volume(self) -> int:
        return self._effective

    @property
    def talk_active(self) -> bool:
        return self._talk_active

    @property
    def settings(self) -> PlayerSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: PlayerSettings) -> None:
        old, self._settings = self._settings, settings
        self._timer.setInterval(settings.tick_ms)
        if self._talk_active and settings.talk_fraction != old.talk_fraction:
            self._fade_talk(settings.talk_fraction)

    # -- the queue --------------------------------------------------------------------------------

    def load_playlist(self, playlist: Playlist, section_key: str | None = None) -> None:
        """Queue ``playlist`` with the cursor on the first playable track (of ``section_key``).

        Whatever plays fades out (the track-change fade) and the player ends STOPPED, so loading a
        playlist never starts music by itself and never cuts it off.
        """
        start = 0 if section_key is None else _section_index(playlist, section_key)
        audible = self._state in (PlaybackState.PLAYING, PlaybackState.PAUSING, PlaybackState.STOPPING)
        if self._state in (PlaybackState.PLAYING, PlaybackState.PAUSING):
            self._set_state(PlaybackState.STOPPING)
            self._fade_transport(0.0, self._settings.change_fade_out_s, self._settings.change_curve)
        elif self._state is PlaybackState.PAUSED:
            self._unload()
            self._set_state(PlaybackState.STOPPED)
        self._set_queued_section(None)
        self._playlist = playlist
        self._cursor = None
        self._pending = None
        self._failures = 0
        first = self._first_playable(start, report=False)
        if first is None:
            first = self._find_playable(self._forward(_Cursor(start, -1), loop=False), report=False)
        self._record(
            EventKind.PLAYLIST_LOADED, playlist_title=playlist.title, playlist_source=str(playlist.source)
        )
        if first is None:
            self.track_changed.emit(None)
            self._fail_quietly("The playlist has no playable tracks.")
            return
        self._move_cursor(first, "playlist loaded", record=False)
        if audible:  # the old track is still fading out; "play" now must start the new playlist
            self._pending = (first, "playlist loaded")

    def play(self) -> None:
        """Start (fade in), or resume a pause. Does nothing while already playing."""
        state = self._state
        if state is PlaybackState.PLAYING:
            return
        if self._cursor is None:
            self._fail_quietly("No playlist with playable tracks is loaded.")
            return
        # The therapist hears the music start once libvlc has it: the backend is asked first and the
        # record, the state and the signals follow (``announce`` is recorded right after the backend
        # starts, still ahead of everything else the start records).
        if state is PlaybackState.STOPPED:
            self._failures = 0
            self._begin(
                self._cursor, fade_in_s=self._settings.fade_in_s, reason="play", curve=self._settings.curve,
                announce=EventKind.PLAY,
            )
            return
        if state is PlaybackState.PAUSED and self._now_playing is None:
            self._begin(
                self._cursor,
                fade_in_s=self._settings.resume_fade_s,
                reason="resume",
                curve=self._settings.curve,
                announce=EventKind.RESUME,
            )
            return
        if state is PlaybackState.PAUSED:
            self._backend.play()
        self._record(EventKind.RESUME)
        self._set_state(PlaybackState.PLAYING)
        if self._pending is not None:  # a track change was under way when the pause came
            self._fade_transport(0.0, self._settings.change_fade_out_s, self._settings.change_curve)
        else:
            self._fade_transport(1.0, self._settings.resume_fade_s, self._settings.curve)

    def continue_at(
        self,
        section_key: str,
        index: int,
        position_s: float,
        *,
        paused: bool = False,
        volume: int | None = None,
        **details: Any,
    ) -> bool:
        """Take a track up where it was (after the app restarted): track ``index`` of ``section_key``
        from ``position_s`` seconds in, fading in from silence over ``settings.fade_in_s`` as ``play``
        does; or, ``paused``, loaded at that position and silent, so that ``play`` resumes it from there.

        ``volume`` sets the master volume first, without a ramp: the music is silent until it fades
        in, so this is no jump. Records ``resumed_after_restart`` (the position, ``details``) and, when
        playing, the ``track_start``. Only from STOPPED. False, recording nothing, when the player
        is not stopped or the track cannot be played now (not playable, or its file is gone): the
        caller says what it does instead. Raises ``ValueError`` for a section or index the loaded
        playlist does not have.
        """
        section = self._section_index(section_key)
        if not 0 <= index < len(self._sections[section].tracks):
            raise ValueError(f"section {section_key!r} has no track {index}")
        target = _Cursor(section, index)
        track = self._track_at(target)
        if self._state is not PlaybackState.STOPPED or not track.playable or track.path is None:
            return False
        if not track.path.exists():
            return False
        position = max(0.0, float(position_s))
        if volume is not None:
            self._master.set(float(clamp_volume(volume)))
        self._failures = 0
        self._pending = None
        self._set_queued_section(None)
        self._record(
            EventKind.RESUMED_AFTER_RESTART,
            cursor=target,
            with_position=False,
            position_s=round(position, 2),
            as_state=PlaybackState.PAUSED.value if paused else PlaybackState.PLAYING.value,
            **details,
        )
        if not paused:
            reason = "resumed after restart"
            self._load_and_play(target, track, self._settings.fade_in_s, reason, self._settings.curve, start_s=position)
            return True
        self._transport.set(0.0)
        self._apply_volume()
        self._move_cursor(target, "resumed after restart")
        self._backend.load(track.path)
        self._backend.seek(position)
        self._now_playing = _NowPlaying(track, self._section_at(target), index)
        self._set_state(PlaybackState.PAUSED)
        self._emit_position(self._clock())
        return True

    def pause(self) -> None:
        """Fade down, then pause. Only acts while PLAYING."""
        if self._state is not PlaybackState.PLAYING:
            return
        self._record(EventKind.PAUSE)
        self._set_state(PlaybackState.PAUSING)
        if self._pending is None:  # a track change already fading down keeps its own pace
            self._fade_transport(0.0, self._settings.pause_fade_s, self._settings.curve)

    def toggle_pause(self) -> None:
        if self._state is PlaybackState.PLAYING:
            self.pause()
        else:
            self.play()

    def next_track(self) -> bool:
        """Move to the next playable track (fading if audible). False when there is none."""
        base = self._pending[0] if self._pending is not None else self._cursor
        if base is None:
            return False
        target = self._find_playable(self._forward(base, loop=self._loops), report=True)
        if target is None:
            return False
        self._record(EventKind.SKIP, action="next", **self._target_fields(target))
        self._change_to(target, "skip")
        return True

    def previous_track(self) -> bool:
        """Restart the track when more than ``restart_threshold_s`` in, else go to the previous one."""
        if self._cursor is None:
            return False
        if self._pending is None and self.position > self._settings.restart_threshold_s:
            self._record(EventKind.SKIP, action="restart", **self._target_fields(self._cursor))
            self._change_to(self._cursor, "restart")
            return True
        base = self._pending[0] if self._pending is not None else self._cursor
        target = self._find_playable(self._backward(base), report=True)
        if target is None:
            return False
        self._record(EventKind.SKIP, action="previous", **self._target_fields(target))
        self._change_to(target, "previous")
        return True

    def play_track(self, section_key: str, index: int) -> bool:
        """Play track ``index`` (as listed, 0-based) of ``section_key`` now, fading the current one out.

        False, with an ``error``, when that track is not playable. Raises ``ValueError`` for a
        section or index the loaded playlist does not have (a caller bug, not a clinic event).
        """
        section = self._section_index(section_key)
        if not 0 <= index < len(self._sections[section].tracks):
            raise ValueError(f"section {section_key!r} has no track {index}")
        target = _Cursor(section, index)
        if not self._track_at(target).playable:
            self._report_unplayable(target)
            return False
        self._record(EventKind.SKIP, action="jump", **self._target_fields(target))
        self._start_change(target, "jump")
        return True

    def go_to_section(self, key: str, mode: SectionChangeMode | str | None = None) -> bool:
        """Move to section ``key`` now ("fade") or when the current track ends ("after_track").

        ``mode`` defaults to ``settings.section_change_mode``. With nothing loaded the cursor moves
        at once in either mode (and the music does not start by itself). False, with an ``error``,
        when the section has no playable track.
        """
        section = self._section_index(key)
        mode = self._settings.section_change_mode if mode is None else SectionChangeMode(mode)
        first = self._first_playable(section, report=True)
        if first is None:
            self._fail_quietly(f"The section “{self._sections[section].title}” has no playable tracks.")
            return False
        if mode is SectionChangeMode.AFTER_TRACK and self._now_playing is not None:
            self._set_queued_section(section)
            self._record(EventKind.SECTION_QUEUED, to_section=key)
            return True
        self._set_queued_section(None)
        self._record(EventKind.SKIP, action="section", **self._target_fields(first))
        self._change_to(first, "section change")
        return True

    # -- volume -----------------------------------------------------------------------------------

    def set_volume(self, volume: int) -> None:
        """Ramp the master volume to ``volume`` (0..100); never a jump."""
        volume = clamp_volume(volume)
        if volume == self._master.target:
            return
        duration = proportional_duration(self._master.value, volume, 100, self._settings.volume_ramp_s)
        self._record(EventKind.VOLUME, volume_from=self.volume, volume_to=volume, ramp_s=round(duration, 2))
        self._master.fade_to(volume, duration, self._settings.curve, self._clock())
        self._ensure_ticking()

    def toggle_talk_level(self) -> bool:
        """Fade to the talk level, or back up to the music volume. Returns the new talk state."""
        self._talk_active = not self._talk_active
        target = self._settings.talk_fraction if self._talk_active else 1.0
        volume_from = self._effective
        duration = self._fade_talk(target)
        self._record(
            EventKind.FADE,
            what="talk down" if self._talk_active else "talk up",
            volume_from=volume_from,
            volume_to=effective_volume(self._master.target, target, self._transport.target),
            duration_s=round(duration, 2),
        )
        self.talk_changed.emit(self._talk_active)
        return self._talk_active

    def fade_out_and_stop(self, duration_s: float | None = None) -> None:
        """End of session: fade the music out over ``duration_s`` (default from settings), then stop."""
        duration = self._settings.session_end_fade_s if duration_s is None else max(0.0, duration_s)
        if self._state in (PlaybackState.PLAYING, PlaybackState.PAUSING):
            self._record(
                EventKind.FADE,
                what="session end",
                volume_from=self._effective,
                volume_to=0,
                duration_s=round(duration * self._transport.value, 2),
            )
            self._set_state(PlaybackState.STOPPING)
            self._fade_transport(0.0, duration, self._settings.curve)
        elif self._state is PlaybackState.PAUSED:
            self._end_of_music("stopped while paused")

    # -- time ---------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Advance fades to ``clock()``, send the volume, poll the position. Called by the timer."""
        if self._closed:
            return
        self._backend.poll()  # may deliver end_reached/error (NullBackend) before we look at time
        now = self._clock()
        settled = self._transport.advance(now)
        self._talk.advance(now)
        self._master.advance(now)
        self._apply_volume()
        if settled:
            self._on_transport_settled()
        if self._now_playing is not None:
            self._check_played_ok()
            if now - self._last_position_emit >= self.POSITION_INTERVAL_S:
                self._emit_position(now)
        idle = not (self._transport.moving or self._talk.moving or self._master.moving)
        if idle and (self._state in (PlaybackState.STOPPED, PlaybackState.PAUSED) or self._backend.reports_position):
            # Nothing moves, and nothing plays or the backend says by itself where the music is
            # (_on_backend_position): no wake-ups while the music just plays. The next fade restarts it.
            self._timer.stop()
        elif idle:
            # Just playing: only the position needs polling, so tick at its pace, not a fade's.
            slow = int(self.POSITION_INTERVAL_S * 1000)
            if self._timer.interval() != slow:
                self._timer.setInterval(slow)

    def close(self) -> None:
        """Release the backend at app exit. The only stop without a fade: the app is going away."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self._backend.close()

    # -- backend events (GUI thread) ---------------------------------------------------------------

    def _on_backend_position(self, _seconds: float) -> None:
        """The backend reports the position by itself (``reports_position``), about once a second."""
        if self._now_playing is not None and not self._closed:
            self._check_played_ok()
            self._emit_position(self._clock())

    def _check_played_ok(self) -> None:
        if self.position >= self.PLAYED_OK_AFTER_S:
            self._failures = 0  # this track has proved playable: stop counting failures

    def _on_end_reached(self) -> None:
        if self._now_playing is None:
            return
        self._failures = 0
        self._record(EventKind.TRACK_END, position_s=round(self.length, 2))
        self._now_playing = None
        self._after_track_gone(fade_in_s=None)

    def _on_backend_error(self, message: str) -> None:
        playing = self._now_playing
        if playing is None:
            return
        self._failures += 1
        self._record(EventKind.ERROR, message=message)
        self._now_playing = None
        text = f"Could not play “{playing.track.title}”: {message}."
        playable = sum(len(section.playable_tracks) for section in self._sections)
        if self._failures >= max(1, playable):
            self.error.emit(f"{text} No track of the playlist could be played, so the music stopped.")
            self._end_of_music("no track could be played")
            return
        self.error.emit(f"{text} Skipping to the next track.")
        self._after_track_gone(fade_in_s=self._settings.change_fade_in_s)

    # -- transitions -------------------------------------------------------------------------------

    def _after_track_gone(self, fade_in_s: float | None) -> None:
        """The loaded track ended or failed: carry on according to the state.

        ``fade_in_s`` None keeps the volume where it is (a natural hand-over).
        """
        state = self._state
        if state is PlaybackState.STOPPING:
            self._finish_stopping()
            return
        if self._pending is not None:
            target, reason = self._pending
        else:
            found = self._next_after_end()
            if found is None:
                if state is PlaybackState.PLAYING:
                    self._end_of_music("playlist ended")
                else:
                    self._unload()
                    self._set_state(PlaybackState.STOPPED)
                return
            target, reason = found
        self._pending = None
        if state is PlaybackState.PLAYING:
            self._begin(target, fade_in_s=fade_in_s, reason=reason)
        else:  # PAUSING or PAUSED: the pause wins; the next track waits at the cursor
            self._transport.set(0.0)
            self._apply_volume()
            self._unload()
            self._move_cursor(target, reason)
            self._set_state(PlaybackState.PAUSED)

    def _next_after_end(self) -> tuple[_Cursor, str] | None:
        assert self._cursor is not None
        if self._queued_section is not None:
            section = self._queued_section
            self._set_queued_section(None)
            first = self._first_playable(section, report=True)
            if first is not None:
                return first, "queued section"
        target = self._find_playable(self._forward(self._cursor, loop=self._loops), report=True)
        if target is None:
            return None
        return target, "next track" if target.section == self._cursor.section else "section ended"

    def _start_change(self, target: _Cursor, reason: str) -> None:
        """The therapist asked for ``target`` to play (jump): make the player heading there audible."""
        if self._state in (PlaybackState.PAUSING, PlaybackState.STOPPING):
            self._set_state(PlaybackState.PLAYING)
        self._change_to(target, reason)
        if self._state in (PlaybackState.STOPPED, PlaybackState.PAUSED):
            self.play()

    def _change_to(self, target: _Cursor, reason: str) -> None:
        """Go to ``target``: fade out first if audible, else just move the cursor there."""
        if self._state is PlaybackState.PLAYING:
            self._pending = (target, reason)
            # Keep the pace of a fade-down already under way (an earlier change); otherwise start one,
            # even from silence, so that its arrival (_on_transport_settled) starts the target.
            if self._transport.target > 0 or not self._transport.moving:
                self._fade_transport(0.0, self._settings.change_fade_out_s, self._settings.change_curve)
        elif self._state in (PlaybackState.PAUSING, PlaybackState.STOPPING):
            self._pending = (target, reason)  # applied when that fade ends
        else:
            self._unload()
            self._move_cursor(target, reason)

    def _on_transport_settled(self) -> None:
        """A transport fade arrived. At silence, finish the pause / stop / change it was for."""
        if self._transport.value > 0:
            return
        state = self._state
        if state is PlaybackState.PAUSING:
            if self._pending is not None:
                target, reason = self._pending
                self._pending = None
                self._unload()
                self._move_cursor(target, reason)
            else:
                self._backend.pause()
            self._set_state(PlaybackState.PAUSED)
        elif state is PlaybackState.STOPPING:
            self._finish_stopping()
        elif state is PlaybackState.PLAYING and self._pending is not None:
            target, reason = self._pending
            self._begin(target, fade_in_s=self._settings.change_fade_in_s, reason=reason)

    def _begin(
        self,
        target: _Cursor,
        *,
        fade_in_s: float | None,
        reason: str,
        curve: FadeCurve | None = None,
        announce: EventKind | None = None,
    ) -> bool:
        """Load and play ``target``, or the first playable track after it that still exists.

        ``fade_in_s`` None keeps the volume as it is (natural hand-over); otherwise the track fades
        in from silence along ``curve`` (default: the track-change curve). ``announce`` (the
        therapist's play or resume) is recorded before anything else this start records, but only
        once the backend has been asked to play, so that it costs the first sound nothing.

        A track whose file vanished since the playlist was checked is reported and passed over.
        Bounded by the number of tracks, so a loop section of missing files cannot spin forever.
        """
        candidate: _Cursor | None = target
        for _ in range(sum(len(section.tracks) for section in self._sections) + 1):
            if candidate is None:
                break
            track = self._track_at(candidate)
            if track.playable and track.path is not None and track.path.exists():
                self._load_and_play(
                    candidate, track, fade_in_s, reason, curve or self._settings.change_curve, announce=announce
                )
                return True
            if announce is not None:
                self._record(announce)
                announce = None
            if track.playable:
                self._report_vanished(candidate)
            else:
                self._report_unplayable(candidate)
            candidate = self._find_playable(self._forward(candidate, loop=self._loops), report=True)
        if announce is not None:
            self._record(announce)
        self._end_of_music("no playable track left")
        return False

    def _load_and_play(
        self,
        cursor: _Cursor,
        track: Track,
        fade_in_s: float | None,
        reason: str,
        curve: FadeCurve,
        *,
        start_s: float = 0.0,
        announce: EventKind | None = None,
    ) -> None:
        assert track.path is not None
        self._pending = None
        if fade_in_s is not None:
            self._transport.set(0.0)
            self._transport.fade_to(1.0, fade_in_s, curve, self._clock())
        # The backend first: the cursor's signals run the pane's slots, and every moment before
        # play() is a moment later to the first sound (bench_player.py).
        self._backend.load(track.path)
        if start_s > 0:
            self._backend.seek(start_s)  # between load and play: the media starts there
        self._apply_volume()  # the backend starts at the level the fade starts at
        self._backend.play()
        if announce is not None:
            self._record(announce)  # as before the start: the cursor has not moved, nothing is loaded
        self._move_cursor(cursor, reason)
        self._now_playing = _NowPlaying(track, self._section_at(cursor), cursor.index)
        self._set_state(PlaybackState.PLAYING)
        self._record(EventKind.TRACK_START, reason=reason, fade_in_s=fade_in_s)
        self._emit_position(self._clock())
        self._ensure_ticking()

    def _finish_stopping(self) -> None:
        """The end-of-session fade is over: stop, leaving the cursor where the therapist last moved it."""
        if self._pending is not None:
            target, reason = self._pending
            self._pending = None
            self._move_cursor(target, reason)
        self._end_of_music("faded out")

    def _end_of_music(self, reason: str) -> None:
        self._record(EventKind.STOP, reason=reason)
        self._backend.stop()  # also after a natural end: lets libvlc release the finished file
        self._now_playing = None
        self._pending = None
        self._transport.set(0.0)
        self._apply_volume()
        self._set_state(PlaybackState.STOPPED)

    def _unload(self) -> None:
        if self._now_playing is not None:
            self._backend.stop()
            self._now_playing = None

    # -- fades ------------------------------------------------------------------------------------

    def _fade_transport(self, end: float, full_duration_s: float, curve: FadeCurve) -> None:
        duration = proportional_duration(self._transport.value, end, 1.0, full_duration_s)
        self._transport.fade_to(end, duration, curve, self._clock())
        self._ensure_ticking()

    def _fade_talk(self, target: float) -> float:
        full_range = 1.0 - self._settings.talk_fraction
        duration = (
            0.0
            if full_range <= 0
            else proportional_duration(self._talk.value, target, full_range, self._settings.talk_fade_s)
        )
        self._talk.fade_to(target, duration, self._settings.curve, self._clock())
        self._ensure_ticking()
        return duration

    def _apply_volume(self) -> None:
        volume = effective_volume(self._master.value, self._talk.value, self._transport.value)
        if volume != self._effective:
            self._effective = volume
            self._backend.set_volume(volume)
            self.volume_changed.emit(volume)

    def _ensure_ticking(self) -> None:
        """A fade needs smooth steps: tick at ``tick_ms`` again (the timer slows down when idle)."""
        if self._closed:
            return
        if self._timer.interval() != self._settings.tick_ms:
            self._timer.setInterval(self._settings.tick_ms)
        if not self._timer.isActive():
            self._timer.start()

    # -- cursor and scanning ----------------------------------------------------------------------

    @property
    def _sections(self) -> tuple[Section, ...]:
        return () if self._playlist is None else self._playlist.sections

    @property
    def _loops(self) -> bool:
        return self._settings.at_section_end is SectionEnd.LOOP

    def _section_at(self, cursor: _Cursor) -> Section:
        return self._sections[cursor.section]

    def _track_at(self, cursor: _Cursor) -> Track:
        return self._sections[cursor.section].tracks[cursor.index]

    def _section_index(self, key: str) -> int:
        if self._playlist is None:
            raise ValueError("no playlist is loaded")
        return _section_index(self._playlist, key)

    def _forward(self, start: _Cursor, *, loop: bool) -> Iterator[_Cursor]:
        """Cursors after ``start``: the rest of its section, then (loop) its start again up to and
        including ``start`` itself, or (no loop) every later section in order."""
        tracks = self._sections[start.section].tracks
        yield from (_Cursor(start.section, i) for i in range(start.index + 1, len(tracks)))
        if loop:
            yield from (_Cursor(start.section, i) for i in range(0, start.index + 1))
            return
        for s in range(start.section + 1, len(self._sections)):
            yield from (_Cursor(s, i) for i in range(len(self._sections[s].tracks)))

    def _backward(self, start: _Cursor) -> Iterator[_Cursor]:
        """Cursors before ``start``, back through earlier sections; never wraps."""
        yield from (_Cursor(start.section, i) for i in range(start.index - 1, -1, -1))
        for s in range(start.section - 1, -1, -1):
            yield from (_Cursor(s, i) for i in range(len(self._sections[s].tracks) - 1, -1, -1))

    def _first_playable(self, section: int, *, report: bool) -> _Cursor | None:
        return self._find_playable(self._forward(_Cursor(section, -1), loop=True), report=report)

    def _find_playable(self, cursors: Iterator[_Cursor], *, report: bool) -> _Cursor | None:
        for cursor in cursors:
            if self._track_at(cursor).playable:
                return cursor
            if report:
                self._report_unplayable(cursor)
        return None

    def _move_cursor(self, cursor: _Cursor, reason: str, *, record: bool = True) -> None:
        old, self._cursor = self._cursor, cursor
        if old is None or old.section != cursor.section:
            key = self._section_at(cursor).key
            self.section_changed.emit(key)
            if record:
                from_key = None if old is None else self._sections[old.section].key
                self._record(EventKind.SECTION_CHANGE, from_section=from_key, to_section=key, reason=reason)
        if old != cursor:
            self.track_changed.emit(self._track_at(cursor))
            self._emit_position(self._clock())

    def _set_queued_section(self, section: int | None) -> None:
        if section != self._queued_section:
            self._queued_section = section
            self.queued_section_changed.emit("" if section is None else self._sections[section].key)

    # -- telling the therapist and the record ------------------------------------------------------

    def _report_unplayable(self, cursor: _Cursor) -> None:
        track = self._track_at(cursor)
        why = track.reason or track.status.value
        self.error.emit(f"Skipped “{track.title}” in {self._section_at(cursor).title}: {why}.")
        self._record(
            EventKind.TRACK_SKIPPED,
            cursor=cursor,
            with_position=False,
            status=track.status.value,
            reason=why,
        )

    def _report_vanished(self, cursor: _Cursor) -> None:
        track = self._track_at(cursor)
        message = f"the file no longer exists ({track.path})"
        self.error.emit(f"Could not play “{track.title}”: {message}. Skipping to the next track.")
        self._record(EventKind.ERROR, cursor=cursor, with_position=False, message=message)

    def _fail_quietly(self, message: str) -> None:
        """An error with nothing to skip: tell the therapist and the record; the music is unchanged."""
        self.error.emit(message)
        self._record(EventKind.ERROR, message=message)

    def _target_fields(self, target: _Cursor) -> dict[str, Any]:
        track = self._track_at(target)
        return {"to_title": track.title, "to_section": self._section_at(target).key, "to_index": target.index}

    def _record(
        self, kind: EventKind, *, cursor: _Cursor | None = None, with_position: bool = True, **extra: Any
    ) -> None:
        """Emit ``event_recorded(kind, fields)``. The fields are flat and JSON-able:

        ``title``, ``artist``, ``location``, ``path``, ``section``, ``index`` describe the track the
        event is about (``cursor``; by default the track playing, or else the one at the cursor; all
        None without a playlist), ``position_s`` is the position in the playing track,
        ``volume`` the effective volume, ``state`` the player state; then the ``extra`` fields.
        """
        fields: dict[str, Any] = {"state": self._state.value, "volume": self._effective}
        if cursor is None and self._now_playing is not None:
            playing = self._now_playing
            fields.update(_track_fields(playing.track, playing.section, playing.index))
        elif (cursor := cursor or self._cursor) is not None:
            fields.update(_track_fields(self._track_at(cursor), self._section_at(cursor), cursor.index))
        else:
            fields.update(_track_fields(None, None, None))
        if with_position:
            fields["position_s"] = round(self.position, 2)
        fields.update(extra)
        self.event_recorded.emit(kind.value, fields)

    def _emit_position(self, now: float) -> None:
        self._last_position_emit = now
        self.position_changed.emit(self.position, self.length)

    def _set_state(self, state: PlaybackState) -> None:
        if state is not self._state:
            self._state = state
            self.state_changed.emit(state)


def _section_index(playlist: Playlist, key: str) -> int:
    for i, section in enumerate(playlist.sections):
        if section.key == key:
            return i
    raise ValueError(f"the playlist {playlist.title!r} has no section {key!r}")


def _track_fields(track: Track | None, section: Section | None, index: int | None) -> dict[str, Any]:
    return {
        "title": None if track is None else track.title,
        "artist": None if track is None else track.artist,
        "location": None if track is None else track.location,
        "path": None if track is None or track.path is None else str(track.path),
        "section": None if section is None else section.key,
        "index": index,
    }
