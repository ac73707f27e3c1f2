"""The REMS form's answers from the record (kapdesk.domain.rems): sedation and dissociation with
their times, first treatment and enrolment asked once per client, and the PDF that words them."""

from __future__ import annotations

import uuid
from datetime import timezone
from pathlib import Path

import pytest
from test_export_pdf import _normalise, pdf_pages
from test_series import DOSE, at_dose, entry

from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import DischargeCheck, RemsPatient, SafetyOverride
from kapdesk.domain.rems import RemsHistory, dissociation, patient_facts, rems_history, sedation
from kapdesk.domain.scales import SCALES, score
from kapdesk.export.pdf_report import write_pdf

NURSE = "Solo Prescriber (synthetic)"


def moaas(value: int, minutes: float):
    return entry(score(SCALES["moaas"], {"responsiveness": value}), at_dose(minutes))


def cadss(minutes: float, **answers: int):
    return entry(score(SCALES["cadss6"], answers, allow_partial=True), at_dose(minutes))


def rating(value: int, minutes: float):
    return entry(score(SCALES["dissociation_0_10"], {"dissociation": value}), at_dose(minutes))


# -- sedation and dissociation --------------------------------------------------------------------


@pytest.mark.parametrize(("value", "sedated"), [(5, False), (4, True), (3, True), (0, True)])
def test_sedation_is_any_moaas_of_4_or_below_after_the_dose(value, sedated):
    found = sedation([moaas(5, 20), moaas(value, 45)], DOSE)
    assert found.present is sedated and found.count == 2
    if sedated:
        assert found.first is not None and found.first[0].occurred_at == at_dose(45)


def test_sedation_gives_the_first_time_and_the_deepest_score():
    found = sedation([moaas(4, 20), moaas(2, 40), moaas(5, 90)], DOSE)
    assert found.present and found.first[0].occurred_at == at_dose(20)
    assert found.worst[1].total == 2


def test_a_moaas_before_the_dose_is_not_sedation_and_none_after_is_not_recorded():
    assert sedation([moaas(3, -5)], DOSE).present is None
    assert sedation([], DOSE).present is None


@pytest.mark.parametrize(("answers", "present"), [
    ({"cadss_1": 0, "cadss_2": 0, "cadss_6": 0, "cadss_7": 0, "cadss_15": 0, "cadss_22": 0}, False),
    ({"cadss_1": 0, "cadss_2": 0, "cadss_6": 0, "cadss_7": 0, "cadss_15": 0, "cadss_22": 1}, True),
    ({"cadss_15": 1}, True),  # an incomplete form counts by its answered items
])
def test_dissociation_is_any_cadss_item_above_0(answers, present):
    assert dissociation([cadss(40, **answers)], DOSE).present is present


@pytest.mark.parametrize(("value", "present"), [(0, False), (1, True)])
def test_dissociation_is_a_rating_above_0(value, present):
    found = dissociation([rating(value, 40)], DOSE)
    assert found.present is present and found.count == 1


def test_no_dissociation_assessment_after_the_dose_is_not_recorded():
    assert dissociation([rating(5, -10)], DOSE).present is None


# -- first treatment and enrolment, once per client ---------------------------------------------------


def sitting(arrival_minutes: float, *, drug="esketamine", dosed=True, answers=()):
    sid = uuid.uuid4()
    began = at_dose(arrival_minutes)
    entries = [entry(a, began) for a in answers]
    return sid, began, drug, began if dosed else None, entries


def test_first_treatment_is_derived_from_the_clients_history():
    this = sitting(0)
    first = patient_facts(rems_history(this[0], this[1], [this]))
    assert first.first_treatment is True and first.derived and first.ask_first
    assert "no earlier esketamine sitting" in first.first_treatment_why
    earlier = sitting(-7 * 24 * 60)
    later = patient_facts(rems_history(this[0], this[1], [earlier, this]))
    assert later.first_treatment is False and later.derived and not later.ask_first
    # An earlier sitting that was never dosed, or of another drug, is not a treatment.
    undosed, ketamine = sitting(-3000, dosed=False), sitting(-2000, drug="ketamine")
    assert patient_facts(rems_history(this[0], this[1], [undosed, ketamine, this])).first_treatment is True


