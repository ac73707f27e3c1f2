"""An IV infusion in every export: FHIR (effectivePeriod, rateQuantity, delivered total), PDF, CSV.

The delivered total is the domain's (``infusion_periods``); each writer must say the same number.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from test_export_pdf import _normalise, pdf_pages

from kapdesk.domain.clock import FakeClock
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import Preparation, Vitals
from kapdesk.domain.infusions import InfusionAction, InfusionChange, InfusionRate, InfusionStart, RateUnit
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.vitals import parse_vitals
from kapdesk.export.csv_export import rows
from kapdesk.export.fhir import build_bundle
from kapdesk.export.pdf_report import write_pdf
from kapdesk.store import Store

NURSE = "Nurse Infusion (synthetic)"
WHEN = datetime(2026, 1, 6, 12, 0, tzinfo=timezone.utc)


def infusion_sitting(store: Store, clock: FakeClock, protocol: Protocol) -> tuple[uuid.UUID, datetime]:
    """0.75 mg/kg/h at 70 kg from T0 (52.5 mg/h), 0.5 mg/kg/h at T+20, paused T+30–T+40, stopped at T+52,
    and a 10 mg booster: 30.3 mg delivered by the infusion."""
    nurse = store.add_clinician(NURSE, "nurse")
    client = store.add_client("INF-01 (synthetic)", nurse.id)
    sid = store.start_session(client.id, nurse.id, protocol).id
    store.add_entry(sid, Preparation(weight_kg=70.0), nurse.id)
    clock.advance(600)
    store.add_entry(sid, Vitals(parse_vitals("124/80 70 98 14")), nurse.id)
    clock.advance(300)
    store.mark_dose(sid, nurse.id)
    t0 = clock.utcnow()
    rate = InfusionRate(0.75, RateUnit.MG_PER_KG_H, 70.0)
    start = store.add_entry(sid, InfusionStart("ketamine", rate, NURSE, lot="SYN-IV7"), nurse.id)

    def change(minutes: float, action: InfusionAction, new: InfusionRate | None = None) -> None:
        clock.advance((t0 + timedelta(minutes=minutes) - clock.utcnow()).total_seconds())
        store.add_entry(sid, InfusionChange(start.id, action, new), nurse.id)

    change(20, InfusionAction.RATE, InfusionRate(0.5, RateUnit.MG_PER_KG_H, 70.0))
    change(30, InfusionAction.PAUSE)
    change(40, InfusionAction.RESUME)
    change(52, InfusionAction.STOP)
    clock.advance(60)
    store.add_entry(sid, parse_dose("ketamine 10 mg IV booster", given_by=NURSE), nurse.id)
    clock.advance(3600)
    store.end_session(sid, nurse.id)
    return sid, t0


def test_the_fhir_infusion_has_its_period_rate_and_delivered_total(store, clock, protocols) -> None:
    sid, t0 = infusion_sitting(store, clock, protocols["iv-infusion"])
    bundle = build_bundle(store.session_record(sid), generated_at=WHEN)
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    administrations = [e["resource"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] == "MedicationAdministration"]
    infusion = next(r for r in administrations if "effectivePeriod" in r)
    model = get_fhir_model_class("MedicationAdministration").model_validate(infusion)
    assert model.effectivePeriod.start is not None and model.dosage.rateQuantity.value == 52.5
    assert infusion["status"] == "completed"
    assert infusion["effectivePeriod"] == {"start": _iso(t0), "end": _iso(t0 + timedelta(minutes=52))}
    assert infusion["dosage"]["rateQuantity"] == {"value": 52.5, "unit": "mg/h", "system": "http://unitsofmeasure.org",
                                                  "code": "mg/h"}
    assert infusion["dosage"]["dose"]["value"] == 30.3
    notes = [n["text"] for n in infusion["note"]]
    assert "Rate 0.5 mg/kg/h (35 mg/h) from " + _iso(t0 + timedelta(minutes=20)) in notes
    assert f"Paused {_iso(t0 + timedelta(minutes=30))} to {_iso(t0 + timedelta(minutes=40))}" in notes
    assert "Lot number: SYN-IV7" in notes
    bolus = next(r for r in administrations if "effectiveDateTime" in r)
    assert bolus["dosage"]["dose"]["value"] == 10


def test_the_pdf_names_the_infusion_period(qapp, store, clock, protocols, tmp_path: Path) -> None:
    sid, t0 = infusion_sitting(store, clock, protocols["iv-infusion"])
    path = write_pdf(store.session_record(sid), tmp_path / "infusion.pdf", generated_at=WHEN)
    text = _normalise(" ".join(pdf_pages(path)))
    start, stop = (t0.astimezone().strftime("%H:%M"), (t0 + timedelta(minutes=52)).astimezone().strftime("%H:%M"))
    assert f"Infusion ketamine IV, {start}–{stop}, 52 min (stopped)" in text
    assert "Delivered 30.3 mg" in text
    assert "0.75 mg/kg/h (52.5 mg/h) from" in text and "0.5 mg/kg/h (35 mg/h) from" in text
    assert "Paused" in text
    assert "Weight 70 kg (154 lb)" in text
    assert "Other entries" not in text  # the infusion entries are told in the doses section


def test_the_csv_puts_the_delivered_total_on_the_start_row(store, clock, protocols) -> None:
    sid, _ = infusion_sitting(store, clock, protocols["iv-infusion"])
    found = rows(store.session_record(sid))
    [start] = [r for r in found if r["kind"] == "infusion_start"]
    assert (start["drug"], start["amount_mg"], start["route"], start["lot"]) == (
        "ketamine", "30.3", "intravenous infusion", "SYN-IV7")
    assert [r["summary"] for r in found if r["kind"] == "infusion_change"] == [
        "infusion rate → 0.5 mg/kg/h (35 mg/h)", "infusion paused", "infusion resumed", "infusion stopped"]
    assert store.session_record(sid).facts.total_dose_mg == 40.3


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
