"""Fade curves: exact endpoints, monotonic, no audible jumps, reversible talk-down (pure, no Qt)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapdesk.domain.fades import (
    SILENCE_DB,
    FadeCurve,
    Ramp,
    crossfade_gains,
    effective_volume,
    level_at,
    progress,
    proportional_duration,
    ramp_steps,
    talk_level,
    volume_at,
)

ALL_CURVES = list(FadeCurve)
SHAPED = [FadeCurve.LINEAR, FadeCurve.S_CURVE, FadeCurve.EQUAL_POWER]
volumes = st.integers(min_value=0, max_value=100)
durations = st.floats(min_value=0.05, max_value=600.0, allow_nan=False)


@pytest.mark.parametrize("curve", ALL_CURVES)
@given(start=volumes, end=volumes, duration=durations)
def test_endpoints_are_exact(curve: FadeCurve, start: int, end: int, duration: float) -> None:
    assert volume_at(curve, start, end, duration, 0.0) == start
    assert volume_at(curve, start, end, duration, duration) == end
    assert volume_at(curve, start, end, duration, -1.0) == start  # before the fade
    assert volume_at(curve, start, end, duration, duration * 3) == end  # long after it


@pytest.mark.parametrize("curve", ALL_CURVES)
def test_zero_duration_lands_on_the_end_at_once(curve: FadeCurve) -> None:
    assert volume_at(curve, 80, 20, 0.0, 0.0) == 20
    assert level_at(curve, 0.3, 1.0, -5.0, 0.0) == 1.0


@pytest.mark.parametrize("curve", ALL_CURVES)
@given(start=volumes, end=volumes, duration=durations)
def test_monotonic_towards_the_end(curve: FadeCurve, start: int, end: int, duration: float) -> None:
    levels = [level_at(curve, start, end, duration, duration * i / 200) for i in range(201)]
    pairs = list(itertools.pairwise(levels))
    if end >= start:
        assert all(b >= a - 1e-9 for a, b in pairs)
    else:
        assert all(b <= a + 1e-9 for a, b in pairs)
    assert all(min(start, end) - 1e-9 <= level <= max(start, end) + 1e-9 for level in levels)


@pytest.mark.parametrize("curve", SHAPED)
@pytest.mark.parametrize("rising", [True, False])
def test_progress_runs_from_zero_to_one(curve: FadeCurve, rising: bool) -> None:
    assert progress(curve, 0.0, rising) == 0.0
    assert progress(curve, 1.0, rising) == pytest.approx(1.0)
    assert progress(curve, -3.0, rising) == 0.0 and progress(curve, 7.0, rising) == pytest.approx(1.0)


def test_exponential_has_no_shape_without_endpoints() -> None:
    with pytest.raises(ValueError):
        progress(FadeCurve.EXPONENTIAL, 0.5)


def test_s_curve_leaves_and_arrives_gently() -> None:
    # A straight line moves 10% of the way in the first 10% of the time; the S-curve far less,
    # which is what removes the audible corner at the start and the end of a fade.
    assert progress(FadeCurve.S_CURVE, 0.1) < 0.03
    assert progress(FadeCurve.S_CURVE, 0.9) > 0.97
    assert progress(FadeCurve.S_CURVE, 0.5) == pytest.approx(0.5)


def test_equal_power_fade_out_holds_its_body() -> None:
    # Half-way through an equal-power fade-out from 100 the level is still ~71, not 50.
    assert volume_at(FadeCurve.EQUAL_POWER, 100, 0, 2.0, 1.0) == 71
    assert volume_at(FadeCurve.EQUAL_POWER, 0, 100, 2.0, 1.0) == 71


def test_exponential_moves_in_equal_decibel_steps() -> None:
    # 100 -> 1 is -40 dB: every quarter of the time is another -10 dB, a factor of 10**-0.5.
    quarters = [level_at(FadeCurve.EXPONENTIAL, 100, 1, 4.0, t) for t in (0, 1, 2, 3, 4)]
    ratios = [b / a for a, b in itertools.pairwise(quarters)]
    assert ratios == pytest.approx([10**-0.5] * 4)


def test_exponential_treats_zero_as_sixty_decibels_down() -> None:
    just_before_end = level_at(FadeCurve.EXPONENTIAL, 100, 0, 10.0, 9.999)
    assert just_before_end == pytest.approx(100 * 10 ** (SILENCE_DB / 20), rel=0.01)
    assert level_at(FadeCurve.EXPONENTIAL, 0, 0, 10.0, 5.0) == 0.0


@pytest.mark.parametrize("curve", [FadeCurve.S_CURVE, FadeCurve.EQUAL_POWER])
@given(start=volumes, end=volumes, duration=st.floats(min_value=1.0, max_value=60.0))
def test_no_step_bigger_than_the_curve_allows(
    curve: FadeCurve, start: int, end: int, duration: float
) -> None:
    # Both curves are at most pi/2 times as steep as a straight line, so at a 50 ms tick no step
    # can exceed that share of the distance (plus one for rounding to integer volumes).
    tick = 0.05
    steps = ramp_steps(Ramp(start, end, duration, curve), tick)
    bound = math.pi / 2 * abs(end - start) * tick / duration + 1
    assert max((abs(b - a) for a, b in itertools.pairwise(steps)), default=0) <= bound


def test_a_three_second_talk_fade_never_steps_more_than_two() -> None:
    steps = ramp_steps(Ramp(80, talk_level(80, 0.25), 3.0, FadeCurve.S_CURVE), 0.05)
    assert steps[0] == 80 and steps[-1] == 20
    assert max(abs(b - a) for a, b in itertools.pairwise(steps)) <= 2


def test_ramp_steps_cover_the_whole_fade() -> None:
    steps = ramp_steps(Ramp(0, 100, 1.0, FadeCurve.LINEAR), 0.25)
    assert steps == [0, 25, 50, 75, 100]
    assert ramp_steps(Ramp(30, 60, 0.0), 0.05) == [60]
    with pytest.raises(ValueError):
        ramp_steps(Ramp(0, 1, 1.0), 0.0)


def test_ramp_knows_when_it_has_finished() -> None:
    ramp = Ramp(0.0, 1.0, 2.0)
    assert not ramp.finished(1.99) and ramp.finished(2.0)
    assert ramp.value_at(1.0) == pytest.approx(0.5)
    assert ramp.volume_at(5.0) == 1


@pytest.mark.parametrize("bad", [{"start": -1}, {"end": float("nan")}, {"duration_s": -0.1}])
def test_ramp_rejects_impossible_values(bad: dict[str, float]) -> None:
    values = {"start": 0.0, "end": 1.0, "duration_s": 1.0} | bad
    with pytest.raises(ValueError):
        Ramp(values["start"], values["end"], values["duration_s"])


@given(volume=volumes, fraction=st.floats(min_value=0.05, max_value=1.0), duration=durations)
def test_talk_level_round_trip_returns_exactly(volume: int, fraction: float, duration: float) -> None:
    down = Ramp(volume, talk_level(volume, fraction), duration)
    up = Ramp(down.end, volume, duration)
    assert ramp_steps(down, 0.05)[-1] == talk_level(volume, fraction)
    assert ramp_steps(up, 0.05)[-1] == volume


def test_talk_level_is_a_share_of_the_music_volume() -> None:
    assert talk_level(80, 0.25) == 20
    assert talk_level(0, 0.25) == 0
    with pytest.raises(ValueError):
        talk_level(80, 1.5)


def test_effective_volume_multiplies_layers_and_clamps() -> None:
    assert effective_volume(80, 0.25, 1.0) == 20
    assert effective_volume(80, 1.0, 0.5) == 40
    assert effective_volume(80) == 80
    assert effective_volume(150, 1.0) == 100
    assert effective_volume(-3) == 0


@given(t=st.floats(min_value=-1.0, max_value=5.0))
def test_crossfade_keeps_constant_power(t: float) -> None:
    outgoing, incoming = crossfade_gains(4.0, t)
    assert outgoing**2 + incoming**2 == pytest.approx(1.0)


def test_crossfade_starts_with_the_outgoing_track_and_ends_with_the_incoming() -> None:
    assert crossfade_gains(4.0, 0.0) == pytest.approx((1.0, 0.0))
    assert crossfade_gains(4.0, 4.0) == pytest.approx((0.0, 1.0))
    assert crossfade_gains(0.0, 0.0) == pytest.approx((0.0, 1.0))


def test_proportional_duration_for_a_fade_reversed_half_way() -> None:
    assert proportional_duration(1.0, 0.0, 1.0, 2.0) == 2.0
    assert proportional_duration(0.5, 1.0, 1.0, 2.0) == 1.0
    assert proportional_duration(0.25, 0.25, 0.75, 3.0) == 0.0
    assert proportional_duration(0, 300, 100, 1.5) == 1.5  # never longer than the full fade
    with pytest.raises(ValueError):
        proportional_duration(0, 1, 0, 1.0)
