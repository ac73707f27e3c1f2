"""Audio backends: the thin layer between ``Player`` and something that makes sound.

The backend contract
====================

A backend is a ``PlaybackBackend`` (a ``QObject``) that plays **one media at a time** and knows
nothing about playlists, sections, fades or the record; ``Player`` owns all of that.

All methods are called on the GUI thread by the player:

``load(path)``      replace the current media with ``path`` without starting it; anything the old
                    media still had to report is dropped (see "Stale events").
``play()``          start the loaded media, or resume it if paused.
``pause()``         hold the position; ``play()`` continues from there.
``stop()``          stop and forget the position. The media stays loaded; ``play()`` restarts it.
``seek(seconds)``   move within the loaded media. Called between ``load`` and ``play`` it sets where
                    the media starts (``Player.continue_at``); ``position()`` says so at once.
``set_volume(v)``   the output volume, an int 0..100 on libvlc's scale. The player only ever sends
                    small steps (its fades); the backend applies each one as soon as the output
                    can take it, and must not lose the last one (libvlc ignores a volume set before
                    its audio output exists, so ``VlcBackend`` re-applies it once playback starts).
``position()``      seconds into the loaded media (0.0 when nothing plays); cheap enough to poll.
``length()``        seconds, or ``None`` while unknown.
``poll()``          called on every player tick; may emit ``end_reached`` (``NullBackend`` uses it to
                    run its simulated clock). May do nothing.
``reports_position`` True when the backend emits ``position_changed`` by itself as the media plays
                    (``VlcBackend``, from libvlc's own time events). The player then lets its timer
                    rest while the music just plays, instead of polling ``position()`` (a wake-up
                    four times a second for three hours); False (``NullBackend``'s default): the player
                    polls, and calls ``poll()`` at the position's pace.
``close()``         release everything; idempotent; nothing is emitted afterwards.

Signals, always delivered on the GUI thread and **never synchronously from inside one of the methods
above** (the player relies on this: it may call ``load``/``play`` from its own signal handlers
without being re-entered half-way):

``end_reached()``          the loaded media played to its end.
``error(str)``             the loaded media cannot be played (missing, unreadable, not audio, or
                           nothing decodable in it); the message is plain words without the title.
``length_changed(float)``  the length in seconds became known.
``position_changed(float)`` (``reports_position`` only) the position, in seconds, passed a whole
                           second while playing: about once a second, never more often.

Stale events: once ``load`` or ``stop`` has returned, no signal about the previous media may be
delivered, even one that libvlc had already queued. ``VlcBackend`` stamps each libvlc event with a
load generation and drops mismatches on the GUI thread.

Two implementations: ``VlcBackend`` (libvlc through python-vlc) and ``NullBackend`` (in memory,
driven by an injected clock, for tests and for running without sound).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from kapdesk.player.availability import (
    VlcAvailability,
    VlcUnavailableError,
    create_instance,
    import_vlc,
    libvlc_version,
)


class PlaybackBackend(QObject):
    """The contract above. Subclasses override every method; see the module docstring."""

    end_reached = Signal()  # the loaded media played to its end
    error = Signal(str)  # plain-words reason the loaded media cannot be played
    length_changed = Signal(float)  # seconds, once known
    position_changed = Signal(float)  # seconds: a whole second passed (only if reports_position)

    reports_position = False

    def load(self, path: Path) -> None:
        raise NotImplementedError

    def play(self) -> None:
        raise NotImplementedError

    def pause(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def seek(self, seconds: float) -> None:
        raise NotImplementedError

    def set_volume(self, volume: int) -> None:
        raise NotImplementedError

    def position(self) -> float:
        raise NotImplementedError

    def length(self) -> float | None:
        raise NotImplementedError

    def poll(self) -> None:
        """Called on every player tick; the default does nothing."""

    def close(self) -> None:
        raise NotImplementedError


class NullBackend(PlaybackBackend):
    """A silent, deterministic backend: position is simulated from the injected ``clock``.

    Each media lasts ``lengths[path]`` seconds (default ``default_length_s``); ``poll`` emits
    ``end_reached`` once the simulated position reaches the length. Tests drive the rest by hand:
    ``finish()`` ends the media now, ``fail(message)`` reports an error now, and paths listed in
    ``broken`` report an error on the first ``poll`` after ``play`` (never from inside ``play``,
    per the contract). ``calls`` and ``volumes`` record what the player asked for.
    ``reports_position`` True: ``poll`` also emits ``position_changed`` at each whole second of the
    simulated position, as libvlc's time events do for ``VlcBackend``.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        default_length_s: float = 180.0,
        lengths: Mapping[Path, float] | None = None,
        broken: Mapping[Path, str] | None = None,
        reports_position: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.reports_position = reports_position
        self._reported_s = -1  # the whole second last reported (reports_position)
        self._clock = clock
        self._default_length_s = default_length_s
        self._lengths = dict(lengths or {})
        self._broken = dict(broken or {})
        self._path: Path | None = None
        self._played_s = 0.0  # position accumulated before the current stretch of playing
        self._playing_since: float | None = None  # clock time playback (re)started, None if not playing
        self._error_due: str | None = None
        self._length_due = False
        self.volume = 0
        self.volumes: list[int] = []  # every volume the player sent, in order
        self.calls: list[str] = []  # method names in call order ("load", "play", ...)
        self.closed = False

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def playing(self) -> bool:
        return self._playing_since is not None

    def load(self, path: Path) -> None:
        self.calls.append("load")
        self._path = path
        self._played_s = 0.0
        self._playing_since = None
        self._error_due = None
        self._length_due = True

    def play(self) -> None:
        self.calls.append("play")
        if self._path is None or self.playing:
            return
        self._playing_since = self._clock()
        self._error_due = self._broken.get(self._path)

    def pause(self) -> None:
        self.calls.append("pause")
        if self._playing_since is not None:
            self._played_s += self._clock() - self._playing_since
            self._playing_since = None

    def stop(self) -> None:
        self.calls.append("stop")
        self._played_s = 0.0
        self._playing_since = None
        self._error_due = None

    def seek(self, seconds: float) -> None:
        self.calls.append("seek")
        self._played_s = max(0.0, seconds)
        if self._playing_since is not None:
            self._playing_since = self._clock()

    def set_volume(self, volume: int) -> None:
        self.volume = volume
        self.volumes.append(volume)

    def position(self) -> float:
        if self._path is None:
            return 0.0
        running = 0.0 if self._playing_since is None else self._clock() - self._playing_since
        return min(self._played_s + running, self._length_of_current())

    def length(self) -> float | None:
        return None if self._path is None else self._length_of_current()

    def poll(self) -> None:
        if self._path is None:
            return
        if self._length_due:
            self._length_due = False
            self.length_changed.emit(self._length_of_current())
        if self._error_due is not None:
            message, self._error_due = self._error_due, None
            self.fail(message)
        elif self.playing and self.position() >= self._length_of_current():
            self.finish()
        elif self.playing and self.reports_position and int(self.position()) != self._reported_s:
            self._reported_s = int(self.position())
            self.position_changed.emit(self.position())

    def finish(self) -> None:
        """Test hook: the media ends now."""
        self._played_s = self._length_of_current()
        self._playing_since = None
        self.end_reached.emit()

    def fail(self, message: str) -> None:
        """Test hook: the media fails now."""
        self._playing_since = None
        self.error.emit(message)

    def close(self) -> None:
        self.calls.append("close")
        self.closed = True
        self._path = None
        self._playing_since = None

    def _length_of_current(self) -> float:
        assert self._path is not None
        return self._lengths.get(self._path, self._default_length_s)


