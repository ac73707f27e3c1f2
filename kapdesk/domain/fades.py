"""Fade curves for the music: pure functions, no Qt, no clock.

The product rule (product.md, "Music") is that volume changes are slow ramps and nothing stops
abruptly. The level a fade moves is libvlc's 0..100 volume, which is already a loudness-like
scale: VLC's software mixer turns it into gain as ``(v/100) ** 3`` (modules/audio_output/volume.h,
and PulseAudio maps its volume the same way), so equal steps on it sound roughly like equal
loudness steps. What is left to shape is the start and finish of a fade, where a straight line
begins and ends with an audible corner:

* ``S_CURVE``      raised cosine: leaves and arrives gently. Talk-down, pause/resume, master
                   volume, the end-of-session fade.
* ``EQUAL_POWER``  quarter sine/cosine: a fade-out holds its body and drops late, a fade-in arrives
                   early; the out/in pair keeps constant power (``crossfade_gains``). Track changes.
* ``EXPONENTIAL``  a straight line in decibels of the level itself. Right for an output that takes
                   plain linear gain; on libvlc's already-cubic scale it would drop fast and then
                   linger near silence, so the player does not use it.
* ``LINEAR``       for comparison and tests.

Every function is total over its inputs: times before the start give the start value, times after
the end (or a zero duration) give the end value exactly, so a fade always lands where it was aimed.
Levels are non-negative floats in any unit (0..100 volume, 0..1 gain); ``volume_at`` rounds to
the integer volume libvlc takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

# Where EXPONENTIAL puts "zero": 60 dB below the louder end, i.e. 1/1000 of it. Quiet enough that
# the last step from there to true zero is inaudible, loud enough that the curve spends its time
# in the audible range instead of creeping towards minus infinity.
SILENCE_DB = -60.0

MIN_VOLUME = 0
MAX_VOLUME = 100


class FadeCurve(Enum):
    LINEAR = "linear"
    S_CURVE = "s-curve"
    EQUAL_POWER = "equal-power"
    EXPONENTIAL = "exponential"


def progress(curve: FadeCurve, x: float, rising: bool = True) -> float:
    """How far (0..1) a fade of shape ``curve`` has come at fraction ``x`` (0..1) of its time.

    Monotonic non-decreasing in ``x``, exactly 0 at 0 and 1 at 1. ``rising`` matters only for
    EQUAL_POWER, whose fade-in (sine) and fade-out (cosine) are different halves of the same pair.
    EXPONENTIAL depends on the endpoint values, not on ``x`` alone; see ``level_at``.
    """
    x = min(1.0, max(0.0, x))
    if curve is FadeCurve.LINEAR:
        return x
    if curve is FadeCurve.S_CURVE:
        return (1.0 - math.cos(math.pi * x)) / 2.0
    if curve is FadeCurve.EQUAL_POWER:
        return math.sin(math.pi * x / 2.0) if rising else 1.0 - math.cos(math.pi * x / 2.0)
    raise ValueError(f"{curve} has no endpoint-independent shape; use level_at")


def level_at(curve: FadeCurve, start: float, end: float, duration_s: float, t_s: float) -> float:
    """The level ``t_s`` seconds into a fade from ``start`` to ``end`` lasting ``duration_s``.

    Exactly ``start`` at or before 0 and exactly ``end`` at or after ``duration_s`` (or at once
    when ``duration_s`` <= 0). In between it moves monotonically from ``start`` towards ``end``.
    """
    if duration_s <= 0 or t_s >= duration_s:
        return end
    if t_s <= 0:
        return start
    x = t_s / duration_s
    if curve is FadeCurve.EXPONENTIAL:
        return _decibel_interpolate(start, end, x)
    return start + (end - start) * progress(curve, x, rising=end >= start)


def volume_at(curve: FadeCurve, start: int, end: int, duration_s: float, t_s: float) -> int:
    """``level_at`` on the 0..100 volume scale, rounded to the integer libvlc takes."""
    return clamp_volume(level_at(curve, start, end, duration_s, t_s))


def clamp_volume(level: float) -> int:
    return int(min(MAX_VOLUME, max(MIN_VOLUME, round(level))))


def effective_volume(master: float, *gains: float) -> int:
    """The volume to send to the output: the master volume times every gain layer (each 0..1).

    The player keeps master volume, talk-down and transport fades as separate layers so that,
    say, a talk-down started during a fade-in does not fight it: both simply multiply.
    """
    level = master
    for gain in gains:
        level *= gain
    return clamp_volume(level)


def talk_level(volume: int, fraction: float) -> int:
    """The talk-down volume: ``fraction`` (0..1) of the music volume, rounded."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"talk fraction must be between 0 and 1, not {fraction}")
    return clamp_volume(volume * fraction)


