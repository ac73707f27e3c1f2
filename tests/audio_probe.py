"""Audio that tells where in a track it came from, and the reader that asks it.

``write_chirp`` writes a tone whose pitch rises steadily (``F0_HZ`` + ``RISE_HZ_PER_S`` × t), so
any short stretch of it says the second it was taken from. ``start_of`` reads a capture made by
libvlc's ``afile`` output (a WAV whose header may be unfinished, because the process was killed or
still runs) and returns the track position its first audio came from: what a listener heard first.
"""

from __future__ import annotations

import array
import math
import statistics
import struct
import wave
from pathlib import Path

RATE = 22_050
F0_HZ = 200.0
RISE_HZ_PER_S = 20.0
WINDOW_S = 0.2


def write_chirp(path: Path, seconds: float) -> Path:
    """A mono 16-bit WAV of ``seconds``: a sine rising from F0_HZ by RISE_HZ_PER_S every second."""
    frames = int(seconds * RATE)
    samples = array.array("h", (
        int(0.5 * 32767 * math.sin(2 * math.pi * (F0_HZ * t + RISE_HZ_PER_S * t * t / 2)))
        for t in (i / RATE for i in range(frames))
    ))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


def read_capture(path: Path) -> tuple[array.array, int]:
    """The first channel of an ``afile`` capture as 16-bit samples, and its rate.

    Reads the chunks by hand: a capture still being written, or left by a killed process, has
    placeholder sizes in its header, so its data runs to the end of the file whatever they say.
    """
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path} is not a WAV file")
    offset, channels, rate, bits = 12, 0, 0, 0
    while offset + 8 <= len(data):
        chunk, size = data[offset:offset + 4], struct.unpack("<I", data[offset + 4:offset + 8])[0]
        body = offset + 8
        if chunk == b"fmt ":
            _tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", data[body:body + 16])
        elif chunk == b"data":
            if bits != 16:
                raise ValueError(f"{path}: {bits}-bit samples, expected 16")
            raw = data[body:]
            raw = raw[: len(raw) - len(raw) % (2 * channels)]
            return array.array("h", raw)[::channels], rate
        offset = body + size + (size & 1)
    raise ValueError(f"{path} has no audio data")


def frequency(samples: array.array, rate: int) -> float:
    """Mean frequency of a stretch of sine, from its rising zero crossings."""
    crossings = [i for i in range(1, len(samples)) if samples[i - 1] < 0 <= samples[i]]
    if len(crossings) < 2:
        return 0.0
    return (len(crossings) - 1) * rate / (crossings[-1] - crossings[0])


def start_of(path: Path, *, over_s: float = 2.0) -> float:
    """The track position (seconds) of the first audio in the capture at ``path``.

    Each ``WINDOW_S`` stretch of the first ``over_s`` seconds says which second of the chirp it
    holds; less its own place in the capture, that is where the capture began. The median of
    those estimates, good to about a tenth of a second.
    """
    samples, rate = read_capture(path)
    first = next((i for i, s in enumerate(samples) if abs(s) > 64), None)  # the first audible sample
    if first is None:
        raise ValueError(f"{path} holds only silence")
    window = int(WINDOW_S * rate)
    estimates = []
    for start in range(first, min(len(samples), first + int(over_s * rate)) - window, window):
        heard = (frequency(samples[start:start + window], rate) - F0_HZ) / RISE_HZ_PER_S
        estimates.append(heard - (start - first + window / 2) / rate)
    if len(estimates) < 3:
        raise ValueError(f"{path} holds too little audio ({len(samples) / rate:.2f} s)")
    return statistics.median(estimates)
