"""Issue 9, "Must show": one sitting with every safety rule acting, and every export of it.

One IV ketamine sitting is recorded through the program's own door to the record
(:class:`kapdesk.session.live.LiveSession`, the object every pane of the session view uses), with
the domain deciding what the panes would decide (the dose gate, the alert board, the discharge
status):

* a PHQ-9 with item 9 = 2 and a GAD-7, taken in the sitting;
* a pre-dose reading of 200/120 that the dose gate lists, and dosing anyway with a reason;
* an IV infusion from T0: a rate change, a pause and a resume, the stop;
* a PRN antiemetic, and an emergence reaction (moderate, resolved) treated with midazolam;
* the critical alerts written as the alert strip writes them, one acknowledged with a reason;
* ending the session with discharge items open, with a reason.

Then the FHIR bundle validates with ``fhir.resources.R4B`` and carries what the issue names; the
PDF (its text extracted by poppler's ``pdftotext``, a reader independent of the Qt writer) names
each of them; the CSV has a row for each new kind. Synthetic data only.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from kapdesk.domain.alerting import ITEM9_ALERT_KEY, ReasonRequired, alert_board
from kapdesk.domain.clock import FakeClock
from kapdesk.domain.discharge import discharge_status, make_discharge_override
from kapdesk.domain.entries import DischargeCheck, Vitals
from kapdesk.domain.infusions import (
    InfusionAction,
    InfusionChange,
    InfusionRate,
    InfusionStart,
    RateUnit,
)
from kapdesk.domain.preparation import (
    MEDICATIONS,
    contraindications_for,
    dose_gate,
    make_override,
    make_preparation,
)
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.rescue import (
    AdverseEventEntry,
    EventType,
    Outcome,
    RescueEntry,
    Severity,
)
from kapdesk.domain.scales import ALDRETE, GAD7, PHQ9, score
from kapdesk.domain.vitals import parse_vitals
from kapdesk.export.csv_export import rows
from kapdesk.export.fhir import build_bundle
from kapdesk.export.pdf_report import write_pdf
from kapdesk.session.live import LiveSession
from kapdesk.store import Store

NURSE = "Nurse Safety (synthetic)"
CLIENT = "SAFE-01 (synthetic client)"
WEIGHT_KG = 70.0
DOSE_REASON = "Synthetic: repeat cuff reading 150/92 after rest; prescriber agreed"
ACK_REASON = "Synthetic: cuff re-sited, prescriber informed"
ITEM9_ACK_REASON = "Synthetic: risk assessment done, safety plan agreed"
DISCHARGE_REASON = "Synthetic: escort waiting in the car park, prescriber reviewed"
PHQ9_ANSWERS = [1, 2, 1, 1, 0, 1, 1, 0, 2]  # item 9 (self-harm) = 2; total 9
GAD7_ANSWERS = [2, 1, 1, 0, 1, 2, 1]  # total 8
LOINC = "http://loinc.org"
WHEN = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Sitting:
    id: uuid.UUID
    t0: datetime
    infusion_id: uuid.UUID
    antiemetic_id: uuid.UUID
    midazolam_id: uuid.UUID
    event_id: uuid.UUID


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M")


def record_sitting(store: Store, clock: FakeClock, protocol: Protocol) -> Sitting:
    """The sitting of the module docstring, entry by entry as the panes record it."""
    nurse = store.add_clinician(NURSE, "nurse")
    client = store.add_client(CLIENT, nurse.id)
    live = LiveSession(store, store.start_session(client.id, nurse.id, protocol).id, nurse.id, clock)
    start = clock.utcnow()

    def at(minutes: float) -> None:  # minutes after arrival; T0 is at +20
        clock.advance((start + timedelta(minutes=minutes) - clock.utcnow()).total_seconds())

    # Preparation: everything answered safely, so the only open items are the reading's.
    screen = contraindications_for(protocol)
    live.record(make_preparation(
        "Synthetic intention: to rest in what comes.",
        {"slept_well": True, "no_stimulants": True, "light_meal": True, "ride_home": True, "consent": True},
        {c.key: False for c in screen}, {m.key: False for m in MEDICATIONS}, WEIGHT_KG,
        screen=screen, self_harm_thoughts=False))
    day = clock.utcnow().date()
    live.add_outcome("phq9", dict(zip(PHQ9.item_keys, PHQ9_ANSWERS)),
                     score(PHQ9, dict(zip(PHQ9.item_keys, PHQ9_ANSWERS))).total, day)
    live.add_outcome("gad7", dict(zip(GAD7.item_keys, GAD7_ANSWERS)),
                     score(GAD7, dict(zip(GAD7.item_keys, GAD7_ANSWERS))).total, day)

    at(12)
    live.record(Vitals(parse_vitals("200/120 88 97 16")))

    # The alert strip writes each new alert into the record; the clinician acknowledges the two
    # critical ones (the crisis reading, PHQ-9 item 9), each only with a reason.
    at(13)
    reading = live.reading()

    def board():
        return alert_board(live.entries(), dose_at=live.info.dose_at, reminder=reading.next_reminder,
                           now=reading.now, outcomes=live.session_outcomes())

    for alert in board().unrecorded:
        live.record(alert.as_entry())
    critical = {a.key: a for a in board().active if a.severity == "critical"}
    assert set(critical) == {"hypertensive_crisis", ITEM9_ALERT_KEY} and all(a.recorded for a in critical.values())
    with pytest.raises(ReasonRequired):
        critical["hypertensive_crisis"].acknowledgement("  ")
    live.record(critical["hypertensive_crisis"].acknowledgement(ACK_REASON))
    live.record(critical[ITEM9_ALERT_KEY].acknowledgement(ITEM9_ACK_REASON))

    # Ctrl+D: the gate lists the reading beyond the do-not-dose bounds; dosing anyway needs the reason.
    at(20)
    items = dose_gate(live.entries(), protocol)
    assert items and all(i.key.startswith("predose_reading.") for i in items), items
    live.record(make_override(items, DOSE_REASON))
    live.mark_dose()
    t0 = clock.utcnow()
    assert live.info.dose_at == t0

    # The infusion: 0.75 mg/kg/h at 70 kg (52.5 mg/h) from T0; 0.5 mg/kg/h at T+20; paused T+30–T+35;
    # stopped at T+45: 17.5 + 5.8 + 5.8 = 29.2 mg delivered.
    infusion = live.record(InfusionStart("ketamine", InfusionRate(0.75, RateUnit.MG_PER_KG_H, WEIGHT_KG), NURSE,
                                         lot="SYN-IV-9"))

    def change(minutes: float, action: InfusionAction, rate: InfusionRate | None = None) -> None:
        at(20 + minutes)
        live.record(InfusionChange(infusion.id, action, rate))

    at(30)
    live.record(Vitals(parse_vitals("150/92 84 97 14")))
    change(20, InfusionAction.RATE, InfusionRate(0.5, RateUnit.MG_PER_KG_H, WEIGHT_KG))
    at(45)
    antiemetic = live.record(RescueEntry("ondansetron", "4 mg", "IV", "nausea (synthetic)", NURSE,
                                         "SYN-ON-2").validate())
    change(30, InfusionAction.PAUSE)
    at(52)
    midazolam = live.record(RescueEntry("midazolam", "1 mg", "IV", "agitation on emergence (synthetic)",
                                        NURSE).validate())
    event = live.record(AdverseEventEntry(EventType.EMERGENCE_REACTION, Severity.MODERATE, Outcome.RESOLVED,
                                          rescue=midazolam.id, note="settled within 10 min (synthetic)").validate())
    change(35, InfusionAction.RESUME)
    change(45, InfusionAction.STOP)
    at(80)
    live.record(Vitals(parse_vitals("134/84 76 98 14")))

    # Discharge at T+90: Aldrete 8 and no escort named; ending anyway needs the reason.
    at(110)
    live.record(score(ALDRETE, {"activity": 1, "respiration": 2, "circulation": 2, "consciousness": 1, "spo2": 2}))
    live.record(DischargeCheck(True, True, True, True, ""))
    status = discharge_status(live.entries(), protocol=protocol, dose_at=live.info.dose_at, now=clock.utcnow())
    assert status.open_items and not status.ready
    live.record(make_discharge_override(status.open_items, DISCHARGE_REASON))
    live.end()
    return Sitting(live.id, t0, infusion.id, antiemetic.id, midazolam.id, event.id)


@pytest.fixture
def sitting(qapp, store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> Sitting:
    return record_sitting(store, clock, protocols["iv-infusion"])



# -- FHIR -----------------------------------------------------------------------------------------

PHQ9_ITEM_LOINC = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
GAD7_ITEM_LOINC = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def _loinc(resource: dict) -> str | None:
    return next((c["code"] for c in resource.get("code", {}).get("coding", []) if c["system"] == LOINC), None)


def test_the_fhir_bundle_validates_and_carries_every_safety_fact(store: Store, sitting: Sitting) -> None:
    bundle = build_bundle(store.session_record(sitting.id), generated_at=WHEN)
    Bundle.model_validate(bundle)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    for resource in by_url.values():
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    references = [ref for resource in by_url.values() for ref in _references(resource)]
    assert references and all(ref in by_url for ref in references if ref.startswith("urn:uuid:"))

    def loinc(code: str) -> list[dict]:
        return [r for r in by_url.values() if r["resourceType"] == "Observation" and _loinc(r) == code]

    (item9,) = loinc("44260-8")
    assert item9["valueInteger"] == 2 and item9["interpretation"][0]["coding"][0]["code"] == "A"
    (phq9,) = loinc("44249-1")
    members = [by_url[m["reference"]] for m in phq9["hasMember"]]
    assert [_loinc(m) for m in members] == [*PHQ9_ITEM_LOINC, "44261-6"]
    assert [m["valueInteger"] for m in members] == [*PHQ9_ANSWERS, sum(PHQ9_ANSWERS)]
    (gad7,) = loinc("69737-5")
    members = [by_url[m["reference"]] for m in gad7["hasMember"]]
    assert [_loinc(m) for m in members] == [*GAD7_ITEM_LOINC, "70274-6"]
    assert members[-1]["valueInteger"] == sum(GAD7_ANSWERS)

    infusion = by_url[f"urn:uuid:{sitting.infusion_id}"]
    assert infusion["resourceType"] == "MedicationAdministration"
    assert infusion["effectivePeriod"] == {"start": _iso(sitting.t0), "end": _iso(sitting.t0 + timedelta(minutes=45))}
    assert infusion["dosage"]["rateQuantity"]["value"] == 52.5 and infusion["dosage"]["rateQuantity"]["code"] == "mg/h"
    assert infusion["dosage"]["dose"]["value"] == 29.2  # 17.5 + 5.8 + 5.8 (paused five minutes)
    assert f"Paused {_iso(sitting.t0 + timedelta(minutes=30))} to {_iso(sitting.t0 + timedelta(minutes=35))}" in [
        n["text"] for n in infusion["note"]]

    antiemetic = by_url[f"urn:uuid:{sitting.antiemetic_id}"]
    assert antiemetic["resourceType"] == "MedicationAdministration"
    assert antiemetic["category"]["coding"][0]["code"] == "prn-rescue"
    assert antiemetic["medicationCodeableConcept"]["text"] == "ondansetron"
    assert antiemetic["dosage"]["dose"]["value"] == 4 and antiemetic["reasonCode"] == [{"text": "nausea (synthetic)"}]

    event = by_url[f"urn:uuid:{sitting.event_id}"]
    assert event["resourceType"] == "AdverseEvent" and event["event"]["text"] == "emergence reaction"
    assert (event["severity"]["text"], event["outcome"]["coding"][0]["code"]) == ("moderate", "resolved")
    assert event["seriousness"]["coding"][0]["code"] == "Non-serious"
    treated = {x["url"]: x for x in event["extension"]}["urn:kapdesk:fhir:adverse-event-treated-with"]
    assert treated["valueReference"]["reference"] == f"urn:uuid:{sitting.midazolam_id}"
    # The infusion running when it happened is its suspect (no causality claimed).
    assert event["suspectEntity"] == [{"instance": {"reference": f"urn:uuid:{sitting.infusion_id}"}}]


def _references(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- PDF ------------------------------------------------------------------------------------------


def pdftotext(path: Path) -> str:
    """The PDF's text as poppler reads it, whitespace folded and ligatures (ﬀ) undone (NFKC)."""
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: poppler-utils is installed by tools/system-libs.sh (make test)"
    out = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, timeout=60)
    return _fold(out.stdout.decode("utf-8"))


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_the_pdf_names_item9_the_overrides_the_infusion_the_event_and_the_acknowledgement(
        store: Store, sitting: Sitting, tmp_path: Path) -> None:
    path = write_pdf(store.session_record(sitting.id), tmp_path / "safety.pdf", generated_at=WHEN, tz=UTC)
    text = pdftotext(path)
    t0 = sitting.t0

    assert "PHQ-9 item 9 = 2 on 2026-01-05" in text and "suicide-risk assessment" in text
    assert "PHQ-9 9 (mild) · ⚑ item 9 = 2" in text and "GAD-7 8 (mild)" in text
    assert _fold(f"dosed despite open items: Pre-dose reading {_hhmm(t0 - timedelta(minutes=8))}: Hypertensive crisis: "
                 f"BP 200/120 is above 180/120 (ACC/AHA 2017). Reason: {DOSE_REASON}") in text
    assert _fold(f"with open items: Modified Aldrete 8 at {_hhmm(t0 + timedelta(minutes=90))} (≥ 9 needed); "
                 f"Escort home not named. Reason: {DISCHARGE_REASON}") in text
    stop = t0 + timedelta(minutes=45)
    assert f"Infusion ketamine IV, {_hhmm(t0)}–{_hhmm(stop)}, 45 min (stopped)" in text
    assert "Delivered 29.2 mg" in text
    assert f"Paused {_hhmm(t0 + timedelta(minutes=30))}–{_hhmm(t0 + timedelta(minutes=35))}" in text
    rescue = text[text.index("Rescue medication and adverse events"):text.index("Discharge check")]
    for words in ("ondansetron", "antiemetic", "nausea (synthetic)", "midazolam", "emergence reaction", "moderate",
                  "resolved"):
        assert words in rescue, words
    alerts = text[text.index("Alerts Time"):text.index("Rescue medication and adverse events")]
    assert _fold(f"CRITICAL Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017) "
                 f"{_hhmm(t0 - timedelta(minutes=7))} by {NURSE}: {ACK_REASON}") in alerts
    assert ITEM9_ACK_REASON in alerts


