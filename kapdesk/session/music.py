"""The music of one sitting: a ``Player`` bound to a ``LiveSession``. Glue only, no widgets.

What it does, and why:

* **The record.** Every ``Player.event_recorded(kind, payload)`` becomes a session entry
  ``("music", {"event": kind, **payload})`` (``domain/entries.py``), stamped with the wall time
  at which the player emitted it, so the record shows what was playing at every moment beside
  vitals and notes. Position ticks (``position_changed``) are never stored: they are a display,
  not events, and would write four rows a second for three hours.
* **Never block the audio.** The player emits inside its own transitions (a track has just
  ended and the next is about to be started). Committing there would put an fsync
  (``synchronous=FULL``) between two tracks, so the event is only *queued* with its time stamp
  and written by a zero-delay timer once the player has returned to the event loop. The commit
  is one short transaction on the GUI thread; libvlc's audio runs on its own threads meanwhile.
  An entry that cannot be saved (disk full, database busy) stays queued, in order, and is
  retried: the record must never lose one.
* **The arc.** When the session's phase changes (seen through ``LiveSession.changed``), the
  music moves to that phase's section (``protocol.phases[i].music``), by the player's
  ``section_change_mode``: fade now, or after the current track. When the session ends the music
  fades out (``fade_out_and_stop``).
* **Start.** Opening a sitting loads a playlist with the cursor on the current phase's section, and
  never starts the music by itself. The playlist is the one this session last loaded, else the demo.
* **After a crash.** A client under headphones must not sit in silence because the laptop's app
  died, so music that was playing goes on: the same track, from where it was (within about a
  second), fading in from silence as any start does (``Player.continue_at``), recorded as
  ``resumed_after_restart`` with the position, when that position was noted, and how long ago;
  music that was paused comes back paused at that point; stopped music stays stopped.
  Where the music was comes from a small "now playing" file per sitting (``now_playing.py``),
  rewritten about once a second while it plays and after every music entry, and removed once the
  music stops (a fade-out when leaving the screen, the end of the sitting, quitting). Why a file
  and not the record: position ticks are not stored (above), and the record cannot say when the
  app died, so "last track start + time played since" would count the whole outage as music
  played, or need a guess; the file is at most a second old when the process dies. The record stays
  the source of truth: the file is used only when the sitting's last music entries say the music
  was playing or paused (that, not the file, decides which), its playlist is the one reloaded, and
  its track is in it and is the one the record last started. A file that is missing, unreadable,
  of another playlist or naming a track that is gone leaves the music stopped, as before, and the
  pane's notice says why. The file is not fsynced (see ``now_playing.py``): it serves a crashed
  process, whose writes the kernel keeps; after a power cut it may be missing, and the music waits.
* **No libvlc.** ``player`` is ``None`` and ``availability`` says why and what to install; the
  playlist is still read so the pane can show it, and nothing is recorded because nothing plays.

The player is not owned here: it is shared by the app (one libvlc instance), so ``close`` lets
go of it (fading out what plays) and the owner calls ``Player.close`` at exit.
"""

from __future__ import annotations

import tomllib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from kapdesk.domain.entries import MusicEvent, music_event, of_type
from kapdesk.session.live import LiveSession
from kapdesk.paths import playlist_folders, shipped_playlists_dir
from kapdesk.player import (
    EventKind,
    PlaybackState,
    Player,
    PlayerSettings,
    VlcAvailability,
    create_vlc_backend,
)
from kapdesk.playlists import Playlist, PlaylistError, load_playlist
from kapdesk.session.now_playing import (
    NowPlaying,
    RecordedState,
    hint_path,
    read_hint,
    record_music_state,
    remove_hint,
    validate,
    write_hint,
)
from kapdesk.store.errors import StoreError

