"""Rescue (PRN) medication and adverse events (kapdesk.domain.rescue): parsing at its boundaries, the
clinic's PRN list in clinic.toml with errors that say where, and the round trip through the store."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from kapdesk.domain.clinic import (
    ClinicSettingsError,
    load_clinic_settings,
    load_clinic_settings_or_defaults,
)
from kapdesk.domain.entries import Kind, Unreadable, decode, encode
from kapdesk.domain.rescue import (
    DEFAULT_RESCUE,
    AdverseEvent,
    AdverseEventEntry,
    DrugClass,
    EventType,
    Outcome,
    RescueEntry,
    RescueError,
    RescueList,
    RescueMedication,
    RescueRoute,
    RescueUnit,
    Severity,
    linked_rescue,
    parse_amount,
)
from kapdesk.paths import resources_dir

NURSE = "Nurse Synthetic (synthetic)"
SHIPPED = resources_dir() / "clinic.toml"


def entry(drug: str = "ondansetron", amount: str = "4 mg", route: str | None = "IV", reason: str = "nausea",
          **kw) -> RescueEntry:
    return RescueEntry(drug=drug, amount=amount, route=route, reason=reason, given_by=kw.pop("given_by", NURSE), **kw)


def refused(made: RescueEntry | AdverseEventEntry, field: str, words: str, rescue: RescueList = DEFAULT_RESCUE):
    with pytest.raises(RescueError) as caught:
        made.validate(rescue) if isinstance(made, RescueEntry) else made.validate()
    assert caught.value.field == field, caught.value.message
    assert words in caught.value.message
    assert "\n" not in caught.value.message
    return caught.value


# --------------------------------------------------------------------------------------------
# Rescue medication
# --------------------------------------------------------------------------------------------


def test_a_prn_antiemetic_is_recorded_like_a_dose():
    given = entry(lot=" SYN-7 ").validate()
    assert given == RescueMedication("ondansetron", DrugClass.ANTIEMETIC, 4.0, RescueUnit.MG, RescueRoute.INTRAVENOUS,
                                     "nausea", NURSE, "SYN-7", None)
    assert given.describe() == f"PRN ondansetron 4 mg IV (antiemetic) for nausea · lot SYN-7 · given by {NURSE}"


def test_oxygen_is_a_flow_through_a_device_and_its_only_route_is_taken():
    given = entry("oxygen", "2 l/min", None, "SpO2 89 %", device="nasal cannula").validate()
    assert (given.amount, given.unit, given.route, given.device) == (2.0, RescueUnit.L_PER_MIN, RescueRoute.INHALED,
                                                                     "nasal cannula")
    assert given.format() == "oxygen 2 L/min by nasal cannula"
    refused(entry("oxygen", "2 L/min", None, "SpO2 89 %"), "device", "Oxygen needs its device")
    refused(entry("oxygen", "2 L/min", None, "SpO2 89 %", device="tent"), "device", "not one of the clinic's devices")
    refused(entry(device="nasal cannula"), "device", "Only oxygen has a device")


@pytest.mark.parametrize(("amount", "field", "words"), [
    ("", "amount", "How much?"),
    ("4", "unit", "needs its unit"),
    ("four mg", "amount", "must be a number"),
    ("0 mg", "amount", "above 0"),
    ("4 ml", "unit", "‘ml’ is not a unit"),
    ("4000 mcg", "unit", "ondansetron is recorded in mg, not mcg"),
    ("2 L/min", "unit", "recorded in mg, not L/min"),
    ("1234567890123 mg", "amount", "far too large"),
])
def test_an_amount_needs_a_number_and_the_drugs_own_unit(amount, field, words):
    error = refused(entry(amount=amount), field, words)
    assert error.span is not None


def test_amounts_read_a_decimal_comma_and_units_in_their_spellings():
    assert parse_amount("0,5mg") == (0.5, RescueUnit.MG)
    assert parse_amount(" 100 µg ") == (100.0, RescueUnit.MCG)
    assert parse_amount("4 LPM") == (4.0, RescueUnit.L_PER_MIN)
    assert parse_amount("4 mg")[1] is RescueUnit.MG


def test_the_clinics_maximum_is_inclusive_and_none_is_shipped():
    assert all(d.max_amount is None for d in DEFAULT_RESCUE.drugs)
    capped = RescueList((replace(DEFAULT_RESCUE.find("ondansetron"), max_amount=8.0),))
    assert entry(amount="8 mg").validate(capped).amount == 8.0  # exactly the maximum passes
    error = refused(entry(amount="8.1 mg"), "amount", "above the clinic's maximum of 8 mg", capped)
    assert error.span == (0, 3)
    assert entry(amount="80 mg").validate().amount == 80.0  # no maximum set: recorded as given


def test_drug_route_reason_and_given_by_are_checked_by_name():
    refused(entry(drug=""), "drug", "Which drug?")
    refused(entry(drug="haloperidol"), "drug", "‘haloperidol’ is not on the clinic's rescue list (ondansetron")
    refused(entry(route=None), "route", "Which route? PO, IV, IM")
    refused(entry(route="IN"), "route", "ondansetron is not given IN here")
    refused(entry(route="by pigeon"), "route", "Unknown route")
    refused(entry(reason="  "), "reason", "Why was it given?")
    refused(entry(reason="x" * 201), "reason", "at most 200")
    assert entry(reason="x" * 200).validate().reason == "x" * 200
    refused(entry(given_by=" "), "given_by", "who gave it")
    refused(entry(lot="L" * 41), "lot", "at most 40")
    assert entry(lot="L" * 40).validate().lot == "L" * 40
    assert entry(route="odt").validate().route is RescueRoute.ORAL


# --------------------------------------------------------------------------------------------
# Adverse events
# --------------------------------------------------------------------------------------------


def test_an_adverse_event_needs_event_severity_and_outcome_and_other_needs_words():
    refused(AdverseEventEntry(None, Severity.MILD, Outcome.RESOLVED), "event", "Which event? hypertensive crisis")
    refused(AdverseEventEntry(EventType.LARYNGOSPASM, None, Outcome.RESOLVED), "severity", "How severe?")
    refused(AdverseEventEntry(EventType.LARYNGOSPASM, Severity.MILD, None), "outcome", "outcome?")
    refused(AdverseEventEntry(EventType.OTHER, Severity.MILD, Outcome.RESOLVED, "  "), "detail", "‘Other’ needs")
    other = AdverseEventEntry(EventType.OTHER, Severity.MILD, Outcome.RESOLVED, " panic  attack ").validate()
    assert other.name == "other: panic attack"
    refused(AdverseEventEntry(EventType.HYPOTENSION, Severity.MILD, Outcome.RESOLVED, note="n" * 2001), "note",
            "at most 2000")


@pytest.mark.parametrize(("severity", "outcome", "serious"), [
    (Severity.SEVERE, Outcome.NOT_RESOLVED, False),
    (Severity.LIFE_THREATENING, Outcome.RESOLVED, True),
    (Severity.MILD, Outcome.TRANSFERRED, True),
    (Severity.MODERATE, Outcome.RESOLVING, False),
])
def test_serious_is_life_threatening_or_transferred(severity, outcome, serious):
    event = AdverseEvent(EventType.EMERGENCE_REACTION, severity, outcome)
    assert event.serious is serious
    assert ("(serious)" in event.describe()) is serious


def test_the_linked_rescue_is_its_newest_version(live):
    first = live.record(entry().validate())
    newer = live.record(entry(amount="8 mg").validate(), supersedes=first.id)
    event = live.record(AdverseEvent(EventType.VOMITING_ASPIRATION, Severity.MODERATE, Outcome.RESOLVED,
                                     rescue=first.id))
    found = linked_rescue(event.data, live.entries())
    assert found is not None and found.id == newer.id and found.data.amount == 8.0
    assert linked_rescue(replace(event.data, rescue=uuid.uuid4()), live.entries()) is None
    assert linked_rescue(replace(event.data, rescue=event.id), live.entries()) is None  # not a rescue medication


# --------------------------------------------------------------------------------------------
# The codec and the store
# --------------------------------------------------------------------------------------------


def test_both_kinds_round_trip_through_the_store(live, clock):
    given = entry("oxygen", "2 L/min", None, "SpO2 89 %", device="nasal cannula").validate()
    saved = live.record(given)
    event = AdverseEvent(EventType.DESATURATION, Severity.SEVERE, Outcome.RESOLVING, "to 84 %", saved.id,
                         "chin lift (synthetic)")
    clock.advance(60)
    live.record(event)
    stored = {e.kind: e.data for e in live.store.entries(live.id)}
    assert stored[Kind.RESCUE_MEDICATION] == given and stored[Kind.ADVERSE_EVENT] == event
    assert encode(event)[1] == {"event": "desaturation", "detail": "to 84 %", "severity": "severe",
                                "outcome": "resolving", "rescue": str(saved.id), "note": "chin lift (synthetic)"}
    assert encode(given)[1] == {"drug": "oxygen", "drug_class": "oxygen", "amount": 2.0, "unit": "L/min",
                                "route": "inhaled", "reason": "SpO2 89 %", "given_by": NURSE, "lot": None,
                                "device": "nasal cannula"}


@pytest.mark.parametrize(("kind", "stored"), [
    ("rescue_medication", {"drug": "ondansetron", "amount": 4, "unit": "drops", "route": "intravenous",
                           "reason": "nausea", "given_by": NURSE}),
    ("rescue_medication", {"drug": "ondansetron", "amount": -4, "unit": "mg", "route": "intravenous",
                           "reason": "nausea", "given_by": NURSE}),
    ("adverse_event", {"event": "earthquake", "severity": "mild", "outcome": "resolved"}),
    ("adverse_event", {"event": "other", "detail": "", "severity": "mild", "outcome": "resolved"}),
    ("adverse_event", {"event": "laryngospasm", "severity": "mild", "outcome": "resolved", "rescue": "not-an-id"}),
])
def test_a_stored_payload_that_does_not_fit_is_unreadable_and_kept(kind, stored):
    decoded_kind, data = decode(kind, json.loads(json.dumps(stored)))
    assert decoded_kind == Kind(kind) and isinstance(data, Unreadable) and dict(data.stored) == stored


def test_a_stored_rescue_medication_reads_even_after_the_clinic_drops_the_drug():
    stored = {"drug": "promethazine", "drug_class": "antiemetic", "amount": 12.5, "unit": "mg", "route": "oral",
              "reason": "nausea", "given_by": NURSE, "lot": None, "device": None}
    kind, data = decode("rescue_medication", stored)
    assert isinstance(data, RescueMedication) and data.drug == "promethazine" and encode(data) == (kind, stored)


# --------------------------------------------------------------------------------------------
# The clinic's list
# --------------------------------------------------------------------------------------------


def test_the_shipped_list_is_the_default_and_carries_examples_not_advice():
    settings = load_clinic_settings([SHIPPED])
    assert settings.rescue == DEFAULT_RESCUE
    text = SHIPPED.read_text(encoding="utf-8")
    assert "EXAMPLES ONLY" in text and "nothing here is a recommended dose" in text
    classes = {d.name: d.drug_class for d in settings.rescue.drugs}
    assert classes == {"ondansetron": DrugClass.ANTIEMETIC, "lorazepam": DrugClass.BENZODIAZEPINE,
                       "midazolam": DrugClass.BENZODIAZEPINE, "labetalol": DrugClass.ANTIHYPERTENSIVE,
                       "clonidine": DrugClass.ANTIHYPERTENSIVE, "oxygen": DrugClass.OXYGEN}
    assert settings.rescue.find("Ondansetron").examples_text() == "4 or 8 mg"


def test_a_clinic_list_replaces_the_shipped_one_whole(tmp_path: Path):
    own = tmp_path / "clinic.toml"
    own.write_text('[[rescue.drugs]]\nname = "promethazine"\nclass = "antiemetic"\nunit = "mg"\n'
                   'routes = ["PO", "IM"]\nmax_amount = 25\n', encoding="utf-8")
    settings = load_clinic_settings([SHIPPED, own])
    assert settings.rescue.names == ("promethazine",)
    assert settings.rescue.drugs[0].max_amount == 25.0


@pytest.mark.parametrize(("text", "line", "field", "words"), [
    ('[rescue]\ndrug = []\n', 2, "rescue.drug", "did you mean 'drugs'?"),
    (('[[rescue.drugs]]\nname = "a"\nclass = "antiemetic"\nunit = "mg"\nroutes = ["IV"]\n\n'
      '[[rescue.drugs]]\nname = "b"\nclass = "antiemetic"\nunit = "ml"\nroutes = ["IV"]\n'),
     10, "rescue.drugs[2].unit", 'must be "mg", "mcg" or "L/min"'),
    ('[[rescue.drugs]]\nname = "oxygen"\nclass = "oxygen"\nunit = "mg"\nroutes = ["INH"]\n', 4,
     "rescue.drugs[1].unit", "oxygen (and only oxygen)"),
    ('[[rescue.drugs]]\nname = "x"\nclass = "sedative"\nunit = "mg"\nroutes = ["IV"]\n', 3,
     "rescue.drugs[1].class", "must be one of"),
    ('[[rescue.drugs]]\nname = "x"\nclass = "antiemetic"\nunit = "mg"\nroutes = ["IV"]\nmax_amount = 0\n', 6,
     "rescue.drugs[1].max_amount", "positive number"),
    (('[[rescue.drugs]]\nname = "x"\nclass = "antiemetic"\nunit = "mg"\nroutes = ["IV"]\nexample_amounts = [9]\n'
      'max_amount = 8\n'), 6, "rescue.drugs[1].example_amounts", "above max_amount"),
])
def test_a_bad_rescue_list_names_the_file_line_and_field_and_the_shipped_list_stays(tmp_path, text, line, field, words):
    bad = tmp_path / "clinic.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ClinicSettingsError) as caught:
        load_clinic_settings([SHIPPED, bad])
    assert (caught.value.line, caught.value.field) == (line, field)
    assert words in str(caught.value) and str(bad) in str(caught.value)
    settings, errors = load_clinic_settings_or_defaults([SHIPPED, bad])
    assert len(errors) == 1 and settings.rescue == DEFAULT_RESCUE
