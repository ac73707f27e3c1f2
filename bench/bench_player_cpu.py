"""CPU while playing, our whole music side against ``cvlc`` playing the same file (see bench_player.py).

A benchmark of its own because its baseline tool, ``cvlc``, may be missing: then it prints one
SKIP line and "play to first audio" (bench_player.py, python-vlc only) still runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_player import DEMO_TRACK, START_TIMEOUT_S, _end, _wait_for_audio
from common import CHILD_ENV, ROOT, Result, require_tool

from kapdesk.player import PlayerSettings

NOBODY = "65534"
BENCHMARK = "music player CPU while playing, against cvlc"
CPU_TARGET = 1.2


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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (all its threads) from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


# Both sides are sampled from the same moment after their first audio: past our fade-in from silence
# (PlayerSettings.fade_in_s, 4 s; its 50 ms volume steps are a start, not "while playing") and a second more.
SETTLE_S = PlayerSettings().fade_in_s + 1.0


def _sample_cpu(pid: int, seconds: float) -> float:
    time.sleep(SETTLE_S)
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
    seconds = 10.0 if quick else 60.0
    folder = Path(tempfile.mkdtemp(prefix="bench-player-cpu-"))
    try:
        ours_cpu, cvlc_cpu = _ours_cpu(folder, seconds), _cvlc_cpu(folder, seconds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return [Result(f"CPU while playing over {seconds:.0f} s", ours_cpu, cvlc_cpu, "% of a core",
                   f"<= {CPU_TARGET}x cvlc", ours_cpu <= CPU_TARGET * cvlc_cpu, "cvlc playing the same file")]


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        print(result.line())
