"""The session as a FHIR R4 Bundle (JSON), for a clinic's electronic record.

A ``collection`` Bundle, not a ``document``: it carries the session's data for another system to
file, not one attested clinical document (the signed integration note inside it is attested,
as a DocumentReference with its signer). Resource by resource (the full table with codes and
units is in ``docs/export-formats.md``):

* **Patient** — pseudonymous: the KAPDesk client id (``urn:uuid:…``) and the client's label as
  identifiers, no name, ``birthDate`` if the clinic recorded one, security label ``PSEUDED``.
* **Practitioner** — one per clinician who started the session, recorded, gave a dose or signed.
* **Encounter** — the sitting: class ``AMB``, status ``finished`` or ``in-progress``, period from
  arrival to end, the protocol's name as type.
* **Observation** (category ``vital-signs``) — one per measured value of each ``vitals`` entry,
  LOINC-coded with UCUM units; blood pressure as the panel 85354-9 with components.
* **MedicationAdministration** — one per ``dose``; dose in UCUM ``mg``, route as text with its
  SNOMED CT code, lot number and booster/per-kg details as notes. One per IV infusion too, with
  ``effectivePeriod`` (start, and end once stopped or its planned total is in), ``dosage.rateQuantity``
  (the starting rate in ``mg/h``), the delivered total (``domain/infusions.py``) as ``dosage.dose``,
  and the rate changes and pauses as notes.
* **Observation** (category ``survey``) — one per ``scale`` entry (the in-session scales have no
  LOINC code we could verify, so they use KAPDesk's local code system ``urn:kapdesk:scale``).
* **Observation** panels (category ``survey``) — each PHQ-9 and GAD-7 of the session, as LOINC
  lays them out (``QUESTIONNAIRE_LOINC``): the panel (PHQ-9 44249-1, GAD-7 69737-5) with no value
  of its own, whose ``hasMember`` references one Observation per *answered* item (PHQ-9 item 9 is
  44260-8) and the total score as its own Observation (44261-6, 70274-6), as the US Core PHQ-9
  example does. A PHQ-9 item 9 above 0 is interpreted ``A`` with a note on the item and the panel.
* **Observation** (category ``exam``) — one per in-session ``observation`` (client quotes marked).
* **MedicationAdministration** (category PRN rescue) — one per ``rescue_medication``: the
  reason as ``reasonCode``, oxygen as ``dosage.rateQuantity`` in ``L/min`` with its device as
  ``dosage.method``, ``supportingInformation`` naming the adverse event it treated.
* **AdverseEvent** — one per current ``adverse_event``: ``actuality`` actual, the event, its
  ``severity`` (life-threatening as severe), ``seriousness`` and ``outcome`` (HL7 code systems),
  the session's doses given and IV infusions started before it as ``suspectEntity`` (no
  causality is claimed), the rescue medication that treated it and the note as KAPDesk
  extensions. R4 AdverseEvent has no status, so a superseded version is not exported (the CSV and
  the PDF keep it); a correction says so.
* **DocumentReference** — the integration note as base64 ``text/plain``: ``docStatus`` ``final``
  when signed, ``preliminary`` (a DRAFT) otherwise; each addendum is its own DocumentReference that
  ``appends`` to the note.

Corrections stay visible: the superseded version of a reading is exported with status
``entered-in-error`` (so a system that keeps only valid data never uses the wrong value) and a
note naming its correction; the correction has status ``amended`` and a note naming the entry it
replaces and why. Entry kinds with no FHIR home here (music, presence, phases, alerts, preparation,
REMS answers) are in the CSV and the PDF. Every resource is tied to KAPDesk's entry by an
identifier ``urn:uuid:<entry id>``; fullUrls are ``urn:uuid:`` and references use them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kapdesk.domain.doses import Dose
from kapdesk.domain.infusions import InfusionPeriod
from kapdesk.domain.notes import SECTIONS
from kapdesk.domain.scales import SCALES, ScaleResult
from kapdesk.domain.suicidality import ITEM9_ADVICE, ITEM9_KEY, item9_answer
from kapdesk.export import draft_reason, utc_iso
from kapdesk.domain.entries import EntryInfo, Vitals, of_type
from kapdesk.domain.info import AddendumInfo, NoteInfo, OutcomeInfo, SessionRecord
from kapdesk.domain.observations import Observation
from kapdesk.domain.rescue import AdverseEvent, Outcome, RescueMedication, Severity, linked_rescue

__all__ = [
    "BP_COMPONENTS",
    "BP_PANEL",
    "LOINC",
    "QUESTIONNAIRE_LOINC",
    "QuestionnaireCodes",
    "UCUM",
    "VITAL_CODES",
    "VitalCode",
    "build_bundle",
    "note_text",
    "write_fhir",
]

Json = dict[str, Any]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SECURITY_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
URI = "urn:ietf:rfc:3986"  # identifier system for a value that is itself a URI (urn:uuid:…)
# KAPDesk's own codes where no standard code could be verified; a receiving system maps them.
LOCAL_SCALE = "urn:kapdesk:scale"
LOCAL_EXPORT = "urn:kapdesk:export"

# Stable ids for resources derived from one entry (a reading's several Observations).
_NAMESPACE = uuid.UUID("6f1d5c0e-0b7a-4c55-9f59-1c6a3f0d8e21")


@dataclass(frozen=True)
class VitalCode:
    """How one vital sign of a reading is coded: LOINC codings first to last, UCUM unit."""

    key: str  # the VitalsReading field
    codings: tuple[tuple[str, str], ...]  # (LOINC code, display)
    text: str
    unit: str  # for people
    ucum: str  # for machines


VITAL_CODES: Mapping[str, VitalCode] = {
    "heart_rate": VitalCode("heart_rate", (("8867-4", "Heart rate"),), "Heart rate", "beats/minute", "/min"),
    "spo2": VitalCode(
        "spo2",
        (("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"), ("2708-6", "Oxygen saturation in Arterial blood")),
        "Oxygen saturation (pulse oximetry)", "%", "%",
    ),
    "resp_rate": VitalCode("resp_rate", (("9279-1", "Respiratory rate"),), "Respiratory rate", "breaths/minute", "/min"),
    "temperature_c": VitalCode("temperature_c", (("8310-5", "Body temperature"),), "Body temperature", "°C", "Cel"),
}
BP_PANEL: tuple[str, str] = ("85354-9", "Blood pressure panel with all children optional")
BP_COMPONENTS: Mapping[str, tuple[str, str]] = {
    "systolic": ("8480-6", "Systolic blood pressure"),
    "diastolic": ("8462-4", "Diastolic blood pressure"),
}
# LOINC total-score codes for the outcome measures (verified); in-session scales have none here.
SCALE_LOINC: Mapping[str, tuple[str, str]] = {
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}


@dataclass(frozen=True)
class QuestionnaireCodes:
    """LOINC for a questionnaire exported as a panel: the panel, each item by the scale's item key
    (:mod:`kapdesk.domain.scales`), and the total score."""

    panel: tuple[str, str]  # (LOINC code, display)
    items: Mapping[str, str]  # item key -> LOINC code (the item's text is KAPDesk's paraphrase)
    total: tuple[str, str]


# The LOINC codes of product.md ("Safety rules"), once; a test checks every item of both scales has one.
QUESTIONNAIRE_LOINC: Mapping[str, QuestionnaireCodes] = {
    "phq9": QuestionnaireCodes(
        ("44249-1", "PHQ-9 quick depression assessment panel [Reported.PHQ]"),
        {"interest": "44250-9", "mood": "44255-8", "sleep": "44259-0", "energy": "44254-1", "appetite": "44251-7",
         "self_worth": "44258-2", "concentration": "44252-5", "psychomotor": "44253-3", "self_harm": "44260-8"},
        SCALE_LOINC["phq9"],
    ),
    "gad7": QuestionnaireCodes(
        ("69737-5", "Generalized anxiety disorder 7 item (GAD-7)"),
        {"nervous": "69725-0", "control_worry": "68509-9", "worry": "69733-4", "relaxing": "69734-2",
         "restless": "69735-9", "irritable": "69689-8", "afraid": "69736-7"},
        SCALE_LOINC["gad7"],
    ),
}
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# RxNorm ingredient for ketamine. Esketamine is exported as text only: its RxNorm ingredient code
# could not be verified offline, and a wrong drug code is worse than none.
DRUG_RXNORM: Mapping[str, tuple[str, str]] = {"ketamine": ("6130", "ketamine")}
ROUTE_SNOMED: Mapping[str, tuple[str, str]] = {
    "sublingual": ("37839007", "Sublingual route"),
    "intramuscular": ("78421000", "Intramuscular route"),
    "intravenous infusion": ("47625008", "Intravenous route"),
    "intranasal": ("46713006", "Nasal route"),
}

# Rescue medication and adverse events. HL7 code systems for AdverseEvent (R4): severity,
# seriousness and outcome. The PRN category, the event list and the two extensions are KAPDesk's own.
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
AE_OUTCOME: Mapping[Outcome, tuple[str, str]] = {
    Outcome.RESOLVED: ("resolved", "Resolved"),
    Outcome.RESOLVING: ("recovering", "Recovering"),
    Outcome.NOT_RESOLVED: ("ongoing", "Ongoing"),
    Outcome.TRANSFERRED: ("ongoing", "Ongoing"),  # handed on to further care, not yet resolved
}
LOCAL_MEDICATION_CATEGORY = "urn:kapdesk:medication-category"
LOCAL_ADVERSE_EVENT = "urn:kapdesk:adverse-event"
EXT_TREATED_WITH = "urn:kapdesk:fhir:adverse-event-treated-with"
EXT_NOTE = "urn:kapdesk:fhir:adverse-event-note"
PRN_RESCUE = "PRN rescue medication"
RESCUE_ROUTE_SNOMED: Mapping[str, tuple[str, str]] = {
    "oral": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
    "intravenous": ("47625008", "Intravenous route"),
    "intramuscular": ("78421000", "Intramuscular route"),
    "intranasal": ("46713006", "Nasal route"),
    "subcutaneous": ("34206005", "Subcutaneous route"),
    "inhaled": ("447694001", "Respiratory tract route"),
}


def build_bundle(record: SessionRecord, *, generated_at: datetime | None = None) -> Json:
    """The session as a FHIR R4 ``collection`` Bundle: a plain JSON-able dict.

    Pure: reads ``record`` only. ``generated_at`` (default: now) becomes ``Bundle.timestamp``;
    the Bundle id is derived from the session and that time, every other id from the record, so
    exporting the same record at the same moment gives the same bytes. A DRAFT export (note not
    signed, or session in progress) carries a ``meta.tag`` saying so.
    """
    generated_at = generated_at or datetime.now(timezone.utc)
    return _BundleBuilder(record).build(generated_at)


def write_fhir(record: SessionRecord, path: Path | str, *, generated_at: datetime | None = None) -> Path:
    """Write :func:`build_bundle` as UTF-8 JSON (indented, non-ASCII kept) and return the path."""
    path = Path(path)
    text = json.dumps(build_bundle(record, generated_at=generated_at), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------


def _ref(resource_id: uuid.UUID) -> Json:
    return {"reference": f"urn:uuid:{resource_id}"}


def _coding(system: str, code: str, display: str | None = None) -> Json:
    return _prune({"system": system, "code": code, "display": display})


def _quantity(value: float, unit: str, ucum: str) -> Json:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


def _entry_identifier(entry_id: uuid.UUID) -> list[Json]:
    return [{"system": URI, "value": f"urn:uuid:{entry_id}", "type": {"text": "KAPDesk entry id"}}]


def _prune(value: Any) -> Any:
    """Drop None, empty strings, lists and dicts: FHIR forbids empty elements."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_prune(item) for item in value) if v not in (None, "", [], {})]
    return value


