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
        (VitalsReading(systolic=181), "hypertensive_crisis"),  # stands for systolic_high (both > 180)
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
    # The do-not-dose bounds are critical; SpO₂ below 92% is "a concern" (product.md): a caution.
    assert alerts[0].severity == ("caution" if key == "spo2_low" else "critical")


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
    assert msgs["hypertensive_crisis"] == "Hypertensive crisis: BP 186/100 is above 180/120 (ACC/AHA 2017)"
    assert evaluate(VitalsReading(186), baseline=None, pre_dose=False,
                    rules=AlertRules(crisis_systolic=None))[0].message == "Systolic 186 mmHg is above 180"
    assert msgs["hr_high"] == "Heart rate 156 bpm is above 150"
    assert msgs["rr_low"] == "Respiratory rate 8/min is below 10"
    assert msgs["spo2_low"] == "SpO₂ 90% is below 92%"
    assert evaluate(VitalsReading(86, 50), baseline=None, pre_dose=False)[0].message == "Systolic 86 mmHg is below 90"
    assert evaluate(VitalsReading(heart_rate=44), baseline=None, pre_dose=False)[0].message == "Heart rate 44 bpm is below 50"


def test_alert_carries_value_and_threshold() -> None:
    (alert,) = evaluate(VitalsReading(systolic=186), baseline=None, pre_dose=False)
    assert (alert.vital, alert.value, alert.threshold) == ("systolic", 186, 180)
    assert alert.key == "hypertensive_crisis"


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
    assert keys(pre) == ["hypertensive_crisis", "predose_bp_high"]  # critical first, then the caution
    assert pre[0].blocks_dosing
    assert not pre[1].blocks_dosing
    post = evaluate(high, baseline=None, pre_dose=False)
    assert keys(post) == ["hypertensive_crisis"]
    assert not post[0].blocks_dosing


def test_low_spo2_is_a_caution_and_not_a_do_not_dose_bound() -> None:
    (alert,) = evaluate(VitalsReading(spo2=90), baseline=None, pre_dose=True)
    assert alert.severity == "caution"
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
    (alert,) = during(VitalsReading(150, 109))
    assert alert.message == "Diastolic up 25 mmHg from baseline 84"


def test_both_rises_and_an_absolute_bound() -> None:
    alerts = during(VitalsReading(179, 112))
    assert keys(alerts) == ["diastolic_high", "systolic_rise", "diastolic_rise"]


def test_rise_needs_bp_in_both_readings() -> None:
    assert during(VitalsReading(heart_rate=80)) == []
    assert keys(during(VitalsReading(190, 100), baseline=VitalsReading(heart_rate=70))) == ["hypertensive_crisis"]
    assert keys(during(VitalsReading(170, 105), baseline=None)) == []


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
    assert during(VitalsReading(150, 109), rules=rules) == []  # diastolic rise switched off


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
    off = AlertRules.from_mapping({k: False for k in DEFAULT_RULES.to_mapping() if k != "critical_reshow_minutes"})
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
        st.none() | st.integers(0, 100),
        st.none() | st.integers(0, 60),
    )


@given(readings(), st.none() | readings(), st.booleans())
def test_evaluate_is_consistent(reading: VitalsReading, baseline: VitalsReading | None, pre_dose: bool) -> None:
    alerts = evaluate(reading, baseline=baseline, pre_dose=pre_dose)
    severities = [a.severity for a in alerts]
    assert severities == sorted(severities, key=lambda s: 0 if s == "critical" else 1)
    assert set(severities) <= {"critical", "caution"}
    assert len(set(keys(alerts))) == len(alerts)
    for alert in alerts:
        assert alert.message
        assert alert.vital in VITAL_BOUNDS
        assert alert.blocks_dosing <= pre_dose  # never blocks after dosing has started
        if alert.key.endswith("_rise"):
            assert baseline is not None and alert.value >= alert.threshold
        elif alert.key.endswith("_low"):
            assert alert.value < alert.threshold
        elif alert.key in ("diastolic_high", "diastolic_critical"):
            assert alert.value >= alert.threshold  # "≥ 110", "≥ 120" as written
        elif alert.key.endswith("_high") and alert.key != "predose_bp_high":
            assert alert.value > alert.threshold
        assert alert.blocks_dosing == (pre_dose and alert.severity == "critical")
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
        and (r.diastolic is None or 20 <= r.systolic - r.diastolic <= 120)  # type: ignore[operator]
    )
    if calm:
        assert evaluate(reading, baseline=None, pre_dose=True) == []


# --------------------------------------------------------------------------------------------
# Chart lines
# --------------------------------------------------------------------------------------------


