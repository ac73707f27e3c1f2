#!/usr/bin/env python3
"""Synthesize the demo music in playlists/audio/ and write playlists/demo-ambient.kap.toml.

Why synthesized: the demo must play on any clinic computer with no licence question, so the
project makes its own audio (released as CC0, see playlists/README.md).  Output is
deterministic (fixed seeds), so re-running it reproduces the same sound.

What it needs:
  * Python 3.11+, standard library only (math, wave, array, random) for the synthesis;
  * ``opusenc`` from opus-tools to compress (Debian/Ubuntu: ``apt-get install opus-tools``).
    Only this generation step needs it; the committed .opus files are what ships, and libvlc
    (the player) decodes Ogg Opus.

Run from the repository root:  python tools/make_demo_audio.py  (about a minute and a half).

The sound: slow pads (a few detuned voices per note, warm low harmonics, chord changes with
long crossfades), soft bell-like tones with slow attacks, and for some tracks a filtered-noise
"tide".  Every envelope is a smooth curve; each track fades in over 6 s and out over 10 s and
is normalised to a -3 dBFS peak, so nothing clicks, clips or starts abruptly.

Speed without numpy: each oscillator is computed for one exact repeating block (an integer
number of cycles) and tiled with list repetition, and mixing uses ``map`` with ``operator``
functions, which run at C speed; envelopes are computed every 64 samples and held.
"""

from __future__ import annotations

import argparse
import math
import operator
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path

RATE = 24000  # Hz; the pads have nothing above ~6 kHz, and Opus resamples internally
STEP = 64  # envelope resolution in samples (2.7 ms): far finer than any envelope change here
PEAK = 10 ** (-3 / 20)  # -3 dBFS
FADE_IN_S, FADE_OUT_S = 6.0, 10.0
OPUS_KBPS = 40

ARTIST = "KAPDesk demo"


