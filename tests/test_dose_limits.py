"""Dose limits at their boundaries: weight units, typical ranges, hard maximums, session totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapdesk.domain.clinic import ClinicSettings, ClinicSettingsError, load_clinic_settings
from kapdesk.domain.dose_limits import DEFAULT_DOSE_LIMITS, DoseLimits, DoseLimitsError, Range, review_amount, review_dose
from kapdesk.domain.doses import DoseError, Route, parse_dose
from kapdesk.domain.weight import WeightError, format_weight, parse_weight
from kapdesk.paths import resources_dir

IV, IM, SL, IN = Route.INTRAVENOUS_INFUSION, Route.INTRAMUSCULAR, Route.SUBLINGUAL, Route.INTRANASAL


def review(line: str, weight: float | None = None, before: float = 0.0, limits: DoseLimits = DEFAULT_DOSE_LIMITS):
    dose = parse_dose(line, given_by="RN Synthetic", weight_kg=weight)
    return review_dose(dose, limits, session_mg_before=before, weight_kg=weight)


def refused(line: str, weight: float | None = None, before: float = 0.0) -> DoseError:
    with pytest.raises(DoseError) as info:
        review(line, weight, before)
    assert info.value.field == "amount"
    return info.value


# -- weight -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kg", [("70 kg", 70.0), ("70kg", 70.0), ("68,5 kg", 68.5), ("154 lb", 69.85),
                                      ("154 lbs", 69.85), ("154 pounds", 69.85), (" 72.4 KG ", 72.4)])
def test_weight_with_its_unit_is_kept_in_kg(text: str, kg: float) -> None:
    assert parse_weight(text) == kg


def test_a_bare_number_asks_for_the_unit() -> None:
    with pytest.raises(WeightError) as info:
        parse_weight("154")
    assert info.value.message == "154 what? Type 154 kg or 154 lb"
    assert info.value.span == (0, 3)


@pytest.mark.parametrize("text, words", [("", "with its unit"), ("heavy", "not a weight"), ("70 st", "not ‘st’"),
                                         ("19.99 kg", "outside 20–350 kg"), ("350.01 kg", "outside"),
                                         ("40 lb", "40 lb is 18.14 kg, outside"), ("800 lb", "outside")])
def test_implausible_or_malformed_weights_are_refused(text: str, words: str) -> None:
    with pytest.raises(WeightError, match=words):
        parse_weight(text)


def test_the_plausible_bounds_are_inclusive() -> None:
    assert parse_weight("20 kg") == 20.0 and parse_weight("350 kg") == 350.0


def test_weight_is_shown_in_both_units() -> None:
    assert format_weight(70) == "70 kg (154 lb)"
    assert format_weight(parse_weight("154 lb")) == "69.85 kg (154 lb)"


def test_pounds_are_converted_before_the_mg_per_kg_dose() -> None:
    """The issue: 154 (pounds) taken as kg made 0.5 mg/kg into 77 mg instead of about 35 mg."""
    dose = parse_dose("ketamine 0.5 mg/kg IV", given_by="RN Synthetic", weight_kg=parse_weight("154 lb"))
    assert dose.amount_mg == pytest.approx(34.9, abs=0.05)


# -- hard maximums (inclusive) -----------------------------------------------------------------


def test_exactly_the_maximum_passes_and_one_tenth_above_is_refused() -> None:
    assert review("ketamine 300 mg SL").questions  # above typical 50–200: asked, not refused
    err = refused("ketamine 300.1 mg SL")
    assert str(err) == "ketamine SL 300.1 mg is above the maximum of 300 mg for one SL dose: not saved"
    assert review("esketamine 84 mg").questions == ()
    with pytest.raises(DoseError, match="maximum of 84 mg"):
        review_amount("esketamine", IN, DEFAULT_DOSE_LIMITS, amount_mg=84.1, mg_per_kg=None, weight_kg=None,
                      session_mg_before=0)


def test_the_per_kg_maximum_is_inclusive() -> None:
    assert review("ketamine 1 mg/kg IV", weight=70).questions == ()
    assert "above the maximum of 1 mg/kg" in str(refused("ketamine 1.1 mg/kg IV", weight=70))
    assert review("ketamine 70 mg IV", weight=70).questions == ()  # typed in mg: 70 ÷ 70 kg = exactly 1 mg/kg
    err = refused("ketamine 70.1 mg IV", weight=70)
    assert "70.1 mg for 70 kg (1 mg/kg) is above the maximum of 1 mg/kg" in str(err)


def test_fifty_mg_per_kg_im_at_twenty_kg_is_refused() -> None:
    """The issue: 50 mg/kg IM at 20 kg = exactly 1000 mg passed the single 1000 mg cap."""
    err = refused("ketamine 50 mg/kg IM", weight=20)
    assert "above the maximum of 150 mg for one IM dose" in str(err)
    assert "above the maximum of 1.5 mg/kg" in str(refused("ketamine 1.6 mg/kg IM", weight=60))
    assert review("ketamine 1.5 mg/kg IM", weight=60).questions  # at the max, above typical: asked


def test_the_mg_maximum_applies_to_the_rounded_amount() -> None:
    assert review("ketamine 1 mg/kg IV", weight=100).questions == ()  # 100 mg: exactly max_mg
    assert "100.1 mg (1 mg/kg × 100.1 kg)" in str(refused("ketamine 1 mg/kg IV", weight=100.1))


# -- typical ranges ----------------------------------------------------------------------------


@pytest.mark.parametrize("line, weight, asked", [
    ("ketamine 0.5 mg/kg IV", 70, False), ("ketamine 1 mg/kg IV", 70, False), ("ketamine 0.49 mg/kg IV", 70, True),
    ("ketamine 50 mg SL", None, False), ("ketamine 200 mg SL", None, False), ("ketamine 49.9 mg SL", None, True),
    ("ketamine 200.1 mg SL", None, True), ("esketamine 28 mg", None, False), ("esketamine 27 mg", None, True),
])
def test_typical_range_edges_are_inclusive(line: str, weight: float | None, asked: bool) -> None:
    assert bool(review(line, weight).questions) is asked


def test_outside_the_typical_range_says_why() -> None:
    assert review("ketamine 0.3 mg/kg IV", weight=70).questions == (
        "0.3 mg/kg is below the typical 0.5–1 mg/kg for ketamine IV",)
    assert review("ketamine 250 mg SL").questions == ("250 mg is above the typical 50–200 mg for ketamine SL",)
    assert review("ketamine 20 mg IV", weight=80).questions == (
        "0.25 mg/kg is below the typical 0.5–1 mg/kg for ketamine IV",)


def test_a_bare_mg_amount_that_looks_like_mg_per_kg_asks() -> None:
    assert review("ketamine 0.5 mg IV").questions == ("0.5 mg IV is a typical mg/kg amount: did you mean 0.5 mg/kg?",)
    assert review("ketamine 0.5 mg IV", weight=70).questions == (
        "0.5 mg IV is a typical mg/kg amount: did you mean 0.5 mg/kg?",)
    assert review("ketamine 1 mg IM").questions[0].endswith("did you mean 1 mg/kg?")
    assert review("ketamine 35 mg IV", weight=70).questions == ()


# -- the session total -------------------------------------------------------------------------


def test_the_session_total_with_boosters_may_reach_the_session_maximum_exactly() -> None:
    result = review("ketamine 100 mg SL booster", before=200)
    assert (result.session_mg, result.session_max_mg) == (300, 300)
    err = refused("ketamine 100.1 mg SL booster", before=200)
    assert str(err) == ("ketamine 100.1 mg would make 300.1 mg this session, above the session maximum of 300 mg: "
                        "not saved")
    assert review("esketamine 28 mg", before=56).session_mg == 84
    assert "session maximum of 84 mg" in str(refused("esketamine 28 mg", before=84))


# -- the settings ------------------------------------------------------------------------------


def test_the_shipped_file_holds_the_built_in_limits() -> None:
    settings = load_clinic_settings([resources_dir() / "clinic.toml"])
    assert settings.dose_limits == DEFAULT_DOSE_LIMITS == ClinicSettings().dose_limits
    assert DEFAULT_DOSE_LIMITS.route("ketamine", IV).typical_mg_per_kg == Range(0.5, 1.0)
    assert DEFAULT_DOSE_LIMITS.drug("Esketamine").session_max_mg == 84


def test_a_clinic_file_changes_one_limit_key_by_key(tmp_path: Path) -> None:
    own = tmp_path / "clinic.toml"
    own.write_text("[doses.ketamine.sl]\nmax_mg = 400\n[doses.ketamine]\nsession_max_mg = 500\n", encoding="utf-8")
    settings = load_clinic_settings([resources_dir() / "clinic.toml", own])
    sl = settings.dose_limits.route("ketamine", SL)
    assert (sl.max_mg, sl.typical_mg) == (400, Range(50, 200))
    assert settings.dose_limits.drug("ketamine").session_max_mg == 500


@pytest.mark.parametrize("text, line, field, words", [
    ("[doses.ketamine.iv]\nmax_mg = -1\n", 2, "doses.ketamine.iv.max_mg", "positive number"),
    ("[doses.ketamine.iv]\ntypical_mg_per_kg = [1, 0.5]\n", 2, "doses.ketamine.iv.typical_mg_per_kg", "above high"),
    ("[doses.ketamine.iv]\nmax_mgs = 3\n", 2, "doses.ketamine.iv.max_mgs", "unknown setting"),
    ("[doses.ketamin]\nsession_max_mg = 3\n", 1, "doses.ketamin", "not on the clinic's drug list"),
    ("[doses.esketamine.in]\nmax_mg_per_kg = 1\n", 2, "doses.esketamine.in.max_mg_per_kg", "never per kg"),
    ("[doses.esketamine.sl]\nmax_mg = 1\n", 1, "doses.esketamine.sl", "not given SL"),
    ("[doses.ketamine.sl]\ntypical_mg = [50, 400]\nmax_mg = 300\n", 2, "doses.ketamine.sl.typical_mg", "above max_mg"),
])
def test_a_bad_limit_names_file_line_and_field(tmp_path: Path, text: str, line: int | None, field: str,
                                               words: str) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ClinicSettingsError) as info:
        load_clinic_settings([path])
    assert (info.value.line, info.value.field) == (line, field)
    assert words in info.value.detail


def test_from_mapping_refuses_a_route_that_is_not_a_table() -> None:
    with pytest.raises(DoseLimitsError, match="must be a"):
        DoseLimits.from_mapping({"ketamine": {"iv": 3}})


def test_review_amount_without_an_amount_checks_nothing_but_reports_the_session() -> None:
    result = review_amount("ketamine", IV, DEFAULT_DOSE_LIMITS, amount_mg=None, mg_per_kg=None, weight_kg=70,
                           session_mg_before=120)
    assert (result.questions, result.session_mg) == ((), 120)
