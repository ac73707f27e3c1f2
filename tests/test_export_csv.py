"""CSV export: every entry, corrections included, comes back identical; the file is plain RFC 4180.

This module also holds :func:`build_sitting`, the synthetic three-hour sitting the other export
tests (FHIR, PDF, CLI) import: it goes through the real store on a hand-moved clock, so the record
is exactly what a sitting leaves behind. Every name and number in it is synthetic.
"""

from __future__ import annotations

import csv
import json
import math
import uuid
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapdesk.domain.clock import FakeClock
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import (
    AlertAck, AlertRaised, MusicEvent, Presence, Preparation, RemsAnswers, SafetyOverride, Unreadable, Vitals, decode,
)
from kapdesk.domain.observations import Observation
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.scales import SCALES, score
from kapdesk.domain.vitals import parse_vitals
from kapdesk.export import minutes_from_dose, utc_iso
from kapdesk.export.csv_export import COLUMNS, read_csv, write_csv
from kapdesk.store import Store

CLIENT = "DEMO-01 (synthetic client)"
THERAPIST = "Dr Synthetic Therapist (synthetic)"
NURSE = "Nurse Synthetic (synthetic)"
QUOTE = "It's like the ocean is breathing with me, and I'm \"allowed\" to rest."
FORMULA_QUOTE = "=SUM(A1:A9) is what my head feels like (synthetic)"
LOT = {"ketamine": "SYN-LOT-0042", "esketamine": "SYN-ESK-7781"}
CORRECTED_HR = (96, 86)  # (mistyped, corrected) heart rate of the T+45 reading


def _reading(offset: int) -> str:
    """A plausible curve: BP peaks around T+40 and settles by T+120 (synthetic)."""
    rise = math.exp(-((offset - 40) / 35) ** 2)
    spo2 = 96 if 30 <= offset <= 60 else 98
    return f"{round(126 + 22 * rise)}/{round(82 + 12 * rise)} {round(74 + 10 * rise)} {spo2} 14"


def build_sitting(store: Store, clock: FakeClock, protocol: Protocol, *, sign: bool = True,
                  addendum: bool = False, end: bool = True, client_label: str = CLIENT) -> uuid.UUID:
    """Write a complete synthetic sitting for ``protocol`` and return its session id.

    Sublingual-like timing: arrival, preparation, baseline at +12 min, T0 at +20, a reading every
    15 min to T+150 (the T+45 one corrected), quotes, MOAA/S, CADSS-6, nausea, a BP-rise alert and
    its acknowledgement, music, Aldrete at T+150, hand-off and end at T+160 (about three hours).
    Esketamine adds a safety override and the ``rems`` entry.
    """
    therapist = store.add_clinician(THERAPIST)
    nurse = store.add_clinician(NURSE, "nurse")
    client = store.add_client(client_label, therapist.id)
    sid = store.start_session(client.id, therapist.id, protocol).id
    arrival = clock.utcnow()
    esketamine = protocol.drug == "esketamine"

    def at(minutes_after_arrival: float) -> None:
        clock.advance((arrival + timedelta(minutes=minutes_after_arrival) - clock.utcnow()).total_seconds())

    def after_dose(minutes: float) -> None:
        at(20 + minutes)

    at(3)
    store.add_entry(sid, Preparation(
        "Synthetic intention: to meet the heaviness with curiosity.",
        {"slept_well": True, "no_stimulants": True, "light_meal": True, "ride_home": True},
        {"pregnancy": False, "uncontrolled_hypertension": False, "cardiac": False, "substance_misuse": False},
        {"benzodiazepines": esketamine, "sedative_hypnotics": False, "psychostimulants": False, "maois": None},
        68.0,
    ), therapist.id)
    if esketamine:
        store.add_entry(sid, SafetyOverride(("maois",), "Synthetic: MAOI question answered verbally, form not updated"),
                        nurse.id)
    store.add_entry(sid, Presence((THERAPIST, NURSE), None, "Both present for dosing"), therapist.id)
    store.add_entry(sid, MusicEvent("track_start", "Still Water", "Synthetic Ensemble", "audio/still-water.opus",
                                    "pre-onset"), therapist.id)
    at(12)
    store.add_entry(sid, Vitals(parse_vitals("126/82 74 98 14 36.7C"), baseline=True), nurse.id)
    at(20)
    store.mark_dose(sid, nurse.id)
    drug = "esketamine 56 mg IN" if esketamine else "ketamine 100 mg SL"
    store.add_entry(sid, parse_dose(f"{drug} lot {LOT[protocol.drug]}", given_by=NURSE), nurse.id)

    for offset in range(15, 151, 15):
        after_dose(offset)
        reading = parse_vitals(_reading(offset))
        if offset == 45:
            reading = dataclasses.replace(reading, heart_rate=CORRECTED_HR[0])
        entry = store.add_entry(sid, Vitals(reading), nurse.id)
        if offset == 45:
            after_dose(46)
            fixed = dataclasses.replace(reading, heart_rate=CORRECTED_HR[1])
            store.add_entry(sid, Vitals(fixed), nurse.id, occurred_at=entry.occurred_at, supersedes=entry.id,
                            note="HR mistyped (synthetic)")
        if offset in (15, 30, 90, 135):
            store.advance_phase(sid, therapist.id)
        if offset == 30:
            store.add_entry(sid, MusicEvent("section", "Open Sky", "Synthetic Ensemble", "audio/open-sky.opus", "peak"),
                            therapist.id)
    after_dose(41)
    rise = "Systolic rose 22 mmHg from baseline (synthetic)"
    alert = store.add_entry(sid, AlertRaised("systolic_rise", "caution", rise), therapist.id)
    store.add_entry(sid, AlertAck(alert.id, "systolic_rise", rise), nurse.id)
    after_dose(48)
    store.add_entry(sid, Observation(QUOTE, ("speaking",), quote=True), therapist.id)
    store.add_entry(sid, Observation("Lying still, slow breathing,\nhands open (synthetic)", ("resting", "body")),
                    therapist.id)
    store.add_entry(sid, Observation(FORMULA_QUOTE, (), quote=True), therapist.id)
    after_dose(50)
    store.add_entry(sid, score(SCALES["moaas"], {"responsiveness": 4}), therapist.id)
    store.add_entry(sid, score(SCALES["cadss6"], {"cadss_1": 2, "cadss_2": 3, "cadss_6": 1, "cadss_7": 2,
                                                  "cadss_15": 1, "cadss_22": 0}), therapist.id)
    store.add_entry(sid, score(SCALES["nausea"], {"nausea": 1, "vomited": 0}), therapist.id)
    after_dose(95)
    store.add_entry(sid, MusicEvent("track_start", "First Light", "Synthetic Ensemble", "audio/first-light.opus",
                                    "re-entry"), therapist.id)
    after_dose(150)
    store.add_entry(sid, score(SCALES["aldrete"], {"activity": 2, "respiration": 2, "circulation": 2,
                                                   "consciousness": 2, "spo2": 2}), nurse.id)
    if esketamine:
        store.add_entry(sid, RemsAnswers("none (synthetic)", 95), nurse.id)
    after_dose(155)
    store.add_entry(sid, Presence((THERAPIST,), "Synthetic Driver (synthetic)", "Steady gait; ride home confirmed"),
                    therapist.id)
    if not end:
        return sid
    after_dose(160)
    store.end_session(sid, therapist.id)
    after_dose(190)
    store.save_note_draft(sid, {
        "intention": "Synthetic intention revisited: curiosity held.",
        "described": "Synthetic: a wide, calm sea; being carried.",
        "insights": f"“{QUOTE}”",
        "follow_up": "Integration session in 3 days (synthetic).",
    }, therapist.id)
    if sign:
        store.sign_note(sid, therapist.id)
        if addendum:
            after_dose(400)
            store.add_addendum(sid, "Synthetic addendum: client called, sleeping well.", therapist.id)
    return sid


