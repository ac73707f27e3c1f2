"""The entry codec (kapdesk.domain.entries): typed payloads in, the stored JSON shape out, and back.

Entries are append-only, so the stored shape of every kind is a contract with every record
already written: these tests pin it against a record written by the release before typed
entries (tests/fixtures/release-0.1), read with plain sqlite3 and never opened by the store.
"""

from __future__ import annotations

import json
import sqlite3
import typing
import uuid
from contextlib import closing
from pathlib import Path

import pytest

from kapdesk.domain.doses import Dose, Route, parse_dose
from kapdesk.domain.entries import (
    AlertAck, AlertRaised, DoseTime, Kind, MusicEvent, Payload, PhaseEntered, PhaseExtended, Presence, Preparation,
    RemsAnswers, ReminderDone, SafetyOverride, SessionEnded, SessionStarted, Unreadable, Vitals, decode, encode,
    kind_of, stored_json,
)
from kapdesk.domain.infusions import InfusionAction, InfusionChange, InfusionRate, InfusionStart, RateUnit
from kapdesk.domain.entries import DischargeCheck, Handoff, RemsPatient
from kapdesk.domain.observations import Observation
from kapdesk.domain.preparation import make_preparation
from kapdesk.domain.rescue import (
    AdverseEvent, DrugClass, EventType, Outcome, RescueMedication, RescueRoute, RescueUnit, Severity,
)
from kapdesk.domain.scales import SCALES, score
from kapdesk.domain.vitals import VitalsReading, parse_vitals

RELEASE_RECORD = Path(__file__).parent / "fixtures" / "release-0.1" / "record.sqlite3"
NURSE = "Nurse Synthetic (synthetic)"

# At least one of every payload type, with the optional parts both filled and left out.
SAMPLES: tuple[Payload, ...] = (
    SessionStarted("sublingual"),
    PhaseEntered(2, "onset", "Onset"),
    PhaseExtended(3, 15),
    DoseTime(),
    ReminderDone("Vitals T+15"),
    SessionEnded(),
    Vitals(parse_vitals("128/84 72 98 14 36.8"), baseline=True),
    Vitals(VitalsReading(systolic=90)),  # a palpated pressure: no diastolic
    parse_dose("ketamine 100 mg SL lot SYN-0001", given_by=NURSE),
    Dose("ketamine", 36.0, Route.INTRAVENOUS_INFUSION, NURSE, None, True, 0.5, 72.0, ("above the usual dose",)),
    score(SCALES["moaas"], {"responsiveness": 4}),
    score(SCALES["cadss6"], {"cadss_1": 4}, allow_partial=True),
    Observation("It's like the ocean is breathing (synthetic)", ("speaking",), quote=True),
    Observation("", ("resting",)),
    Presence(("Dr Synthetic (synthetic)", NURSE), None, "Both present for dosing"),
    Presence((), "Synthetic Driver (synthetic)"),
    AlertRaised("systolic_high", "warning", "Systolic 186 mmHg (synthetic)", uuid.uuid4()),
    AlertRaised("reading_overdue", "caution", "Vitals T+45 overdue (synthetic)"),
    AlertAck(uuid.uuid4(), "systolic_high", "Systolic 186 mmHg (synthetic)"),
    MusicEvent("track_start", "Still Water", "Synthetic Ensemble", "audio/still-water.opus", "pre-onset"),
    MusicEvent("skip", "Open Sky", None, None, "peak", {"action": "section", "to_section": "peak", "volume_to": 0.4}),
    MusicEvent("stop"),
    make_preparation("Synthetic intention", {"ride_home": True, "consent": None}, {"pregnancy": False}, {}, 68.5),
    Preparation(),
    SafetyOverride(("Consent signed: no",), "Synthetic: verbal consent witnessed"),
    RemsAnswers("none (synthetic)", 95),
    RemsAnswers(),
    SafetyOverride(("Steady gait: no",), "Synthetic: leaves by wheelchair with family", gate="discharge"),
    DischargeCheck(True, True, None, False, "Sam Synthetic (synthetic)"),
    DischargeCheck(),
    RemsPatient(True, "REMS-SYN-0001", True),
    RemsPatient(),
    decode("vitals", {"systolic": 999, "diastolic": 80, "baseline": False})[1],  # Unreadable, of a known kind
    RescueMedication("ondansetron", DrugClass.ANTIEMETIC, 4.0, RescueUnit.MG, RescueRoute.INTRAVENOUS, "nausea",
                     NURSE, "SYN-0002"),
    RescueMedication("oxygen", DrugClass.OXYGEN, 2, RescueUnit.L_PER_MIN, RescueRoute.INHALED, "SpO2 89 %", NURSE,
                     device="nasal cannula"),
    AdverseEvent(EventType.LARYNGOSPASM, Severity.SEVERE, Outcome.RESOLVED, rescue=uuid.uuid4(), note="synthetic"),
    AdverseEvent(EventType.OTHER, Severity.MILD, Outcome.TRANSFERRED, "panic (synthetic)"),
    InfusionStart("ketamine", InfusionRate(0.75, RateUnit.MG_PER_KG_H, 70.0), NURSE, 35.0, 40.0, 0.5, "SYN-IV1"),
    InfusionStart("ketamine", InfusionRate(1, RateUnit.MG_PER_MIN), NURSE, confirmed=("above the typical range",)),
    InfusionChange(uuid.uuid4(), InfusionAction.RATE, InfusionRate(0.5, RateUnit.MG_PER_KG_H, 70.0)),
    InfusionChange(uuid.uuid4(), InfusionAction.PAUSE),
    Handoff(uuid.uuid4(), "Desk Clinician (synthetic)", uuid.uuid4(), "Night Nurse (synthetic)", "pin"),
    Handoff(uuid.uuid4(), "Night Nurse (synthetic)", uuid.uuid4(), "Emergency access (break glass)", "emergency"),
)
# Kinds added after the release record was written: it cannot hold them.
KINDS_SINCE_RELEASE = {Kind.RESCUE_MEDICATION.value, Kind.ADVERSE_EVENT.value}