def test_a_confirmed_answer_counts_and_is_not_asked_again():
    treated_elsewhere = sitting(0, answers=[RemsPatient(None, "", False)])
    facts = patient_facts(rems_history(treated_elsewhere[0], treated_elsewhere[1], [treated_elsewhere]))
    assert facts.first_treatment is False and not facts.derived and not facts.ask_first


def test_enrolment_is_asked_once_and_read_by_later_sittings_not_earlier_ones():
    first = sitting(-7 * 24 * 60, answers=[RemsPatient(True, "REMS-SYN-0001", True)])
    second = sitting(0)
    facts = patient_facts(rems_history(second[0], second[1], [first, second]))
    assert facts.enrolled is True and facts.enrolment == "REMS-SYN-0001" and not facts.ask_enrolment
    before = sitting(-14 * 24 * 60)
    assert patient_facts(rems_history(before[0], before[1], [before, first, second])).enrolled is None


def test_no_history_is_not_known():
    facts = patient_facts(None)
    assert facts.first_treatment is None and facts.enrolled is None
    assert patient_facts(RemsHistory(uuid.uuid4())).first_treatment is True


# -- through the store and into the PDF -----------------------------------------------------------------


def _sitting(store, clock, clinician, client, protocol, *, spray_first: bool):
    sid = store.start_session(client.id, clinician.id, protocol).id
    clock.advance(10 * 60)
    if spray_first:
        store.add_entry(sid, parse_dose("esketamine 56 mg IN lot SYN-1", given_by=NURSE), clinician.id)
        clock.advance(3 * 60)
        store.mark_dose(sid, clinician.id)
    else:
        store.mark_dose(sid, clinician.id)
        store.add_entry(sid, parse_dose("esketamine 56 mg IN lot SYN-1", given_by=NURSE), clinician.id)
    return sid


def test_the_pdf_counts_from_the_first_spray_and_reads_the_clients_answers(qapp, store, clock, protocols, people,
                                                                            tmp_path: Path):
    clinician, client = people
    first = _sitting(store, clock, clinician, client, protocols["esketamine"], spray_first=True)
    store.add_entry(first, RemsPatient(True, "REMS-SYN-0001", True), clinician.id)
    clock.advance(60 * 60)
    store.add_entry(first, SafetyOverride(("Steady gait: not answered",), "Synthetic: leaves by wheelchair",
                                          gate="discharge"), clinician.id)
    store.end_session(first, clinician.id)
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(first), tmp_path / "1.pdf",
                                                   tz=timezone.utc))))
    # The spray at 09:10 came before T0 (09:13): the form counts from the spray.
    assert "Minutes from first spray (T0) to end of monitoring 63 min (09:10 to 10:13) — less than the 120" in text
    assert "First esketamine treatment yes — confirmed by" in text
    assert "Patient enrolled in the REMS yes (REMS-SYN-0001) — confirmed" in text
    assert "Earliest discharge 11:10" in text
    assert "Discharge override" in text and "Reason: Synthetic: leaves by wheelchair" in text
    assert "dosed with unanswered items Steady gait" not in text  # not worded as a dose override

    clock.advance(3 * 24 * 3600)
    second = _sitting(store, clock, clinician, client, protocols["esketamine"], spray_first=False)
    store.add_entry(second, DischargeCheck(True, True, True, True, "Sam Synthetic (synthetic)"), clinician.id)
    history = store.rems_history(second)
    assert history.earlier_dosed and [a.enrolment for _, a in history.answers] == ["REMS-SYN-0001"]
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(second), tmp_path / "2.pdf",
                                                   tz=timezone.utc))))
    assert "First esketamine treatment no — earlier esketamine sitting on 2026-01-05" in text
    assert "Patient enrolled in the REMS yes (REMS-SYN-0001)" in text
    assert "Discharge check" in text and "escort Sam Synthetic (synthetic)" in text


def test_a_sublingual_record_has_no_rems_history(store, people, protocols):
    clinician, client = people
    sid = store.start_session(client.id, clinician.id, protocols["sublingual"]).id
    assert store.session_record(sid).rems is None
