"""A real KAPDesk process playing music through libvlc, for the SIGKILL test of music after a crash.

Usage: python music_app.py DB_PATH PLAYLIST CAPTURE_WAV start|resume

The app is built exactly as ``kapdesk --db DB_PATH`` builds it (``kapdesk.app.build``: window,
record, single-instance lock, clinic settings), with one difference: libvlc writes its audio to
CAPTURE_WAV (``--aout=afile``, paced in real time like a sound card) instead of a sound card. The
session is opened through the clinic and ``MainWindow.show_session`` (what the start screen's
Start and Resume call), not by start-screen keys, so a change of the start screen or a sign-in
step in front of it does not touch this test.

``start``   a new sitting; chooses PLAYLIST in the sitting's music and presses play (Ctrl+P on the
            session view), then prints ``POS <seconds> <title>`` at every position update of the
            player until it is killed.
``resume``  opens the sitting in progress, as Resume does after a crash; the music session decides
            by itself whether and where the music goes on. Prints ``OPENED <state> <seconds>
            <title>`` and ``NOTICE <pane notice>``, then, once any fade-in has ended and a second
            more has played, one ``VOLUME <t> <volume> <position>`` line for every volume the player
            sent to libvlc since it was created (t: seconds since the sitting was opened), then
            ``DONE``; then quits as a therapist would (the window closes, the stop is recorded).

Anything that goes wrong prints ``FAILED <why>`` and exits, so the test never waits on a silent
process.
"""

import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

import kapdesk.session.music as music_module
from kapdesk.app import build
from kapdesk.domain.status import SessionStatus
from kapdesk.player import PlaybackState
from kapdesk.ui.music_pane import MusicPane

CTRL = Qt.KeyboardModifier.ControlModifier
SETTLED_S = 1.0  # after the fade-in, play this much more before reporting

volumes: list[tuple[float, int, float]] = []  # (monotonic, volume sent to libvlc, position)


def capture_audio_to(path: str) -> None:
    """The app's own ``create_player``, with libvlc's audio going to ``path`` instead of a sound card."""
    original = music_module.create_player

    def create_player(*, settings=None, extra_args=(), parent=None):
        player, availability = original(settings=settings, parent=parent,
                                        extra_args=[*extra_args, "--aout=afile", f"--audiofile-file={path}"])
        if player is None:
            raise SystemExit(f"no libvlc: {availability.reason}")
        player.volume_changed.connect(lambda v: volumes.append((time.monotonic(), v, player.position)))
        return player, availability

    music_module.create_player = create_player  # MainWindow.show_session looks it up when it runs


def start(window, playlist: Path) -> None:
    clinic = window.clinic
    clinician = clinic.clinician_named("Music Clinician (synthetic)")
    client = clinic.client_labelled("MUSIC-01 (synthetic)", clinician.id)
    info = clinic.start_session(client.id, clinician.id, window.protocols["sublingual"])
    view = window.show_session(info.id, clinician.id)
    music = view.findChild(MusicPane).music
    if not music.choose_playlist(playlist):
        raise SystemExit(f"the playlist did not open: {music.notice}")
    player = music.player
    if not QTest.qWaitForWindowActive(window):  # shortcuts reach only the active window
        raise SystemExit("the window never became active")
    player.position_changed.connect(
        lambda position, _length: print(f"POS {position:.3f} {player.current_track.title}", flush=True))
    QTest.keyClick(view, Qt.Key.Key_P, CTRL)  # play
    if player.state is not PlaybackState.PLAYING:
        raise SystemExit(f"Ctrl+P did not start the music ({player.state})")


def resume(window, app) -> None:
    in_progress = window.clinic.sessions(status=SessionStatus.IN_PROGRESS)
    if len(in_progress) != 1:
        raise SystemExit(f"expected one sitting in progress, found {len(in_progress)}")
    opened_at = time.monotonic()
    view = window.show_session(in_progress[0].id, in_progress[0].clinician_id)
    music = view.findChild(MusicPane).music
    player = music.player
    track = player.current_track
    print(f"OPENED {player.state.value} {player.position:.3f} {track.title if track else '-'}", flush=True)
    print(f"NOTICE {music.notice}", flush=True)
    settled: list[float] = []

    def check() -> None:
        if player.state is PlaybackState.PLAYING and player.effective_volume < player.volume:
            return  # still fading in
        settled.append(time.monotonic())
        if time.monotonic() - settled[0] < SETTLED_S:
            return
        timer.stop()
        for at, volume, position in volumes:
            print(f"VOLUME {at - opened_at:.3f} {volume} {position:.3f}", flush=True)
        print(f"DONE {player.state.value} {player.position:.3f}", flush=True)
        window.close()  # quitting: the music stops at once and the stop is recorded
        app.quit()

    timer = QTimer(window, interval=50)  # owned by the window: it outlives this function
    timer.timeout.connect(check)
    timer.start()
    QTimer.singleShot(30_000, lambda: (print("FAILED the fade-in never ended", flush=True), app.exit(1)))


def main() -> int:
    db_path, playlist, capture, mode = sys.argv[1:5]
    capture_audio_to(capture)
    app, window, _lock = build(db_path)  # the lock lives as long as the process
    window.show()
    window.activateWindow()

    def run() -> None:
        try:
            start(window, Path(playlist)) if mode == "start" else resume(window, app)
        except BaseException as exc:  # noqa: BLE001 - say it and stop, never hang the test
            print("FAILED", repr(exc), flush=True)
            app.exit(1)

    QTimer.singleShot(0, run)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