# Kinds added after release 0.1, which its record cannot hold.
KINDS_SINCE_RELEASE |= {Kind.INFUSION_START.value, Kind.INFUSION_CHANGE.value}


def test_the_samples_hold_every_payload_type_and_every_kind():
    assert {type(p) for p in SAMPLES} == set(typing.get_args(Payload))
    assert {kind_of(p) for p in SAMPLES} == set(Kind) - {Kind.UNKNOWN}


@pytest.mark.parametrize("payload", SAMPLES, ids=lambda p: type(p).__name__)
def test_every_payload_round_trips_through_the_stored_json(payload: Payload):
    kind, stored = encode(payload)
    text = json.dumps(stored)  # what the store writes: plain JSON
    assert decode(kind.value, json.loads(text)) == (kind, payload)
    assert encode(decode(kind.value, json.loads(text))[1]) == (kind, stored)
    assert json.loads(stored_json(payload)) == stored


def test_the_stored_keys_are_the_release_schema():
    """The JSON keys of a record do not follow the program's field names (hr, rr, temp_c)."""
    _, stored = encode(Vitals(parse_vitals("128/84 72 98 14 36.8"), baseline=True))
    assert stored == {"systolic": 128, "diastolic": 84, "hr": 72, "spo2": 98, "rr": 14, "temp_c": 36.8,
                      "baseline": True}
    entry_id = uuid.uuid4()
    assert encode(AlertAck(entry_id, "spo2_low", "SpO₂ 89%")) == (
        Kind.ALERT_ACK, {"alert": str(entry_id), "key": "spo2_low", "message": "SpO₂ 89%"})


def _release_rows() -> list[tuple[str, str]]:
    # immutable=1: read the committed file without creating a journal or touching it.
    with closing(sqlite3.connect(f"file:{RELEASE_RECORD}?immutable=1", uri=True)) as connection:
        return list(connection.execute("SELECT kind, payload FROM entry ORDER BY occurred_at, recorded_at"))


# Kinds added after that release (it cannot hold them).
NEWER_KINDS = {Kind.DISCHARGE_CHECK.value, Kind.REMS_PATIENT.value}
NEWER_KINDS |= {Kind.HANDOFF.value}  # issue 10: a signed-in hand-off


def test_the_release_record_holds_every_kind():
    assert {kind for kind, _ in _release_rows()} == {k.value for k in Kind} - {Kind.UNKNOWN.value} - KINDS_SINCE_RELEASE - NEWER_KINDS


