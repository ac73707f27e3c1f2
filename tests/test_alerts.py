"""Alert rules: defaults from product.md, edges, wording, clinic overrides, chart lines."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapdesk.domain.alerts import (
    DEFAULT_RULES,
    Alert,
    AlertRules,
    AlertRulesError,
    evaluate,
    threshold_lines,
)
from kapdesk.domain.vitals import VITAL_BOUNDS, VitalsReading

BASELINE = VitalsReading(128, 84, 72, 98, 14)


def keys(alerts: list[Alert]) -> list[str]:
    return [a.key for a in alerts]


def during(reading: VitalsReading, baseline: VitalsReading | None = BASELINE, rules: AlertRules = DEFAULT_RULES) -> list[Alert]:
    return evaluate(reading, baseline=baseline, pre_dose=False, rules=rules)


# --------------------------------------------------------------------------------------------
# Defaults and edges
# --------------------------------------------------------------------------------------------


def test_defaults_are_the_product_numbers() -> None:
    r = AlertRules()
    assert (r.systolic_low, r.systolic_high) == (90, 180)
    assert (r.hr_low, r.hr_high) == (50, 150)
    assert (r.rr_low, r.rr_high) == (10, 30)
    assert r.spo2_low == 92
    assert (r.predose_systolic_high, r.predose_diastolic_high) == (140, 90)
    assert (r.systolic_rise, r.diastolic_rise) == (40, 25)


def test_a_normal_reading_raises_nothing() -> None:
    assert during(BASELINE) == []
    assert evaluate(BASELINE, baseline=None, pre_dose=True) == []


@pytest.mark.parametrize(
    "reading, key",
    [
        (VitalsReading(systolic=89), "systolic_low"),
        (VitalsReading(systolic=181), "systolic_high"),
        (VitalsReading(heart_rate=49), "hr_low"),
        (VitalsReading(heart_rate=151), "hr_high"),
        (VitalsReading(resp_rate=9), "rr_low"),
        (VitalsReading(resp_rate=31), "rr_high"),
        (VitalsReading(spo2=91), "spo2_low"),
    ],
)
def test_just_past_each_bound_alerts(reading: VitalsReading, key: str) -> None:
    alerts = evaluate(reading, baseline=None, pre_dose=False)
    assert keys(alerts) == [key]
    assert alerts[0].severity == "warning"


@pytest.mark.parametrize(
    "reading",
    [
        VitalsReading(systolic=90), VitalsReading(systolic=180), VitalsReading(heart_rate=50),
        VitalsReading(heart_rate=150), VitalsReading(resp_rate=10), VitalsReading(resp_rate=30),
        VitalsReading(spo2=92),
    ],
)
def test_bounds_themselves_are_not_alerts(reading: VitalsReading) -> None:
    """"< 90" and "> 180" are strict in the sources; so is "below 92%"."""
    assert evaluate(reading, baseline=None, pre_dose=False) == []


def test_messages_carry_the_numbers() -> None:
    msgs = {a.key: a.message for a in evaluate(
        VitalsReading(186, 100, 156, 90, 8), baseline=None, pre_dose=False)}
    assert msgs["systolic_high"] == "Systolic 186 mmHg is above 180"
    assert msgs["hr_high"] == "Heart rate 156 bpm is above 150"
    assert msgs["rr_low"] == "Respiratory rate 8/min is below 10"
    assert msgs["spo2_low"] == "SpO₂ 90% is below 92%"
    assert evaluate(VitalsReading(86, 50), baseline=None, pre_dose=False)[0].message == "Systolic 86 mmHg is below 90"
    assert evaluate(VitalsReading(heart_rate=44), baseline=None, pre_dose=False)[0].message == "Heart rate 44 bpm is below 50"


def test_alert_carries_value_and_threshold() -> None:
    (alert,) = evaluate(VitalsReading(systolic=186), baseline=None, pre_dose=False)
    assert (alert.vital, alert.value, alert.threshold) == ("systolic", 186, 180)


# --------------------------------------------------------------------------------------------
# Pre-dose
# --------------------------------------------------------------------------------------------


def test_predose_bp_cue() -> None:
    alerts = evaluate(VitalsReading(146, 88), baseline=None, pre_dose=True)
    assert keys(alerts) == ["predose_bp_high"]
    assert alerts[0].severity == "caution"
    assert alerts[0].message == "Pre-dose BP 146/88 is above 140/90: consider delaying the dose"
    assert keys(evaluate(VitalsReading(130, 92), baseline=None, pre_dose=True)) == ["predose_bp_high"]
    assert evaluate(VitalsReading(140, 90), baseline=None, pre_dose=True) == []  # "above" is strict
    assert evaluate(VitalsReading(146, 88), baseline=None, pre_dose=False) == []  # only before dosing


def test_do_not_dose_bounds_block_only_before_dosing() -> None:
    high = VitalsReading(186, 100, 72, 98, 14)
    pre = evaluate(high, baseline=None, pre_dose=True)
    assert keys(pre) == ["systolic_high", "predose_bp_high"]  # warning first, then the caution
    assert pre[0].blocks_dosing
    assert not pre[1].blocks_dosing
    post = evaluate(high, baseline=None, pre_dose=False)
    assert keys(post) == ["systolic_high"]
    assert not post[0].blocks_dosing


def test_low_spo2_is_a_warning_but_not_a_do_not_dose_bound() -> None:
    (alert,) = evaluate(VitalsReading(spo2=90), baseline=None, pre_dose=True)
    assert alert.severity == "warning"
    assert not alert.blocks_dosing


# --------------------------------------------------------------------------------------------
# Rise from baseline
# --------------------------------------------------------------------------------------------


def test_systolic_rise() -> None:
    (alert,) = during(VitalsReading(172, 90))
    assert alert.key == "systolic_rise"
    assert alert.severity == "caution"
    assert alert.message == "Systolic up 44 mmHg from baseline 128"
    assert (alert.value, alert.threshold) == (44, 40)


def test_rise_is_inclusive_at_the_threshold() -> None:
    """The label counts rises "of 40 mmHg or more"."""
    assert keys(during(VitalsReading(168, 90))) == ["systolic_rise"]
    assert during(VitalsReading(167, 90)) == []
    assert keys(during(VitalsReading(150, 109))) == ["diastolic_rise"]
    assert during(VitalsReading(150, 108)) == []


def test_diastolic_rise_message() -> None:
    (alert,) = during(VitalsReading(150, 110))
    assert alert.message == "Diastolic up 26 mmHg from baseline 84"


def test_both_rises_and_an_absolute_bound() -> None:
    alerts = during(VitalsReading(185, 112))
    assert keys(alerts) == ["systolic_high", "systolic_rise", "diastolic_rise"]


def test_rise_needs_bp_in_both_readings() -> None:
    assert during(VitalsReading(heart_rate=80)) == []
    assert keys(during(VitalsReading(190, 120), baseline=VitalsReading(heart_rate=70))) == ["systolic_high"]
    assert keys(during(VitalsReading(170, 115), baseline=None)) == []


def test_falls_are_not_rises() -> None:
    assert during(VitalsReading(95, 50)) == []


# --------------------------------------------------------------------------------------------
# Clinic settings
# --------------------------------------------------------------------------------------------


def test_from_mapping_reads_a_toml_table() -> None:
    settings = tomllib.loads(
        """
        [alerts]
        systolic_high = 170
        hr_low = 45
        spo2_low = 94.5
        diastolic_rise = false
        """
    )
    rules = AlertRules.from_mapping(settings["alerts"])
    assert rules.systolic_high == 170 and rules.hr_low == 45 and rules.spo2_low == 94.5
    assert rules.diastolic_rise is None
    assert rules.systolic_low == 90  # untouched defaults stay
    assert keys(during(VitalsReading(171, 84), baseline=None, rules=rules)) == ["systolic_high"]
    assert during(VitalsReading(150, 120), rules=rules) == []  # diastolic rise switched off


def test_to_mapping_round_trips() -> None:
    rules = AlertRules(hr_high=140, rr_low=None)
    mapping = rules.to_mapping()
    assert mapping["rr_low"] is False
    assert AlertRules.from_mapping(mapping) == rules
    assert AlertRules.from_mapping({}) == DEFAULT_RULES


@pytest.mark.parametrize(
    "mapping, field, fragment",
    [
        ({"systolic_hihg": 170}, "systolic_hihg", "did you mean 'systolic_high'"),
        ({"pulse_max": 170}, "pulse_max", "Unknown alert setting"),
        ({"hr_high": "150"}, "hr_high", "must be a number"),
        ({"hr_high": True}, "hr_high", "or false to switch it off"),
        ({"systolic_high": 1800}, "systolic_high", "outside the possible systolic range 40–300 mmHg"),
        ({"spo2_low": 101}, "spo2_low", "SpO₂"),
        ({"hr_low": 160}, "hr_low", "must be below 'hr_high'"),
        ({"systolic_rise": 0}, "systolic_rise", "above 0"),
        ({"diastolic_rise": -5}, "diastolic_rise", "above 0"),
        ({"rr_high": float("nan")}, "rr_high", "must be a number"),
    ],
)
def test_bad_settings_name_the_field(mapping: dict, field: str, fragment: str) -> None:
    with pytest.raises(AlertRulesError) as info:
        AlertRules.from_mapping(mapping)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_from_mapping_needs_a_table() -> None:
    with pytest.raises(AlertRulesError):
        AlertRules.from_mapping(["systolic_high", 170])  # type: ignore[arg-type]


def test_switched_off_rules_never_fire() -> None:
    off = AlertRules.from_mapping({k: False for k in DEFAULT_RULES.to_mapping()})
    extreme = VitalsReading(290, 190, 240, 50, 59)
    assert evaluate(extreme, baseline=VitalsReading(100, 60), pre_dose=True, rules=off) == []


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


def readings() -> st.SearchStrategy[VitalsReading]:
    def build(sys_: int | None, dia_gap: int | None, hr: int | None, spo2: int | None, rr: int | None) -> VitalsReading:
        dia = None
        if sys_ is not None and dia_gap is not None:
            dia = max(20, min(200, sys_ - dia_gap))
            if dia >= sys_:
                dia = None
        if all(v is None for v in (sys_, hr, spo2, rr)):
            hr = 70
        return VitalsReading(sys_, dia, hr, spo2, rr)

    return st.builds(
        build,
        st.none() | st.integers(40, 300),
        st.none() | st.integers(1, 120),
        st.none() | st.integers(20, 250),
        st.none() | st.integers(50, 100),
        st.none() | st.integers(4, 60),
    )


@given(readings(), st.none() | readings(), st.booleans())
def test_evaluate_is_consistent(reading: VitalsReading, baseline: VitalsReading | None, pre_dose: bool) -> None:
    alerts = evaluate(reading, baseline=baseline, pre_dose=pre_dose)
    severities = [a.severity for a in alerts]
    assert severities == sorted(severities, key=lambda s: 0 if s == "warning" else 1)
    assert len(set(keys(alerts))) == len(alerts)
    for alert in alerts:
        assert alert.message
        assert alert.vital in VITAL_BOUNDS
        assert alert.blocks_dosing <= pre_dose  # never blocks after dosing has started
        if alert.key.endswith("_rise"):
            assert baseline is not None and alert.value >= alert.threshold
        elif alert.key.endswith("_low"):
            assert alert.value < alert.threshold
        elif alert.key.endswith("_high") and alert.key != "predose_bp_high":
            assert alert.value > alert.threshold
    # evaluate is pure: same input, same output
    assert evaluate(reading, baseline=baseline, pre_dose=pre_dose) == alerts
    # and a reading within every default bound before dosing, with no baseline, is silent
    r = reading
    calm = (
        (r.systolic is None or 90 <= r.systolic <= 140)
        and (r.diastolic is None or r.diastolic <= 90)
        and (r.heart_rate is None or 50 <= r.heart_rate <= 150)
        and (r.resp_rate is None or 10 <= r.resp_rate <= 30)
        and (r.spo2 is None or r.spo2 >= 92)
    )
    if calm:
        assert evaluate(reading, baseline=None, pre_dose=True) == []


# --------------------------------------------------------------------------------------------
# Chart lines
# --------------------------------------------------------------------------------------------


def test_threshold_lines_defaults() -> None:
    assert threshold_lines(DEFAULT_RULES) == {
        "systolic": [90.0, 180.0],
        "heart_rate": [50.0, 150.0],
        "resp_rate": [10.0, 30.0],
        "spo2": [92.0],
    }


def test_threshold_lines_with_baseline_and_switched_off_rules() -> None:
    lines = threshold_lines(DEFAULT_RULES, baseline=BASELINE)
    assert lines["systolic"] == [90.0, 168.0, 180.0]
    assert lines["diastolic"] == [109.0]
    rules = AlertRules(spo2_low=None, hr_low=None)
    lines = threshold_lines(rules)
    assert "spo2" not in lines
    assert lines["heart_rate"] == [150.0]
