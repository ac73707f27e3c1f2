"""The music player against plain ``cvlc`` on the same file, same machine, same audio output.

Both sides write their audio to a WAV file with VLC's ``afile`` output (real-time paced, like a
sound card, but needs no sound hardware), so one detector serves both: the moment the file first
holds audio data, polled every 0.5 ms from this process on the system-wide monotonic clock.

(a) Start latency, median of N fresh processes each.
    ours:     from just before ``Player.play()`` (the key press; libvlc, the player and the demo
              playlist are already loaded, as they are in the app) to the first audio in the file.
              ``Player.play()`` starts the track at once and fades it in from silence, so the
              output starts with the first decoded buffer.
    baseline: ``cvlc --play-and-exit`` on the demo's first file, from process start (its
              ``Popen``) to the first audio in the file: process start, plugin loading, opening
              and decoding, which is what "press play in VLC" costs from cold.
(b) CPU while playing, as a percentage of one core, over 60 s (10 s with ``--quick``), sampled
    from /proc/<pid>/stat (user + system, every thread) from 1 s after the audio started.
    ours:     ``player_child.py cpu``: store, live session, ``MusicSession`` and a shown
              ``MusicPane`` (offscreen), the demo playlist playing from its first track.
    baseline: ``cvlc`` playing that same first file.

cvlc refuses to run as root ("VLC is not supposed to be run as root"), and ``vlc-wrapper`` only
drops to the *real* uid, which is root too. As root, the baseline runs as ``nobody`` through
``setpriv`` (util-linux), with a private HOME; the exec chain keeps one pid, so /proc still reads it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CHILD_ENV, ROOT, Result, median, require_tool

DEMO_TRACK = ROOT / "playlists" / "audio" / "01-still-water.opus"
POLL_S = 0.0005
AUDIO_BYTES = 1024  # more than a WAV header: audio samples have been written
START_TIMEOUT_S = 15.0
NOBODY = "65534"
BENCHMARK = "music player against cvlc: play to first audio, CPU while playing"


def _cvlc_command(out: Path, extra: list[str]) -> tuple[list[str], dict[str, str]]:
    base = ["cvlc", "--quiet", "--no-video", "--aout=afile", f"--audiofile-file={out}", *extra, str(DEMO_TRACK)]
    env = {**os.environ}
    if os.geteuid() != 0:
        return base, env
    home = out.parent / "cvlc-home"  # removed with the run's folder
    home.mkdir(exist_ok=True)
    os.chmod(home, 0o777)
    os.chmod(out.parent, 0o777)
    env["HOME"] = str(home)
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *base], env


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


def _cvlc_latency(folder: Path, run: int) -> float:
    out = folder / f"cvlc-{run}.wav"
    command, env = _cvlc_command(out, ["--play-and-exit", "--run-time=1"])
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        return _wait_for_audio(out, process, started + START_TIMEOUT_S) - started
    finally:
        _end(process)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (all its threads) from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def _sample_cpu(pid: int, seconds: float) -> float:
    time.sleep(1.0)  # past the start and the fade-in
    before = _cpu_seconds(pid)
    time.sleep(seconds)
    return 100.0 * (_cpu_seconds(pid) - before) / seconds


def _ours_cpu(folder: Path, seconds: float) -> float:
    out = folder / "ours-cpu.wav"
    child = subprocess.Popen([sys.executable, "bench/player_child.py", "cpu", str(out), str(seconds)], cwd=ROOT,
                             env=CHILD_ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.startswith("PLAYING"):
            raise RuntimeError(f"player_child cpu did not start playing: {line!r}")
        _wait_for_audio(out, child, time.monotonic() + START_TIMEOUT_S)
        return _sample_cpu(child.pid, seconds)
    finally:
        _end(child)


def _cvlc_cpu(folder: Path, seconds: float) -> float:
    out = folder / "cvlc-cpu.wav"
    command, env = _cvlc_command(out, ["--play-and-exit"])
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        _wait_for_audio(out, process, time.monotonic() + START_TIMEOUT_S)
        return _sample_cpu(process.pid, seconds)
    finally:
        _end(process)


def run(quick: bool) -> list[Result]:
    require_tool(BENCHMARK, "cvlc", "vlc-bin")
    if os.geteuid() == 0:  # cvlc refuses root: the baseline drops to nobody through setpriv
        require_tool(BENCHMARK, "setpriv", "util-linux")
    runs = 5 if quick else 11
    seconds = 10.0 if quick else 60.0
    folder = Path(tempfile.mkdtemp(prefix="bench-player-"))
    ours: list[float] = []
    cvlc: list[float] = []
    try:
        for i in range(runs):  # interleaved, so a busy moment of the machine hits both sides
            ours.append(_ours_latency(folder, i))
            cvlc.append(_cvlc_latency(folder, i))
        ours_cpu, cvlc_cpu = _ours_cpu(folder, seconds), _cvlc_cpu(folder, seconds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours_ms, cvlc_ms = 1000 * median(ours), 1000 * median(cvlc)
    return [
        Result(f"play to first audio (median of {runs})", ours_ms, cvlc_ms, "ms", "<= 1.0x cvlc",
               ours_ms <= cvlc_ms, "cvlc --play-and-exit, process start to first audio"),
        Result(f"CPU while playing over {seconds:.0f} s", ours_cpu, cvlc_cpu, "% of a core", "<= 2.0x cvlc",
               ours_cpu <= 2.0 * cvlc_cpu, "cvlc playing the same file"),
    ]