def test_a_dose_override_keeps_the_release_shape_and_a_discharge_override_names_its_gate():
    dose = SafetyOverride(("Consent signed: no",), "Synthetic reason")
    assert encode(dose) == (Kind.SAFETY_OVERRIDE, {"items": ["Consent signed: no"], "reason": "Synthetic reason"})
    assert decode("safety_override", {"items": ["x"], "reason": "r"})[1].gate == "dose"  # a release row
    ended = SafetyOverride(("Escort home not named",), "Synthetic reason", gate="discharge")
    assert encode(ended)[1]["gate"] == "discharge"
    assert ended.describe().startswith("ended despite: Escort home not named")
    assert dose.describe().startswith("dosed despite:")


def test_blank_answers_read_not_answered_never_none():
    assert RemsAnswers().describe() == ("serious adverse events: not answered; "
                                        "ready without the 2-hour rule: not answered")
    assert RemsAnswers("none", 95).describe() == "serious adverse events: none; ready without the 2-hour rule at 95 min"
    assert "escort not answered" in DischargeCheck().describe()
    assert RemsPatient().describe() == "REMS enrolment not answered; first esketamine treatment not answered"


def test_every_stored_shape_of_the_release_decodes_and_encodes_back_exactly():
    rows = _release_rows()
    assert len(rows) > 50
    for kind, payload in rows:
        stored = json.loads(payload)
        decoded_kind, data = decode(kind, stored)
        assert not isinstance(data, Unreadable), (kind, stored, data)
        assert decoded_kind == kind and not isinstance(data, dict)
        again_kind, again = encode(data)
        assert again_kind == kind
        assert again == stored, kind
        # Exactly the same JSON too, not only equal numbers (36 is not written back as 36.0).
        assert json.dumps(again, sort_keys=True) == json.dumps(stored, sort_keys=True), kind


def test_an_unknown_kind_is_unreadable_and_keeps_what_was_stored():
    stored = {"mood": 3, "words": ["calm"]}
    kind, data = decode("mood_v2", stored)  # written by a newer build
    assert kind is Kind.UNKNOWN
    assert isinstance(data, Unreadable) and data.kind == "mood_v2" and "mood_v2" in data.problem
    assert data.stored == stored
    assert json.loads(stored_json(data)) == stored


def test_an_out_of_bounds_reading_is_unreadable_and_keeps_what_was_stored():
    stored = {"systolic": 999, "diastolic": 80, "hr": 72, "spo2": 98, "rr": 14, "temp_c": None, "baseline": False}
    kind, data = decode("vitals", stored)
    assert kind is Kind.VITALS
    assert isinstance(data, Unreadable) and data.kind == "vitals" and "999" in data.problem
    assert data.stored == stored
    assert encode(data) == (Kind.VITALS, stored)
    assert data.describe() == "systolic 999, diastolic 80, hr 72, spo2 98, rr 14, temp_c None, baseline False"


@pytest.mark.parametrize(("kind", "stored"), [
    ("vitals", {"systolic": 128, "diastolic": 84, "baseline": "yes"}),
    ("dose", {"drug": "ketamine"}),
    ("scale", {"scale": "no_such_scale", "answers": {}}),
    ("phase", {"index": "two"}),
    ("alert_ack", {"alert": "not-an-id", "key": "k", "message": "m"}),
    ("preparation", {"checklist": {"consent": "maybe"}}),
    ("presence", {"present": "everyone"}),
])
def test_a_stored_payload_that_does_not_fit_its_kind_is_unreadable(kind: str, stored: dict):
    decoded_kind, data = decode(kind, stored)
    assert decoded_kind == kind
    assert isinstance(data, Unreadable) and data.stored == stored


def test_a_payload_type_that_is_not_an_entry_cannot_be_encoded():
    with pytest.raises(ValueError, match="not an entry payload"):
        encode({"systolic": 128})  # type: ignore[arg-type]


def test_a_handoff_says_who_took_over_and_how_and_refuses_an_unknown_way():
    frm, to = uuid.uuid4(), uuid.uuid4()
    handoff = Handoff(frm, "A (synthetic)", to, "B (synthetic)", "pin")
    assert encode(handoff) == (Kind.HANDOFF, {"from": str(frm), "from_name": "A (synthetic)", "to": str(to),
                                              "to_name": "B (synthetic)", "by": "pin"})
    assert handoff.describe() == "hand-off from A (synthetic) to B (synthetic) (signed in with PIN)"
    kind, data = decode("handoff", {"from": str(frm), "from_name": "A", "to": str(to), "to_name": "B", "by": "magic"})
    assert kind is Kind.HANDOFF and isinstance(data, Unreadable)
