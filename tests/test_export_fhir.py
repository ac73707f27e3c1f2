"""FHIR export: the bundle passes the independent ``fhir.resources.R4B`` models and carries the
right LOINC codes, UCUM units, statuses and references.

``fhir.resources`` checks structure and types but not the value sets of ``status`` codes, so
those are asserted here against the R4 value sets.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from test_export_csv import CORRECTED_HR, LOT, NURSE, QUOTE, THERAPIST, build_sitting

from kapdesk.domain.clock import FakeClock
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.vitals import FIELD_ORDER
from kapdesk.export.fhir import BP_COMPONENTS, VITAL_CODES, build_bundle, write_fhir
from kapdesk.store import Store

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
WHEN = datetime(2026, 1, 6, 12, 0, tzinfo=timezone.utc)
OBSERVATION_STATUS = {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error",
                      "unknown"}
MEDICATION_ADMIN_STATUS = {"in-progress", "not-done", "on-hold", "completed", "entered-in-error", "stopped", "unknown"}

Json = dict[str, Any]


def _bundle(store: Store, session_id: uuid.UUID) -> Json:
    return build_bundle(store.session_record(session_id), generated_at=WHEN)


def _resources(bundle: Json, resource_type: str) -> list[Json]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def _codes(concept: Json) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept.get("coding", [])]


def _vital(bundle: Json, code: str) -> list[Json]:
    return [r for r in _resources(bundle, "Observation") if (LOINC, code) in _codes(r["code"])]


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _references(value)]
    return []


@pytest.fixture
def bundle(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> Json:
    return _bundle(store, build_sitting(store, clock, protocols["sublingual"], addendum=True))


def test_bundle_and_every_resource_pass_the_r4b_models(bundle: Json) -> None:
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)

    assert bundle["type"] == "collection" and bundle["timestamp"] == "2026-01-06T12:00:00Z"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Practitioner", "Encounter", "Observation", "MedicationAdministration",
                     "DocumentReference"}
    assert "meta" not in bundle  # signed note, ended session: not a draft


def test_full_urls_are_unique_uuids_and_every_reference_resolves(bundle: Json) -> None:
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{uuid.UUID(entry['resource']['id'])}"
    references = _references([entry["resource"] for entry in bundle["entry"]])
    assert references and set(references) <= set(urls)


def test_a_reading_becomes_loinc_coded_vital_sign_observations(bundle: Json) -> None:
    baseline = [r for r in _vital(bundle, "85354-9") if r.get("note", [{}])[0].get("text", "").startswith("Baseline")]
    assert len(baseline) == 1
    bp = baseline[0]
    assert _codes(bp["category"][0]) == [("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")]
    assert bp["status"] == "final" and "valueQuantity" not in bp
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert components == {
        "8480-6": {"value": 126, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
        "8462-4": {"value": 82, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
    }
    same_reading = [r for r in _resources(bundle, "Observation") if r["identifier"] == bp["identifier"]]
    values = {r["code"]["coding"][0]["code"]: r.get("valueQuantity") for r in same_reading}
    assert values["8867-4"] == {"value": 74, "unit": "beats/minute", "system": UCUM, "code": "/min"}
    assert values["9279-1"] == {"value": 14, "unit": "breaths/minute", "system": UCUM, "code": "/min"}
    assert values["59408-5"] == {"value": 98, "unit": "%", "system": UCUM, "code": "%"}
    assert values["8310-5"] == {"value": 36.7, "unit": "°C", "system": UCUM, "code": "Cel"}
    spo2 = next(r for r in same_reading if r["code"]["coding"][0]["code"] == "59408-5")
    assert _codes(spo2["code"]) == [(LOINC, "59408-5"), (LOINC, "2708-6")]
    for observation in same_reading:
        assert observation["effectiveDateTime"] == bp["effectiveDateTime"]
        assert observation["effectiveDateTime"].endswith("Z")
    nurse = next(r for r in _resources(bundle, "Practitioner") if r["name"][0]["text"] == NURSE)
    assert bp["performer"] == [{"reference": f"urn:uuid:{nurse['id']}"}]
    assert len(_vital(bundle, "85354-9")) == 12  # baseline + 10 readings + one correction


def test_every_vital_sign_is_coded_by_its_reading_field() -> None:
    """The codes are looked up by VitalsReading field: a key that is no field would drop a vital."""
    assert all(code.key == key for key, code in VITAL_CODES.items())
    assert {*BP_COMPONENTS, *VITAL_CODES} == set(FIELD_ORDER)


def test_a_corrected_reading_is_entered_in_error_and_its_correction_amended(bundle: Json) -> None:
    heart_rates = _vital(bundle, "8867-4")
    wrong = next(r for r in heart_rates if r["valueQuantity"]["value"] == CORRECTED_HR[0])
    right = next(r for r in heart_rates if r["valueQuantity"]["value"] == CORRECTED_HR[1])

    assert wrong["status"] == "entered-in-error" and right["status"] == "amended"
    old_id = wrong["identifier"][0]["value"].removeprefix("urn:uuid:")
    new_id = right["identifier"][0]["value"].removeprefix("urn:uuid:")
    assert f"Superseded by KAPDesk entry {new_id}" in wrong["note"][-1]["text"]
    assert "HR mistyped (synthetic)" in wrong["note"][-1]["text"]
    assert right["note"][-1]["text"] == f"Correction of KAPDesk entry {old_id}: HR mistyped (synthetic)."
    assert wrong["effectiveDateTime"] == right["effectiveDateTime"]
    statuses = {r["status"] for r in _resources(bundle, "Observation")}
    assert statuses <= OBSERVATION_STATUS and statuses == {"final", "amended", "entered-in-error"}


def test_the_dose_is_a_medication_administration_with_lot(bundle: Json) -> None:
    (dose,) = _resources(bundle, "MedicationAdministration")
    assert dose["status"] in MEDICATION_ADMIN_STATUS and dose["status"] == "completed"
    assert dose["medicationCodeableConcept"] == {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "6130", "display": "ketamine"}],
        "text": "ketamine",
    }
    assert dose["dosage"]["dose"] == {"value": 100.0, "unit": "mg", "system": UCUM, "code": "mg"}
    assert dose["dosage"]["route"]["text"] == "sublingual"
    assert _codes(dose["dosage"]["route"]) == [("http://snomed.info/sct", "37839007")]
    assert {"text": f"Lot number: {LOT['ketamine']}"} in dose["note"]
    nurse = next(r for r in _resources(bundle, "Practitioner") if r["name"][0]["text"] == NURSE)
    assert dose["performer"] == [{"actor": {"reference": f"urn:uuid:{nurse['id']}"}}]


def test_scales_are_survey_observations(bundle: Json) -> None:
    surveys = [r for r in _resources(bundle, "Observation") if r["category"][0]["coding"][0]["code"] == "survey"]
    by_name = {r["code"]["text"]: r for r in surveys}
    assert set(by_name) == {"MOAA/S", "CADSS-6", "Nausea", "Modified Aldrete"}
    assert by_name["MOAA/S"]["valueInteger"] == 4
    assert by_name["CADSS-6"]["valueInteger"] == 9 and len(by_name["CADSS-6"]["component"]) == 6
    assert by_name["Modified Aldrete"]["valueInteger"] == 10
    nausea = by_name["Nausea"]  # not totalled: the answers are the result
    assert "valueInteger" not in nausea and "dataAbsentReason" not in nausea
    assert [c["valueInteger"] for c in nausea["component"]] == [1, 0]
    assert _codes(by_name["MOAA/S"]["code"]) == [("urn:kapdesk:scale", "moaas")]


def test_quotes_are_observations_marked_as_the_clients_words(bundle: Json) -> None:
    quote = next(r for r in _resources(bundle, "Observation") if r.get("valueString") == QUOTE)
    assert quote["code"]["text"] == "Client statement (verbatim quote)"
    assert quote["note"] == [{"text": "Tags: speaking"}]


def test_patient_is_pseudonymous_and_encounter_finished(bundle: Json, store: Store) -> None:
    (patient,) = _resources(bundle, "Patient")
    assert "name" not in patient and "birthDate" not in patient
    assert {"use": "usual", "value": "DEMO-01 (synthetic client)",
            "type": {"text": "KAPDesk client label (pseudonym)"}} in patient["identifier"]
    assert patient["meta"]["security"][0]["code"] == "PSEUDED"
    (encounter,) = _resources(bundle, "Encounter")
    assert encounter["status"] == "finished"
    assert encounter["class"] == {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                                  "display": "ambulatory"}
    assert encounter["type"] == [{"text": "Sublingual ketamine (troche)"}]
    assert encounter["period"]["start"] < encounter["period"]["end"]
    assert encounter["subject"] == {"reference": f"urn:uuid:{patient['id']}"}
    names = {r["name"][0]["text"] for r in _resources(bundle, "Practitioner")}
    assert names == {THERAPIST, NURSE}


def test_signed_note_and_addendum_are_final_documents(bundle: Json) -> None:
    note, addendum = _resources(bundle, "DocumentReference")
    assert (note["status"], note["docStatus"]) == ("current", "final")
    text = base64.b64decode(note["content"][0]["attachment"]["data"]).decode("utf-8")
    assert "What the client described\nSynthetic: a wide, calm sea; being carried." in text
    assert f"Signed by {THERAPIST} at " in text and "SHA-256 " in text
    assert note["authenticator"] == note["author"][0]
    assert addendum["relatesTo"] == [{"code": "appends", "target": {"reference": f"urn:uuid:{note['id']}"}}]
    assert "Synthetic addendum" in base64.b64decode(addendum["content"][0]["attachment"]["data"]).decode("utf-8")


def test_unsigned_note_is_a_preliminary_draft(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> None:
    bundle = _bundle(store, build_sitting(store, clock, protocols["sublingual"], sign=False))
    Bundle.model_validate(bundle)

    (note,) = _resources(bundle, "DocumentReference")
    assert note["docStatus"] == "preliminary" and "authenticator" not in note
    assert note["description"].startswith("DRAFT")
    assert "DRAFT — not signed" in base64.b64decode(note["content"][0]["attachment"]["data"]).decode("utf-8")
    assert bundle["meta"]["tag"][0]["code"] == "draft"


def test_session_in_progress_without_note(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> None:
    bundle = _bundle(store, build_sitting(store, clock, protocols["sublingual"], end=False))
    Bundle.model_validate(bundle)

    (encounter,) = _resources(bundle, "Encounter")
    assert encounter["status"] == "in-progress" and "end" not in encounter["period"]
    assert _resources(bundle, "DocumentReference") == []
    assert "in progress" in bundle["meta"]["tag"][0]["display"]


def test_esketamine_dose_is_text_coded_and_nasal(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> None:
    bundle = _bundle(store, build_sitting(store, clock, protocols["esketamine"]))
    Bundle.model_validate(bundle)

    (dose,) = _resources(bundle, "MedicationAdministration")
    assert dose["medicationCodeableConcept"] == {"text": "esketamine"}
    assert dose["dosage"]["dose"]["value"] == 56
    assert _codes(dose["dosage"]["route"]) == [("http://snomed.info/sct", "46713006")]
    assert {"text": f"Lot number: {LOT['esketamine']}"} in dose["note"]


def test_birth_date_and_outcomes_are_exported(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> None:
    clinician = store.add_clinician("Solo Clinician (synthetic)")
    client = store.add_client("DEMO-02 (synthetic client)", clinician.id, date_of_birth=date(1990, 4, 1))
    session = store.start_session(client.id, clinician.id, protocols["intramuscular"])
    store.add_outcome(client.id, "phq9", {k: 1 for k in ("interest", "mood", "sleep", "energy", "appetite",
                                                          "self_worth", "concentration", "psychomotor", "self_harm")},
                      9, clinician.id, clock.utcnow().date(), session.id)
    bundle = _bundle(store, session.id)
    Bundle.model_validate(bundle)

    assert _resources(bundle, "Patient")[0]["birthDate"] == "1990-04-01"
    (phq9,) = _vital(bundle, "44261-6")  # the total, an Observation of its own in the panel
    assert phq9["valueInteger"] == 9 and phq9["effectiveDateTime"] == clock.utcnow().date().isoformat()
    (panel,) = _vital(bundle, "44249-1")
    assert len(panel["hasMember"]) == 10  # nine items and the total


def test_write_fhir_writes_the_bundle_as_utf8_json(store: Store, clock: FakeClock, protocols: dict[str, Protocol],
                                                   tmp_path: Path) -> None:
    record = store.session_record(build_sitting(store, clock, protocols["sublingual"]))
    path = write_fhir(record, tmp_path / "s.json", generated_at=WHEN)

    raw = path.read_text(encoding="utf-8")
    assert json.loads(raw) == build_bundle(record, generated_at=WHEN)
    assert '"unit": "°C"' in raw  # non-ASCII kept as is, not \\u-escaped



# -- PHQ-9 and GAD-7 as LOINC panels ------------------------------------------------------------

PHQ9_ITEM_LOINC = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
GAD7_ITEM_LOINC = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def _by_url(bundle: Json) -> dict[str, Json]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def _members(bundle: Json, panel: Json) -> list[Json]:
    resources = _by_url(bundle)
    return [resources[ref["reference"]] for ref in panel["hasMember"]]


def _loinc(resource: Json) -> str:
    return next(code for system, code in _codes(resource["code"]) if system == LOINC)


@pytest.fixture
def questionnaires(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> tuple[Json, uuid.UUID]:
    """A sitting with a PHQ-9 whose item 9 is 2 and a GAD-7, both tied to it. Synthetic answers."""
    from kapdesk.domain.scales import GAD7, PHQ9

    sid = build_sitting(store, clock, protocols["sublingual"])
    record = store.session_record(sid)
    day, who = clock.utcnow().date(), record.info.clinician_id
    phq9 = dict(zip(PHQ9.item_keys, [1, 0, 1, 0, 1, 0, 1, 0, 2]))
    store.add_outcome(record.client.id, "phq9", phq9, 6, who, day, sid)
    store.add_outcome(record.client.id, "gad7", dict(zip(GAD7.item_keys, [2, 1, 1, 0, 0, 3, 1])), 8, who, day, sid)
    return _bundle(store, sid), sid


def test_questionnaire_panels_pass_the_r4b_models(questionnaires) -> None:
    bundle, _sid = questionnaires
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    test_full_urls_are_unique_uuids_and_every_reference_resolves(bundle)


def test_phq9_is_the_panel_44249_1_with_nine_items_and_the_total(questionnaires) -> None:
    bundle, sid = questionnaires
    (panel,) = _vital(bundle, "44249-1")
    assert "valueInteger" not in panel and "component" not in panel  # the panel holds its members, no value
    assert panel["category"][0]["coding"][0]["code"] == "survey"
    assert panel["encounter"] == {"reference": f"urn:uuid:{sid}"}
    members = _members(bundle, panel)
    assert [_loinc(m) for m in members] == [*PHQ9_ITEM_LOINC, "44261-6"]
    assert [m["valueInteger"] for m in members] == [1, 0, 1, 0, 1, 0, 1, 0, 2, 6]
    assert all(m["subject"] == panel["subject"] and m["effectiveDateTime"] == panel["effectiveDateTime"] for m in members)
    (total,) = _vital(bundle, "44261-6")
    assert total["interpretation"] == [{"text": "mild"}]


def test_the_bundle_carries_item9_as_44260_8_with_its_value_and_a_flag(questionnaires) -> None:
    bundle, _sid = questionnaires
    (item9,) = _vital(bundle, "44260-8")
    assert item9["valueInteger"] == 2
    assert item9["interpretation"][0]["coding"][0]["code"] == "A"
    assert "PHQ-9 item 9 = 2" in item9["note"][0]["text"] and "suicide-risk assessment" in item9["note"][0]["text"]
    (panel,) = _vital(bundle, "44249-1")
    assert panel["note"] == item9["note"]  # the panel says it too, for a reader of the panel alone
    others = [m for m in _members(bundle, panel) if _loinc(m) != "44260-8"]
    assert not any("interpretation" in m and m["interpretation"][0].get("coding") for m in others)


def test_gad7_is_the_panel_69737_5_with_seven_items_and_the_total(questionnaires) -> None:
    bundle, _sid = questionnaires
    (panel,) = _vital(bundle, "69737-5")
    members = _members(bundle, panel)
    assert [_loinc(m) for m in members] == [*GAD7_ITEM_LOINC, "70274-6"]
    assert [m["valueInteger"] for m in members] == [2, 1, 1, 0, 0, 3, 1, 8]
    assert "note" not in panel  # no item 9 on a GAD-7


def test_a_partly_answered_phq9_exports_only_the_answered_items(store: Store, clock: FakeClock,
                                                                protocols: dict[str, Protocol]) -> None:
    clinician = store.add_clinician("Solo Clinician (synthetic)")
    client = store.add_client("DEMO-03 (synthetic client)", clinician.id)
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    answers = {"interest": 2, "mood": 1, "sleep": None, "self_harm": 0}  # the client stopped; None = not answered
    store.add_outcome(client.id, "phq9", answers, 3, clinician.id, clock.utcnow().date(), session.id)
    bundle = _bundle(store, session.id)
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    (panel,) = _vital(bundle, "44249-1")
    members = _members(bundle, panel)
    assert [_loinc(m) for m in members] == ["44250-9", "44255-8", "44260-8", "44261-6"]
    total = members[-1]
    assert "valueInteger" not in total and total["dataAbsentReason"]["text"] == "incomplete: 3 of 9 items answered"
    assert "interpretation" not in members[2] and "note" not in panel  # item 9 answered 0: no flag


def test_every_item_of_both_scales_has_its_loinc_code_once() -> None:
    from kapdesk.domain.scales import GAD7, PHQ9
    from kapdesk.export.fhir import QUESTIONNAIRE_LOINC

    assert [QUESTIONNAIRE_LOINC["phq9"].items[k] for k in PHQ9.item_keys] == PHQ9_ITEM_LOINC
    assert [QUESTIONNAIRE_LOINC["gad7"].items[k] for k in GAD7.item_keys] == GAD7_ITEM_LOINC
    assert (QUESTIONNAIRE_LOINC["phq9"].panel[0], QUESTIONNAIRE_LOINC["phq9"].total[0]) == ("44249-1", "44261-6")
    assert (QUESTIONNAIRE_LOINC["gad7"].panel[0], QUESTIONNAIRE_LOINC["gad7"].total[0]) == ("69737-5", "70274-6")