def _category(code: str, display: str) -> list[Json]:
    return [{"coding": [_coding(OBSERVATION_CATEGORY, code, display)], "text": display}]


class _BundleBuilder:
    """One pass over a record; collects resources in reading order (people, visit, data, notes)."""

    def __init__(self, record: SessionRecord) -> None:
        self.record = record
        self.info = record.info
        self.patient_id = record.client.id
        self.encounter_id = record.info.id
        self.by_id: dict[uuid.UUID, EntryInfo] = {e.id: e for e in record.entries}
        self.practitioners: dict[uuid.UUID, str] = {}  # id -> name, in order of appearance
        self.ids_by_name: dict[str, uuid.UUID] = {}
        self._practitioner(self.info.clinician_id, self.info.clinician_name)
        for entry in record.entries:
            self._practitioner(entry.author_id, entry.author_name)

    # -- people --------------------------------------------------------------------------------
    def _practitioner(self, practitioner_id: uuid.UUID, name: str) -> uuid.UUID:
        self.practitioners.setdefault(practitioner_id, name)
        self.ids_by_name.setdefault(name, practitioner_id)
        return practitioner_id

    def practitioner_named(self, name: str) -> uuid.UUID:
        """The clinician of that name; a name KAPDesk holds no id for gets a stable derived one."""
        known = self.ids_by_name.get(name)
        if known is not None:
            return known
        return self._practitioner(uuid.uuid5(_NAMESPACE, f"practitioner:{name}"), name)

    # -- the bundle ----------------------------------------------------------------------------
    def build(self, generated_at: datetime) -> Json:
        entries = self.record.entries
        resources: list[Json] = [obs for e, v in of_type(entries, Vitals, current=False) for obs in self.vitals(e, v)]
        resources += [self.dose(e, d) for e, d in of_type(entries, Dose, current=False)]
        resources += [self.infusion(p) for p in self.record.facts.infusions]
        resources += [self.scale(e, r) for e, r in of_type(entries, ScaleResult, current=False)]
        resources += [r for o in self.record.outcomes for r in self.outcome_resources(o)]
        resources += [self.observation(e, o) for e, o in of_type(entries, Observation, current=False)]
        resources += self.rescue_resources(resources)
        notes = self.documents()
        # People and the visit first, though built last: doses and notes may name new practitioners.
        head = [self.patient(), *[self.practitioner(pid, name) for pid, name in self.practitioners.items()],
                self.encounter()]
        bundle: Json = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid5(_NAMESPACE, f"bundle:{self.info.id}:{utc_iso(generated_at)}")),
            "type": "collection",
            "timestamp": utc_iso(generated_at),
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in [*head, *resources, *notes]],
        }
        reason = draft_reason(self.record)
        if reason:
            bundle["meta"] = {"tag": [_coding(LOCAL_EXPORT, "draft", f"DRAFT: {reason}")]}
        return _prune(bundle)

    def patient(self) -> Json:
        client = self.record.client
        return {
            "resourceType": "Patient",
            "id": str(client.id),
            "meta": {"security": [_coding(SECURITY_VALUE, "PSEUDED", "pseudonymized")]},
            "identifier": [
                {"use": "official", "system": URI, "value": f"urn:uuid:{client.id}", "type": {"text": "KAPDesk client id"}},
                {"use": "usual", "value": client.label, "type": {"text": "KAPDesk client label (pseudonym)"}},
            ],
            "birthDate": client.date_of_birth.isoformat() if client.date_of_birth else None,
        }

    def practitioner(self, practitioner_id: uuid.UUID, name: str) -> Json:
        return {"resourceType": "Practitioner", "id": str(practitioner_id),
                "identifier": [{"system": URI, "value": f"urn:uuid:{practitioner_id}",
                                "type": {"text": "KAPDesk clinician id"}}],
                "name": [{"text": name}]}

    def encounter(self) -> Json:
        info = self.info
        ids = [info.clinician_id, *[pid for pid in self.practitioners if pid != info.clinician_id]]
        return {
            "resourceType": "Encounter",
            "id": str(info.id),
            "identifier": [{"system": URI, "value": f"urn:uuid:{info.id}", "type": {"text": "KAPDesk session id"}}],
            "status": "finished" if info.ended_at else "in-progress",
            "class": _coding(ACT_CODE, "AMB", "ambulatory"),
            "type": [{"text": info.protocol.name}],
            "serviceType": {"text": "Ketamine-assisted psychotherapy dosing session"},
            "subject": _ref(self.patient_id),
            "participant": [{"individual": _ref(pid)} for pid in ids],
            "period": {"start": utc_iso(info.arrival_at), "end": utc_iso(info.ended_at) if info.ended_at else None},
        }

    # -- entries -------------------------------------------------------------------------------
    def _common(self, entry: EntryInfo, resource_id: uuid.UUID) -> Json:
        """What every Observation from an entry shares: status, subject, times, author, corrections."""
        return {
            "resourceType": "Observation",
            "id": str(resource_id),
            "identifier": _entry_identifier(entry.id),
            "status": self._status(entry),
            "subject": _ref(self.patient_id),
            "encounter": _ref(self.encounter_id),
            "effectiveDateTime": utc_iso(entry.occurred_at),
            "issued": utc_iso(entry.recorded_at),
            "performer": [_ref(entry.author_id)],
            "note": self._correction_notes(entry),
        }

    @staticmethod
    def _status(entry: EntryInfo) -> str:
        if not entry.current:
            return "entered-in-error"
        return "amended" if entry.supersedes_id is not None else "final"

    def _correction_notes(self, entry: EntryInfo) -> list[Json]:
        notes: list[Json] = []
        if entry.superseded_by is not None:
            newer = self.by_id.get(entry.superseded_by)
            when = f" at {utc_iso(newer.recorded_at)} by {newer.author_name}" if newer else ""
            reason = f": {newer.note}" if newer and newer.note else ""
            notes.append({"text": f"Superseded by KAPDesk entry {entry.superseded_by}{when}{reason}. "
                                  "This version was corrected; do not use its values."})
        if entry.supersedes_id is not None:
            reason = f": {entry.note}" if entry.note else ""
            notes.append({"text": f"Correction of KAPDesk entry {entry.supersedes_id}{reason}.",
                          "time": utc_iso(entry.recorded_at), "authorReference": _ref(entry.author_id)})
        return notes

    def vitals(self, entry: EntryInfo, vitals: Vitals) -> list[Json]:
        reading = vitals.reading
        out: list[Json] = []
        base = self.record.facts.baseline
        # The sitting's one baseline (domain/record.py), named when the clinician's flag made it:
        # every pre-dose reading is saved flagged, and only the one rises are measured from is it.
        is_baseline = base is not None and base.flagged and base.entry_id == entry.id
        baseline = [{"text": "Baseline (pre-dose) reading"}] if is_baseline else []
        if reading.systolic is not None:
            obs = self._common(entry, uuid.uuid5(entry.id, "85354-9"))
            components = []
            for key, (code, display) in BP_COMPONENTS.items():
                component: Json = {"code": {"coding": [_coding(LOINC, code, display)], "text": display}}
                value = getattr(reading, key)
                if value is None:  # a palpated BP has no diastolic
                    component["dataAbsentReason"] = {"coding": [_coding(DATA_ABSENT, "not-performed", "Not Performed")]}
                else:
                    component["valueQuantity"] = _quantity(value, "mmHg", "mm[Hg]")
                components.append(component)
            obs |= {"category": _category("vital-signs", "Vital Signs"),
                    "code": {"coding": [_coding(LOINC, *BP_PANEL)], "text": "Blood pressure"},
                    "component": components}
            obs["note"] = baseline + obs["note"]
            out.append(obs)
        for key, vital in VITAL_CODES.items():
            value = getattr(reading, key)
            if value is None:
                continue
            obs = self._common(entry, uuid.uuid5(entry.id, vital.codings[0][0]))
            obs |= {"category": _category("vital-signs", "Vital Signs"),
                    "code": {"coding": [_coding(LOINC, c, d) for c, d in vital.codings], "text": vital.text},
                    "valueQuantity": _quantity(value, vital.unit, vital.ucum)}
            obs["note"] = baseline + obs["note"]
            out.append(obs)
        return out

    def dose(self, entry: EntryInfo, dose: Dose) -> Json:
        drug = dose.drug
        route = dose.route.value
        notes = [{"text": text} for text in self._dose_notes(dose)] + self._correction_notes(entry)
        given_by = dose.given_by.strip()
        performer = self.practitioner_named(given_by) if given_by else entry.author_id
        rxnorm = DRUG_RXNORM.get(drug.casefold())
        snomed = ROUTE_SNOMED.get(route)
        amount = dose.amount_mg
        return {
            "resourceType": "MedicationAdministration",
            "id": str(entry.id),
            "identifier": _entry_identifier(entry.id),
            "status": "entered-in-error" if not entry.current else "completed",
            "medicationCodeableConcept": {"coding": [_coding(RXNORM, *rxnorm)] if rxnorm else [], "text": drug},
            "subject": _ref(self.patient_id),
            "context": _ref(self.encounter_id),
            "effectiveDateTime": utc_iso(entry.occurred_at),
            "performer": [{"actor": _ref(performer)}],
            "note": notes,
            "dosage": {
                "text": dose.format(),
                "route": {"coding": [_coding(SNOMED, *snomed)] if snomed else [], "text": route},
                "dose": _quantity(amount, "mg", "mg") if isinstance(amount, (int, float)) else None,
            },
        }

    def infusion(self, period: InfusionPeriod) -> Json:
        """An IV infusion: one MedicationAdministration over its period (see the module docstring)."""
        entry, start = period.entry, period.start
        given_by = start.given_by.strip()
        performer = self.practitioner_named(given_by) if given_by else entry.author_id
        rxnorm = DRUG_RXNORM.get(start.drug.casefold())
        snomed = ROUTE_SNOMED.get(start.route.value)
        running = period.open and self.info.ended_at is None
        end = None if running else period.end
        notes = [f"IV infusion, {period.status()}" + ("" if period.ended_at or running else
                                                      ": not stopped in the record; counted to its last entry")]
        if start.planned_mg is not None:
            notes.append(f"Planned: {start.plan_text()}")
        notes += [f"Rate {rate.format()} from {utc_iso(at)}" for at, rate in period.rates]
        notes += [f"Paused {utc_iso(a)} to {utc_iso(b) if b else 'end'}" for a, b in period.pauses]
        if start.lot:
            notes.append(f"Lot number: {start.lot}")
        notes += [f"Confirmed at entry: {q}" for q in start.confirmed]
        notes.append(f"Delivered {period.delivered_mg:g} mg (rate x time, computed by KAPDesk)")
        first_rate = period.rates[0][1]
        return {
            "resourceType": "MedicationAdministration",
            "id": str(entry.id),
            "identifier": _entry_identifier(entry.id),
            "status": "in-progress" if running else "completed",
            "medicationCodeableConcept": {"coding": [_coding(RXNORM, *rxnorm)] if rxnorm else [], "text": start.drug},
            "subject": _ref(self.patient_id),
            "context": _ref(self.encounter_id),
            "effectivePeriod": {"start": utc_iso(period.started_at), "end": utc_iso(end) if end else None},
            "performer": [{"actor": _ref(performer)}],
            "note": [{"text": text} for text in notes],
            "dosage": {
                "text": f"{start.drug} IV infusion {start.plan_text()}",
                "route": {"coding": [_coding(SNOMED, *snomed)] if snomed else [], "text": start.route.value},
                "dose": _quantity(period.delivered_mg, "mg", "mg"),
                "rateQuantity": _quantity(round(first_rate.mg_per_h, 3), "mg/h", "mg/h"),
            },
        }

    @staticmethod
    def _dose_notes(dose: Dose) -> list[str]:
        notes = []
        if dose.lot:
            notes.append(f"Lot number: {dose.lot}")
        if dose.booster:
            notes.append("Booster dose")
        if dose.mg_per_kg is not None and dose.weight_kg is not None:
            notes.append(f"Dosed at {dose.mg_per_kg} mg/kg for {dose.weight_kg} kg")
        notes += [f"Warning at entry: {w}" for w in dose.warnings]
        notes += [f"Confirmed at entry: {q}" for q in dose.confirmed]
        return notes

    def scale(self, entry: EntryInfo, result: ScaleResult) -> Json:
        obs = self._common(entry, entry.id)
        obs |= self._scale_body(result.scale_key, dict(result.answers), result.total, result.band, result.complete)
        obs["note"] = [{"text": flag} for flag in result.flags] + obs["note"]
        return obs

    def outcome(self, outcome: OutcomeInfo) -> Json:
        return {
            "resourceType": "Observation",
            "id": str(outcome.id),
            "identifier": _entry_identifier(outcome.id),
            "status": "final",
            "subject": _ref(self.patient_id),
            "encounter": _ref(self.encounter_id) if outcome.session_id == self.info.id else None,
            "effectiveDateTime": outcome.taken_on.isoformat(),
            "performer": [_ref(self.practitioner_named(outcome.author))],
            **self._scale_body(outcome.measure, outcome.answers, outcome.total, None, True),
        }

    def outcome_resources(self, outcome: OutcomeInfo) -> list[Json]:
        """A PHQ-9 or GAD-7 as its LOINC panel, its answered items and its total; any other measure
        as one Observation (:meth:`outcome`)."""
        key = "".join(ch for ch in outcome.measure.casefold() if ch.isalnum())
        codes = QUESTIONNAIRE_LOINC.get(key)
        if codes is None:
            return [self.outcome(outcome)]
        definition = SCALES[key]
        common: Json = {
            "resourceType": "Observation",
            "identifier": _entry_identifier(outcome.id),
            "status": "final",
            "category": _category("survey", "Survey"),
            "subject": _ref(self.patient_id),
            "encounter": _ref(self.encounter_id) if outcome.session_id == self.info.id else None,
            "effectiveDateTime": outcome.taken_on.isoformat(),
            "performer": [_ref(self.practitioner_named(outcome.author))],
        }
        flag = item9_answer(outcome)
        flag_note = ([{"text": f"{flag.describe()}: thoughts of death or self-harm endorsed; calls for {ITEM9_ADVICE}."}]
                     if flag is not None and flag.positive else [])
        items: list[Json] = []
        for item in definition.items:
            value = outcome.answers.get(item.key)
            if isinstance(value, bool) or not isinstance(value, int):
                continue  # only answered items get an Observation
            obs = common | {
                "id": str(uuid.uuid5(outcome.id, f"{key}.{item.key}")),
                "code": {"coding": [_coding(LOINC, codes.items[item.key]), _coding(LOCAL_SCALE, f"{key}.{item.key}", item.label)],
                         "text": item.label},
                "valueInteger": value,
            }
            if flag_note and item.key == ITEM9_KEY:  # the positive item 9 (domain/suicidality.py says which)
                obs["interpretation"] = [{"coding": [_coding(INTERPRETATION, "A", "Abnormal")], "text": "Positive"}]
                obs["note"] = flag_note
            items.append(obs)
        complete = len(items) == len(definition.items)
        total: Json = common | {
            "id": str(uuid.uuid5(outcome.id, codes.total[0])),
            "code": {"coding": [_coding(LOINC, *codes.total), _coding(LOCAL_SCALE, f"{key}.total", f"{definition.name} total")],
                     "text": f"{definition.name} total score"},
        }
        if complete or not items:  # a total kept without its items is still the total recorded
            total["valueInteger"] = int(outcome.total)
            band = definition.band_for(int(outcome.total))
            if band:
                total["interpretation"] = [{"text": band}]
        else:
            total["dataAbsentReason"] = {"coding": [_coding(DATA_ABSENT, "unknown", "Unknown")],
                                         "text": f"incomplete: {len(items)} of {len(definition.items)} items answered"}
        panel: Json = common | {
            "id": str(outcome.id),
            "code": {"coding": [_coding(LOINC, *codes.panel), _coding(LOCAL_SCALE, key, definition.name)],
                     "text": definition.name},
            "hasMember": [_ref(uuid.UUID(member["id"])) for member in (*items, total)],
            "note": flag_note,
        }
        extra = [k for k in outcome.answers if k not in definition.item_keys]  # a key this build does not know: kept
        if extra:
            panel["component"] = [{"code": {"coding": [_coding(LOCAL_SCALE, f"{key}.{k}", k)], "text": k},
                                   **({"valueInteger": outcome.answers[k]} if isinstance(outcome.answers[k], int)
                                      and not isinstance(outcome.answers[k], bool)
                                      else {"valueString": str(outcome.answers[k])})} for k in extra]
        return [panel, *items, total]

    def _scale_body(self, key: str, answers: Mapping[str, Any], total: Any, band: Any, complete: bool) -> Json:
        definition = SCALES.get(key)
        name = definition.name if definition else key
        coding = [_coding(LOINC, *SCALE_LOINC[key])] if key in SCALE_LOINC else []
        coding.append(_coding(LOCAL_SCALE, key, name))
        components = []
        for item_key, value in answers.items():
            label = item_key
            if definition is not None and item_key in definition.item_keys:
                label = definition.item(item_key).label
            components.append({"code": {"coding": [_coding(LOCAL_SCALE, f"{key}.{item_key}", label)], "text": label},
                               **({"valueInteger": value} if isinstance(value, int) and not isinstance(value, bool)
                                  else {"dataAbsentReason": {"coding": [_coding(DATA_ABSENT, "unknown", "Unknown")]}})})
        body: Json = {"category": _category("survey", "Survey"), "code": {"coding": coding, "text": name},
                      "component": components}
        totalled = definition.totalled if definition is not None else True
        if isinstance(total, int) and not isinstance(total, bool):
            body["valueInteger"] = total
        elif totalled:
            why = "incomplete: not every item was answered" if not complete else "no total"
            body["dataAbsentReason"] = {"coding": [_coding(DATA_ABSENT, "unknown", "Unknown")], "text": why}
        if band:
            body["interpretation"] = [{"text": str(band)}]
        return body

    def observation(self, entry: EntryInfo, observation: Observation) -> Json:
        quote = observation.quote
        obs = self._common(entry, entry.id)
        tags = list(observation.tags)
        obs |= {"category": _category("exam", "Exam"),
                "code": {"text": "Client statement (verbatim quote)" if quote else "Clinician observation during session"},
                "valueString": observation.text}
        if tags:
            obs["note"] = [{"text": "Tags: " + ", ".join(tags)}, *obs["note"]]
        return obs

    # -- rescue medication and adverse events ---------------------------------------------------
    def rescue_resources(self, built: list[Json]) -> list[Json]:
        """The rescue medications (MedicationAdministration) and adverse events (AdverseEvent).

        ``built`` are the resources made so far: an adverse event names as suspects only the dose
        and infusion resources that are in the bundle, so every reference resolves.
        """
        entries = self.record.entries
        events = of_type(entries, AdverseEvent)  # current only: R4 AdverseEvent has no status
        treated_by: dict[uuid.UUID, list[uuid.UUID]] = {}
        for entry, event in events:
            rescue = linked_rescue(event, entries)
            if rescue is not None:
                treated_by.setdefault(rescue.id, []).append(entry.id)
        in_bundle = {r["id"] for r in built}
        # The suspects: every dose and every IV infusion (its start entry) in the bundle.
        doses = sorted([e for e, _ in of_type(entries, Dose) if str(e.id) in in_bundle]
                       + [p.entry for p in self.record.facts.infusions if str(p.entry.id) in in_bundle],
                       key=lambda e: e.occurred_at)
        out = [self.rescue_medication(e, m, treated_by.get(e.id, []))
               for e, m in of_type(entries, RescueMedication, current=False)]
        out += [self.adverse_event(e, a, [d for d in doses if d.occurred_at <= e.occurred_at]) for e, a in events]
        return out

    def rescue_medication(self, entry: EntryInfo, given: RescueMedication, treated: list[uuid.UUID]) -> Json:
        snomed = RESCUE_ROUTE_SNOMED.get(given.route.value)
        quantity = _quantity(given.amount, given.unit.value, given.unit.ucum)
        notes = [f"Given as needed (PRN) as rescue medication ({given.drug_class.value})"]
        if given.lot:
            notes.append(f"Lot number: {given.lot}")
        return {
            "resourceType": "MedicationAdministration",
            "id": str(entry.id),
            "identifier": _entry_identifier(entry.id),
            "status": "entered-in-error" if not entry.current else "completed",
            "category": {"coding": [_coding(LOCAL_MEDICATION_CATEGORY, "prn-rescue", PRN_RESCUE)], "text": PRN_RESCUE},
            "medicationCodeableConcept": {"text": given.drug},
            "subject": _ref(self.patient_id),
            "context": _ref(self.encounter_id),
            "supportingInformation": [_ref(event_id) for event_id in treated],
            "effectiveDateTime": utc_iso(entry.occurred_at),
            "performer": [{"actor": _ref(self.practitioner_named(given.given_by))}],
            "reasonCode": [{"text": given.reason}],
            "note": [{"text": text} for text in notes] + self._correction_notes(entry),
            "dosage": {
                "text": f"{PRN_RESCUE}: {given.format()} for {given.reason}",
                "route": {"coding": [_coding(SNOMED, *snomed)] if snomed else [], "text": given.route.value},
                "method": {"text": given.device} if given.device else None,
                "dose": None if given.unit.is_flow else quantity,
                "rateQuantity": quantity if given.unit.is_flow else None,
            },
        }

    def adverse_event(self, entry: EntryInfo, event: AdverseEvent, suspects: list[EntryInfo]) -> Json:
        severity = "severe" if event.severity is Severity.LIFE_THREATENING else event.severity.value
        if event.severity is Severity.LIFE_THREATENING:
            serious = _coding(AE_SERIOUSNESS, "SeriousIsLifeThreatening", "Is Life-threatening")
        elif event.serious:
            serious = _coding(AE_SERIOUSNESS, "Serious", "Serious")
        else:
            serious = _coding(AE_SERIOUSNESS, "Non-serious", "Non-serious")
        outcome_code, outcome_display = AE_OUTCOME[event.outcome]
        rescue = linked_rescue(event, self.record.entries)
        note = event.note
        if entry.supersedes_id is not None:
            why = f": {entry.note}" if entry.note else ""
            note = f"{note} (Correction of KAPDesk entry {entry.supersedes_id}{why}.)".strip()
        return {
            "resourceType": "AdverseEvent",
            "id": str(entry.id),
            "identifier": _entry_identifier(entry.id)[0],
            "actuality": "actual",
            "category": [{"text": "Adverse event during a ketamine-assisted psychotherapy dosing session"}],
            "event": {"coding": [_coding(LOCAL_ADVERSE_EVENT, event.event.name.lower(), event.event.value)],
                      "text": event.name},
            "subject": _ref(self.patient_id),
            "encounter": _ref(self.encounter_id),
            "date": utc_iso(entry.occurred_at),
            "recordedDate": utc_iso(entry.recorded_at),
            "recorder": _ref(entry.author_id),
            "seriousness": {"coding": [serious], "text": "serious" if event.serious else "not serious"},
            "severity": {"coding": [_coding(AE_SEVERITY, severity, severity.capitalize())],
                         "text": event.severity.value},
            "outcome": {"coding": [_coding(AE_OUTCOME_SYSTEM, outcome_code, outcome_display)],
                        "text": event.outcome.value},
            "suspectEntity": [{"instance": _ref(dose.id)} for dose in suspects],
            "extension": [
                {"url": EXT_TREATED_WITH, "valueReference": _ref(rescue.id)} if rescue is not None else None,
                {"url": EXT_NOTE, "valueString": note} if note else None,
            ],
        }

    # -- the integration note -------------------------------------------------------------------
    def documents(self) -> list[Json]:
        note = self.record.note
        if note is None:
            return []
        out = [self.note_document(note)]
        out += [self.addendum_document(note, addendum) for addendum in self.record.addenda]
        return out

    def note_document(self, note: NoteInfo) -> Json:
        text = note_text(self.record)
        if note.signed_at is not None:
            description = (f"Integration note signed by {note.signed_by} at {utc_iso(note.signed_at)} "
                           f"(SHA-256 {note.content_hash})")
        else:
            description = f"DRAFT: integration note not signed (last saved by {note.saved_by} at {utc_iso(note.saved_at)})"
        return {
            "resourceType": "DocumentReference",
            "id": str(note.id),
            "identifier": _entry_identifier(note.id),
            "status": "current",
            "docStatus": "final" if note.signed else "preliminary",
            "type": {"text": "Integration note (ketamine-assisted psychotherapy)"},
            "subject": _ref(self.patient_id),
            "date": utc_iso(note.signed_at or note.saved_at),
            "author": [_ref(self.practitioner_named(note.saved_by))],
            "authenticator": _ref(self.practitioner_named(note.signed_by)) if note.signed and note.signed_by else None,
            "description": description,
            "content": [{"attachment": _attachment(text, "Integration note", note.signed_at or note.saved_at)}],
            "context": {"encounter": [_ref(self.encounter_id)],
                        "period": {"start": utc_iso(self.info.arrival_at),
                                   "end": utc_iso(self.info.ended_at) if self.info.ended_at else None}},
        }

    def addendum_document(self, note: NoteInfo, addendum: AddendumInfo) -> Json:
        author = _ref(self.practitioner_named(addendum.author))
        text = (f"Addendum to the integration note of {self.record.client.label}\n\n{addendum.text}\n\n"
                f"Signed by {addendum.author} at {utc_iso(addendum.signed_at)}\nSHA-256 {addendum.content_hash}\n")
        return {
            "resourceType": "DocumentReference",
            "id": str(addendum.id),
            "identifier": _entry_identifier(addendum.id),
            "status": "current",
            "docStatus": "final",
            "type": {"text": "Integration note addendum"},
            "subject": _ref(self.patient_id),
            "date": utc_iso(addendum.signed_at),
            "author": [author],
            "authenticator": author,
            "description": f"Addendum signed by {addendum.author} at {utc_iso(addendum.signed_at)} "
                           f"(SHA-256 {addendum.content_hash})",
            "relatesTo": [{"code": "appends", "target": _ref(note.id)}],
            "content": [{"attachment": _attachment(text, "Addendum", addendum.signed_at)}],
            "context": {"encounter": [_ref(self.encounter_id)]},
        }