def crossfade_gains(duration_s: float, t_s: float) -> tuple[float, float]:
    """Equal-power gains ``(outgoing, incoming)`` ``t_s`` into a crossfade of ``duration_s``.

    ``outgoing**2 + incoming**2 == 1`` throughout, so two overlapping tracks keep a constant
    loudness. The player plays one track at a time and uses the two halves back to back (see
    ``kapdesk.player.player``); this pair is the contract a two-output backend would follow.
    """
    x = 1.0 if duration_s <= 0 else min(1.0, max(0.0, t_s / duration_s))
    return math.cos(math.pi * x / 2.0), math.sin(math.pi * x / 2.0)


def proportional_duration(start: float, end: float, full_range: float, full_duration_s: float) -> float:
    """Time for a fade covering ``|end - start|`` when the whole ``full_range`` takes ``full_duration_s``.

    Used when a fade is reversed or retargeted half-way (talk-down pressed twice, resume during a
    pause fade): it returns at the same pace instead of taking the full time for half the way.
    """
    if full_range <= 0:
        raise ValueError("full_range must be positive")
    return full_duration_s * min(1.0, abs(end - start) / full_range)


@dataclass(frozen=True)
class Ramp:
    """A fade from ``start`` to ``end`` over ``duration_s`` seconds along ``curve``.

    Times are seconds since the ramp began; the caller owns the clock.
    """

    start: float
    end: float
    duration_s: float
    curve: FadeCurve = FadeCurve.S_CURVE

    def __post_init__(self) -> None:
        for name in ("start", "end", "duration_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"Ramp.{name} must be a finite non-negative number, not {value}")

    def value_at(self, elapsed_s: float) -> float:
        return level_at(self.curve, self.start, self.end, self.duration_s, elapsed_s)

    def volume_at(self, elapsed_s: float) -> int:
        return clamp_volume(self.value_at(elapsed_s))

    def finished(self, elapsed_s: float) -> bool:
        return elapsed_s >= self.duration_s


def ramp_steps(ramp: Ramp, tick_s: float) -> list[int]:
    """The integer volumes a player ticking every ``tick_s`` seconds would send, start and end included."""
    if tick_s <= 0:
        raise ValueError("tick_s must be positive")
    ticks = math.ceil(ramp.duration_s / tick_s) if ramp.duration_s > 0 else 0
    return [ramp.volume_at(i * tick_s) for i in range(ticks)] + [clamp_volume(ramp.end)]


def _decibel_interpolate(start: float, end: float, x: float) -> float:
    """Move from ``start`` to ``end`` in equal decibel steps; zero stands for ``SILENCE_DB``."""
    reference = max(start, end)
    if reference <= 0:
        return 0.0

    def to_db(level: float) -> float:
        return SILENCE_DB if level <= 0 else max(SILENCE_DB, 20.0 * math.log10(level / reference))

    db = to_db(start) + (to_db(end) - to_db(start)) * x
    return reference * math.pow(10.0, db / 20.0)
