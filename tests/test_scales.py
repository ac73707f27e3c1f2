"""Scale definitions and scoring: ranges, totals, bands, flags, Aldrete helpers, payloads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapdesk.domain.scales import (
    ALDRETE,
    BPRS_PLUS,
    CADSS6,
    CADSS6_ITEM_NUMBERS,
    DISSOCIATION_RATING,
    GAD7,
    MOAAS,
    NAUSEA,
    PHQ9,
    SCALES,
    Anchor,
    Band,
    DissociationMode,
    NauseaSeverity,
    ScaleDefinition,
    ScaleError,
    ScaleItem,
    ScaleResult,
    aldrete_circulation_score,
    aldrete_spo2_score,
    cadss6_scale,
    discharge_ready,
    dissociation_scale,
    in_session_scales,
    nausea_answers,
    score,
    summarize,
)
from kapdesk.domain.vitals import VitalsReading


def all_at(definition: ScaleDefinition, value: int) -> dict[str, int]:
    return {item.key: value for item in definition.items}


def answers_strategy(definition: ScaleDefinition) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries({item.key: st.integers(item.low, item.high) for item in definition.items})


# --------------------------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------------------------


def test_moaas_anchor_words() -> None:
    item = MOAAS.items[0]
    assert (item.low, item.high) == (0, 5)
    assert item.anchor(5) == "responds readily to name spoken in normal tone"
    assert item.anchor(4) == "lethargic response to name spoken in normal tone"
    assert item.anchor(3) == "responds only after name is called loudly and/or repeatedly"
    assert item.anchor(2) == "responds only after mild prodding or shaking"
    assert item.anchor(1) == "responds only after painful trapezius squeeze"
    assert item.anchor(0) == "no response after painful trapezius squeeze"


def test_cadss6_items_and_range() -> None:
    assert CADSS6_ITEM_NUMBERS == (1, 2, 6, 7, 15, 22)
    assert [i.key for i in CADSS6.items] == ["cadss_1", "cadss_2", "cadss_6", "cadss_7", "cadss_15", "cadss_22"]
    assert all((i.low, i.high) == (0, 4) for i in CADSS6.items)
    assert CADSS6.total_range == (0, 24)
    assert all(i.label for i in CADSS6.items)
    assert [a.value for a in CADSS6.items[0].anchors] == [0, 1, 2, 3, 4]


def test_cadss6_clinic_labels_do_not_change_keys() -> None:
    custom = cadss6_scale({22: "Clinic wording for item 22"})
    assert custom.item("cadss_22").label == "Clinic wording for item 22"
    assert custom.item_keys == CADSS6.item_keys
    assert dissociation_scale(DissociationMode.CADSS6, item_labels={1: "Slowed time"}).item("cadss_1").label == "Slowed time"
    with pytest.raises(ScaleError, match="no item 3"):
        cadss6_scale({3: "not in the short form"})
    with pytest.raises(ScaleError):
        cadss6_scale({1: "  "})


def test_dissociation_mode_picks_the_scale() -> None:
    assert dissociation_scale(DissociationMode.CADSS6) is CADSS6
    assert dissociation_scale(DissociationMode.RATING) is DISSOCIATION_RATING
    assert DISSOCIATION_RATING.total_range == (0, 10)
    assert score(DISSOCIATION_RATING, {"dissociation": 7}).total == 7
    keys = [d.key for d in in_session_scales(DissociationMode.RATING)]
    assert keys == ["moaas", "dissociation_0_10", "bprs_plus", "nausea", "aldrete"]
    assert [d.key for d in in_session_scales(DissociationMode.CADSS6)][1] == "cadss6"


def test_bprs_plus() -> None:
    assert [i.key for i in BPRS_PLUS.items] == [
        "suspiciousness", "hallucinations", "unusual_thought_content", "conceptual_disorganization",
    ]
    assert BPRS_PLUS.total_range == (4, 28)
    assert score(BPRS_PLUS, all_at(BPRS_PLUS, 1)).total == 4
    with pytest.raises(ScaleError, match="must be 1–7, got 0"):
        score(BPRS_PLUS, all_at(BPRS_PLUS, 0))


def test_aldrete_definition() -> None:
    assert [i.key for i in ALDRETE.items] == ["activity", "respiration", "circulation", "consciousness", "spo2"]
    assert all((i.low, i.high) == (0, 2) for i in ALDRETE.items)
    assert all(i.anchor(v) for i in ALDRETE.items for v in (0, 1, 2))
    assert ALDRETE.total_range == (0, 10)


def test_registry_holds_every_scale_once() -> None:
    assert set(SCALES) == {"moaas", "cadss6", "dissociation_0_10", "bprs_plus", "nausea", "aldrete", "phq9", "gad7"}
    for key, definition in SCALES.items():
        assert definition.key == key


def test_inconsistent_definitions_fail_at_construction() -> None:
    item = ScaleItem("a", "A", 0, 3)
    with pytest.raises(ScaleError, match="duplicate"):
        ScaleDefinition("x", "X", (item, item))
    with pytest.raises(ScaleError, match="overlap"):
        ScaleDefinition("x", "X", (item,), bands=(Band("low", 0, 2), Band("high", 2, 3)))
    with pytest.raises(ScaleError, match="out of"):
        ScaleDefinition("x", "X", (item,), bands=(Band("low", 0, 4),))
    with pytest.raises(ScaleError):
        ScaleItem("b", "B", 3, 0)
    with pytest.raises(ScaleError, match="anchor"):
        ScaleItem("b", "B", 0, 3, (Anchor(4, "too high"),))
    with pytest.raises(ScaleError):
        ScaleDefinition("x", "X", ())


# --------------------------------------------------------------------------------------------
# PHQ-9 and GAD-7 bands
# --------------------------------------------------------------------------------------------


def answers_totalling(definition: ScaleDefinition, total: int) -> dict[str, int]:
    answers = {}
    remaining = total
    for item in definition.items:
        value = min(item.high, remaining)
        answers[item.key] = value
        remaining -= value
    assert remaining == 0
    return answers


@pytest.mark.parametrize(
    "total, band",
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe")],
)
def test_phq9_bands(total: int, band: str) -> None:
    result = score(PHQ9, answers_totalling(PHQ9, total))
    assert (result.total, result.band, result.complete) == (total, band, True)


@pytest.mark.parametrize(
    "total, band",
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "severe"), (21, "severe")],
)
def test_gad7_bands(total: int, band: str) -> None:
    result = score(GAD7, answers_totalling(GAD7, total))
    assert (result.total, result.band) == (total, band)


def test_phq9_and_gad7_shape() -> None:
    assert len(PHQ9.items) == 9 and PHQ9.total_range == (0, 27)
    assert len(GAD7.items) == 7 and GAD7.total_range == (0, 21)
    assert PHQ9.items[0].anchor(3) == "nearly every day"


def test_phq9_item_9_is_flagged_whatever_the_total() -> None:
    answers = all_at(PHQ9, 0) | {"self_harm": 1}
    result = score(PHQ9, answers)
    assert result.band == "minimal"
    assert len(result.flags) == 1 and "item 9" in result.flags[0]
    assert score(PHQ9, all_at(PHQ9, 0)).flags == ()
    assert PHQ9.items[8].key == "self_harm"


@pytest.mark.parametrize("definition", [PHQ9, GAD7, CADSS6, BPRS_PLUS, ALDRETE, MOAAS, DISSOCIATION_RATING])
@given(data=st.data())
def test_total_is_the_sum_and_band_matches(definition: ScaleDefinition, data: st.DataObject) -> None:
    answers = data.draw(answers_strategy(definition))
    result = score(definition, answers)
    assert result.total == sum(answers.values())
    low, high = definition.total_range
    assert low <= result.total <= high
    if definition.bands:
        assert result.band is not None
        assert [b for b in definition.bands if b.name == result.band][0].low <= result.total
    assert dict(result.answers) == answers
    assert [k for k, _ in result.answers] == list(definition.item_keys)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_out_of_range_names_item_and_range() -> None:
    with pytest.raises(ScaleError) as info:
        score(GAD7, all_at(GAD7, 0) | {"restless": 4})
    assert str(info.value) == "GAD-7 item 5 ‘So restless it is hard to sit still’ must be 0–3, got 4"
    assert info.value.item == "restless"
    with pytest.raises(ScaleError, match="must be 0–5, got -1"):
        score(MOAAS, {"responsiveness": -1})


def test_cadss_messages_use_cadss_item_numbers() -> None:
    with pytest.raises(ScaleError, match="CADSS-6 item 22 .* must be 0–4, got 5"):
        score(CADSS6, all_at(CADSS6, 0) | {"cadss_22": 5})


def test_missing_items_are_named_with_the_range() -> None:
    answers = all_at(PHQ9, 1)
    del answers["sleep"]
    with pytest.raises(ScaleError) as info:
        score(PHQ9, answers)
    assert str(info.value) == "PHQ-9: no answer for item 3 ‘Sleep too little or too much’ (0–3)"
    assert info.value.item == "sleep"
    with pytest.raises(ScaleError, match=r"no answer for items 1 .*, 9 .* \(each 0–3\)"):
        score(PHQ9, {})


def test_none_counts_as_unanswered() -> None:
    with pytest.raises(ScaleError, match="no answer"):
        score(MOAAS, {"responsiveness": None})  # type: ignore[dict-item]


@pytest.mark.parametrize("bad", [True, 2.0, 1.5, "2"])
def test_answers_must_be_plain_integers(bad: object) -> None:
    with pytest.raises(ScaleError, match="whole number"):
        score(GAD7, all_at(GAD7, 0) | {"worry": bad})  # type: ignore[dict-item]


def test_unknown_item_is_refused() -> None:
    with pytest.raises(ScaleError, match="has no item 'sleepy'") as info:
        score(PHQ9, all_at(PHQ9, 0) | {"sleepy": 1})
    assert info.value.item == "sleepy"


def test_non_mapping_answers() -> None:
    with pytest.raises(ScaleError):
        score(PHQ9, [0] * 9)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Partial results
# --------------------------------------------------------------------------------------------


def test_partial_answers_have_no_total() -> None:
    result = score(PHQ9, {"interest": 3, "mood": 3}, allow_partial=True)
    assert not result.complete
    assert result.total is None and result.band is None
    assert result.answer("mood") == 3 and result.answer("sleep") is None
    assert summarize(PHQ9, result) == "PHQ-9: incomplete (2 of 9 items)"
    # range checks still apply to what was answered
    with pytest.raises(ScaleError):
        score(PHQ9, {"interest": 9}, allow_partial=True)


# --------------------------------------------------------------------------------------------
# Nausea
# --------------------------------------------------------------------------------------------


def test_nausea_is_recorded_not_totalled() -> None:
    result = score(NAUSEA, nausea_answers(NauseaSeverity.MODERATE, vomited=True))
    assert result.complete
    assert result.total is None and result.band is None
    assert result.answer("nausea") == 2 and result.answer("vomited") == 1
    assert summarize(NAUSEA, result) == "Nausea: nausea moderate; vomited yes"
    assert nausea_answers(NauseaSeverity.NONE, vomited=False) == {"nausea": 0, "vomited": 0}
    with pytest.raises(ScaleError):
        nausea_answers("mild", vomited=False)  # type: ignore[arg-type]
    with pytest.raises(ScaleError, match="must be 0–1, got 2"):
        score(NAUSEA, {"nausea": 0, "vomited": 2})


# --------------------------------------------------------------------------------------------
# Modified Aldrete
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current, baseline, expected",
    [
        (128, 128, 2),
        (153.6, 128, 2),  # exactly +20%
        (102.4, 128, 2),  # exactly -20%
        (154, 128, 1),
        (100, 128, 1),
        (191, 128, 1),  # +49.2%
        (192, 128, 0),  # exactly +50%
        (64, 128, 0),  # exactly -50%
        (60, 128, 0),
        (100, 100, 2),
        (120, 100, 2),
        (121, 100, 1),
        (149, 100, 1),
        (150, 100, 0),
        (50, 100, 0),
    ],
)
def test_aldrete_circulation_boundaries(current: float, baseline: float, expected: int) -> None:
    assert aldrete_circulation_score(current, baseline) == expected


def test_aldrete_circulation_accepts_readings() -> None:
    now = VitalsReading(systolic=150, diastolic=90)
    before = VitalsReading(systolic=120, diastolic=80)
    assert aldrete_circulation_score(now, before) == 1
    assert aldrete_circulation_score(130, before) == 2
    with pytest.raises(ScaleError, match="no blood pressure"):
        aldrete_circulation_score(VitalsReading(heart_rate=70), before)
    for bad in (0, -5, float("nan"), float("inf"), "120", True):
        with pytest.raises(ScaleError):
            aldrete_circulation_score(120, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "spo2, on_oxygen, expected",
    [
        (98, False, 2), (93, False, 2), (92.5, False, 2),
        (92, False, 1), (91, False, 1),
        (90, False, 0), (85, False, 0),
        (99, True, 1), (91, True, 1),
        (90, True, 0), (88, True, 0),
    ],
)
def test_aldrete_spo2(spo2: float, on_oxygen: bool, expected: int) -> None:
    assert aldrete_spo2_score(spo2, on_oxygen) == expected


def test_aldrete_spo2_rejects_nonsense() -> None:
    for bad in (-1, 101, "98", True):
        with pytest.raises(ScaleError):
            aldrete_spo2_score(bad, False)  # type: ignore[arg-type]


def test_discharge_ready_default_threshold_and_override() -> None:
    nine = score(ALDRETE, all_at(ALDRETE, 2) | {"activity": 1})
    eight = score(ALDRETE, all_at(ALDRETE, 2) | {"activity": 1, "consciousness": 1})
    assert nine.total == 9 and discharge_ready(nine)
    assert eight.total == 8 and not discharge_ready(eight)
    assert not discharge_ready(nine, threshold=10)
    assert discharge_ready(eight, threshold=8)


def test_discharge_ready_refuses_partial_and_wrong_scale() -> None:
    partial = score(ALDRETE, {"activity": 2, "respiration": 2}, allow_partial=True)
    assert not discharge_ready(partial)
    with pytest.raises(ScaleError, match="modified Aldrete"):
        discharge_ready(score(MOAAS, {"responsiveness": 5}))
    full = score(ALDRETE, all_at(ALDRETE, 2))
    for bad in (11, -1, 9.5, True):
        with pytest.raises(ScaleError, match="threshold"):
            discharge_ready(full, threshold=bad)  # type: ignore[arg-type]


def test_aldrete_from_measurements() -> None:
    """The helpers feed straight into score(): the path the discharge form takes."""
    answers = {
        "activity": 2,
        "respiration": 2,
        "circulation": aldrete_circulation_score(VitalsReading(138, 86), VitalsReading(128, 84)),
        "consciousness": 2,
        "spo2": aldrete_spo2_score(97, on_oxygen=False),
    }
    result = score(ALDRETE, answers)
    assert result.total == 10 and discharge_ready(result)


# --------------------------------------------------------------------------------------------
# Summaries and payloads
# --------------------------------------------------------------------------------------------


def test_summaries() -> None:
    assert summarize(MOAAS, score(MOAAS, {"responsiveness": 4})) == (
        "MOAA/S 4: lethargic response to name spoken in normal tone"
    )
    assert summarize(DISSOCIATION_RATING, score(DISSOCIATION_RATING, {"dissociation": 3})) == "Dissociation (0–10) 3"
    assert summarize(PHQ9, score(PHQ9, answers_totalling(PHQ9, 12))) == "PHQ-9 12 (moderate)"
    assert summarize(CADSS6, score(CADSS6, all_at(CADSS6, 1))) == "CADSS-6 6"
    with pytest.raises(ScaleError):
        summarize(GAD7, score(PHQ9, all_at(PHQ9, 0)))


@pytest.mark.parametrize("definition", list(SCALES.values()))
@given(data=st.data())
def test_payload_round_trips_through_json(definition: ScaleDefinition, data: st.DataObject) -> None:
    result = score(definition, data.draw(answers_strategy(definition)))
    payload = json.loads(json.dumps(result.to_payload()))
    assert payload == result.to_payload()  # nothing lost to JSON
    assert payload["scale"] == definition.key
    assert ScaleResult.from_payload(payload) == result


def test_partial_payload_stays_partial() -> None:
    result = score(GAD7, {"worry": 2}, allow_partial=True)
    assert ScaleResult.from_payload(result.to_payload()) == result


def test_from_payload_recomputes_rather_than_trusts() -> None:
    payload = score(GAD7, all_at(GAD7, 1)).to_payload()
    payload["total"] = 99
    payload["band"] = "tampered"
    restored = ScaleResult.from_payload(payload)
    assert (restored.total, restored.band) == (7, "mild")


@pytest.mark.parametrize(
    "payload",
    [
        {"scale": "nope", "answers": {}},
        {"answers": {}},
        {"scale": "gad7"},
        {"scale": "gad7", "answers": {"worry": 7}, "complete": False},
        "not a mapping",
    ],
)
def test_from_payload_errors(payload: object) -> None:
    with pytest.raises(ScaleError):
        ScaleResult.from_payload(payload)  # type: ignore[arg-type]


def test_from_payload_with_clinic_definitions() -> None:
    custom = cadss6_scale({22: "Clinic wording"})
    result = score(custom, all_at(custom, 2))
    restored = ScaleResult.from_payload(result.to_payload(), {custom.key: custom})
    assert restored.total == 12