def midi(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


# --------------------------------------------------------------------------- building blocks


def cycle_block(freq: float, harmonics: tuple[float, ...], phase: float) -> list[float]:
    """One block of samples holding a whole number of cycles of ``freq`` (within 0.01 Hz).

    Tiling this block gives a seamless oscillator; the block length is searched between 0.5 s
    and 2 s so the whole-cycle constraint moves the pitch by a negligible amount.
    """
    best = min(
        range(RATE // 2, 2 * RATE + 1, 7),
        key=lambda n: abs(round(freq * n / RATE) * RATE / n - freq),
    )
    cycles = round(freq * best / RATE)
    omega = 2 * math.pi * cycles / best
    return [
        sum(amp * math.sin((h + 1) * (omega * i + phase)) for h, amp in enumerate(harmonics))
        for i in range(best)
    ]


def tiled(block: list[float], length: int, offset: int = 0) -> list[float]:
    start = offset % len(block)
    reps = (start + length) // len(block) + 1
    return (block * reps)[start : start + length]


def held(values: list[float], length: int) -> list[float]:
    """Expand a low-rate envelope (one value per STEP samples) to ``length`` samples."""
    return list(chain.from_iterable(repeat(v, STEP) for v in values))[:length]


def smooth(x: float) -> float:
    """Raised-cosine ramp from 0 to 1 on [0, 1]: no corner at either end, so no click."""
    x = min(1.0, max(0.0, x))
    return 0.5 - 0.5 * math.cos(math.pi * x)


def mix_into(target: list[float], start: int, signal: list[float], gain: float = 1.0) -> None:
    end = min(len(target), start + len(signal))
    if end <= start:
        return
    part = signal[: end - start]
    if gain != 1.0:
        part = list(map(operator.mul, part, repeat(gain)))
    target[start:end] = list(map(operator.add, target[start:end], part))


@dataclass
class Stereo:
    seconds: float
    left: list[float] = field(init=False)
    right: list[float] = field(init=False)

    def __post_init__(self) -> None:
        n = int(self.seconds * RATE)
        self.left, self.right = [0.0] * n, [0.0] * n

    @property
    def length(self) -> int:
        return len(self.left)

    def add(self, start_s: float, mono: list[float], pan: float) -> None:
        """Equal-power pan: -1 left, 0 centre, +1 right."""
        angle = (pan + 1) * math.pi / 4
        start = int(start_s * RATE)
        mix_into(self.left, start, mono, math.cos(angle))
        mix_into(self.right, start, mono, math.sin(angle))


# --------------------------------------------------------------------------- instruments

PAD_HARMONICS = (1.0, 0.32, 0.12, 0.05)  # soft, warm; no bright upper partials
BELL_HARMONICS = (1.0, 0.0, 0.18, 0.0, 0.05)


def pad_note(out: Stereo, rng: random.Random, start_s: float, dur_s: float, note: float, level: float, fade_s: float) -> None:
    """A note as two or three slightly detuned voices spread across the stereo field.

    The detuning (a few cents) makes the slow beating that gives pads their shimmer; each voice
    also breathes with its own slow amplitude LFO (periods of 9-25 s).
    """
    n = int(dur_s * RATE)
    steps = n // STEP + 1
    voices = 3 if note < 60 else 2
    for v in range(voices):
        cents = (v - (voices - 1) / 2) * rng.uniform(4, 8)
        freq = midi(note + cents / 100)
        block = cycle_block(freq, PAD_HARMONICS, rng.uniform(0, 2 * math.pi))
        lfo_rate, lfo_phase = 1 / rng.uniform(9, 25), rng.uniform(0, 2 * math.pi)
        env = []
        for s in range(steps):
            t = s * STEP / RATE
            shape = smooth(t / fade_s) * smooth((dur_s - t) / fade_s)
            env.append(level / voices * shape * (0.8 + 0.2 * math.sin(2 * math.pi * lfo_rate * t + lfo_phase)))
        wave_ = list(map(operator.mul, tiled(block, n, rng.randrange(len(block))), held(env, n)))
        pan = (v - (voices - 1) / 2) * 0.7 + rng.uniform(-0.15, 0.15)
        out.add(start_s, wave_, max(-1.0, min(1.0, pan)))


def bell(out: Stereo, start_s: float, note: float, level: float, pan: float, decay_s: float = 5.0) -> None:
    """A soft struck tone: 0.4 s raised-cosine attack (no transient), long exponential decay."""
    dur_s = decay_s * 2.2
    n = int(dur_s * RATE)
    block = cycle_block(midi(note), BELL_HARMONICS, 0.0)
    attack = 0.4
    env = []
    for s in range(n // STEP + 1):
        t = s * STEP / RATE
        rise = smooth(t / attack)
        fall = math.exp(-max(0.0, t - attack) / (decay_s / 3))
        tail = smooth((dur_s - t) / 1.0)  # reach true zero before the buffer ends
        env.append(level * rise * fall * tail)
    out.add(start_s, list(map(operator.mul, tiled(block, n), held(env, n))), pan)


def tide(out: Stereo, rng: random.Random, level: float, period_s: float) -> None:
    """Filtered noise swelling like distant surf: a seamless 8 s loop, slowly modulated."""
    loop_n, overlap = 8 * RATE, RATE
    raw = [rng.gauss(0.0, 1.0) for _ in range(loop_n + overlap)]
    for _ in range(3):  # three one-pole low-passes (~300 Hz): a soft, dark wash
        y, a = 0.0, 0.075
        for i, x in enumerate(raw):
            y += a * (x - y)
            raw[i] = y
    # Crossfade the tail into the head so the loop has no seam.
    loop = raw[:loop_n]
    for i in range(overlap):
        w = smooth(i / overlap)
        loop[i] = loop[i] * w + raw[loop_n + i] * (1 - w)
    peak = max(map(abs, loop))
    n = out.length
    for channel, phase in ((out.left, 0.0), (out.right, 1.3)):
        env = []
        for s in range(n // STEP + 1):
            t = s * STEP / RATE
            swell = 0.5 - 0.5 * math.cos(2 * math.pi * t / period_s + phase)
            env.append(level / peak * (0.15 + 0.85 * swell**2))
        start = rng.randrange(loop_n)
        mix_into(channel, 0, list(map(operator.mul, tiled(loop, n, start), held(env, n))))


def chord_progression(out: Stereo, rng: random.Random, chords: list[list[float]], level: float, overlap_s: float = 10.0) -> None:
    """Chords spread evenly over the track, each fading into the next over ``overlap_s``."""
    span = (out.seconds + overlap_s * (len(chords) - 1)) / len(chords)
    for index, chord in enumerate(chords):
        start = index * (span - overlap_s)
        for note in chord:
            weight = 1.0 if note >= 48 else 0.8  # keep the low end from booming
            pad_note(out, rng, start, span, note, level * weight, fade_s=overlap_s * 0.9)


def scattered_bells(out: Stereo, rng: random.Random, scale: list[float], count: int, level: float) -> None:
    """Sparse tones at unhurried, irregular times, away from the track's fades."""
    first, last = 12.0, out.seconds - 22.0
    times = sorted(rng.uniform(first, last) for _ in range(count))
    for t in times:
        bell(out, t, rng.choice(scale), level * rng.uniform(0.6, 1.0), rng.uniform(-0.6, 0.6), decay_s=rng.uniform(4.0, 7.0))


# --------------------------------------------------------------------------- the tracks


@dataclass(frozen=True)
class DemoTrack:
    section: str
    slug: str
    title: str
    seconds: float
    seed: int


def still_water(out: Stereo, rng: random.Random) -> None:
    chords = [[38, 50, 57, 64, 66], [38, 50, 55, 59, 66], [35, 47, 54, 62, 64], [45, 52, 57, 59, 64], [38, 50, 57, 64, 66]]
    chord_progression(out, rng, chords, level=0.9, overlap_s=12.0)
    scattered_bells(out, rng, [74, 76, 78, 81, 83], count=5, level=0.12)


def slow_tide(out: Stereo, rng: random.Random) -> None:
    chords = [[45, 57, 61, 64, 68], [42, 54, 61, 64, 69], [38, 50, 57, 61, 64], [40, 52, 59, 64, 66], [45, 57, 61, 64, 71]]
    chord_progression(out, rng, chords, level=0.8, overlap_s=12.0)
    tide(out, rng, level=0.35, period_s=11.0)


def drifting_lights(out: Stereo, rng: random.Random) -> None:
    chords = [[40, 52, 59, 64, 66], [36, 48, 55, 64, 67], [43, 55, 59, 62, 66], [40, 52, 59, 64, 71]]
    chord_progression(out, rng, chords, level=0.75, overlap_s=10.0)
    scattered_bells(out, rng, [71, 73, 76, 78, 80, 83, 85], count=11, level=0.13)


def open_sky(out: Stereo, rng: random.Random) -> None:
    pad_note(out, rng, 0.0, out.seconds, 36, 0.55, fade_s=10.0)  # C drone under everything
    pad_note(out, rng, 0.0, out.seconds, 43, 0.4, fade_s=14.0)
    chords = [[55, 60, 62, 67], [53, 57, 60, 64, 66], [55, 60, 65, 67], [57, 60, 62, 64, 67], [55, 60, 62, 67, 74]]
    chord_progression(out, rng, chords, level=0.7, overlap_s=14.0)
    tide(out, rng, level=0.18, period_s=17.0)


def deep_field(out: Stereo, rng: random.Random) -> None:
    pad_note(out, rng, 0.0, out.seconds, 38, 0.55, fade_s=12.0)  # D drone
    chords = [[50, 57, 60, 64, 65], [48, 55, 62, 64, 67], [46, 53, 58, 62, 65], [50, 57, 62, 64, 69]]
    chord_progression(out, rng, chords, level=0.7, overlap_s=14.0)
    scattered_bells(out, rng, [62, 65, 69, 72, 74], count=4, level=0.1)


def first_light(out: Stereo, rng: random.Random) -> None:
    chords = [[41, 53, 60, 64, 67], [45, 57, 60, 64, 67], [46, 58, 62, 65, 69], [48, 55, 60, 64, 69], [41, 53, 60, 64, 67]]
    chord_progression(out, rng, chords, level=0.8, overlap_s=10.0)
    scattered_bells(out, rng, [72, 74, 76, 79, 81, 84], count=8, level=0.12)


def homeward(out: Stereo, rng: random.Random) -> None:
    chords = [[43, 55, 59, 62, 66], [40, 52, 59, 62, 66], [36, 48, 55, 59, 64], [38, 50, 57, 60, 62], [43, 55, 59, 62, 67]]
    chord_progression(out, rng, chords, level=0.85, overlap_s=11.0)
    scattered_bells(out, rng, [67, 71, 74, 76, 79], count=6, level=0.12)
    tide(out, rng, level=0.12, period_s=13.0)


Compose = Callable[[Stereo, random.Random], None]  # draws one track into the buffer

TRACKS: list[tuple[DemoTrack, Compose]] = [
    (DemoTrack("pre-onset", "01-still-water", "Still Water", 120, 11), still_water),
    (DemoTrack("onset", "02-slow-tide", "Slow Tide", 135, 23), slow_tide),
    (DemoTrack("onset", "03-drifting-lights", "Drifting Lights", 105, 37), drifting_lights),
    (DemoTrack("peak", "04-open-sky", "Open Sky", 165, 41), open_sky),
    (DemoTrack("peak", "05-deep-field", "Deep Field", 135, 53), deep_field),
    (DemoTrack("re-entry", "06-first-light", "First Light", 120, 67), first_light),
    (DemoTrack("return", "07-homeward", "Homeward", 150, 79), homeward),
]

SECTION_TITLES = {
    "pre-onset": ("Settling", "Soft, slow, familiar-feeling pads while the client settles before the dose takes hold."),
    "onset": ("Onset", "Gentle movement as effects begin; nothing sudden."),
    "peak": ("Peak", "Open, wordless, spacious; a low drone to hold the client."),
    "re-entry": ("Re-entry", "Brighter harmony as the client returns."),
    "return": ("Return", "Warm and grounded, ready for conversation."),
}


# --------------------------------------------------------------------------- output


def render(track: DemoTrack, compose: Compose) -> tuple[list[float], list[float]]:
    out = Stereo(track.seconds)
    compose(out, random.Random(track.seed))
    peak = max(max(map(abs, out.left)), max(map(abs, out.right)))
    gain = PEAK / peak
    n = out.length
    env = [
        gain * smooth((s * STEP / RATE) / FADE_IN_S) * smooth((track.seconds - s * STEP / RATE) / FADE_OUT_S)
        for s in range(n // STEP + 1)
    ]
    full = held(env, n)
    full[-1] = 0.0  # end on silence exactly
    return list(map(operator.mul, out.left, full)), list(map(operator.mul, out.right, full))


def write_wav(path: Path, left: list[float], right: list[float]) -> None:
    interleaved = [0.0] * (2 * len(left))
    interleaved[0::2], interleaved[1::2] = left, right
    samples = array("h", map(round, map(operator.mul, interleaved, repeat(32767.0))))
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(samples.tobytes())


def encode(wav: Path, target: Path, track: DemoTrack) -> None:
    subprocess.run(
        [
            "opusenc", "--quiet", "--music", "--bitrate", str(OPUS_KBPS), "--comp", "10",
            "--title", track.title, "--artist", ARTIST, "--album", "KAPDesk demo: ambient",
            "--comment", "LICENSE=CC0-1.0",
            "--comment", "COPYRIGHT=Generated by the KAPDesk project; no rights reserved (CC0 1.0)",
            str(wav), str(target),
        ],
        check=True,
    )  # fmt: skip


def clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def playlist_toml() -> str:
    lines = [
        "# Generated by tools/make_demo_audio.py: edit the script, not this file.",
        "# A short demo of the KAPDesk curated format; the audio beside it is CC0, made by the project.",
        "kapdesk_playlist = 1",
        'title = "Demo: ambient pads"',
        'description = "Seven synthesized ambient pieces, one or two per phase (about 15 minutes), '
        'for trying KAPDesk without a music library."',
    ]
    current = ""
    for track, _ in TRACKS:
        if track.section != current:
            current = track.section
            title, description = SECTION_TITLES[current]
            lines += ["", "[[section]]", f'key = "{current}"', f'title = "{title}"', f'description = "{description}"']
        lines += [
            "",
            "[[section.tracks]]",
            f'title = "{track.title}"',
            f'artist = "{ARTIST}"',
            f'duration = "{clock(track.seconds)}"',
            "has_lyrics = false",
            f'location = "audio/{track.slug}.opus"',
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("playlists"), help="the playlists folder (default: playlists)")
    args = parser.parse_args(argv)
    if shutil.which("opusenc") is None:
        print("opusenc not found: install opus-tools (Debian/Ubuntu: apt-get install opus-tools)", file=sys.stderr)
        return 1
    audio = args.out / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for track, compose in TRACKS:
            left, right = render(track, compose)
            wav = Path(tmp, f"{track.slug}.wav")
            write_wav(wav, left, right)
            target = audio / f"{track.slug}.opus"
            encode(wav, target, track)
            print(f"{target}  {clock(track.seconds)}  {target.stat().st_size / 1e6:.2f} MB")
    (args.out / "demo-ambient.kap.toml").write_text(playlist_toml(), encoding="utf-8")
    print(f"{args.out / 'demo-ambient.kap.toml'} written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