class _VlcEvent(enum.IntEnum):
    """The libvlc events we forward, as plain ints that can cross threads in a Qt signal."""

    PLAYING = 1
    TIME = 2
    LENGTH = 3
    END = 4
    ERROR = 5


class VlcBackend(PlaybackBackend):
    """libvlc through python-vlc, one ``MediaPlayer``, audio only.

    Threading (style.md, habit 4): libvlc calls event handlers on its own threads and is not
    re-entrant; calling libvlc from a handler can deadlock (python-vlc issues 77, 211, 250). So
    ``_handle_vlc_event`` only copies plain numbers out of the event and emits ``_vlc_event``,
    connected with ``Qt.QueuedConnection``: ``_on_vlc_event`` then runs on the GUI thread, where
    every libvlc call is made. The queued connection is explicit because libvlc also calls handlers
    synchronously on the calling thread (``stop`` emits MediaPlayerStopped from inside itself);
    queuing keeps even those out of the middle of a libvlc call.

    Raises ``VlcUnavailableError`` (with the install hint) when libvlc cannot be used.
    """

    # (kind, load generation, value in seconds) - crosses from libvlc's thread to the GUI thread
    _vlc_event = Signal(int, int, float)

    reports_position = True  # MediaPlayerTimeChanged: libvlc says when its time moves

    def __init__(self, extra_args: Sequence[str] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        vlc = import_vlc()
        self._instance: Any = create_instance(vlc, extra_args)
        self.version = libvlc_version(vlc)
        self._state_paused = vlc.State.Paused
        self._player: Any = self._instance.media_player_new()
        self._media: Any = None  # kept referenced while loaded; libvlc holds its own reference too
        self._path: Path | None = None
        # Bumped (on the GUI thread) after every set_media/stop. libvlc joins the old input thread
        # inside set_media/stop, so every handler for the old media has run - and read the old
        # number - before the bump; anything still queued with it is dropped on delivery.
        self._generation = 0
        self._length_s = 0.0
        self._reported_s = -1  # whole second of the last TIME event handed over (libvlc's thread)
        self._volume = 100
        # libvlc ignores audio_set_volume until the audio output of this media exists (and
        # PulseAudio may restore a remembered stream volume), so after every load the volume is
        # re-applied when playback really starts: on MediaPlayerPlaying or the first TimeChanged.
        self._volume_pending = True
        # Where the loaded media will start: libvlc ignores set_time before the input runs, so a seek
        # between load and play becomes the media's ":start-time" option, read when play creates it.
        self._started = False
        self._start_s: float | None = None
        self._closed = False
        self._vlc_event.connect(self._on_vlc_event, Qt.ConnectionType.QueuedConnection)
        self._event_types: tuple[Any, ...] = (
            vlc.EventType.MediaPlayerPlaying,
            vlc.EventType.MediaPlayerTimeChanged,
            vlc.EventType.MediaPlayerLengthChanged,
            vlc.EventType.MediaPlayerEndReached,
            vlc.EventType.MediaPlayerEncounteredError,
        )
        self._kinds: dict[int, _VlcEvent] = {
            event_type.value: kind for event_type, kind in zip(self._event_types, _VlcEvent, strict=True)
        }
        # Keep the event manager referenced: python-vlc stores the ctypes trampoline on it, and a
        # collected trampoline called from C is a crash.
        self._event_manager: Any = self._player.event_manager()
        for event_type in self._event_types:
            self._event_manager.event_attach(event_type, self._handle_vlc_event)
        self._warm_up()

    def _warm_up(self) -> None:
        """python-vlc builds each libvlc function's ctypes prototype on its first call (a class, a
        dlsym: 15-60 µs each, measured). Build those of the start path now, with calls that change
        nothing, so the therapist's first play pays only for libvlc's own play (bench_player.py)."""
        self._player.get_state()
        self._player.get_time()
        self._player.get_length()
        self._player.set_media(None)  # no media yet: stays without one
        self._instance.media_new_path(str(Path.cwd())).release()  # a media object is not opened until played

    # -- libvlc's thread ------------------------------------------------------------------------

    def _handle_vlc_event(self, event: Any) -> None:
        """Runs on a libvlc thread. Copy plain values and hand off; never call libvlc here."""
        kind = self._kinds.get(event.type.value)
        if kind is None:
            return
        value = 0.0
        if kind is _VlcEvent.LENGTH:
            value = event.u.new_length / 1000.0
        elif kind is _VlcEvent.TIME:
            value = event.u.new_time / 1000.0
            if int(value) == self._reported_s and not self._volume_pending:
                return  # libvlc may say it several times a second; the GUI thread hears once a second
            self._reported_s = int(value)
        # RuntimeError: the QObject was deleted during shutdown; there is nobody left to tell.
        with contextlib.suppress(RuntimeError):
            self._vlc_event.emit(int(kind), self._generation, value)

    # -- GUI thread -----------------------------------------------------------------------------

    def _on_vlc_event(self, kind: int, generation: int, value: float) -> None:
        if self._closed or generation != self._generation:
            return  # about a media that has since been replaced or stopped
        if kind == _VlcEvent.PLAYING:
            self._apply_volume(confirmed=True)
        elif kind == _VlcEvent.TIME:
            if self._volume_pending:
                # Audio is flowing now; if the output still refuses the volume, more time events will
                # not change that (the regular fade ticks keep sending it anyway), so stop insisting.
                self._apply_volume()
                self._volume_pending = False
            self.position_changed.emit(value)
        elif kind == _VlcEvent.LENGTH:
            if value > 0:
                self._length_s = value
                self.length_changed.emit(value)
        elif kind == _VlcEvent.END:
            if self._decoded_nothing():
                self.error.emit("it could not be decoded: the file is empty, truncated or not audio")
            else:
                self.end_reached.emit()
        elif kind == _VlcEvent.ERROR:
            missing = self._path is not None and not self._path.exists()
            self.error.emit("the file no longer exists" if missing else "VLC could not open or decode it")

    def _decoded_nothing(self) -> bool:
        """libvlc reports garbage and truncated files as a normal, instant end with no length
        (measured with libvlc 3.0.24), so "ended without ever knowing a length" means "not audio"."""
        length_ms: int = self._player.get_length()
        return max(self._length_s, length_ms / 1000.0) <= 0

    def _apply_volume(self, *, confirmed: bool = False) -> None:
        ok = self._player.audio_set_volume(self._volume) == 0
        if confirmed and ok:
            self._volume_pending = False

    # -- the contract ---------------------------------------------------------------------------

    def load(self, path: Path) -> None:
        media = self._instance.media_new_path(str(path))
        self._player.set_media(media)
        self._media = media
        self._path = path
        self._generation += 1
        self._length_s = 0.0
        self._reported_s = -1
        self._volume_pending = True
        self._started = False
        self._start_s = None

    def play(self) -> None:
        if self._player.get_state() == self._state_paused:
            self._player.set_pause(0)
        else:
            self._player.play()
        self._started = True
        self._apply_volume()

    def pause(self) -> None:
        self._player.set_pause(1)

    def stop(self) -> None:
        self._player.stop()
        self._generation += 1
        self._reported_s = -1
        self._volume_pending = True
        self._started = False
        self._start_s = None

    def seek(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        if self._started or self._media is None:
            self._player.set_time(int(seconds * 1000))
            return
        self._media.add_option(f":start-time={seconds:.3f}")
        self._start_s = seconds

    def set_volume(self, volume: int) -> None:
        self._volume = max(0, min(100, int(volume)))
        self._apply_volume()

    def position(self) -> float:
        time_ms: int = self._player.get_time()
        if time_ms <= 0 and self._start_s is not None:
            return self._start_s  # not started yet, or libvlc has not reached the start point
        return max(0, time_ms) / 1000.0

    def length(self) -> float | None:
        if self._length_s > 0:
            return self._length_s
        length_ms = self._player.get_length()
        return length_ms / 1000.0 if length_ms > 0 else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for event_type in self._event_types:
            self._event_manager.event_detach(event_type)
        self._player.stop()
        self._player.release()
        self._instance.release()


def create_vlc_backend(
    extra_args: Sequence[str] = (), parent: QObject | None = None
) -> tuple[VlcBackend | None, VlcAvailability]:
    """A ``VlcBackend`` if libvlc works here, else ``None`` and the reason plus install hint.

    Never raises: the app starts without music and shows ``availability.reason`` and
    ``availability.install_hint`` to the therapist.
    """
    try:
        backend = VlcBackend(extra_args, parent)
    except VlcUnavailableError as exc:
        return None, exc.availability
    return backend, VlcAvailability(
        True, f"Music playback uses libvlc {backend.version}.", "", backend.version
    )