DEMO_PLAYLIST = "demo-ambient.kap.toml"
PLAYLIST_SUFFIXES: tuple[str, ...] = (".kap.toml", ".m3u8", ".m3u", ".xspf", ".pls")
LEAVE_FADE_S = 5.0  # the music fades this long when the sitting's screen is left while it plays
RETRY_MS = 5000  # an entry the store refused is tried again this often (and before every new one)
HINT_INTERVAL_S = 1.0  # the now-playing file is rewritten this often while the music plays
HINT_EARLY_S = 0.1  # ... taking a position report up to this much early (see _on_position)
NOT_NOTED = "Where the music is could not be noted for a restart"


@dataclass(frozen=True)
class PlaylistChoice:
    """A playlist file found in the playlist folders, with the name to show for it."""

    path: Path
    label: str


def find_playlists(folders: Sequence[Path] | None = None) -> list[PlaylistChoice]:
    """Playlist files directly inside ``folders`` (default ``paths.playlist_folders()``), in order.

    Only curated files are opened, and only to read their title (TOML, no track resolution, so
    a large music library is never walked here); other formats are shown by file name.
    """
    found: list[PlaylistChoice] = []
    for folder in playlist_folders() if folders is None else folders:
        if not folder.is_dir():
            continue
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(PLAYLIST_SUFFIXES))
        found.extend(PlaylistChoice(path, _label(path)) for path in files)
    return found


def _label(path: Path) -> str:
    if path.name.lower().endswith(".toml"):
        try:
            title = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("title")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            title = None
        if isinstance(title, str) and title.strip():
            return title.strip()
    name = path.name
    for suffix in PLAYLIST_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def create_player(
    *, settings: PlayerSettings | None = None, extra_args: Sequence[str] = (), parent: QObject | None = None
) -> tuple[Player | None, VlcAvailability]:
    """The app's player over libvlc, or ``None`` and why (with the install hint). Never raises.

    Create it once per app (a libvlc instance loads its plugins once) and ``close`` it at exit.
    """
    backend, availability = create_vlc_backend(extra_args)
    if backend is None:
        return None, availability
    player = Player(backend, settings=settings, parent=parent)
    backend.setParent(player)
    return player, availability


@dataclass(frozen=True)
class _Pending:
    event: MusicEvent
    occurred_at: datetime


