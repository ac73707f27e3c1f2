"""Dose entry: the quick line, the form path, limits, warnings and storage."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapdesk.domain.doses import (
    DEFAULT_FORMULARY,
    LOT_MAX_LENGTH,
    Dose,
    DoseEntry,
    DoseError,
    DoseUnit,
    DrugSpec,
    Formulary,
    Route,
    parse_dose,
)


def quick(text: str, **kwargs: object) -> Dose:
    kwargs.setdefault("given_by", "RN Kim")
    return parse_dose(text, **kwargs)  # type: ignore[arg-type]


def error_for(text: str, **kwargs: object) -> DoseError:
    with pytest.raises(DoseError) as info:
        quick(text, **kwargs)
    return info.value


# --------------------------------------------------------------------------------------------
# The quick line
# --------------------------------------------------------------------------------------------


def test_sublingual_with_lot() -> None:
    dose = quick("ketamine 100 mg SL lot A1234")
    assert dose == Dose("ketamine", 100.0, Route.SUBLINGUAL, "RN Kim", lot="A1234")
    assert dose.format() == "ketamine 100 mg SL · lot A1234"
    assert dose.warnings == ()


def test_esketamine_nasal() -> None:
    dose = quick("esketamine 56mg IN")
    assert (dose.drug, dose.amount_mg, dose.route) == ("esketamine", 56.0, Route.INTRANASAL)
    assert dose.rems_dose_label == "56 mg"
    assert dose.warnings == ()


def test_per_kg_is_converted_with_the_weight() -> None:
    dose = quick("ketamine 0.5 mg/kg IV", weight_kg=72.4)
    assert dose.amount_mg == pytest.approx(36.2)
    assert (dose.mg_per_kg, dose.weight_kg) == (0.5, 72.4)
    assert dose.route is Route.INTRAVENOUS_INFUSION
    assert dose.format() == "ketamine 36.2 mg IV (0.5 mg/kg × 72.4 kg)"


def test_per_kg_without_weight_is_refused() -> None:
    text = "ketamine 0.5 mg/kg IV"
    err = error_for(text)
    assert err.field == "weight_kg"
    assert "weight" in str(err)
    assert text[err.span[0] : err.span[1]] == "mg/kg"


@pytest.mark.parametrize(
    "text",
    ["ketamine 100mg SL", "KETAMINE 100 MG sl", "SL ketamine 100 mg", "100 mg ketamine sublingual", "ketamine 100 mg troche",
     "ketamine 100,0 mg SL"],
)
def test_any_order_and_case(text: str) -> None:
    dose = quick(text)
    assert (dose.drug, dose.amount_mg, dose.route) == ("ketamine", 100.0, Route.SUBLINGUAL)


@pytest.mark.parametrize(
    "word, route",
    [("IM", Route.INTRAMUSCULAR), ("intramuscular", Route.INTRAMUSCULAR), ("iv", Route.INTRAVENOUS_INFUSION),
     ("infusion", Route.INTRAVENOUS_INFUSION), ("intravenous infusion", Route.INTRAVENOUS_INFUSION),
     ("IN", Route.INTRANASAL), ("nasal", Route.INTRANASAL), ("sublingual", Route.SUBLINGUAL)],
)
def test_route_words(word: str, route: Route) -> None:
    assert quick(f"ketamine 50 mg {word}").route is route


def test_esketamine_route_defaults_to_nasal() -> None:
    assert quick("esketamine 84 mg").route is Route.INTRANASAL
    assert quick("Spravato 84 mg").drug == "esketamine"


def test_booster_flag() -> None:
    assert quick("ketamine 50 mg SL booster").booster
    assert quick("ketamine 50 mg SL", booster=True).booster
    assert not quick("ketamine 50 mg SL").booster
    assert quick("ketamine 50 mg SL booster").format() == "ketamine 50 mg SL · booster"


@pytest.mark.parametrize("text, lot", [("ketamine 100 mg SL lot:B-77", "B-77"), ("ketamine 100 mg SL lot# 9X", "9X"),
                                       ("ketamine 100 mg lot=Q1 SL", "Q1")])
def test_lot_forms(text: str, lot: str) -> None:
    assert quick(text).lot == lot


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


def test_unit_is_required() -> None:
    text = "ketamine 100 SL"
    err = error_for(text)
    assert str(err) == "A dose needs a unit: mg or mg/kg"
    assert err.field == "unit"
    assert text[err.span[0] : err.span[1]] == "100"


@pytest.mark.parametrize("text, unit", [("ketamine 100 mcg SL", "mcg"), ("ketamine 1 g SL", "g"), ("ketamine 2ml IM", "ml")])
def test_wrong_units_are_named(text: str, unit: str) -> None:
    err = error_for(text)
    assert str(err) == f"A dose is entered in mg or mg/kg, not ‘{unit}’"
    assert text[err.span[0] : err.span[1]] == unit


def test_typo_limit_for_ketamine() -> None:
    assert quick("ketamine 1000 mg IM").amount_mg == 1000
    err = error_for("ketamine 1500 mg SL")
    assert err.field == "amount"
    assert str(err) == "ketamine 1500 mg is above the 1000 mg limit: check for a typo"
    err = error_for("ketamine 15 mg/kg IM", weight_kg=80)
    assert "1200 mg (15 mg/kg × 80 kg)" in str(err)


def test_esketamine_non_standard_dose_warns_and_is_other() -> None:
    dose = quick("esketamine 70 mg IN")
    assert dose.amount_mg == 70
    assert dose.rems_dose_label == "other"
    assert dose.warnings == ("esketamine 70 mg is not a standard dose (28, 56 or 84 mg); recorded as other",)
    assert quick("esketamine 28 mg").rems_dose_label == "other"  # the REMS form has only 56, 84 and other
    assert quick("esketamine 28 mg").warnings == ()
    assert quick("esketamine 84 mg").rems_dose_label == "84 mg"
    assert quick("ketamine 56 mg SL").rems_dose_label is None


def test_esketamine_limits() -> None:
    assert "above the 84 mg limit" in str(error_for("esketamine 560 mg IN"))
    err = error_for("esketamine 0.5 mg/kg IN", weight_kg=70)
    assert str(err) == "esketamine is dosed in mg (28, 56, 84), not mg/kg"
    err = error_for("esketamine 56 mg SL")
    assert err.field == "route"
    assert "IN (intranasal)" in str(err)


@pytest.mark.parametrize(
    "text, field, fragment",
    [
        ("ketamine 100 mg", "route", "Which route?"),
        ("100 mg SL", "drug", "Which drug? ketamine or esketamine"),
        ("ketamine mg SL", "unit", "needs an amount before it"),
        ("ketamine SL", "amount", "How much?"),
        ("ketamine 0 mg SL", "amount", "above 0"),
        ("ketamin 100 mg SL", "drug", "did you mean ketamine?"),
        ("ketamine 100 mg 50 mg SL", "amount", "Two amounts"),
        ("ketamine 100 mg SL IM", "route", "Two routes"),
        ("ketamine esketamine 56 mg IN", "drug", "Two drugs"),
        ("ketamine 100 mg SL lot", "lot", "needs the lot number"),
        ("ketamine 100 mg SL lot A lot B", "lot", "Two lot numbers"),
        ("ketamine -100 mg SL", "amount", "is not an amount"),
        ("ketamine 100 mg SL please", None, "Unknown word ‘please’"),
        ("ketamine 0.0001 mg/kg IV", "amount", "rounds to 0 mg"),
    ],
)
def test_refusals_name_the_problem(text: str, field: str | None, fragment: str) -> None:
    kwargs = {"weight_kg": 70} if "kg" in text else {}
    err = error_for(text, **kwargs)
    assert fragment in str(err)
    assert err.field == field
    assert err.span is not None and 0 <= err.span[0] <= err.span[1] <= len(text)


def test_empty_line() -> None:
    err = error_for("   ")
    assert str(err).startswith("Nothing to save")


def test_lot_length_and_control_characters() -> None:
    ok = "L" * LOT_MAX_LENGTH
    assert quick(f"ketamine 100 mg SL lot {ok}").lot == ok
    err = error_for(f"ketamine 100 mg SL lot {ok}X")
    assert err.field == "lot" and "at most 40" in str(err)


def test_weight_must_be_plausible() -> None:
    for weight in (0, 5, 900, float("nan"), True):
        with pytest.raises(DoseError) as info:
            quick("ketamine 0.5 mg/kg IV", weight_kg=weight)
        assert info.value.field == "weight_kg"


def test_given_by_is_required() -> None:
    with pytest.raises(DoseError, match="who gave") as info:
        quick("ketamine 100 mg SL", given_by="  ")
    assert info.value.field == "given_by"


@settings(max_examples=1500)
@given(st.text())
def test_any_line_gives_a_dose_or_a_dose_error(text: str) -> None:
    try:
        dose = parse_dose(text, given_by="RN Kim", weight_kg=70)
    except DoseError as err:
        assert str(err)
        assert err.span is not None and 0 <= err.span[0] <= err.span[1] <= len(text)
    else:
        assert 0 < dose.amount_mg <= 1000


WORDS = ["ketamine", "esketamine", "Spravato", "mg", "mg/kg", "SL", "IM", "IV", "IN", "lot", "A1", "booster", "g",
         "0", "0.5", "56", "100", "1000", "1001", "56mg", "0,5mg/kg", "lot:Z", "x", "-3"]


@settings(max_examples=1500)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=7), st.none() | st.floats(allow_nan=True))
def test_grammar_words_in_any_combination(words: list[str], weight: float | None) -> None:
    text = " ".join(words)
    try:
        dose = parse_dose(text, given_by="Dr Lee", weight_kg=weight)
    except DoseError as err:
        assert str(err)
        assert err.span is not None
    else:
        spec = DEFAULT_FORMULARY.find(dose.drug)
        assert spec is not None
        assert 0 < dose.amount_mg <= spec.max_mg
        assert dose.route in spec.routes
        assert Dose.from_payload(json.loads(json.dumps(dose.to_payload()))) == dose


# --------------------------------------------------------------------------------------------
# The form path
# --------------------------------------------------------------------------------------------


def test_form_entry_with_text_fields() -> None:
    entry = DoseEntry(drug="Ketamine", amount="0,75", unit="mg/kg", route="IM", given_by=" Dr Lee ", lot="  ",
                      weight_kg=80)
    dose = entry.validate()
    assert dose.amount_mg == 60
    assert dose.given_by == "Dr Lee"
    assert dose.lot is None  # blank lot is no lot
    assert dose.route is Route.INTRAMUSCULAR


def test_form_entry_with_typed_fields() -> None:
    entry = DoseEntry("esketamine", 56, DoseUnit.MG, Route.INTRANASAL, "RN Kim", lot="ABC123", booster=False)
    assert entry.validate() == quick("esketamine 56 mg IN lot ABC123")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"drug": ""}, "drug"),
        ({"drug": "midazolam"}, "drug"),
        ({"amount": None}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1" * 20}, "amount"),
        ({"amount": float("inf")}, "amount"),
        ({"amount": True}, "amount"),
        ({"unit": None}, "unit"),
        ({"unit": "tablets"}, "unit"),
        ({"route": "oral"}, "route"),
        ({"route": None}, "route"),
        ({"lot": 1234}, "lot"),
        ({"lot": "A\tB"}, "lot"),
        ({"given_by": ""}, "given_by"),
    ],
)
def test_form_entry_errors_name_the_field(changes: dict, field: str) -> None:
    base = {"drug": "ketamine", "amount": "100", "unit": "mg", "route": "SL", "given_by": "RN Kim"}
    with pytest.raises(DoseError) as info:
        DoseEntry(**(base | changes)).validate()
    assert info.value.field == field


def test_clinic_formulary() -> None:
    formulary = Formulary((DrugSpec("ketamine", routes=(Route.INTRAMUSCULAR,), max_mg=200, aliases=("ket",)),))
    assert parse_dose("ket 150 mg", given_by="x", formulary=formulary).route is Route.INTRAMUSCULAR
    with pytest.raises(DoseError, match="200 mg limit"):
        parse_dose("ketamine 250 mg IM", given_by="x", formulary=formulary)
    with pytest.raises(DoseError, match="not given SL"):
        parse_dose("ketamine 100 mg SL", given_by="x", formulary=formulary)
    with pytest.raises(DoseError):
        parse_dose("esketamine 56 mg", given_by="x", formulary=formulary)
    with pytest.raises(DoseError):
        DrugSpec("bad", routes=(), max_mg=10)


def test_route_parse() -> None:
    assert Route.parse(" sl ") is Route.SUBLINGUAL
    assert Route.parse("intravenous infusion") is Route.INTRAVENOUS_INFUSION
    with pytest.raises(DoseError, match="Unknown route"):
        Route.parse("PO")
    assert [r.abbreviation for r in Route] == ["SL", "IM", "IV", "IN"]


# --------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------


def test_payload_round_trip() -> None:
    dose = quick("ketamine 0.5 mg/kg IV lot Z9 booster", weight_kg=70)
    payload = dose.to_payload()
    assert payload == {
        "drug": "ketamine", "amount_mg": 35.0, "route": "intravenous infusion", "given_by": "RN Kim", "lot": "Z9",
        "booster": True, "mg_per_kg": 0.5, "weight_kg": 70.0, "warnings": [],
    }
    assert Dose.from_payload(json.loads(json.dumps(payload))) == dose


def test_stored_dose_loads_even_if_the_formulary_changed() -> None:
    """An old record must open after the clinic edits its limits: from_payload applies no clinic rules."""
    payload = quick("ketamine 900 mg IM").to_payload()
    assert Dose.from_payload(payload).amount_mg == 900
    assert Dose.from_payload(payload | {"drug": "racemic ketamine (retired)", "new_field": 1}).drug.startswith("racemic")


@pytest.mark.parametrize(
    "changes",
    [{"route": "oral"}, {"amount_mg": 0}, {"amount_mg": "100"}, {"given_by": ""}, {"drug": None}, {"booster": "yes"},
     {"lot": 5}, {"warnings": "x"}, {"mg_per_kg": -1}],
)
def test_from_payload_rejects_broken_data(changes: dict) -> None:
    payload = quick("ketamine 100 mg SL").to_payload() | changes
    with pytest.raises(DoseError):
        Dose.from_payload(payload)
    with pytest.raises(DoseError):
        Dose.from_payload("not a mapping")  # type: ignore[arg-type]
