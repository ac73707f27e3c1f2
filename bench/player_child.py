"""A child process for bench_player.py: our player, writing its audio to a WAV file (``--aout=afile``).

``python bench/player_child.py latency OUT.wav``
    The player with the demo playlist loaded (start-up not measured). Prints ``T0 <monotonic>``,
    the ``time.monotonic()`` just before ``Player.play()`` (what the therapist's key press calls),
    then ``POS <monotonic>`` when the player first sees the position move (libvlc's own "audio is
    playing"), then exits. The parent times the moment OUT.wav first holds audio on the same
    system-wide monotonic clock.

``python bench/player_child.py cpu OUT.wav SECONDS``
    The whole music side of a sitting as the therapist runs it: a store, a live session, the
    ``MusicSession`` and a shown ``MusicPane`` (offscreen), the demo playlist playing. Prints
    ``PLAYING`` once the position moves, then plays until the parent ends it (or SECONDS + 30 s
    pass). The parent samples this process's CPU time from /proc.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer

AFILE = ("--aout=afile",)


def afile_args(out: str) -> list[str]:
    return [*AFILE, f"--audiofile-file={out}"]


def latency(out: str) -> int:
    from PySide6.QtCore import QCoreApplication

    from kapdesk.paths import shipped_playlists_dir
    from kapdesk.player import Player, VlcBackend
    from kapdesk.playlists import load_playlist

    app = QCoreApplication(sys.argv[:1])
    player = Player(VlcBackend(extra_args=afile_args(out)))
    player.load_playlist(load_playlist(shipped_playlists_dir() / "demo-ambient.kap.toml"))

    def moved(position: float, _length: float) -> None:
        if position > 0:
            print(f"POS {time.monotonic():.6f}", flush=True)
            player.position_changed.disconnect(moved)
            QTimer.singleShot(300, app.quit)

    player.position_changed.connect(moved)
    QTimer.singleShot(10_000, app.quit)  # a ceiling: the parent reports a run that never started

    def press_play() -> None:
        t0 = time.monotonic()
        player.play()
        print(f"T0 {t0:.6f}", flush=True)

    QTimer.singleShot(200, press_play)  # from a running event loop, as a key press would
    code = app.exec()
    player.close()
    return code


def cpu(out: str, seconds: float) -> int:
    import os

    data = Path(out).parent / "kapdesk-data"  # inside the parent's run folder, removed with it
    data.mkdir(exist_ok=True)
    os.environ["KAPDESK_DATA_DIR"] = str(data)
    from PySide6.QtWidgets import QApplication

    from kapdesk.domain.clock import SystemClock
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.paths import protocol_folders
    from kapdesk.session import Clinic, MusicSession, create_player
    from kapdesk.store import Store
    from kapdesk.ui.music_pane import MusicPane
    from kapdesk.ui.theme import DARK, apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app, DARK)
    clock = SystemClock()
    clinic = Clinic(Store.open(str(Path(os.environ["KAPDESK_DATA_DIR"]) / "bench.sqlite3"), now=clock.utcnow), clock)
    protocols, _errors = load_protocols(protocol_folders())
    protocol = next(p for p in protocols if p.id == "sublingual")
    clinician = clinic.clinician_named("Bench Clinician (synthetic)")
    client = clinic.client_labelled("BENCH-01 (synthetic)", clinician.id)
    info = clinic.start_session(client.id, clinician.id, protocol)
    live = clinic.open_session(info.id, clinician.id)
    player, availability = create_player(extra_args=afile_args(out))
    if player is None:
        print(f"NO-VLC {availability.reason}", flush=True)
        return 1
    music = MusicSession(live, player, availability)
    pane = MusicPane(music)
    pane.resize(420, 460)
    pane.show()

    def moved(position: float, _length: float) -> None:
        if position > 0:
            print("PLAYING", flush=True)
            player.position_changed.disconnect(moved)

    player.position_changed.connect(moved)
    QTimer.singleShot(200, player.play)
    QTimer.singleShot(int((seconds + 30) * 1000), app.quit)
    code = app.exec()
    music.close(fade_s=0)
    player.close()
    clinic.close()
    return code


def main() -> int:
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "latency":
        return latency(out)
    if mode == "cpu":
        return cpu(out, float(sys.argv[3]))
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    raise SystemExit(main())
