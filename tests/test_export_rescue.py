"""Rescue medication and adverse events in the exports: the PDF names them, the CSV has their columns,
and FHIR carries a PRN MedicationAdministration and an R4B AdverseEvent that validate and reference
the subject, the encounter, the suspect dose and the treatment."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from test_export_csv import NURSE, build_sitting
from test_export_fhir import WHEN, _references, _resources
from test_export_pdf import _normalise, pdf_pages

from kapdesk.domain.clock import FakeClock
from kapdesk.domain.doses import Dose
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.rescue import (
    AdverseEvent,
    EventType,
    Outcome,
    RescueEntry,
    Severity,
)
from kapdesk.export.csv_export import COLUMNS, rows
from kapdesk.export.fhir import build_bundle
from kapdesk.export.pdf_report import write_pdf
from kapdesk.store import Store


@pytest.fixture
def sitting(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """The export tests' sitting plus: ondansetron at T+50 corrected from 8 to 4 mg, oxygen at T+55,
    vomiting at T+48 treated with the ondansetron, a life-threatening laryngospasm at T+56, then the end."""
    sid = build_sitting(store, clock, protocols["sublingual"], end=False)
    nurse = next(c for c in store.clinicians() if c.name == NURSE)
    dose_at = store.session(sid).dose_at

    def at(minutes: int):
        return dose_at + timedelta(minutes=minutes)

    first = store.add_entry(sid, RescueEntry("ondansetron", "8 mg", "IV", "vomiting (synthetic)", NURSE,
                                             "SYN-ON-1").validate(), nurse.id, occurred_at=at(50))
    fixed = store.add_entry(sid, RescueEntry("ondansetron", "4 mg", "IV", "vomiting (synthetic)", NURSE,
                                             "SYN-ON-1").validate(), nurse.id, occurred_at=at(50),
                            supersedes=first.id, note="8 was mistyped (synthetic)")
    oxygen = store.add_entry(sid, RescueEntry("oxygen", "4 L/min", None, "SpO2 86 % (synthetic)", NURSE,
                                              device="non-rebreather mask").validate(), nurse.id, occurred_at=at(55))
    vomiting = store.add_entry(sid, AdverseEvent(EventType.VOMITING_ASPIRATION, Severity.MODERATE, Outcome.RESOLVED,
                                                 rescue=first.id, note="no aspiration seen (synthetic)"),
                               nurse.id, occurred_at=at(48))
    spasm = store.add_entry(sid, AdverseEvent(EventType.LARYNGOSPASM, Severity.LIFE_THREATENING, Outcome.RESOLVED,
                                              rescue=oxygen.id), nurse.id, occurred_at=at(56))
    clock.advance(60 * 10)
    store.end_session(sid, nurse.id)
    return sid, {"first": first.id, "fixed": fixed.id, "oxygen": oxygen.id, "vomiting": vomiting.id,
                 "spasm": spasm.id}


def test_the_pdf_names_the_prn_drugs_and_the_adverse_events(qapp, store, sitting, tmp_path: Path) -> None:
    sid, _ = sitting
    path = write_pdf(store.session_record(sid), tmp_path / "r.pdf", tz=UTC)
    text = _normalise(" ".join(pdf_pages(path)))
    section = text.split("Rescue medication and adverse events", 1)[1]
    for words in ("ondansetron", "antiemetic", "4 mg", "intravenous", "vomiting (synthetic)", "lot SYN-ON-1",
                  "oxygen", "4 L/min", "by non-rebreather mask", "laryngospasm", "life-threatening — serious",
                  "vomiting / aspiration", "moderate", "resolved", "no aspiration seen (synthetic)",
                  "T+50", "T+56"):
        assert words in section, words
    assert "corrected" in section and "ondansetron 8 mg IV (antiemetic)" in section  # the old value, struck
    assert "Other entries" not in text  # both kinds have their own section


def test_the_csv_fills_the_rescue_and_adverse_event_columns(store, sitting) -> None:
    sid, ids = sitting
    by_id = {row["entry_id"]: row for row in rows(store.session_record(sid))}
    assert COLUMNS[-9:] == ("amount", "unit", "reason", "device", "event", "severity", "outcome", "serious",
                            "rescue_entry")
    fixed = by_id[str(ids["fixed"])]
    assert (fixed["kind"], fixed["drug"], fixed["amount"], fixed["unit"], fixed["amount_mg"], fixed["route"],
            fixed["reason"], fixed["lot"], fixed["supersedes"]) == (
        "rescue_medication", "ondansetron", "4", "mg", "4", "intravenous", "vomiting (synthetic)", "SYN-ON-1",
        str(ids["first"]))
    assert by_id[str(ids["first"])]["current"] == "false"
    oxygen = by_id[str(ids["oxygen"])]
    assert (oxygen["amount"], oxygen["unit"], oxygen["amount_mg"], oxygen["device"]) == (
        "4", "L/min", "", "non-rebreather mask")
    vomiting = by_id[str(ids["vomiting"])]
    assert (vomiting["kind"], vomiting["event"], vomiting["severity"], vomiting["outcome"], vomiting["serious"],
            vomiting["text"]) == ("adverse_event", "vomiting / aspiration", "moderate", "resolved", "false",
                                  "no aspiration seen (synthetic)")
    assert vomiting["rescue_entry"] == str(ids["fixed"])  # the version in force, not the mistyped one
    assert by_id[str(ids["spasm"])]["serious"] == "true"


def test_fhir_carries_prn_administrations_and_adverse_events_that_validate(store, sitting) -> None:
    sid, ids = sitting
    bundle = build_bundle(store.session_record(sid), generated_at=WHEN)
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert set(_references(bundle)) <= urls  # every reference resolves inside the bundle

    administrations = {r["id"]: r for r in _resources(bundle, "MedicationAdministration")}
    fixed = administrations[str(ids["fixed"])]
    assert fixed["category"]["coding"][0]["code"] == "prn-rescue" and fixed["status"] == "completed"
    assert fixed["reasonCode"] == [{"text": "vomiting (synthetic)"}]
    assert fixed["dosage"]["dose"] == {"value": 4.0, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert fixed["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert fixed["supportingInformation"] == [{"reference": f"urn:uuid:{ids['vomiting']}"}]
    assert administrations[str(ids["first"])]["status"] == "entered-in-error"
    oxygen = administrations[str(ids["oxygen"])]
    assert oxygen["dosage"]["rateQuantity"]["code"] == "L/min" and "dose" not in oxygen["dosage"]
    assert oxygen["dosage"]["method"] == {"text": "non-rebreather mask"}

    events = {r["id"]: r for r in _resources(bundle, "AdverseEvent")}
    assert set(events) == {str(ids["vomiting"]), str(ids["spasm"])}
    spasm = events[str(ids["spasm"])]
    assert spasm["actuality"] == "actual" and spasm["event"]["text"] == "laryngospasm"
    assert spasm["subject"] == {"reference": f"urn:uuid:{store.session_record(sid).client.id}"}
    assert spasm["encounter"] == {"reference": f"urn:uuid:{sid}"}
    assert spasm["seriousness"]["coding"][0]["code"] == "SeriousIsLifeThreatening"
    assert spasm["severity"]["coding"][0]["code"] == "severe" and spasm["severity"]["text"] == "life-threatening"
    assert spasm["outcome"]["coding"][0]["code"] == "resolved"
    doses = [e for e, _ in store.session_record(sid).of(Dose)]
    assert spasm["suspectEntity"] == [{"instance": {"reference": f"urn:uuid:{d.id}"}} for d in doses]
    treated = {x["url"]: x for x in spasm["extension"]}
    assert treated["urn:kapdesk:fhir:adverse-event-treated-with"]["valueReference"] == {
        "reference": f"urn:uuid:{ids['oxygen']}"}
    vomiting = events[str(ids["vomiting"])]
    assert vomiting["seriousness"]["coding"][0]["code"] == "Non-serious"
    assert vomiting["outcome"]["coding"][0]["code"] == "resolved"