def test_threshold_lines_defaults() -> None:
    assert threshold_lines(DEFAULT_RULES) == {
        "systolic": [90.0, 180.0],
        "diastolic": [110.0, 120.0],
        "heart_rate": [50.0, 150.0],
        "resp_rate": [10.0, 30.0],
        "spo2": [85.0, 92.0],
    }


def test_threshold_lines_with_baseline_and_switched_off_rules() -> None:
    lines = threshold_lines(DEFAULT_RULES, baseline=BASELINE)
    assert lines["systolic"] == [90.0, 168.0, 180.0]
    assert lines["diastolic"] == [109.0, 110.0, 120.0]
    rules = AlertRules(spo2_low=None, spo2_critical=None, hr_low=None, diastolic_high=None)
    lines = threshold_lines(rules)
    assert "spo2" not in lines
    assert lines["diastolic"] == [120.0]
    assert lines["heart_rate"] == [150.0]


# --------------------------------------------------------------------------------------------
# Issue 9: severities, absolute diastolic, crisis, pulse pressure, critical values
# --------------------------------------------------------------------------------------------


def post(reading: VitalsReading, rules: AlertRules = DEFAULT_RULES) -> list[Alert]:
    return evaluate(reading, baseline=None, pre_dose=False, rules=rules)


def by_key(alerts: list[Alert]) -> dict[str, Alert]:
    return {a.key: a for a in alerts}


def test_old_warning_reads_as_critical_and_labels_are_words_not_colours() -> None:
    from kapdesk.domain.alerts import SEVERITY_LABELS, severity_label, severity_of, severity_rank

    assert severity_of("warning") == "critical"
    assert [severity_of(s) for s in ("critical", "caution", "reminder")] == ["critical", "caution", "reminder"]
    assert severity_of("something newer") == "caution"
    assert severity_rank("warning") == 0 < severity_rank("caution") < severity_rank("reminder")
    assert severity_label("warning") == "‼ CRITICAL"
    assert SEVERITY_LABELS == {"critical": "‼ CRITICAL", "caution": "! caution", "reminder": "· reminder"}


@pytest.mark.parametrize(
    "diastolic, expected",
    [(109, None), (110, ("diastolic_high", "caution")), (119, ("diastolic_high", "caution")),
     (120, ("diastolic_critical", "critical"))],
)
def test_absolute_diastolic_is_inclusive_as_written(diastolic: int, expected: tuple[str, str] | None) -> None:
    alerts = post(VitalsReading(170, diastolic))
    assert [(a.key, a.severity) for a in alerts] == ([expected] if expected else [])
    if expected:
        assert alerts[0].message == f"Diastolic {diastolic} mmHg is {expected[0] == 'diastolic_high' and 110 or 120} or more"


def test_absolute_diastolic_needs_no_baseline_the_issue_reading() -> None:
    """175/125 after dosing with no baseline raised nothing before issue 9."""
    assert [(a.key, a.severity) for a in post(VitalsReading(175, 125))] == [("hypertensive_crisis", "critical")]


@pytest.mark.parametrize(
    "reading, crisis",
    [(VitalsReading(180, 100), False), (VitalsReading(181, 100), True), (VitalsReading(170, 120), False),
     (VitalsReading(170, 121), True), (VitalsReading(181, 121), True)],
)
def test_hypertensive_crisis_is_strict_and_one_named_alert(reading: VitalsReading, crisis: bool) -> None:
    found = by_key(post(reading))
    assert ("hypertensive_crisis" in found) is crisis
    if crisis:
        alert = found["hypertensive_crisis"]
        assert alert.severity == "critical" and "ACC/AHA 2017" in alert.message
        assert f"BP {reading.systolic}/{reading.diastolic}" in alert.message
        # one alert for one blood pressure: it stands for systolic-high and the absolute diastolic
        assert not {"systolic_high", "diastolic_critical", "diastolic_high"} & set(found)


def test_crisis_blocks_dosing_before_the_dose_like_the_bound_it_stands_for() -> None:
    pre = by_key(evaluate(VitalsReading(200, 120, 80, 98, 14), baseline=None, pre_dose=True))
    assert set(pre) == {"hypertensive_crisis", "predose_bp_high"}
    assert pre["hypertensive_crisis"].blocks_dosing and not pre["predose_bp_high"].blocks_dosing
    assert "200/120" in pre["hypertensive_crisis"].message


def test_a_clinic_without_the_crisis_rule_gets_the_bounds_back() -> None:
    rules = AlertRules(crisis_systolic=None, crisis_diastolic=None)
    assert keys(post(VitalsReading(200, 125), rules)) == ["systolic_high", "diastolic_critical"]