# -- CSV ------------------------------------------------------------------------------------------


def test_the_csv_has_a_row_for_each_new_kind(store: Store, sitting: Sitting) -> None:
    found = rows(store.session_record(sitting.id))
    kinds = [r["kind"] for r in found]
    for kind in ("preparation", "alert", "alert_ack", "safety_override", "infusion_start", "infusion_change",
                 "rescue_medication", "adverse_event", "discharge_check", "scale"):
        assert kind in kinds, kind
    assert kinds.count("infusion_change") == 4 and kinds.count("rescue_medication") == 2
    # The two overrides (their reasons in the summary; the gate in payload_json, as stored).
    overrides = [r for r in found if r["kind"] == "safety_override"]
    assert [(DOSE_REASON in r["summary"], DISCHARGE_REASON in r["summary"]) for r in overrides] == [
        (True, False), (False, True)]
    assert ['"gate":"discharge"' in r["payload_json"] for r in overrides] == [False, True]
    assert any(ACK_REASON in r["summary"] for r in found if r["kind"] == "alert_ack")
    (start,) = [r for r in found if r["kind"] == "infusion_start"]
    assert (start["drug"], start["amount_mg"], start["lot"]) == ("ketamine", "29.2", "SYN-IV-9")
    (event,) = [r for r in found if r["kind"] == "adverse_event"]
    assert (event["event"], event["severity"], event["outcome"], event["serious"]) == (
        "emergence reaction", "moderate", "resolved", "false")
    antiemetic = next(r for r in found if r["entry_id"] == str(sitting.antiemetic_id))
    assert (antiemetic["drug"], antiemetic["amount"], antiemetic["unit"], antiemetic["reason"]) == (
        "ondansetron", "4", "mg", "nausea (synthetic)")


