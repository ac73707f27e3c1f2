"""The music player against plain ``cvlc`` on the same file, same machine, same audio output.

Both sides write their audio to a WAV file with VLC's ``afile`` output (real-time paced, like a
sound card, but needs no sound hardware), so one detector serves both: the moment the file first
holds audio data, polled every 0.5 ms from this process on the system-wide monotonic clock.

(a) Start latency, median of N fresh processes each, interleaved.
    ours:     from just before ``Player.play()`` (the key press; libvlc, the player and the demo
              playlist are already loaded, as they are in the app) to the first audio in the file.
              ``Player.play()`` starts the track at once and fades it in from silence, so the
              output starts with the first decoded buffer.
    baseline: the fair one (issue 12): a bare python-vlc ``MediaPlayer`` playing the same file in
              a process of its own (``vlc_bare_child.py``), from just before its ``play()`` to the
              first audio in the file: the same work, libvlc alone. (The old baseline, a whole
              ``cvlc`` process start, compared a play call with a process start and said nothing.)
              Needs python-vlc and libvlc only, so it runs where ``cvlc`` is missing.
(b) In bench_player_cpu.py: CPU while playing, as a percentage of one core, over 60 s (10 s with ``--quick``), sampled
    from /proc/<pid>/stat (user + system, every thread) from the end of our 4 s fade-in
    plus 1 s after the audio started (both sides: ``SETTLE_S``).
    ours:     ``player_child.py cpu``: store, live session, ``MusicSession`` and a shown
              ``MusicPane`` (offscreen), the demo playlist playing from its first track.
    baseline: ``cvlc`` playing that same first file.

cvlc refuses to run as root ("VLC is not supposed to be run as root"), and ``vlc-wrapper`` only
drops to the *real* uid, which is root too. As root, the baseline runs as ``nobody`` through
``setpriv`` (util-linux), with a private HOME; the exec chain keeps one pid, so /proc still reads it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CHILD_ENV, ROOT, Result, median

DEMO_TRACK = ROOT / "playlists" / "audio" / "01-still-water.opus"
POLL_S = 0.0005
AUDIO_BYTES = 1024  # more than a WAV header: audio samples have been written
START_TIMEOUT_S = 15.0


def _wait_for_audio(out: Path, process: subprocess.Popen[str], deadline: float) -> float:
    """``time.monotonic()`` when ``out`` first holds audio; raises if the process gives up first."""
    while time.monotonic() < deadline:
        try:
            if out.stat().st_size > AUDIO_BYTES:
                return time.monotonic()
        except FileNotFoundError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} ended ({process.returncode}) before any audio was written")
        time.sleep(POLL_S)
    raise RuntimeError(f"no audio from {process.args!r} within {START_TIMEOUT_S} s")


def _end(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ours_latency(folder: Path, run: int) -> float:
    out = folder / f"ours-{run}.wav"
    child = subprocess.Popen([sys.executable, "bench/player_child.py", "latency", str(out)], cwd=ROOT,
                             env=CHILD_ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        heard = _wait_for_audio(out, child, time.monotonic() + START_TIMEOUT_S)
        stdout, _ = child.communicate(timeout=START_TIMEOUT_S)
    finally:
        _end(child)
    t0 = next(float(line.split()[1]) for line in stdout.splitlines() if line.startswith("T0 "))
    return heard - t0


def _bare_latency(folder: Path, run: int) -> float:
    """The same measurement for a bare python-vlc MediaPlayer (vlc_bare_child.py)."""
    out = folder / f"bare-{run}.wav"
    child = subprocess.Popen([sys.executable, "bench/vlc_bare_child.py", str(out), str(DEMO_TRACK)], cwd=ROOT,
                             env=CHILD_ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        heard = _wait_for_audio(out, child, time.monotonic() + START_TIMEOUT_S)
        stdout, _ = child.communicate(timeout=START_TIMEOUT_S)
    finally:
        _end(child)
    t0 = next(float(line.split()[1]) for line in stdout.splitlines() if line.startswith("T0 "))
    return heard - t0


LATENCY_TARGET = 1.1


def run(quick: bool) -> list[Result]:
    """Play to first audio against the fair baseline (CPU while playing: bench_player_cpu.py)."""
    runs = 5 if quick else 31
    folder = Path(tempfile.mkdtemp(prefix="bench-player-"))
    ours: list[float] = []
    bare: list[float] = []
    try:
        for i in range(runs):  # interleaved, so a busy moment of the machine hits both sides
            ours.append(_ours_latency(folder, i))
            bare.append(_bare_latency(folder, i))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours_ms, bare_ms = 1000 * median(ours), 1000 * median(bare)
    return [Result(f"play to first audio (median of {runs})", ours_ms, bare_ms, "ms", f"<= {LATENCY_TARGET}x",
                   ours_ms <= LATENCY_TARGET * bare_ms,
                   "bare python-vlc MediaPlayer, own process, play() to first audio")]


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        print(result.line())