@pytest.fixture
def sitting(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> uuid.UUID:
    return build_sitting(store, clock, protocols["sublingual"])


# ----------------------------------------------------------------------------------------------


def test_round_trip_gives_back_every_entry_identical(store: Store, sitting: uuid.UUID, tmp_path: Path) -> None:
    record = store.session_record(sitting)
    path = write_csv(record, tmp_path / "session.csv")

    back = read_csv(path)

    assert len(back) == len(record.entries) > 30
    assert back == record.entries  # ids, kind, both times, author, payload, correction links
    assert any(not entry.current for entry in back)


def test_file_is_plain_utf8_rfc4180_with_header(store: Store, sitting: uuid.UUID, tmp_path: Path) -> None:
    path = write_csv(store.session_record(sitting), tmp_path / "session.csv")
    raw = path.read_bytes()

    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    raw.decode("utf-8")
    assert raw.split(b"\r\n", 1)[0].decode() == ",".join(COLUMNS)
    assert raw.endswith(b"\r\n")
    # The observation with a newline and the quote with double quotes stay inside their fields.
    assert b'""allowed""' in raw
    assert b"slow breathing,\nhands open" in raw


def test_corrections_are_visible_both_ways(store: Store, sitting: uuid.UUID, tmp_path: Path) -> None:
    record = store.session_record(sitting)
    with write_csv(record, tmp_path / "s.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    vitals = [row for row in table if row["kind"] == "vitals"]
    old = next(row for row in vitals if row["hr"] == str(CORRECTED_HR[0]))
    new = next(row for row in vitals if row["hr"] == str(CORRECTED_HR[1]))

    assert old["current"] == "false" and new["current"] == "true"
    assert old["superseded_by"] == new["entry_id"] and new["supersedes"] == old["entry_id"]
    assert new["correction_note"] == "HR mistyped (synthetic)"
    assert old["occurred_at_utc"] == new["occurred_at_utc"] != new["recorded_at_utc"]


def test_columns_times_and_flattened_values(store: Store, sitting: uuid.UUID, tmp_path: Path) -> None:
    record = store.session_record(sitting)
    with write_csv(record, tmp_path / "s.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))

    assert {row["client_label"] for row in table} == {CLIENT}
    assert {row["session_id"] for row in table} == {str(sitting)}
    for row in table:
        assert row["occurred_at_utc"].endswith("Z") and row["recorded_at_utc"].endswith("Z")
        assert json.loads(row["payload_json"]) is not None
    baseline = next(row for row in table if row["kind"] == "vitals" and json.loads(row["payload_json"])["baseline"])
    assert (baseline["systolic"], baseline["diastolic"], baseline["hr"], baseline["spo2"], baseline["rr"],
            baseline["temp_c"]) == ("126", "82", "74", "98", "14", "36.7")
    assert baseline["minutes_from_dose"] == "-8.0"
    assert baseline["occurred_at_utc"] == utc_iso(record.info.arrival_at + timedelta(minutes=12))
    dose = next(row for row in table if row["kind"] == "dose")
    assert (dose["drug"], dose["amount_mg"], dose["route"], dose["lot"]) == ("ketamine", "100", "sublingual",
                                                                              LOT["ketamine"])
    assert dose["minutes_from_dose"] == "0.0" and dose["systolic"] == ""
    moaas = next(row for row in table if row["scale"] == "moaas")
    assert moaas["total"] == "4" and moaas["summary"].startswith("MOAA/S 4")
    quote = next(row for row in table if row["text"] == QUOTE)
    assert quote["quote"] == "true" and quote["tags"] == "speaking"
    assert quote["summary"] == f"“{QUOTE}”  [speaking]"
    assert minutes_from_dose(record, record.info.dose_at) == 0.0  # type: ignore[arg-type]


def test_free_text_that_looks_like_a_formula_is_defused_and_read_back(store: Store, sitting: uuid.UUID,
                                                                       tmp_path: Path) -> None:
    record = store.session_record(sitting)
    path = write_csv(record, tmp_path / "s.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if "SUM(A1:A9)" in r["payload_json"])

    assert row["text"] == "'" + FORMULA_QUOTE
    assert not any(row[column].startswith(("=", "+", "@")) for column in COLUMNS)
    assert next(e for e in read_csv(path) if e.id == uuid.UUID(row["entry_id"])).data.text == FORMULA_QUOTE


def test_session_without_dose_leaves_minutes_empty(store: Store, people, protocols, tmp_path: Path) -> None:
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    record = store.session_record(session.id)
    with write_csv(record, tmp_path / "s.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))

    assert [row["kind"] for row in table] == ["session_started", "phase"]
    assert {row["minutes_from_dose"] for row in table} == {""}
    assert read_csv(tmp_path / "s.csv") == record.entries


def test_read_csv_refuses_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a KAPDesk CSV export"):
        read_csv(path)


# Text a spreadsheet or a CSV parser finds awkward, mixed with any text at all.
_TRICKY = st.text(alphabet="=+-@'\t\r\n,\" aé“", min_size=1, max_size=8)
_ANY_TEXT = st.one_of(_TRICKY, st.text(min_size=1, max_size=30))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(_TRICKY, st.text()), tags=st.lists(_ANY_TEXT, max_size=3), author=_ANY_TEXT,
       note=st.one_of(st.none(), _ANY_TEXT), quote=st.booleans())
def test_any_text_survives_the_round_trip(store: Store, sitting: uuid.UUID, tmp_path: Path, text: str,
                                          tags: list[str], author: str, note: str | None, quote: bool) -> None:
    """Whatever a clinician types (quotes, commas, newlines, apostrophes, formula starts) comes back."""
    record = store.session_record(sitting)
    template, _ = record.of(Observation)[0]
    entry = dataclasses.replace(template, author_name=author, note=note, data=Observation(text, tuple(tags), quote))
    path = write_csv(dataclasses.replace(record, entries=[entry]), tmp_path / "h.csv")

    assert read_csv(path) == [entry]


@pytest.mark.parametrize(("kind", "stored"), [
    ("mood_v2", {"mood": 3, "words": ["calm"]}),  # a kind from a newer build
    ("vitals", {"systolic": 999, "diastolic": 80, "baseline": False}),  # outside today's bounds
])
def test_an_entry_this_build_cannot_read_is_exported_raw_and_read_back(store: Store, sitting: uuid.UUID,
                                                                       tmp_path: Path, kind: str, stored: dict) -> None:
    record = store.session_record(sitting)
    template, _ = record.of(Observation)[0]
    decoded_kind, data = decode(kind, stored)
    assert isinstance(data, Unreadable)
    odd = dataclasses.replace(template, kind=decoded_kind, data=data)
    path = write_csv(dataclasses.replace(record, entries=[odd]), tmp_path / "u.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))

    assert row["kind"] == kind and json.loads(row["payload_json"]) == stored
    assert row["systolic"] == "" and row["text"] == ""  # no value column is guessed from it
    assert read_csv(path) == [odd]
