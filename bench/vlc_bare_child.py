"""The fair baseline for "play to first audio": a bare python-vlc ``MediaPlayer`` in a process of its own.

``python bench/vlc_bare_child.py OUT.wav FILE``: libvlc with the same arguments as our player
(:data:`kapdesk.player.availability.BASE_INSTANCE_ARGS` plus ``--aout=afile``), the media
created and parsed beforehand as our player has its playlist loaded; then, from a running
event loop 200 ms later like ours, ``T0 <monotonic>`` just before ``MediaPlayer.play()``. The
parent times the first audio written to OUT.wav on the same clock, exactly as for ours.
No Qt, no app: what libvlc itself costs from ``play()`` to the first decoded audio.
"""

from __future__ import annotations

import sys
import time

import vlc

from kapdesk.player.availability import BASE_INSTANCE_ARGS


def main(out: str, path: str) -> int:
    instance = vlc.Instance([*BASE_INSTANCE_ARGS, "--aout=afile", f"--audiofile-file={out}"])
    player = instance.media_player_new()
    media = instance.media_new_path(path)
    player.set_media(media)
    time.sleep(0.2)  # as ours: play is pressed once everything is loaded
    t0 = time.monotonic()
    player.play()
    print(f"T0 {t0:.6f}", flush=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and player.get_time() <= 0:
        time.sleep(0.005)
    time.sleep(0.3)
    player.stop()
    player.release()
    instance.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