# -- REMS: the serious adverse events the record holds, beside the clinician's answer --------------


def test_the_rems_form_shows_recorded_serious_events_beside_the_clinicians_answer(
        qapp, store: Store, clock: FakeClock, protocols: dict[str, Protocol], tmp_path: Path) -> None:
    from test_export_csv import NURSE as CSV_NURSE
    from test_export_csv import build_sitting

    sid = build_sitting(store, clock, protocols["esketamine"], end=False)  # answers "none (synthetic)"
    nurse = next(c for c in store.clinicians() if c.name == CSV_NURSE)
    dose_at = store.session(sid).dose_at
    store.add_entry(sid, AdverseEventEntry(EventType.VOMITING_ASPIRATION, Severity.MILD, Outcome.RESOLVED).validate(),
                    nurse.id, occurred_at=dose_at + timedelta(minutes=30))  # not serious: not listed
    store.add_entry(sid, AdverseEventEntry(EventType.LARYNGOSPASM, Severity.LIFE_THREATENING,
                                           Outcome.RESOLVED).validate(), nurse.id,
                    occurred_at=dose_at + timedelta(minutes=56))
    store.end_session(sid, nurse.id)

    text = pdftotext(write_pdf(store.session_record(sid), tmp_path / "rems.pdf", generated_at=WHEN, tz=UTC))
    row = text[text.index("Serious adverse events"):text.index("Ready to leave without")]
    assert "none (synthetic)" in row  # the clinician's answer stays
    assert (f"Recorded in this session as serious: laryngospasm (life-threatening, resolved) at "
            f"{_hhmm(dose_at + timedelta(minutes=56))} T+56") in row
    assert "vomiting" not in row


def test_the_rems_form_says_when_the_record_holds_no_serious_event(
        qapp, store: Store, clock: FakeClock, protocols: dict[str, Protocol], tmp_path: Path) -> None:
    from test_export_csv import build_sitting

    sid = build_sitting(store, clock, protocols["esketamine"])
    text = pdftotext(write_pdf(store.session_record(sid), tmp_path / "rems.pdf", generated_at=WHEN, tz=UTC))
    row = text[text.index("Serious adverse events"):text.index("Ready to leave without")]
    assert "none (synthetic)" in row and "Recorded in this session: no serious adverse event" in row