@pytest.mark.parametrize(
    "reading, word",
    [(VitalsReading(300, 20), "wide"), (VitalsReading(141, 20), "wide"), (VitalsReading(100, 81), "narrow")],
)
def test_an_implausible_pulse_pressure_asks_to_check_the_reading(reading: VitalsReading, word: str) -> None:
    alert = by_key(post(reading))["pulse_pressure_check"]
    assert alert.severity == "caution" and not alert.blocks_dosing
    assert f"unusually {word}: check the reading" in alert.message


def test_pulse_pressure_bounds_themselves_are_quiet() -> None:
    assert "pulse_pressure_check" not in by_key(post(VitalsReading(140, 20)))  # 120: not above 120
    assert "pulse_pressure_check" not in by_key(post(VitalsReading(100, 80)))  # 20: not below 20


@pytest.mark.parametrize(
    "spo2, expected",
    [(92, None), (91, ("spo2_low", "caution")), (85, ("spo2_low", "caution")), (84, ("spo2_critical", "critical")),
     (50, ("spo2_critical", "critical")), (49, ("spo2_critical", "critical")), (0, ("spo2_critical", "critical"))],
)
def test_spo2_has_a_caution_tier_and_a_critical_tier(spo2: int, expected: tuple[str, str] | None) -> None:
    alerts = post(VitalsReading(spo2=spo2))
    assert [(a.key, a.severity) for a in alerts] == ([expected] if expected else [])


def test_critical_values_block_dosing_and_rr_zero_says_apnoea() -> None:
    (apnoea,) = evaluate(VitalsReading(resp_rate=0), baseline=None, pre_dose=True)
    assert (apnoea.key, apnoea.severity) == ("rr_low", "critical") and apnoea.blocks_dosing
    assert apnoea.message == "Respiratory rate 0/min (apnoea) is below 10"
    (low_sat,) = evaluate(VitalsReading(spo2=80), baseline=None, pre_dose=True)
    assert low_sat.blocks_dosing
    for hr, key in ((20, "hr_low"), (250, "hr_high")):
        (alert,) = post(VitalsReading(heart_rate=hr))
        assert (alert.key, alert.severity) == (key, "critical")


@pytest.mark.parametrize(
    "mapping, field, fragment",
    [
        ({"spo2_critical": 95}, "spo2_critical", "must be below 'spo2_low'"),
        ({"diastolic_high": 125}, "diastolic_high", "must be below 'diastolic_critical'"),
        ({"diastolic_critical": 210}, "diastolic_critical", "outside the possible diastolic range 20–200 mmHg"),
        ({"spo2_critical": 101}, "spo2_critical", "outside the possible SpO₂ range 0–100%"),
        ({"rr_low": 61}, "rr_low", "outside the possible respiratory rate range 0–60 /min"),
        ({"crisis_systolic": 20}, "crisis_systolic", "outside the possible systolic range"),
        ({"pulse_pressure_low": 0}, "pulse_pressure_low", "above 0"),
        ({"pulse_pressure_low": 130}, "pulse_pressure_low", "must be below 'pulse_pressure_high'"),
        ({"moaas_caution": 6}, "moaas_caution", "whole number 0–5"),
        ({"moaas_critical": 3}, "moaas_critical", "must be below 'moaas_caution'"),
        ({"bprs_item_caution": 8}, "bprs_item_caution", "whole number 1–7"),
        ({"aspiration_moaas": 2.5}, "aspiration_moaas", "whole number 0–5"),
        ({"critical_reshow_minutes": False}, "critical_reshow_minutes", "cannot be switched off"),
        ({"critical_reshow_minutes": 0}, "critical_reshow_minutes", "whole minutes 1–60"),
        ({"critical_reshow_minutes": 61}, "critical_reshow_minutes", "whole minutes 1–60"),
    ],
)
def test_bad_new_settings_name_the_field(mapping: dict, field: str, fragment: str) -> None:
    with pytest.raises(AlertRulesError) as info:
        AlertRules.from_mapping(mapping)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_new_defaults() -> None:
    r = DEFAULT_RULES
    assert (r.diastolic_high, r.diastolic_critical, r.crisis_systolic, r.crisis_diastolic) == (110, 120, 180, 120)
    assert (r.spo2_critical, r.pulse_pressure_low, r.pulse_pressure_high) == (85, 20, 120)
    assert (r.moaas_caution, r.moaas_critical, r.bprs_item_caution, r.aspiration_moaas) == (2, 1, 5, 3)
    assert r.critical_reshow_minutes == 5