class MusicSession(QObject):
    """One ``Player`` bound to one ``LiveSession``; see the module docstring for the contract."""

    playlist_changed = Signal(object)  # Playlist | None: the playlist shown (and queued, with a player)
    notice_changed = Signal(str)  # the latest problem in one sentence for the quiet amber line; "" = none

    def __init__(
        self,
        live: LiveSession,
        player: Player | None,
        availability: VlcAvailability,
        *,
        folders: Sequence[Path] | None = None,
        playlist: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        """Bind ``player`` (None without libvlc) to ``live`` and load a playlist, never playing it.

        ``playlist`` overrides the choice (else: the one this session last loaded, else the demo).
        A sitting that has already ended is shown but left alone: nothing is loaded or recorded.
        """
        super().__init__(parent)
        self.live = live
        self.player = player
        self.availability = availability
        self.playlists = find_playlists(folders)
        self._playlist: Playlist | None = None
        self._playlist_path: Path | None = None
        self._notice = ""
        self._pending: deque[_Pending] = deque()
        self._flushing = False
        self._closed = False
        self._letting_go = False  # closed while the music fades: record until it has stopped
        self._active = not live.ended
        self._ended_seen = live.ended
        self._phase_index = live.reading().phase_index
        self._hint_path = hint_path(live.id)
        self._hint_saved_at = float("-inf")  # live.clock.monotonic() of the last write

        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self.flush)
        self._retry_timer = QTimer(self, singleShot=True, interval=RETRY_MS)
        self._retry_timer.timeout.connect(self.flush)

        if player is not None and self._active:
            player.event_recorded.connect(self._queue_event)
            player.error.connect(self._say)
            player.state_changed.connect(self._on_state_changed)
            player.position_changed.connect(self._on_position)
        live.changed.connect(self._on_session_change)
        if not self._active:
            self._drop_hint()  # a sitting that has ended has no music to go on with
            return
        candidates = [p for p in (playlist, self._resumed_playlist(), self._default_playlist()) if p is not None]
        if not candidates:
            self._say("No playlist found: put .kap.toml or .m3u8 playlists in " + str(playlist_folders()[-1]))
        for candidate in dict.fromkeys(candidates):  # the first that opens; a failure stays in the notice
            if self.choose_playlist(candidate):
                break
        if playlist is None:  # a playlist chosen by the caller is a fresh start, not a continuation
            self._continue_after_restart()

    # -- what the pane reads ------------------------------------------------------------------------

    @property
    def playlist(self) -> Playlist | None:
        return self._playlist

    @property
    def playlist_path(self) -> Path | None:
        return self._playlist_path

    @property
    def notice(self) -> str:
        return self._notice

    @property
    def active(self) -> bool:
        """False once closed, and for a sitting that had ended before it was opened (look, don't touch)."""
        return self._active and not self._closed

    @property
    def pending(self) -> int:
        """Events emitted by the player and not yet committed to the record."""
        return len(self._pending)

    def phase_section(self) -> str | None:
        """The section key of the sitting's current phase ("" in the protocol reads as None)."""
        phases = self.live.info.protocol.phases
        index = self.live.reading().phase_index
        return (phases[index].music or None) if 0 <= index < len(phases) else None

    # -- what the therapist does --------------------------------------------------------------------

    def choose_playlist(self, path: Path) -> bool:
        """Read ``path`` and queue it at the current phase's section. False, with a notice, if unreadable.

        With a player, the player records ``playlist_loaded``. Music that was playing carries on
        into the new playlist through the usual track-change fade; stopped music stays stopped.
        """
        if not self.active:
            return False
        try:
            playlist = load_playlist(path)
        except (PlaylistError, OSError) as exc:
            self._say(f"Could not open the playlist: {exc}")
            return False
        self._playlist, self._playlist_path = playlist, path
        if self.player is not None:
            section = self.phase_section()
            start = section if section is not None and playlist.section(section) is not None else None
            was_audible = self.player.state in (PlaybackState.PLAYING, PlaybackState.PAUSING)
            self.player.load_playlist(playlist, start)
            if was_audible:
                self.player.play()  # STOPPING -> PLAYING: the fade-out hands over to the new first track
        self.playlist_changed.emit(playlist)
        return True

    def next_section(self) -> bool:
        """Move to the section after the current (or already queued) one, by the player's mode."""
        player = self.player
        if player is None or self._playlist is None or not self.active:
            return False
        keys = [section.key for section in self._playlist.sections]
        base = player.queued_section_key or player.current_section_key
        if base not in keys:
            return False
        later = keys[keys.index(base) + 1 :]
        if not later:
            self._say("This is the last section of the playlist.")
            return False
        return player.go_to_section(later[0])

    def flush(self) -> None:
        """Commit every queued music entry, oldest first; what the store refuses waits for a retry.

        Not re-entrant on purpose: ``live.record`` calls the session's listeners, and anything they
        make the player say is appended to the queue and written by the loop already running.
        """
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._pending:
                item = self._pending.popleft()
                try:
                    self.live.record(item.event, occurred_at=item.occurred_at)
                except StoreError as exc:
                    self._pending.appendleft(item)  # refused before the commit: keep it, first in line
                    self._say(f"Music log not saved yet ({len(self._pending)} waiting), will retry: {exc}")
                    self._retry_timer.start()
                    return
        finally:
            self._flushing = False
        self._retry_timer.stop()
        self._save_hint()  # after the commits: the file never runs ahead of the record
        if self._letting_go and (self.player is None or self.player.state is PlaybackState.STOPPED):
            self._release_player()

    def close(self, *, fade_s: float = LEAVE_FADE_S) -> None:
        """The sitting's screen goes away: fade out what plays (recorded), save what is queued.

        The player keeps reporting into this record until its fade has ended; then it is let go.
        At app exit call ``close(fade_s=0)`` before ``Player.close()``: the music stops at once and
        that stop is still recorded. Idempotent.
        """
        if self._closed:
            return
        self._closed = True
        player = self.player
        if player is None or not self._active:
            self.flush()
            return
        self._letting_go = True
        if player.state is not PlaybackState.STOPPED:
            player.fade_out_and_stop(fade_s)
            self._save_hint()  # fading out (or stopped): a crash from here on leaves the music stopped
            if fade_s <= 0:
                player.tick()  # a zero-length fade settles on the next tick: take it now
            if fade_s <= 0 and player.state is not PlaybackState.STOPPED:
                # A fade already under way (the end of the session) keeps its own pace, and the app
                # is going away before it ends: the record still says when the music stopped.
                track = player.current_track
                self._queue_event(EventKind.STOP.value, {
                    "state": player.state.value, "title": track.title if track else None,
                    "artist": track.artist if track else None, "location": track.location if track else None,
                    "section": player.current_section_key, "reason": "app closed during a fade",
                })
                self._release_player()
        self.flush()

    # -- the player's side ---------------------------------------------------------------------------

    def _queue_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Runs inside the player's transition: stamp and queue only; ``flush`` writes it later."""
        self._pending.append(_Pending(music_event(kind, payload), self.live.clock.utcnow()))
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _on_state_changed(self, state: PlaybackState) -> None:
        if self._letting_go and state is PlaybackState.STOPPED and not self._flush_timer.isActive():
            self.flush()
        elif not self._flush_timer.isActive():
            self._flush_timer.start()  # the now-playing file follows the state (written by flush)

    def _on_position(self, _position: float, _length: float) -> None:
        """About once a second while the music plays, note where it is (never ahead of the record)."""
        player = self.player
        if self._pending or self._flushing or player is None or player.state is not PlaybackState.PLAYING:
            return  # inside a transition, or not playing: flush writes (or removes) the file instead
        # The player reports each whole second of libvlc's time, a few ms either side of a second
        # apart: a report that comes a little early still writes, or the file would be 2 s old.
        if self.live.clock.monotonic() - self._hint_saved_at >= HINT_INTERVAL_S - HINT_EARLY_S:
            self._save_hint()

    def _release_player(self) -> None:
        player, self._letting_go = self.player, False
        if player is None:
            return
        for signal, slot in (
            (player.event_recorded, self._queue_event),
            (player.error, self._say),
            (player.state_changed, self._on_state_changed),
            (player.position_changed, self._on_position),
        ):
            signal.disconnect(slot)

    # -- the session's side --------------------------------------------------------------------------

    def _on_session_change(self, _entry: object) -> None:
        """After every commit to the sitting: follow a phase change, fade out at its end."""
        if not self.active:
            return
        if self.live.ended:
            if not self._ended_seen:
                self._ended_seen = True
                if self.player is not None:
                    self.player.fade_out_and_stop()
            return
        index = self.live.reading().phase_index
        if index == self._phase_index:
            return
        self._phase_index = index  # before moving the player: its own entries re-enter this method
        key = self.phase_section()
        player = self.player
        if key is None or player is None or self._playlist is None:
            return
        if self._playlist.section(key) is None:
            self._say(f"This playlist has no “{key}” section; the music carries on where it is.")
            return
        if key in (player.current_section_key, player.queued_section_key):
            return
        player.go_to_section(key)

    # -- the now-playing file (session/now_playing.py) -----------------------------------------------

    def _save_hint(self) -> None:
        """Write where the music is, or remove the file once nothing is audible or paused."""
        player = self.player
        if player is None or not self._active or (self._closed and not self._letting_go):
            return  # no music, a sitting that had ended, or the shared player already let go
        self._hint_saved_at = self.live.clock.monotonic()
        loaded = player.loaded
        state = player.state
        try:
            if loaded is None or self._playlist_path is None or state in (PlaybackState.STOPPED,
                                                                          PlaybackState.STOPPING):
                remove_hint(self._hint_path)
                return
            section, index, track = loaded
            write_hint(self._hint_path, NowPlaying(
                session=str(self.live.id), playlist_source=str(self._playlist_path), title=track.title,
                location=track.location, section=section, index=index, position_s=round(player.position, 2),
                state=state.value, volume=player.volume, written_at=self.live.clock.utcnow().isoformat(),
            ))
        except OSError as exc:
            self._say(f"{NOT_NOTED} ({exc.strerror or exc}); it plays on.")
            return
        if self._notice.startswith(NOT_NOTED):
            self._say("")  # noted again (space was freed): the problem has gone

    def _drop_hint(self) -> None:
        try:
            remove_hint(self._hint_path)
        except OSError:
            pass  # nothing reads a hint of an ended sitting; it can wait for the next attempt

    def _continue_after_restart(self) -> None:
        """The app died while this sitting's music played or was paused: take it up where it was.

        Only where the record (its last music entries) says the music was playing or paused, and the
        now-playing file names a track of the playlist just loaded, the one the record last started.
        Otherwise the music stays stopped, as before, and the notice says why.
        """
        player, playlist = self.player, self._playlist
        if player is None or playlist is None:
            return
        recorded, last_track = record_music_state(e for _, e in of_type(self.live.entries(), MusicEvent))
        if recorded not in (RecordedState.PLAYING, RecordedState.PAUSED):
            self._drop_hint()  # stopped in the record: a file left behind is stale
            return
        was = "playing" if recorded is RecordedState.PLAYING else "paused"
        try:
            hint = read_hint(self._hint_path)
            go = validate(hint, session_id=self.live.id, playlist=playlist, playlist_path=self._playlist_path,
                          recorded=recorded, last_track=last_track)
        except FileNotFoundError:
            self._say(f"The music was {was} when KAPDesk stopped, but where it was is not known "
                      "(no now-playing file): it stays stopped until you press play.")
            return
        except (ValueError, OSError) as exc:
            self._say(f"The music was {was} when KAPDesk stopped; it stays stopped until you press play, "
                      f"because {exc}.")
            return
        noted = datetime.fromisoformat(go.written_at)
        silent_s = max(0.0, (self.live.clock.utcnow() - noted).total_seconds())
        details = {"volume_to": go.volume, "position_noted_at": go.written_at, "since_noted_s": round(silent_s, 1)}
        if not player.continue_at(go.section, go.index, go.position_s, paused=go.paused, volume=go.volume, **details):
            self._say(f"The music was {was} when KAPDesk stopped; “{go.title}” could not be taken up "
                      "again, so it stays stopped until you press play.")
            return
        at = f"{int(go.position_s) // 60}:{int(go.position_s) % 60:02d}"
        if go.paused:
            self._say(f"KAPDesk restarted: “{go.title}” waits, paused, at {at}; press play to go on.")
        else:
            self._say(f"KAPDesk restarted: the music fades back in where it was, “{go.title}” at {at}.")

    # -- helpers ----------------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        if text != self._notice:
            self._notice = text
            self.notice_changed.emit(text)

    def _resumed_playlist(self) -> Path | None:
        """The playlist this sitting last loaded (a resume after a crash picks it up again)."""
        for _, event in reversed(of_type(self.live.entries(), MusicEvent)):
            if event.event == EventKind.PLAYLIST_LOADED.value:
                source = event.detail("playlist_source")
                if source and Path(source).is_file():
                    return Path(source)
                break
        return None

    def _default_playlist(self) -> Path | None:
        demo = shipped_playlists_dir() / DEMO_PLAYLIST
        for choice in self.playlists:
            if choice.path == demo:
                return demo
        return self.playlists[0].path if self.playlists else None