def _attachment(text: str, title: str, created: datetime) -> Json:
    data = text.encode("utf-8")
    return {
        "contentType": "text/plain; charset=utf-8",
        "data": base64.b64encode(data).decode("ascii"),
        "size": len(data),
        # FHIR's Attachment.hash is the base64 SHA-1 of the data (integrity, not a signature).
        "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
        "title": title,
        "creation": utc_iso(created),
    }


def note_text(record: SessionRecord) -> str:
    """The integration note as plain text: a heading, each non-empty section under its title, and
    the signature (signer, UTC time, SHA-256 content hash) or a DRAFT line."""
    note = record.note
    if note is None:
        return ""
    lines = [f"Integration note — {record.client.label}",
             f"Session {record.info.arrival_at.date().isoformat()} · {record.info.protocol.name}", ""]
    for section in SECTIONS:
        body = note.sections.get(section.key, "").strip()
        if body:
            lines += [section.title, body, ""]
    if note.signed_at is not None:
        lines += [f"Signed by {note.signed_by} at {utc_iso(note.signed_at)}", f"SHA-256 {note.content_hash}"]
    else:
        lines += [f"DRAFT — not signed (last saved by {note.saved_by} at {utc_iso(note.saved_at)})"]
    return "\n".join(lines) + "\n"

