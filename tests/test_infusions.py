"""IV infusions as periods: the delivered total from rate × time, changes, pauses, the plan, the words."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from kapdesk.domain.doses import DoseError
from kapdesk.domain.entries import EntryInfo, Kind, decode, encode, kind_of
from kapdesk.domain.infusions import (
    InfusionAction,
    InfusionChange,
    InfusionRate,
    InfusionStart,
    RateUnit,
    infusion_periods,
    open_infusion,
    parse_infusion_command,
)
from kapdesk.domain.record import record_facts

T0 = datetime(2025, 3, 4, 10, 0, tzinfo=timezone.utc)
SESSION = uuid.uuid4()
AUTHOR = uuid.uuid4()
NURSE = "Nurse Synthetic (synthetic)"


def at(minutes: float, data) -> EntryInfo:
    when = T0 + timedelta(minutes=minutes)
    return EntryInfo(uuid.uuid4(), SESSION, kind_of(data), when, when, AUTHOR, NURSE, data)


def per_kg_h(value: float, weight: float = 70.0) -> InfusionRate:
    return InfusionRate(value, RateUnit.MG_PER_KG_H, weight)


def test_delivered_total_with_a_rate_change_and_a_pause() -> None:
    start = at(0, InfusionStart("ketamine", per_kg_h(0.75), NURSE))  # 52.5 mg/h
    entries = [
        start,
        at(20, InfusionChange(start.id, InfusionAction.RATE, per_kg_h(0.5))),  # 20 min × 52.5 mg/h = 17.5 mg
        at(30, InfusionChange(start.id, InfusionAction.PAUSE)),  # 10 min × 35 mg/h = 5.833 mg
        at(40, InfusionChange(start.id, InfusionAction.RESUME)),  # nothing while paused
        at(52, InfusionChange(start.id, InfusionAction.STOP)),  # 12 min × 35 mg/h = 7 mg
    ]
    [period] = infusion_periods(entries, as_of=T0 + timedelta(minutes=90))
    assert period.delivered_mg == 30.3  # 17.5 + 5.833 + 7, to 0.1 mg
    assert period.status() == "stopped" and not period.open
    assert period.ended_at == T0 + timedelta(minutes=52)
    assert period.minutes == 52 and period.running_minutes == 42
    assert period.pauses == ((T0 + timedelta(minutes=30), T0 + timedelta(minutes=40)),)
    assert [r.value for _, r in period.rates] == [0.75, 0.5]
    facts = record_facts(entries, T0)
    assert facts.infusions[0].delivered_mg == 30.3 and facts.total_dose_mg == 30.3
    assert facts.session_mg("Ketamine") == 30.3


def test_a_running_infusion_counts_up_to_the_moment_asked() -> None:
    start = at(0, InfusionStart("ketamine", InfusionRate(1, RateUnit.MG_PER_MIN), NURSE))
    [period] = infusion_periods([start], as_of=T0 + timedelta(minutes=15))
    assert (period.delivered_mg, period.status(), period.open) == (15.0, "running", True)
    assert open_infusion([period]) is period
    paused = at(5, InfusionChange(start.id, InfusionAction.PAUSE))
    [period] = infusion_periods([start, paused], as_of=T0 + timedelta(minutes=15))
    assert (period.delivered_mg, period.status()) == (5.0, "paused")


def test_a_planned_infusion_ends_when_its_total_is_in() -> None:
    """0.5 mg/kg over 40 min at 70 kg: 35 mg at 52.5 mg/h, done at T+40 however long the session runs."""
    command = parse_infusion_command("infusion 0.5 mg/kg over 40 min")
    rate = command.rate(70.0)
    assert (rate.value, rate.unit, rate.mg_per_h) == (0.75, RateUnit.MG_PER_KG_H, 52.5)
    start = at(0, InfusionStart("ketamine", rate, NURSE, planned_mg=35.0, planned_minutes=40, mg_per_kg=0.5))
    [period] = infusion_periods([start], as_of=T0 + timedelta(minutes=39))
    assert period.delivered_mg == 34.1 and period.counted_mg == 35.0  # open: the whole plan counts
    [period] = infusion_periods([start], as_of=T0 + timedelta(minutes=120))
    assert (period.delivered_mg, period.status(), period.ended_at) == (35.0, "completed", T0 + timedelta(minutes=40))
    faster = at(10, InfusionChange(start.id, InfusionAction.RATE, per_kg_h(1.5)))  # 105 mg/h after T+10
    [period] = infusion_periods([start, faster], as_of=T0 + timedelta(minutes=120))
    assert period.delivered_mg == 35.0  # never above the plan
    assert period.ended_at == T0 + timedelta(minutes=25)  # 8.75 mg by T+10, 26.25 mg more at 105 mg/h = 15 min
    stopped = at(20, InfusionChange(start.id, InfusionAction.STOP))
    [period] = infusion_periods([start, stopped])
    assert (period.delivered_mg, period.counted_mg, period.status()) == (17.5, 17.5, "stopped")


def test_changes_of_another_infusion_or_superseded_ones_do_not_count() -> None:
    start = at(0, InfusionStart("ketamine", InfusionRate(60, RateUnit.MG_PER_H), NURSE))
    other = at(5, InfusionChange(uuid.uuid4(), InfusionAction.STOP))
    [period] = infusion_periods([start, other], as_of=T0 + timedelta(minutes=10))
    assert period.delivered_mg == 10.0


def test_the_payloads_round_trip_through_the_codec() -> None:
    start = InfusionStart("ketamine", per_kg_h(0.75), NURSE, 35.0, 40.0, 0.5, "SYN-IV1", ("below the typical range",))
    kind, stored = encode(start)
    assert kind is Kind.INFUSION_START and decode(kind.value, stored) == (kind, start)
    assert stored["rate"] == {"value": 0.75, "unit": "mg/kg/h", "weight_kg": 70.0}
    change = InfusionChange(uuid.uuid4(), InfusionAction.RATE, per_kg_h(0.5))
    assert decode(*[v.value if isinstance(v, Kind) else v for v in encode(change)]) == (Kind.INFUSION_CHANGE, change)
    assert start.describe() == ("ketamine IV infusion started: 0.5 mg/kg × 70 kg = 35 mg over 40 min "
                                "(0.75 mg/kg/h (52.5 mg/h)) · lot SYN-IV1 · confirmed outside the typical range · "
                                f"given by {NURSE}")
    assert change.describe() == "infusion rate → 0.5 mg/kg/h (35 mg/h)"
    broken = decode("infusion_change", {"infusion": "x", "action": "stop"})[1]
    assert type(broken).__name__ == "Unreadable"


@pytest.mark.parametrize("text, action, fields", [
    ("infusion 0.5 mg/kg over 40 min", "start", {"amount": 0.5, "unit": "mg/kg", "minutes": 40}),
    ("Infusion 35 mg over 40 minutes", "start", {"amount": 35, "unit": "mg", "minutes": 40}),
    ("infusion 0,75 mg/kg/h", "start", {"rate_value": 0.75, "rate_unit": RateUnit.MG_PER_KG_H}),
    ("infusion 1 mg/min", "start", {"rate_value": 1, "rate_unit": RateUnit.MG_PER_MIN}),
    ("rate 0.5 mg/kg/h", "rate", {"rate_value": 0.5, "rate_unit": RateUnit.MG_PER_KG_H}),
    (" pause ", "pause", {}), ("resume", "resume", {}), ("STOP", "stop", {}),
])
def test_the_dose_line_words(text: str, action: str, fields: dict) -> None:
    command = parse_infusion_command(text)
    assert command is not None and command.action == action
    for name, value in fields.items():
        assert getattr(command, name) == value


def test_an_ordinary_dose_is_not_an_infusion_line() -> None:
    assert parse_infusion_command("100 mg") is None
    assert parse_infusion_command("") is None


@pytest.mark.parametrize("text, words, span", [
    ("infusion", "infusion what?", (0, 8)),
    ("infusion 0.5 mg/kg over 0 min", "1 to 1440 minutes", (9, 29)),
    ("infusion 5 mg/kg/day", "not ‘mg/kg/day’", (9, 20)),
    ("infusion fast", "not a rate", (9, 13)),
    ("rate", "rate what?", (0, 4)),
    ("pause now", "takes nothing after it", (6, 9)),
])
def test_a_malformed_infusion_line_names_its_part(text: str, words: str, span: tuple[int, int]) -> None:
    with pytest.raises(DoseError) as info:
        parse_infusion_command(text)
    assert words in info.value.message and info.value.span == span


def test_a_per_kg_rate_needs_the_weight() -> None:
    with pytest.raises(DoseError, match="needs the client's weight"):
        InfusionRate(0.5, RateUnit.MG_PER_KG_H, None)


def test_the_timeline_files_infusion_entries_under_doses() -> None:
    from kapdesk.ui.timeline_model import filter_group

    assert filter_group(Kind.INFUSION_START.value) == filter_group(Kind.INFUSION_CHANGE.value) == "doses"
    assert Kind.INFUSION_START.label == Kind.INFUSION_CHANGE.label == "Infusion"
