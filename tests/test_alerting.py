"""Which alerts are active: thresholds, rises from baseline, overdue readings, acknowledgement."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from kapdesk.domain.alerting import (
    ITEM9_ALERT_KEY,
    OVERDUE_KEY,
    ActiveAlert,
    ReasonRequired,
    alert_board,
)
from kapdesk.domain.alerts import AlertRules
from kapdesk.domain.clock import Reminder
from kapdesk.domain.entries import (
    AlertAck,
    AlertRaised,
    EntryInfo,
    Kind,
    Payload,
    Unreadable,
    Vitals,
    decode,
    encode,
    kind_of,
)
from kapdesk.domain.info import OutcomeInfo
from kapdesk.domain.record import current_readings, find_baseline, is_pre_dose
from kapdesk.domain.scales import SCALES, score
from kapdesk.domain.vitals import parse_vitals

T0 = datetime(2026, 1, 5, 9, 20, tzinfo=timezone.utc)  # dose time of the synthetic sitting
SESSION, AUTHOR = uuid.uuid4(), uuid.uuid4()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(data: Payload, minutes: float, *, current: bool = True) -> EntryInfo:
    """An entry as the store hands it out; ``current=False`` marks it superseded by a correction."""
    return EntryInfo(uuid.uuid4(), SESSION, kind_of(data), at(minutes), at(minutes), AUTHOR, "Nurse (synthetic)",
                     data, superseded_by=None if current else uuid.uuid4())


def vitals(minutes: float, text: str, *, baseline: bool | None = None, current: bool = True) -> EntryInfo:
    flag = minutes < 0 if baseline is None else baseline
    return entry(Vitals(parse_vitals(text), flag), minutes, current=current)


def recorded(alert: ActiveAlert, minutes: float) -> EntryInfo:
    return entry(alert.as_entry(), minutes)


def ack(alert_entry: EntryInfo, minutes: float) -> EntryInfo:
    raised = alert_entry.data
    assert isinstance(raised, AlertRaised)
    return entry(AlertAck(alert_entry.id, raised.key, raised.message), minutes)


def board(entries, *, minutes: float = 60, reminder: Reminder | None = None, dose_at: datetime | None = T0,
          overdue_after: timedelta = timedelta(minutes=5), rules: AlertRules | None = None):
    return alert_board(entries, rules=rules or AlertRules(), dose_at=dose_at, reminder=reminder, now=at(minutes),
                       overdue_after=overdue_after)


def keys(b) -> list[str]:
    return [a.key for a in b.active]


# --------------------------------------------------------------------------------------------
# From readings
# --------------------------------------------------------------------------------------------


def test_normal_readings_raise_nothing() -> None:
    entries = [vitals(-5, "128/84 72 98 14"), vitals(15, "132/86 76 98 14")]
    assert board(entries).active == ()
    assert board(entries).top is None


def test_a_threshold_alert_names_its_reading_and_is_not_yet_recorded() -> None:
    high = vitals(40, "186/100 80 97 14")
    b = board([vitals(-5, "128/84 72 98 14"), high])
    assert keys(b) == ["hypertensive_crisis", "systolic_rise"]  # +58 systolic; diastolic +16 is below +25
    top = b.top
    assert top is not None and top.key == "hypertensive_crisis" and top.severity == "critical"
    assert top.reading_id == high.id and top.raised_at == high.occurred_at
    assert "186" in top.message and not top.recorded
    assert top.as_entry() == AlertRaised("hypertensive_crisis", "critical", top.message, high.id)
    assert encode(top.as_entry()) == (Kind.ALERT, {"key": "hypertensive_crisis", "severity": "critical",
                                                   "message": top.message, "reading": str(high.id)})
    assert set(b.unrecorded) == set(b.active)


def test_a_rise_from_baseline_is_measured_from_the_last_pre_dose_reading() -> None:
    entries = [
        vitals(-15, "110/70 72 98 14"),
        vitals(-5, "130/84 72 98 14"),  # the reading just before dosing is the baseline
        vitals(40, "168/100 84 97 14"),  # +38 systolic (no), +16 diastolic (no) from 130/84
    ]
    assert board(entries).active == ()
    entries.append(vitals(55, "170/109 84 97 14"))  # +40 systolic, +25 diastolic
    b = board(entries)
    assert keys(b) == ["systolic_rise", "diastolic_rise"]
    assert all(a.severity == "caution" for a in b.active)
    rise = next(a for a in b.active if a.key == "systolic_rise")
    assert "up 40 mmHg from baseline 130" in rise.message


def baseline_id(entries: list[EntryInfo], dose_at: datetime | None) -> uuid.UUID | None:
    found = find_baseline(current_readings(entries), dose_at)
    return found.entry_id if found is not None else None


def test_baseline_prefers_readings_saved_as_baseline() -> None:
    flagged = vitals(-10, "120/80 70 98 14", baseline=True)
    unflagged = vitals(-2, "140/88 70 98 14", baseline=False)
    assert baseline_id([flagged, unflagged], T0) == flagged.id
    assert baseline_id([unflagged], T0) == unflagged.id  # a record from another tool: any pre-dose reading
    # Before T0 every reading is pre-dose (so the latest flagged one is the baseline), but no reading is
    # compared with it: see test_pre_dose_readings_get_the_pre_dose_cue_and_no_rise.
    assert baseline_id([flagged], None) == flagged.id
    assert baseline_id([vitals(-10, "120/80", current=False)], T0) is None
    # The board measures rises from that same reading: +40 from the flagged 120, only +20 from the later 140.
    b = board([flagged, unflagged, vitals(30, "160/90 70 98 14")], rules=AlertRules(systolic_high=None))
    rise = next(a for a in b.active if a.key == "systolic_rise")
    assert "from baseline 120" in rise.message


def test_pre_dose_readings_get_the_pre_dose_cue_and_no_rise() -> None:
    assert is_pre_dose(at(-1), T0) and is_pre_dose(at(30), None) and not is_pre_dose(at(1), T0)
    assert is_pre_dose(T0, T0)  # a reading taken at the moment of dosing is the last one before it
    b = board([vitals(-20, "110/70 72 98 14"), vitals(-5, "150/95 72 98 14")], minutes=-4, dose_at=None)
    assert keys(b) == ["predose_bp_high"]
    assert "consider delaying" in b.active[0].message


def test_alerts_latch_until_acknowledged_even_when_the_next_reading_is_normal() -> None:
    low = vitals(30, "128/84 72 89 14")
    entries = [vitals(-5, "128/84 72 98 14"), low, vitals(45, "128/84 72 97 14")]
    b = board(entries)
    assert keys(b) == ["spo2_low"]
    alert_entry = recorded(b.active[0], 30.1)
    entries.append(alert_entry)
    b = board(entries)
    assert b.active[0].entry_id == alert_entry.id and b.unrecorded == ()
    entries.append(ack(alert_entry, 46))
    assert board(entries).active == ()


def test_correcting_the_reading_removes_its_alert() -> None:
    typo = vitals(30, "128/84 27 98 14", current=False)  # HR 27 was a typo for 72 …
    fixed = vitals(30, "128/84 72 98 14")  # … and the correction supersedes it
    assert board([vitals(-5, "128/84 72 98 14"), typo, fixed]).active == ()


def test_an_acknowledgement_covers_only_the_alert_it_names() -> None:
    first, second = vitals(30, "128/84 80 90 14"), vitals(45, "128/84 80 89 14")
    rules = AlertRules(systolic_rise=None, diastolic_rise=None)
    entries = [first, second]
    b = board(entries, rules=rules)
    assert [a.reading_id for a in b.active] == [second.id, first.id]  # newest first
    entries += [recorded(a, 46) for a in b.unrecorded]
    newest = next(e for e in entries if isinstance(e.data, AlertRaised) and e.data.reading == second.id)
    entries.append(ack(newest, 47))
    assert [a.reading_id for a in board(entries, rules=rules).active] == [first.id]


def test_critical_comes_before_cautions_then_newest_first() -> None:
    entries = [vitals(-5, "120/80 72 98 14"), vitals(20, "165/106 72 98 14"), vitals(30, "150/90 72 84 14")]
    b = board(entries)
    assert [a.severity for a in b.active][0] == "critical"
    assert b.top is not None and b.top.key == "spo2_critical"
    cautions = [a for a in b.active if a.severity == "caution"]
    assert cautions == sorted(cautions, key=lambda a: a.raised_at, reverse=True)
    assert [a.raised_at for a in b.unrecorded] == sorted(a.raised_at for a in b.unrecorded)


def test_an_unreadable_reading_does_not_hide_the_others() -> None:
    broken = entry(decode("vitals", {"systolic": "abc"})[1], 10)
    assert isinstance(broken.data, Unreadable) and broken.kind == "vitals"
    b = board([broken, vitals(20, "128/84 45 98 14")])
    assert keys(b) == ["hr_low"]


def test_switched_off_rules_raise_nothing() -> None:
    rules = AlertRules.from_mapping({"spo2_low": False})
    assert board([vitals(30, "128/84 72 85 14")], rules=rules).active == ()


def test_an_unrecorded_alert_cannot_be_acknowledged() -> None:
    alert = board([vitals(30, "128/84 72 85 14")]).active[0]
    with pytest.raises(ValueError, match="record the alert"):
        alert.acknowledgement()
    entry_id = uuid.uuid4()
    done = ActiveAlert(alert.key, alert.severity, alert.message, alert.reading_id, alert.raised_at, entry_id)
    assert done.acknowledgement() == AlertAck(entry_id, "spo2_low", alert.message)
    assert encode(done.acknowledgement())[1] == {"alert": str(entry_id), "key": "spo2_low", "message": alert.message}


# --------------------------------------------------------------------------------------------
# Overdue readings
# --------------------------------------------------------------------------------------------

DUE = Reminder("Vitals T+45", at(45))


def test_a_reading_is_overdue_only_after_the_clinic_grace() -> None:
    assert board([], minutes=49, reminder=DUE).active == ()
    assert board([], minutes=50, reminder=DUE).active == ()  # exactly at the grace: not yet
    b = board([], minutes=50.5, reminder=DUE)
    assert keys(b) == [OVERDUE_KEY]
    alert = b.active[0]
    assert alert.reading_id is None and alert.raised_at == DUE.due and alert.severity == "reminder"
    assert "Vitals T+45 overdue" in alert.message
    assert board([], minutes=45.5, reminder=DUE, overdue_after=timedelta(0)).active != ()


def test_a_done_or_absent_reminder_is_never_overdue() -> None:
    done = Reminder("Vitals T+45", at(45), done_at=at(47))
    assert board([], minutes=90, reminder=done).active == ()
    assert board([], minutes=90, reminder=None).active == ()


def test_an_overdue_alert_is_matched_to_the_reminder_it_was_written_for() -> None:
    older = entry(AlertRaised(OVERDUE_KEY, "caution", "Vitals T+30 overdue"), 31)
    b = board([older], minutes=51, reminder=DUE)
    assert not b.active[0].recorded  # written for the T+30 reminder, before this one fell due
    mine = recorded(b.active[0], 51)
    b = board([older, mine], minutes=52, reminder=DUE)
    assert b.active[0].entry_id == mine.id
    assert board([older, mine, ack(mine, 52)], minutes=53, reminder=DUE).active == ()


# --------------------------------------------------------------------------------------------
# Issue 9: severities of old records, scale alerts, PHQ-9 item 9, acknowledgement, showing again
# --------------------------------------------------------------------------------------------

def moaas(minutes: float, value: int) -> EntryInfo:
    return entry(score(SCALES["moaas"], {"responsiveness": value}), minutes)


def bprs(minutes: float, **items: int) -> EntryInfo:
    answers = {"suspiciousness": 1, "hallucinations": 1, "unusual_thought_content": 1,
               "conceptual_disorganization": 1, **items}
    return entry(score(SCALES["bprs_plus"], answers), minutes)


def nausea(minutes: float, vomited: bool) -> EntryInfo:
    return entry(score(SCALES["nausea"], {"nausea": 2, "vomited": int(vomited)}), minutes)


def test_an_old_warning_row_reads_as_critical_and_encodes_back_as_stored() -> None:
    stored = {"key": "systolic_high", "severity": "warning", "message": "Systolic 183 above 180",
              "reading": str(uuid.uuid4())}
    kind, raised = decode("alert", stored)
    assert kind is Kind.ALERT and isinstance(raised, AlertRaised) and raised.severity == "critical"
    assert encode(raised) == (Kind.ALERT, stored)  # the row is never rewritten, its JSON exported as stored
    assert AlertRaised("k", "warning", "m") == AlertRaised("k", "critical", "m")


def test_the_release_fixture_alert_reads_as_critical() -> None:
    import sqlite3
    from contextlib import closing
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "release-0.1" / "record.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as db:
        rows = db.execute("SELECT payload FROM entry WHERE kind = 'alert'").fetchall()
    import json

    severities = {decode("alert", json.loads(payload))[1].severity for (payload,) in rows}  # type: ignore[union-attr]
    assert severities == {"critical", "caution"}


@pytest.mark.parametrize("value, expected", [(3, None), (2, ("moaas_deep", "caution")),
                                             (1, ("moaas_unresponsive", "critical")),
                                             (0, ("moaas_unresponsive", "critical"))])
def test_moaas_alerts_at_their_boundaries(value: int, expected: tuple[str, str] | None) -> None:
    scale = moaas(30, value)
    b = board([scale])
    assert [(a.key, a.severity) for a in b.active] == ([expected] if expected else [])
    if expected:
        assert b.active[0].reading_id == scale.id and b.active[0].raised_at == scale.occurred_at
        assert f"MOAA/S {value} (" in b.active[0].message


@pytest.mark.parametrize("value, alerts", [(4, False), (5, True), (7, True)])
def test_any_bprs_item_at_five_is_a_caution(value: int, alerts: bool) -> None:
    b = board([bprs(30, hallucinations=value)])
    assert keys(b) == (["bprs_item_high"] if alerts else [])
    if alerts:
        assert b.active[0].severity == "caution" and f"hallucinations {value}" in b.active[0].message


@pytest.mark.parametrize("sedation, alerts", [(4, False), (3, True), (2, True)])
def test_vomiting_while_sedated_is_an_aspiration_caution(sedation: int, alerts: bool) -> None:
    vomit = nausea(35, True)
    b = board([moaas(30, sedation), vomit])
    found = [a for a in b.active if a.key == "aspiration_risk"]
    assert bool(found) is alerts
    if alerts:
        assert found[0].severity == "caution" and found[0].reading_id == vomit.id
        assert f"MOAA/S {sedation}" in found[0].message


def test_aspiration_reads_the_moaas_in_force_when_vomiting_was_recorded() -> None:
    assert keys(board([nausea(35, False), moaas(30, 3)])) == []  # nausea without vomiting
    assert keys(board([nausea(35, True)])) == []  # no MOAA/S recorded: nothing to read
    assert keys(board([moaas(20, 3), moaas(30, 5), nausea(35, True)])) == []  # 5 was in force
    assert keys(board([nausea(35, True), moaas(40, 2)])) == ["moaas_deep"]  # after it: not "while"


def test_scale_alerts_latch_and_are_acknowledged_like_reading_alerts() -> None:
    entries = [moaas(30, 2), moaas(40, 5)]
    b = board(entries)
    assert keys(b) == ["moaas_deep"]  # latched although the client is alert again
    alert_entry = recorded(b.active[0], 30.1)
    entries += [alert_entry, ack(alert_entry, 41)]
    assert board(entries).active == ()


def outcome(session: uuid.UUID, item9: int, measure: str = "phq9") -> OutcomeInfo:
    answers = {"interest": 0, "mood": 0, "sleep": 0, "energy": 0, "appetite": 0, "self_worth": 0,
               "concentration": 0, "psychomotor": 0, "self_harm": item9}
    return OutcomeInfo(uuid.uuid4(), uuid.uuid4(), session, measure, date(2026, 1, 5), answers, item9, "Synthetic")


def test_phq9_item9_taken_in_this_sitting_is_a_critical_alert() -> None:
    base = [vitals(-5, "128/84 72 98 14")]
    positive = outcome(SESSION, 2)
    b = alert_board(base, dose_at=T0, reminder=None, now=at(60), outcomes=[positive])
    assert [(a.key, a.severity, a.message) for a in b.active] == [
        (ITEM9_ALERT_KEY, "critical", "PHQ-9 item 9 = 2: suicide-risk assessment today")]
    assert b.active[0].reading_id == positive.id
    others = [outcome(SESSION, 0), outcome(uuid.uuid4(), 3), outcome(None, 3), outcome(SESSION, 3, "gad7")]  # type: ignore[arg-type]
    assert alert_board(base, dose_at=T0, reminder=None, now=at(60), outcomes=others).active == ()


def test_the_item9_alert_is_recorded_once_and_acknowledged_with_a_reason_not_shown_again() -> None:
    positive = outcome(SESSION, 1)
    entries = [vitals(-5, "128/84 72 98 14")]
    first = alert_board(entries, dose_at=T0, reminder=None, now=at(60), outcomes=[positive]).active[0]
    alert_entry = recorded(first, 60)
    entries.append(alert_entry)
    again = alert_board(entries, dose_at=T0, reminder=None, now=at(61), outcomes=[positive]).active[0]
    assert again.entry_id == alert_entry.id and again.raised_at == alert_entry.occurred_at
    with pytest.raises(ReasonRequired):
        again.acknowledgement("  ")
    entries.append(entry(again.acknowledgement("Risk assessed with the client (synthetic)"), 62))
    assert alert_board(entries, dose_at=T0, reminder=None, now=at(90), outcomes=[positive]).active == ()


def test_a_caution_needs_no_reason_a_critical_alert_does() -> None:
    caution = board([vitals(30, "128/84 72 90 14")]).active[0]
    critical = board([vitals(30, "128/84 72 80 14")]).active[0]
    entry_id = uuid.uuid4()
    from dataclasses import replace

    assert not caution.needs_reason and critical.needs_reason
    assert replace(caution, entry_id=entry_id).acknowledgement() == AlertAck(entry_id, "spo2_low", caution.message)
    with pytest.raises(ReasonRequired):
        replace(critical, entry_id=entry_id).acknowledgement("")
    ack_ = replace(critical, entry_id=entry_id).acknowledgement("  probe off the finger, re-sited  ")
    assert ack_.reason == "probe off the finger, re-sited"
    assert encode(ack_)[1] == {"alert": str(entry_id), "key": "spo2_critical", "message": critical.message,
                               "reason": "probe off the finger, re-sited"}
    assert decode("alert_ack", encode(ack_)[1])[1] == ack_
    assert "reason: probe off" in ack_.describe()


# -- showing again --------------------------------------------------------------------------------


def acked_critical(minutes_ack: float = 32):
    """A SpO₂ of 80 at T+30, its alert recorded at T+30 and acknowledged (with a reason) at ``minutes_ack``."""
    low = vitals(30, "128/84 72 80 14")
    entries = [vitals(-5, "128/84 72 98 14"), low]
    first = board(entries, minutes=30).active[0]
    alert_entry = recorded(first, 30)
    entries.append(alert_entry)
    ack_entry = entry(AlertAck(alert_entry.id, first.key, first.message, "re-sited the probe"), minutes_ack)
    entries.append(ack_entry)
    return entries, low, alert_entry, ack_entry


def test_a_critical_condition_still_present_shows_again_after_exactly_the_interval() -> None:
    entries, low, _, ack_entry = acked_critical(32)
    assert board(entries, minutes=36.99).active == ()
    b = board(entries, minutes=37)  # exactly 5 minutes after the acknowledgement
    assert keys(b) == ["spo2_critical"]
    shown = b.active[0]
    assert shown.severity == "critical" and not shown.recorded and shown.repeats == ack_entry.id
    assert shown.reading_id == low.id and shown.raised_at == at(37) and shown.t_plus == "T+37"
    assert shown.message.startswith("Still present: SpO₂ 80% is below 85%")
    assert shown.as_entry().repeats == ack_entry.id
    assert encode(shown.as_entry())[1]["repeats"] == str(ack_entry.id)


def test_the_interval_is_the_clinic_setting() -> None:
    entries, *_ = acked_critical(32)
    rules = AlertRules(critical_reshow_minutes=10)
    assert board(entries, minutes=41.9, rules=rules).active == ()
    assert keys(board(entries, minutes=42, rules=rules)) == ["spo2_critical"]


def test_a_condition_that_has_passed_is_not_shown_again() -> None:
    entries, *_ = acked_critical(32)
    entries.append(vitals(34, "128/84 72 96 14"))  # SpO₂ back up: the latest reading breaks nothing
    assert board(entries, minutes=60).active == ()
    entries.append(vitals(35, "hr 80"))  # a reading without SpO₂ says nothing about it
    assert board(entries, minutes=60).active == ()


def test_cautions_are_never_shown_again() -> None:
    low = vitals(30, "128/84 72 90 14")
    first = board([low]).active[0]
    alert_entry = recorded(first, 30)
    assert board([low, alert_entry, ack(alert_entry, 31)], minutes=90).active == ()


def test_a_newer_reading_that_still_breaks_the_rule_raises_its_own_alert_at_once() -> None:
    entries, *_ = acked_critical(32)
    newer = vitals(33, "128/84 72 82 14")
    entries.append(newer)
    b = board(entries, minutes=33.5)
    assert [(a.key, a.reading_id, a.repeats) for a in b.active] == [("spo2_critical", newer.id, None)]


def test_showing_again_is_recorded_once_survives_a_restart_and_repeats_after_each_acknowledgement() -> None:
    entries, _, _, ack1 = acked_critical(32)
    shown = board(entries, minutes=37).active[0]
    second = recorded(shown, 37.05)
    entries.append(second)
    # A restart rebuilds the same board from the record alone: recorded, not written twice.
    for minutes in (37.1, 50, 120):
        b = board(list(entries), minutes=minutes)
        assert [(a.entry_id, a.repeats, a.raised_at) for a in b.active] == [(second.id, ack1.id, at(37))]
        assert b.unrecorded == ()
    ack2 = entry(AlertAck(second.id, shown.key, shown.message, "oxygen on (synthetic)"), 38)
    entries.append(ack2)
    assert board(entries, minutes=42.9).active == ()
    third = board(entries, minutes=43).active[0]
    assert third.repeats == ack2.id and not third.recorded and third.raised_at == at(43)


def test_a_critical_sedation_still_present_shows_again() -> None:
    deep = moaas(30, 1)
    first = board([deep]).active[0]
    alert_entry = recorded(first, 30)
    entries = [deep, alert_entry, entry(AlertAck(alert_entry.id, first.key, first.message, "airway checked"), 31)]
    assert keys(board(entries, minutes=36)) == ["moaas_unresponsive"]
    assert board([*entries, moaas(33, 4)], minutes=36).active == ()  # the latest MOAA/S no longer breaks it
