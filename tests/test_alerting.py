"""Which alerts are active: thresholds, rises from baseline, overdue readings, acknowledgement."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from kapdesk.domain.alerting import OVERDUE_KEY, ActiveAlert, alert_board
from kapdesk.domain.alerts import AlertRules
from kapdesk.domain.clock import Reminder
from kapdesk.domain.entries import (
    AlertAck, AlertRaised, EntryInfo, Kind, Payload, Unreadable, Vitals, decode, encode, kind_of,
)
from kapdesk.domain.record import current_readings, find_baseline, is_pre_dose
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
    assert keys(b) == ["systolic_high", "systolic_rise"]  # +58 systolic; diastolic +16 is below +25
    top = b.top
    assert top is not None and top.key == "systolic_high" and top.severity == "warning"
    assert top.reading_id == high.id and top.raised_at == high.occurred_at
    assert "186" in top.message and not top.recorded
    assert top.as_entry() == AlertRaised("systolic_high", "warning", top.message, high.id)
    assert encode(top.as_entry()) == (Kind.ALERT, {"key": "systolic_high", "severity": "warning",
                                                   "message": top.message, "reading": str(high.id)})
    assert set(b.unrecorded) == set(b.active)


def test_a_rise_from_baseline_is_measured_from_the_last_pre_dose_reading() -> None:
    entries = [
        vitals(-15, "110/70 72 98 14"),
        vitals(-5, "130/84 72 98 14"),  # the reading just before dosing is the baseline
        vitals(40, "168/100 84 97 14"),  # +38 systolic (no), +16 diastolic (no) from 130/84
    ]
    assert board(entries).active == ()
    entries.append(vitals(55, "170/110 84 97 14"))  # +40 systolic, +26 diastolic
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
    first, second = vitals(30, "186/100 80 97 14"), vitals(45, "188/100 80 97 14")
    rules = AlertRules(systolic_rise=None, diastolic_rise=None)
    entries = [first, second]
    b = board(entries, rules=rules)
    assert [a.reading_id for a in b.active] == [second.id, first.id]  # newest first
    entries += [recorded(a, 46) for a in b.unrecorded]
    newest = next(e for e in entries if isinstance(e.data, AlertRaised) and e.data.reading == second.id)
    entries.append(ack(newest, 47))
    assert [a.reading_id for a in board(entries, rules=rules).active] == [first.id]


def test_warnings_come_before_cautions_then_newest_first() -> None:
    entries = [vitals(-5, "120/80 72 98 14"), vitals(20, "165/106 72 98 14"), vitals(30, "150/90 72 89 14")]
    b = board(entries)
    assert [a.severity for a in b.active][0] == "warning"
    assert b.top is not None and b.top.key == "spo2_low"
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
    assert alert.reading_id is None and alert.raised_at == DUE.due and alert.severity == "caution"
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
