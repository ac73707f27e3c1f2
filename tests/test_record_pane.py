"""The record pane by keyboard: vitals, doses, scales, observations, presence, corrections, alerts.

Every test types into the real widgets on a real SQLite file and checks what the store holds,
because "saved" on screen must mean saved on disk. Time is the hand-moved FakeClock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from kapdesk.domain.clinic import ClinicSettings
from kapdesk.domain.doses import Dose, Route
from kapdesk.domain.entries import AlertAck, Kind, Observation, Preparation, Presence, RemsAnswers, Vitals
from kapdesk.domain.scales import DissociationMode, ScaleResult
from kapdesk.domain.vitals import VitalsError, VitalsReading, parse_vitals
from kapdesk.session import LiveSession
from kapdesk.ui.record.vitals import vitals_line
from kapdesk.ui.record_pane import AUTO_ALERT_NOTE, RecordPane

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def open_pane(qtbot, live: LiveSession, settings: ClinicSettings | None = None) -> RecordPane:
    pane = RecordPane()
    qtbot.addWidget(pane)
    pane.set_session(live, settings or ClinicSettings())
    pane.resize(660, 820)
    pane.show()
    pane.activateWindow()  # window shortcuts only reach the active window
    qtbot.waitUntil(pane.isActiveWindow)
    return pane


@pytest.fixture
def pane(qtbot, live) -> RecordPane:
    return open_pane(qtbot, live)


def kinds(live: LiveSession, kind: str):
    return [e for e in live.store.entries(live.id) if e.kind == Kind(kind)]


def enter(qtbot, line: QLineEdit, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def local(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def assert_refused(section, line: QLineEdit, text: str, words: str) -> None:
    assert words in section.message.text()
    assert section.message.property("role") == "message"
    assert line.text() == text  # what was typed is kept
    assert line.property("error") == "true"


# --------------------------------------------------------------------------------------------
# Vitals
# --------------------------------------------------------------------------------------------


def test_a_reading_typed_into_the_line_is_saved_before_it_is_confirmed(qtbot, pane, live, clock, people):
    qtbot.keyClick(pane, Qt.Key.Key_F2)
    line = pane.vitals.line
    assert QApplication.focusWidget() is line
    with qtbot.waitSignal(pane.entry_saved) as saved:
        qtbot.keyClicks(line, "128/84 72 98 14")
        qtbot.keyClick(line, Qt.Key.Key_Return)
    [entry] = kinds(live, "vitals")
    assert saved.args == [entry]
    assert entry.data == Vitals(VitalsReading(128, 84, 72, 98, 14, None),
                                baseline=True)  # no dose yet: this is the pre-dose baseline
    assert entry.author_id == people[0].id and entry.occurred_at == clock.utcnow()
    assert line.text() == ""
    assert pane.vitals.message.text() == f"Saved {local(clock.utcnow())} — 128/84  HR 72  SpO₂ 98%  RR 14  (baseline)"
    assert pane.vitals.message.property("role") == "status"
    assert QApplication.focusWidget() is line  # ready for the next one


def test_the_labelled_form_with_a_time_a_few_minutes_ago(qtbot, pane, live, clock):
    clock.advance(20 * 60)
    enter(qtbot, pane.vitals.line, "bp 128/84 hr 72 spo2 98 rr 14 t 36.8 -5m")
    [entry] = kinds(live, "vitals")
    assert entry.occurred_at == clock.utcnow() - timedelta(minutes=5)
    assert entry.data.reading.temperature_c == 36.8
    assert pane.vitals.message.text().startswith(f"Saved {local(entry.occurred_at)} — ")


@pytest.mark.parametrize("text", ["128/84 7x2 98", "128/84 72 98 14 98.6", "bp 128 hr", "hr 72 hr 80"])
def test_garbled_text_is_explained_highlighted_and_kept_and_nothing_is_saved(qtbot, pane, live, text):
    with pytest.raises(VitalsError) as expected:
        parse_vitals(text)
    enter(qtbot, pane.vitals.line, text)
    assert_refused(pane.vitals, pane.vitals.line, text, expected.value.message)
    start, end = expected.value.span
    if end > start:
        assert pane.vitals.line.selectedText() == text[start:end]
    assert kinds(live, "vitals") == []
    qtbot.keyClick(pane.vitals.line, Qt.Key.Key_End)
    qtbot.keyClick(pane.vitals.line, Qt.Key.Key_Space)  # editing clears the amber mark
    assert pane.vitals.line.property("error") == "false"


def test_diastolic_above_systolic_is_refused(qtbot, pane, live):
    enter(qtbot, pane.vitals.line, "84/128 72")
    assert_refused(pane.vitals, pane.vitals.line, "84/128 72", "Diastolic 128 must be below systolic 84")
    assert pane.vitals.line.selectedText() == "84/128"
    assert kinds(live, "vitals") == []


def test_an_empty_entry_saves_nothing(qtbot, pane, live):
    enter(qtbot, pane.vitals.line, "")
    assert "Nothing to save" in pane.vitals.message.text()
    assert pane.vitals.message.property("role") == "message"
    assert kinds(live, "vitals") == []


def test_the_store_refuses_a_time_in_the_future_or_before_arrival(qtbot, pane, live, clock):
    arrival = live.info.arrival_at
    clock.advance(10 * 60)
    future = local(clock.utcnow() + timedelta(minutes=10))
    enter(qtbot, pane.vitals.line, f"128/84 72 @{future}")
    assert_refused(pane.vitals, pane.vitals.line, f"128/84 72 @{future}", f"Not saved: the time {future} is in the future")
    early = local(arrival - timedelta(minutes=30))
    enter(qtbot, pane.vitals.line, f"128/84 72 @{early}")
    assert "is before the client arrived" in pane.vitals.message.text()
    assert pane.vitals.line.text() == f"128/84 72 @{early}"
    assert kinds(live, "vitals") == []
    enter(qtbot, pane.vitals.line, "128/84 72 @25:00")
    assert_refused(pane.vitals, pane.vitals.line, "128/84 72 @25:00", "not a time of day")
    assert pane.vitals.line.selectedText() == "@25:00"


def test_readings_before_the_dose_are_the_baseline_and_later_ones_are_not(qtbot, pane, live, clock):
    clock.advance(15 * 60)
    enter(qtbot, pane.vitals.line, "128/84 72 98 14")
    clock.advance(5 * 60)
    live.mark_dose()
    clock.advance(60)
    enter(qtbot, pane.vitals.line, "130/85 74 98 14 -3m")  # taken before T0, typed after it
    clock.advance(15 * 60)
    enter(qtbot, pane.vitals.line, "134/86 78 98 14")
    assert [e.data.baseline for e in kinds(live, "vitals")] == [True, True, False]


def test_the_field_form_checks_each_field_the_same_way(qtbot, pane, live):
    qtbot.keyClick(pane, Qt.Key.Key_F2, SHIFT)
    fields = pane.vitals.fields
    assert pane.vitals.form_shown and QApplication.focusWidget() is fields["systolic"]
    for name, text in (("systolic", "128"), ("diastolic", "84"), ("heart_rate", "7x"), ("spo2", "98")):
        fields[name].setText(text)
    qtbot.keyClick(fields["spo2"], Qt.Key.Key_Return)
    assert QApplication.focusWidget() is fields["heart_rate"]
    assert_refused(pane.vitals, fields["heart_rate"], "7x", "heart rate")
    assert kinds(live, "vitals") == []

    fields["heart_rate"].setText("72")
    fields["diastolic"].setText("140")
    qtbot.keyClick(fields["heart_rate"], Qt.Key.Key_Return)
    assert QApplication.focusWidget() is fields["diastolic"]
    assert "must be below systolic 128" in pane.vitals.message.text()
    assert kinds(live, "vitals") == []

    fields["diastolic"].setText("84")
    fields["temperature_c"].setText("36,8")
    qtbot.keyClick(fields["temperature_c"], Qt.Key.Key_Return)
    [entry] = kinds(live, "vitals")
    assert entry.data == Vitals(VitalsReading(128, 84, 72, 98, None, 36.8), baseline=True)
    assert all(f.text() == "" for f in fields.values())
    assert QApplication.focusWidget() is fields["systolic"]
    qtbot.keyClick(pane, Qt.Key.Key_F2, SHIFT)  # and back to the line
    assert QApplication.focusWidget() is pane.vitals.line


def test_the_field_form_refuses_an_empty_reading_and_a_bad_time(qtbot, pane, live):
    pane.vitals.toggle_form()
    qtbot.keyClick(pane.vitals.fields["systolic"], Qt.Key.Key_Return)
    assert "Nothing to save" in pane.vitals.message.text()
    pane.vitals.fields["heart_rate"].setText("72")
    pane.vitals.time_field.setText("soon")
    qtbot.keyClick(pane.vitals.fields["heart_rate"], Qt.Key.Key_Return)
    assert QApplication.focusWidget() is pane.vitals.time_field
    assert "‘soon’ is not a time" in pane.vitals.message.text()
    assert kinds(live, "vitals") == []


# --------------------------------------------------------------------------------------------
# Doses
# --------------------------------------------------------------------------------------------


def test_a_dose_needs_a_unit_then_saves_with_the_protocol_defaults(qtbot, pane, live, people):
    qtbot.keyClick(pane, Qt.Key.Key_D, ALT)
    dose = pane.dose
    assert QApplication.focusWidget() is dose.amount
    assert dose.given_by.text() == people[0].name and not dose.booster.isChecked()
    enter(qtbot, dose.amount, "100")
    assert_refused(dose, dose.amount, "100", "A dose needs a unit: mg or mg/kg")
    assert kinds(live, "dose") == []

    dose.lot.setText("SYN-0001")
    enter(qtbot, dose.amount, "100 mg")
    [entry] = kinds(live, "dose")
    assert entry.data == Dose(drug="ketamine", amount_mg=100.0, route=Route.SUBLINGUAL, given_by=people[0].name,
                              lot="SYN-0001", booster=False, mg_per_kg=None, weight_kg=None, warnings=())
    assert dose.message.text().startswith("Saved ")
    assert dose.amount.text() == "" and dose.booster.isChecked()  # a further dose is a booster by default


def choose_route(pane, abbreviation: str) -> None:
    pane.dose.route.setCurrentIndex(pane.dose.route.findText(abbreviation, Qt.MatchFlag.MatchStartsWith))


def test_mg_per_kg_needs_the_weight_with_its_unit(qtbot, pane, live):
    pane.show_dose()
    dose = pane.dose
    choose_route(pane, "IV")
    assert dose.weight.text() == ""
    enter(qtbot, dose.amount, "0.5 mg/kg")
    assert "mg/kg needs the client's weight" in dose.message.text()
    assert QApplication.focusWidget() is dose.weight
    assert kinds(live, "dose") == []
    enter(qtbot, dose.weight, "72")  # kg or pounds? asked, not guessed
    assert_refused(dose, dose.weight, "72", "72 what? Type 72 kg or 72 lb")
    assert kinds(live, "dose") == []
    enter(qtbot, dose.weight, "72 kg")
    [entry] = kinds(live, "dose")
    assert (entry.data.amount_mg, entry.data.mg_per_kg, entry.data.weight_kg) == (36.0, 0.5, 72.0)


def test_a_weight_in_pounds_is_kept_in_kg_and_shown_in_both(qtbot, pane, live):
    pane.show_dose()
    choose_route(pane, "IV")
    pane.dose.weight.setText("154 lb")
    assert "Weight 69.85 kg (154 lb)" in pane.dose.summary.text()
    enter(qtbot, pane.dose.amount, "0.5 mg/kg")
    [entry] = kinds(live, "dose")
    assert (entry.data.weight_kg, entry.data.amount_mg) == (69.85, pytest.approx(34.9, abs=0.05))


def test_mg_per_kg_uses_the_weight_from_preparation(qtbot, pane, live):
    live.record(Preparation(weight_kg=68.0))
    qtbot.keyClick(pane, Qt.Key.Key_D, ALT)
    assert pane.dose.weight.text() == "68 kg"
    choose_route(pane, "IV")
    enter(qtbot, pane.dose.amount, "0,5 mg/kg")
    [entry] = kinds(live, "dose")
    assert (entry.data.amount_mg, entry.data.route) == (34.0, Route.INTRAVENOUS_INFUSION)


def test_a_dose_outside_the_typical_range_needs_a_second_enter(qtbot, pane, live):
    qtbot.keyClick(pane, Qt.Key.Key_D, ALT)
    dose = pane.dose
    enter(qtbot, dose.amount, "250 mg")  # sublingual: typical 50–200 mg
    assert_refused(dose, dose.amount, "250 mg", "250 mg is above the typical 50–200 mg for ketamine SL. Enter again")
    assert kinds(live, "dose") == []
    assert QApplication.focusWidget() is dose.amount
    qtbot.keyClick(dose.amount, Qt.Key.Key_Return)  # the second Enter, nothing changed
    [entry] = kinds(live, "dose")
    assert entry.data.amount_mg == 250
    assert entry.data.confirmed == ("250 mg is above the typical 50–200 mg for ketamine SL",)
    assert "confirmed outside the typical range" in dose.message.text()
    assert "ketamine this session: 250 mg of 300 mg max (1 dose)" in dose.summary.text()


def test_a_changed_dose_is_asked_about_again_and_one_above_the_maximum_is_refused(qtbot, pane, live):
    qtbot.keyClick(pane, Qt.Key.Key_D, ALT)
    dose = pane.dose
    enter(qtbot, dose.amount, "250 mg")
    enter(qtbot, dose.amount, "260 mg")  # edited: a new question, not a confirmation
    assert "260 mg is above the typical" in dose.message.text() and kinds(live, "dose") == []
    enter(qtbot, dose.amount, "300.1 mg")
    assert_refused(dose, dose.amount, "300.1 mg", "above the maximum of 300 mg for one SL dose: not saved")
    qtbot.keyClick(dose.amount, Qt.Key.Key_Return)  # refusals are not confirmed by a second Enter
    assert kinds(live, "dose") == []
    enter(qtbot, dose.amount, "260 mg")  # asked before the refusal: asked again, not taken as confirmed
    assert "260 mg is above the typical" in dose.message.text() and kinds(live, "dose") == []


def test_did_you_mean_mg_per_kg(qtbot, pane, live):
    qtbot.keyClick(pane, Qt.Key.Key_D, ALT)
    choose_route(pane, "IV")
    enter(qtbot, pane.dose.amount, "0.5 mg")
    assert "did you mean 0.5 mg/kg?" in pane.dose.message.text()
    assert kinds(live, "dose") == []
    pane.dose.weight.setText("70 kg")
    enter(qtbot, pane.dose.amount, "0.5 mg/kg")  # the correction
    [entry] = kinds(live, "dose")
    assert (entry.data.amount_mg, entry.data.confirmed) == (35.0, ())


def test_boosters_count_towards_the_session_maximum(qtbot, pane, live):
    qtbot.keyClick(pane, Qt.Key.Key_D, ALT)
    dose = pane.dose
    enter(qtbot, dose.amount, "200 mg")
    assert dose.booster.isChecked()
    enter(qtbot, dose.amount, "100 mg")  # exactly the 300 mg session maximum
    assert len(kinds(live, "dose")) == 2
    assert "ketamine this session: 300 mg of 300 mg max (2 doses, 1 booster)" in dose.summary.text()
    enter(qtbot, dose.amount, "50 mg")
    assert_refused(dose, dose.amount, "50 mg", "would make 350 mg this session, above the session maximum of 300 mg")
    assert len(kinds(live, "dose")) == 2


def test_an_infusion_by_keyboard_start_rate_pause_resume_stop(qtbot, pane, live, clock):
    qtbot.keyClick(pane, Qt.Key.Key_D, ALT)
    dose = pane.dose
    dose.weight.setText("70 kg")
    enter(qtbot, dose.amount, "rate 0.5 mg/kg/h")
    assert_refused(dose, dose.amount, "rate 0.5 mg/kg/h", "No infusion is running")
    enter(qtbot, dose.amount, "infusion 0.5 mg/kg over 40 min")
    [start] = kinds(live, "infusion_start")
    assert (start.data.planned_mg, start.data.rate.mg_per_h) == (35.0, 52.5)
    assert "Infusion running since" in dose.summary.text()
    clock.advance(20 * 60)
    dose.weight.setText("70 kg")
    enter(qtbot, dose.amount, "infusion 1 mg/h")
    assert "An infusion is running since" in dose.message.text()
    enter(qtbot, dose.amount, "pause")
    enter(qtbot, dose.amount, "pause")
    assert "already paused" in dose.message.text()
    clock.advance(5 * 60)
    enter(qtbot, dose.amount, "resume")
    dose.weight.setText("70 kg")
    enter(qtbot, dose.amount, "rate 0.3 mg/kg/h")
    clock.advance(10 * 60)
    enter(qtbot, dose.amount, "stop")
    changes = kinds(live, "infusion_change")
    assert [c.data.action.value for c in changes] == ["pause", "resume", "rate", "stop"]
    [period] = live.facts().infusions
    assert period.delivered_mg == 21.0  # 20 min at 52.5 mg/h + 10 min at 21 mg/h
    assert "infusion 21 mg delivered" in dose.summary.text()


def test_a_non_standard_esketamine_dose_is_saved_with_its_warning_said(qtbot, pane, live):
    pane.show_dose()
    pane.dose.drug.setCurrentIndex(pane.dose.drug.findData("esketamine"))
    pane.dose.route.setCurrentIndex(pane.dose.route.findText("IN", Qt.MatchFlag.MatchStartsWith))
    enter(qtbot, pane.dose.amount, "70 mg")
    [entry] = kinds(live, "dose")
    assert entry.data.warnings and "not a standard dose" in pane.dose.message.text()
    assert pane.dose.message.property("role") == "message"


# --------------------------------------------------------------------------------------------
# Scales
# --------------------------------------------------------------------------------------------


def test_moaas_by_key_with_its_anchor_words_on_screen(qtbot, pane, live):
    qtbot.keyClick(pane, Qt.Key.Key_F4)
    pad = pane.scales.pad
    assert QApplication.focusWidget() is pad and pad.definition.key == "moaas"
    assert "lethargic response to name" in pane.scales.anchors_label.text()
    qtbot.keyClick(pad, Qt.Key.Key_7)  # outside 0–5: ignored
    assert pad.current_answers() == {"responsiveness": None}
    qtbot.keyClick(pad, Qt.Key.Key_4)
    assert "<b>4</b> — lethargic response" in pane.scales.items_label.text()
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    [entry] = kinds(live, "scale")
    assert entry.data.scale_key == "moaas" and dict(entry.data.answers) == {"responsiveness": 4}
    assert entry.data.total == 4
    assert "MOAA/S 4: lethargic response" in pane.scales.message.text()
    assert pad.current_answers() == {"responsiveness": None}


def test_aldrete_shows_its_total_and_the_discharge_cue(qtbot, pane, live):
    pane.show_scales()
    pad = pane.scales.pad
    qtbot.keyClick(pad, Qt.Key.Key_A)
    assert pad.definition.key == "aldrete"
    for digit in (Qt.Key.Key_2, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_1, Qt.Key.Key_2):
        qtbot.keyClick(pad, digit)
    total = pane.scales.total_label
    assert total.text() == "Total 8 / 10 — below 9: does not meet the discharge score"
    assert total.property("role") == "message"
    qtbot.keyClick(pad, Qt.Key.Key_Up)
    qtbot.keyClick(pad, Qt.Key.Key_2)  # consciousness 1 → 2
    assert total.text() == "Total 9 / 10 — ≥ 9: meets discharge score"
    assert total.property("role") == "title"
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    [entry] = kinds(live, "scale")
    assert entry.data.scale_key == "aldrete" and entry.data.total == 9 and entry.data.complete


def test_aldrete_shows_what_the_latest_reading_suggests(qtbot, pane, live, clock):
    enter(qtbot, pane.vitals.line, "120/80 72 98 14")
    clock.advance(60)
    live.mark_dose()
    clock.advance(3600)
    enter(qtbot, pane.vitals.line, "150/90 72 97 14")
    pane.show_scales()
    qtbot.keyClick(pane.scales.pad, Qt.Key.Key_A)
    hint = pane.scales.vitals_hint.text()
    assert "systolic 150 vs baseline 120 → circulation 1" in hint and "SpO₂ 97% → 2 on room air" in hint


def test_a_missing_item_is_named_and_shift_enter_saves_it_incomplete(qtbot, pane, live):
    pane.show_scales()
    pad = pane.scales.pad
    qtbot.keyClick(pad, Qt.Key.Key_D)
    assert pad.definition.key == "cadss6"
    qtbot.keyClick(pad, Qt.Key.Key_2)
    qtbot.keyClick(pad, Qt.Key.Key_3)
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert "no answer for items 6" in pane.scales.message.text() and kinds(live, "scale") == []
    assert pad.current_item == 2  # the first missing item
    qtbot.keyClick(pad, Qt.Key.Key_Return, SHIFT)
    [entry] = kinds(live, "scale")
    assert entry.data.complete is False and dict(entry.data.answers) == {"cadss_1": 2, "cadss_2": 3}


def test_a_clinic_rating_dissociation_takes_two_digits_for_ten(qtbot, live):
    pane = open_pane(qtbot, live, ClinicSettings(dissociation=DissociationMode.RATING))
    pane.show_scales()
    pad = pane.scales.pad
    qtbot.keyClick(pad, Qt.Key.Key_Right)
    assert pad.definition.key == "dissociation_0_10"
    qtbot.keyClick(pad, Qt.Key.Key_1)
    qtbot.keyClick(pad, Qt.Key.Key_0)
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    [entry] = kinds(live, "scale")
    assert dict(entry.data.answers) == {"dissociation": 10}


def test_nausea_and_bprs_are_scored_item_by_item(qtbot, pane, live):
    pane.show_scales()
    pad = pane.scales.pad
    qtbot.keyClick(pad, Qt.Key.Key_N)
    qtbot.keyClick(pad, Qt.Key.Key_2)
    qtbot.keyClick(pad, Qt.Key.Key_0)
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    qtbot.keyClick(pad, Qt.Key.Key_B)
    for digit in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_1, Qt.Key.Key_1):
        qtbot.keyClick(pad, digit)
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    nausea, bprs = kinds(live, "scale")
    assert dict(nausea.data.answers) == {"nausea": 2, "vomited": 0}
    assert bprs.data.scale_key == "bprs_plus" and bprs.data.total == 5


# --------------------------------------------------------------------------------------------
# Observations and presence
# --------------------------------------------------------------------------------------------


def test_an_observation_with_quick_tags_and_the_quote_key(qtbot, pane, live):
    qtbot.keyClick(pane, Qt.Key.Key_F3)
    line = pane.observation.line
    assert QApplication.focusWidget() is line
    qtbot.keyClicks(line, "It is so big")
    qtbot.keyClick(line, Qt.Key.Key_1, ALT)  # crying
    qtbot.keyClick(line, Qt.Key.Key_2, ALT)  # speaking …
    qtbot.keyClick(line, Qt.Key.Key_2, ALT)  # … toggled off again
    qtbot.keyClick(line, Qt.Key.Key_Q, ALT)
    assert pane.observation.tag_buttons[0].isChecked() and pane.observation.quote_button.isChecked()
    assert QApplication.focusWidget() is line and line.text() == "It is so big"
    qtbot.keyClick(line, Qt.Key.Key_Return)
    [entry] = kinds(live, "observation")
    assert entry.data == Observation("It is so big", ("crying",), quote=True)
    assert not any(b.isChecked() for b in pane.observation.tag_buttons) and not pane.observation.quote_button.isChecked()
    assert pane.observation.message.text().endswith("“It is so big”  [crying]")


def test_observation_hashtags_and_errors(qtbot, pane, live):
    enter(qtbot, pane.observation.line, "Eye mask off, sitting up #eye-mask #mov")
    enter(qtbot, pane.observation.line, "restless #sobbing")
    assert_refused(pane.observation, pane.observation.line, "restless #sobbing", "Unknown tag ‘#sobbing’")
    assert pane.observation.line.selectedText() == "#sobbing"
    [entry] = kinds(live, "observation")
    assert entry.data == Observation("Eye mask off, sitting up", ("moving", "eye mask off"), quote=False)


def test_presence_and_hand_off(qtbot, pane, live, people):
    qtbot.keyClick(pane, Qt.Key.Key_P, ALT)
    presence = pane.presence
    assert QApplication.focusWidget() is presence.present and presence.present.text() == people[0].name
    presence.present.clear()
    qtbot.keyClick(presence.present, Qt.Key.Key_Return)
    assert "Who is present?" in presence.message.text() and kinds(live, "presence") == []
    presence.present.setText(f"{people[0].name}, Nurse B (synthetic)")
    presence.handoff.setText("Dr C (synthetic)")
    enter(qtbot, presence.note, "handed over at discharge")
    [entry] = kinds(live, "presence")
    assert entry.data == Presence((people[0].name, "Nurse B (synthetic)"), handoff_to="Dr C (synthetic)",
                                  note="handed over at discharge")


# --------------------------------------------------------------------------------------------
# Corrections
# --------------------------------------------------------------------------------------------


def test_a_vitals_correction_supersedes_and_keeps_the_original_time(qtbot, pane, live, clock):
    enter(qtbot, pane.vitals.line, "128/84 27 98 14")
    [original] = kinds(live, "vitals")
    clock.advance(120)
    assert pane.correct(original)
    line = pane.vitals.line
    assert QApplication.focusWidget() is line and line.text() == "bp 128/84 hr 27 spo2 98 rr 14"
    assert pane.vitals.banner.isVisibleTo(pane) and "Correcting the" in pane.vitals.banner.text()
    enter(qtbot, line, "bp 128/84 hr 72 spo2 98 rr 14")
    old, new = live.store.entries(live.id, kinds=["vitals"])
    assert old.id == original.id and not old.current and old.superseded_by == new.id
    assert new.supersedes_id == original.id and new.occurred_at == original.occurred_at
    assert new.data.reading.heart_rate == 72 and old.data.reading.heart_rate == 27  # nothing overwritten
    assert pane.vitals.message.text().startswith("Correction saved")
    assert not pane.vitals.banner.isVisibleTo(pane)
    assert not pane.correct(old)  # the superseded version cannot be corrected again
    assert "correct the newest version" in pane.vitals.message.text()


@pytest.mark.parametrize("kind", ["observation", "dose", "scale", "presence"])
def test_every_entry_kind_of_the_pane_can_be_corrected(qtbot, pane, live, kind):
    payloads = {
        "observation": Observation("crying softly", ("crying",), quote=False),
        "dose": Dose(drug="ketamine", amount_mg=100.0, route=Route.SUBLINGUAL, given_by="N (synthetic)",
                     lot="SYN-1", booster=False),
        "scale": ScaleResult("moaas", (("responsiveness", 3),), total=3, band=None, complete=True),
        "presence": Presence(("A (synthetic)",), handoff_to=None, note=""),
    }
    original = live.record(payloads[kind])
    assert pane.correct(original)
    section = next(s for s in pane.sections if kind in s.kinds)
    if kind == "observation":
        assert section.line.text() == "crying softly" and section.tag_buttons[0].isChecked()
        section.save()
    elif kind == "dose":
        assert section.amount.text() == "100 mg" and section.lot.text() == "SYN-1"
        enter(qtbot, section.amount, "80 mg")
    elif kind == "scale":
        assert pane.lower.currentWidget() is section and section.pad.current_answers() == {"responsiveness": 3}
        qtbot.keyClick(section.pad, Qt.Key.Key_4)
        qtbot.keyClick(section.pad, Qt.Key.Key_Return)
    else:
        assert section.present.text() == "A (synthetic)"
        enter(qtbot, section.present, "A (synthetic), B (synthetic)")
    versions = live.store.entries(live.id, kinds=[kind])
    assert len(versions) == 2 and versions[1].supersedes_id == original.id and not versions[0].current


def test_a_correction_can_be_cancelled_and_other_kinds_are_not_corrected_here(qtbot, pane, live):
    enter(qtbot, pane.vitals.line, "128/84 72")
    [original] = kinds(live, "vitals")
    pane.correct(original)
    qtbot.keyClick(pane.vitals.line, Qt.Key.Key_Escape)
    assert pane.vitals.correcting is None and pane.vitals.line.text() == ""
    assert "Correction cancelled" in pane.vitals.message.text()
    phase = next(e for e in live.entries() if e.kind == "phase")
    assert not pane.correct(phase)
    assert "not corrected in the record pane" in pane.message.text()
    assert len(kinds(live, "vitals")) == 1


def test_vitals_line_reads_back_as_the_same_reading():
    for text in ("128/84 72 98 14 36.8", "sys 90 hr 110", "hr 72", "t 37.2 rr 12"):
        reading = parse_vitals(text)
        assert parse_vitals(vitals_line(reading)) == reading


# --------------------------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------------------------


def alerts_in_record(live: LiveSession):
    return kinds(live, "alert")


def test_an_alert_while_typing_an_observation_takes_no_focus_and_is_acknowledged_by_key(
    qtbot, pane, live, clock, people
):
    enter(qtbot, pane.vitals.line, "128/84 72 98 14")
    clock.advance(20 * 60)
    live.mark_dose()
    note = pane.observation.line
    qtbot.keyClick(pane, Qt.Key.Key_F3)
    qtbot.keyClicks(note, "quiet, eyes clo")
    clock.advance(40 * 60)
    with qtbot.waitSignal(pane.alerts_changed) as changed:
        live.record(Vitals(parse_vitals("186/112 96 97 16"), baseline=False))  # another pane
    assert changed.args == [3]  # a hypertensive crisis, and both rises from 128/84
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 3)  # written once, on the next turn of the loop
    assert QApplication.focusWidget() is note and note.text() == "quiet, eyes clo"
    assert QApplication.activeModalWidget() is None and QApplication.activePopupWidget() is None
    assert pane.isActiveWindow()
    strip = pane.alerts_strip
    assert "Hypertensive crisis: BP 186/112" in strip.alerts_label.text()
    assert "‼ CRITICAL" in strip.alerts_label.text() and "! caution" in strip.alerts_label.text()
    assert strip.alerts_label.property("severity") == "critical"  # the frame of the top alert's severity
    for widget in [strip, *strip.findChildren(QWidget)]:
        assert widget.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert all(e.note == AUTO_ALERT_NOTE and e.author_id == people[0].id for e in alerts_in_record(live))

    clock.advance(30)
    top = pane.board.top
    qtbot.keyClick(note, Qt.Key.Key_A, CTRL | SHIFT)  # critical: the reason line opens, nothing recorded yet
    assert kinds(live, "alert_ack") == [] and QApplication.focusWidget() is strip.reason
    qtbot.keyClicks(strip.reason, "BP recheck ordered (synthetic)")
    qtbot.keyClick(strip.reason, Qt.Key.Key_Return)
    [ack] = kinds(live, "alert_ack")
    assert ack.data == AlertAck(top.entry_id, "hypertensive_crisis", top.message, "BP recheck ordered (synthetic)")
    assert ack.author_id == people[0].id and ack.occurred_at == clock.utcnow()
    assert f"Acknowledged {local(clock.utcnow())} by {people[0].name}" in strip.status.text()
    assert len(pane.board) == 2 and QApplication.focusWidget() is note and note.text() == "quiet, eyes clo"
    assert not strip.reason.isVisible()
    qtbot.keyClick(note, Qt.Key.Key_A, CTRL | SHIFT)
    qtbot.keyClick(note, Qt.Key.Key_A, CTRL | SHIFT)
    assert len(pane.board) == 0 and not strip.alerts_label.isVisibleTo(pane)
    qtbot.keyClick(note, Qt.Key.Key_A, CTRL | SHIFT)
    assert "No alert to acknowledge" in strip.status.text() and len(kinds(live, "alert_ack")) == 3
    assert len(alerts_in_record(live)) == 3


def test_an_overdue_reading_alerts_after_the_grace_and_clears_when_taken(qtbot, pane, live, clock):
    due = live.reading().next_reminder
    assert due is not None and due.label == "Pre-dose vitals"
    clock.advance((due.due - clock.utcnow()).total_seconds() + 4 * 60)
    pane.refresh_alerts()  # what the pane's timer does every few seconds
    assert len(pane.board) == 0  # the band is amber already; the strip waits for the clinic's grace
    clock.advance(2 * 60)
    pane.refresh_alerts()
    assert [a.key for a in pane.board.active] == ["reading_overdue"]
    assert "Pre-dose vitals overdue" in pane.alerts_strip.alerts_label.text()
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)
    enter(qtbot, pane.vitals.line, "128/84 72 98 14")
    assert len(pane.board) == 0
    assert len(alerts_in_record(live)) == 1  # the record keeps that it was overdue


def test_the_alert_timer_reads_no_database(qtbot, pane, live, clock):
    from sqlalchemy import event

    statements: list[str] = []
    event.listen(live.store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for _ in range(20):
        clock.advance(5)
        pane.refresh_alerts()
    assert statements == []


def test_a_reopened_pane_finds_the_same_alerts_and_writes_none_twice(qtbot, pane, live, clock):
    clock.advance(10 * 60)
    enter(qtbot, pane.vitals.line, "150/95 72 98 14")
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)
    pane.stop()
    again = open_pane(qtbot, LiveSession(live.store, live.id, live.clinician_id, clock))
    assert [a.key for a in again.board.active] == ["predose_bp_high"] and again.board.top.recorded
    qtbot.wait(0)
    assert len(alerts_in_record(live)) == 1


def test_an_alert_is_acknowledged_with_the_mouse_too_without_taking_focus(qtbot, pane, live, clock):
    note = pane.observation.line
    note.setFocus()
    enter(qtbot, pane.vitals.line, "128/84 72 88 14")
    note.setFocus()
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)
    qtbot.mouseClick(pane.alerts_strip.ack_button, Qt.MouseButton.LeftButton)
    assert len(kinds(live, "alert_ack")) == 1 and QApplication.focusWidget() is note


# --------------------------------------------------------------------------------------------
# In the session view, wired as the integration does it
# --------------------------------------------------------------------------------------------


def test_wired_into_the_session_view_the_keys_work_from_any_tab(qtbot, store, clock):
    from conftest import make_main_window

    window = make_main_window(qtbot, store, clock, signed_in="Wired Clinician (synthetic)")
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    screen = window.start_screen
    screen.client.setCurrentText("WIRE-01 (synthetic)")
    screen.protocol.setCurrentIndex(screen.protocol.findData("sublingual"))
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    view = window.session_view
    live = view.live

    pane = view.findChild(RecordPane)
    if pane is None:  # what the integration adds to SessionView
        pane = RecordPane()
        pane.set_session(live, ClinicSettings())
        view.record_area.addWidget(pane)
        view.set_alerts(pane.alerts_strip)
        pane.install_keys(view)
        pane.page_requested.connect(lambda: view.show_page("record"))
        view.timeline.correction_requested.connect(pane.correct)
    assert view.tabs.currentIndex() == list(view.pages).index("preparation")  # before the dose

    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert view.tabs.currentIndex() == list(view.pages).index("record")
    assert QApplication.focusWidget() is pane.vitals.line
    qtbot.keyClicks(pane.vitals.line, "150/95 72 98 14")
    qtbot.keyClick(pane.vitals.line, Qt.Key.Key_Return)
    assert len(kinds(live, "vitals")) == 1
    qtbot.waitUntil(lambda: len(kinds(live, "alert")) == 1)
    assert pane.alerts_strip.isVisibleTo(view) and not pane.isAncestorOf(pane.alerts_strip)

    qtbot.keyClick(view, Qt.Key.Key_F6)  # the view's timeline page: no clash with the pane's keys
    assert view.tabs.currentIndex() == list(view.pages).index("timeline")
    qtbot.keyClick(view, Qt.Key.Key_A, CTRL | SHIFT)  # acknowledged from another tab, strip still visible
    assert len(kinds(live, "alert_ack")) == 1
    qtbot.keyClick(view, Qt.Key.Key_F3)
    assert view.tabs.currentIndex() == list(view.pages).index("record")
    assert QApplication.focusWidget() is pane.observation.line
    qtbot.keyClick(pane.observation.line, Qt.Key.Key_1, ALT)
    assert pane.observation.tag_buttons[0].isChecked()

    qtbot.keyClick(view, Qt.Key.Key_F8)  # the notes pane keeps its own Alt+digits
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_2, ALT)
    assert QApplication.focusWidget() is list(view.notes.editors.values())[1]
    assert pane.observation.tag_buttons[0].isChecked() and not pane.observation.tag_buttons[1].isChecked()

    [reading] = kinds(live, "vitals")
    view.timeline.correction_requested.emit(reading)
    assert view.tabs.currentIndex() == list(view.pages).index("record")
    assert pane.vitals.correcting == reading and QApplication.focusWidget() is pane.vitals.line


def test_an_ended_sitting_shows_no_live_alerts(qtbot, pane, live, clock):
    enter(qtbot, pane.vitals.line, "128/84 72 85 14")
    assert len(pane.board) == 1
    live.end()
    assert len(pane.board) == 0 and not pane.alerts_strip.alerts_label.isVisibleTo(pane)
    qtbot.keyClick(pane.vitals.line, Qt.Key.Key_A, CTRL | SHIFT)
    assert kinds(live, "alert_ack") == []


def test_rems_answers_for_an_esketamine_sitting(qtbot, store, clock, people, protocols):
    clinician, client = people
    info = store.start_session(client.id, clinician.id, protocols["esketamine"])
    pane = open_pane(qtbot, LiveSession(store, info.id, clinician.id, clock))
    live = pane.live
    qtbot.keyClick(pane, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    assert pane.lower.currentWidget() is pane.rems and "Alt+R REMS" in pane.lower_tabs.text()
    pane.rems.adverse.setText("none observed (synthetic)")
    enter(qtbot, pane.rems.ready, "seventy")
    assert "not a number of minutes" in pane.rems.message.text()
    assert pane.rems.ready.text() == "seventy" and kinds(live, "rems") == []
    pane.rems.ready.clear()
    enter(qtbot, pane.rems.ready, "75")
    [entry] = kinds(live, "rems")
    assert entry.data == RemsAnswers("none observed (synthetic)", 75)


# --------------------------------------------------------------------------------------------
# Issue 9: critical alerts need a reason, are shown again, and item 9 of a PHQ-9 alerts
# --------------------------------------------------------------------------------------------


def test_a_critical_alert_with_an_empty_reason_is_refused_by_keyboard_and_esc_leaves_it(qtbot, pane, live, clock):
    note = pane.observation.line
    enter(qtbot, pane.vitals.line, "128/84 72 80 14")  # SpO₂ 80: critical
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)
    qtbot.keyClick(pane, Qt.Key.Key_F3)
    qtbot.keyClicks(note, "breathing slow")
    strip = pane.alerts_strip
    qtbot.keyClick(note, Qt.Key.Key_A, CTRL | SHIFT)
    assert QApplication.focusWidget() is strip.reason and "‼ CRITICAL" in strip.reason_prompt.text()
    qtbot.keyClicks(strip.reason, "   ")
    qtbot.keyClick(strip.reason, Qt.Key.Key_Return)
    assert kinds(live, "alert_ack") == []  # nothing recorded
    assert strip.reason_message.isVisible() and "reason" in strip.reason_message.text()
    assert QApplication.focusWidget() is strip.reason and len(pane.board) == 1
    qtbot.keyClick(strip.reason, Qt.Key.Key_Escape)  # leave it: the cursor goes back to the note
    assert not strip.reason.isVisible() and QApplication.focusWidget() is note and note.text() == "breathing slow"
    assert kinds(live, "alert_ack") == [] and len(pane.board) == 1

    qtbot.keyClick(note, Qt.Key.Key_A, CTRL | SHIFT)
    qtbot.keyClicks(strip.reason, "probe re-sited, SpO2 rising")
    qtbot.keyClick(strip.reason, Qt.Key.Key_Return)
    [ack] = kinds(live, "alert_ack")
    assert isinstance(ack.data, AlertAck) and ack.data.reason == "probe re-sited, SpO2 rising"
    assert "probe re-sited" in strip.status.text() and len(pane.board) == 0
    assert QApplication.focusWidget() is note


def test_a_caution_is_acknowledged_without_a_reason(qtbot, pane, live, clock):
    enter(qtbot, pane.vitals.line, "128/84 72 90 14")  # SpO₂ 90: caution
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)
    assert pane.alerts_strip.alerts_label.property("severity") == "caution"
    qtbot.keyClick(pane.vitals.line, Qt.Key.Key_A, CTRL | SHIFT)
    [ack] = kinds(live, "alert_ack")
    assert ack.data.reason == "" and not pane.alerts_strip.reason.isVisible()


def test_a_critical_condition_still_present_is_shown_again_and_recorded_once_across_a_restart(
    qtbot, pane, live, clock
):
    enter(qtbot, pane.vitals.line, "128/84 72 80 14")
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)
    pane.acknowledge_top_alert("oxygen on (synthetic)")
    assert len(pane.board) == 0
    clock.advance(5 * 60 - 1)
    pane.refresh_alerts()
    assert len(pane.board) == 0
    clock.advance(1)  # exactly five minutes after the acknowledgement
    pane.refresh_alerts()
    assert [a.key for a in pane.board.active] == ["spo2_critical"]
    assert pane.board.top.message.startswith("Still present:")
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 2)
    pane.stop()
    again = open_pane(qtbot, LiveSession(live.store, live.id, live.clinician_id, clock))
    assert again.board.top is not None and again.board.top.recorded and again.board.top.repeats is not None
    qtbot.wait(0)
    assert len(alerts_in_record(live)) == 2  # neither lost nor written twice


def test_a_phq9_with_item9_saved_in_the_sitting_raises_the_critical_alert(qtbot, pane, live, clock):
    from datetime import date

    answers = {"interest": 0, "mood": 0, "sleep": 0, "energy": 0, "appetite": 0, "self_worth": 0,
               "concentration": 0, "psychomotor": 0, "self_harm": 2}
    with qtbot.waitSignal(pane.alerts_changed):
        live.add_outcome("phq9", answers, 2, clock.utcnow().date())
    assert [(a.key, a.severity) for a in pane.board.active] == [("phq9_item9", "critical")]
    assert "PHQ-9 item 9 = 2: suicide-risk assessment today" in pane.alerts_strip.alerts_label.text()
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)
    live.add_outcome("phq9", {**answers, "self_harm": 0}, 0, date(2020, 1, 1))  # another answer: still one alert
    assert len(pane.board) == 1


def test_severities_look_different_in_both_themes_and_light_no_room(qtbot, pane, live, clock):
    from PySide6.QtGui import QColor

    from kapdesk.ui.theme import DARK, LIGHT, THEMES, apply_theme, current_theme

    for theme in THEMES.values():
        colours = {theme.severity_color(s) for s in ("critical", "caution", "reminder")}
        assert len(colours) == 3, theme.name
    # The dark theme's critical colour is no brighter than its text: it lights no room.
    assert QColor(DARK.critical).lightness() <= QColor(DARK.text).lightness()
    assert QColor(DARK.critical).hsvSaturation() < 200  # muted, never a saturated red
    from kapdesk.ui.theme import stylesheet

    sheet = stylesheet(DARK)
    assert 'severity="critical"' in sheet and "double" in sheet and "dashed" in sheet  # shapes, not only colours

    enter(qtbot, pane.vitals.line, "128/84 72 80 14")
    qtbot.waitUntil(lambda: len(alerts_in_record(live)) == 1)  # nothing else left to redraw the strip
    label = pane.alerts_strip.alerts_label
    assert DARK.critical in label.text() or current_theme().critical in label.text()
    previous = current_theme()
    try:
        apply_theme(QApplication.instance(), LIGHT)
        qtbot.waitUntil(lambda: LIGHT.critical in label.text())  # Ctrl+L re-colours the lines
        assert "‼ CRITICAL" in label.text()
    finally:
        apply_theme(QApplication.instance(), previous)
