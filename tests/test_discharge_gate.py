"""The discharge gate in the real window, by keyboard only: ending an esketamine sitting early lists
what is open and needs a reason; the discharge page records the check; the clock band shows the
earliest discharge; the REMS enrolment is asked once per client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_record_pane import enter, kinds, open_pane
from test_session_flow import start_by_keyboard

from kapdesk.domain.entries import DischargeCheck, Kind, RemsPatient, SafetyOverride
from kapdesk.domain.scales import SCALES, score
from kapdesk.session import LiveSession

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def key(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    """A key as the keyboard sends it: to the widget with the focus (the window when none has it)."""
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)


def type_text(qtbot, window, text):
    qtbot.keyClicks(QApplication.focusWidget() or window, text)


def dosed_esketamine(qtbot, window, clock):
    """An esketamine sitting started by keyboard and dosed (Ctrl+D, a reason for the open preparation)."""
    view = start_by_keyboard(qtbot, window, client="DIS-01 (synthetic)", protocol="esketamine")
    clock.advance(15 * 60)
    key(qtbot, window, Qt.Key.Key_D, CTRL)
    assert view.override.isVisible()
    type_text(qtbot, window, "Synthetic: preparation on paper")
    key(qtbot, window, Qt.Key.Key_Return)
    assert view.live.info.dose_at is not None
    return view


def end_key(qtbot, window):
    key(qtbot, window, Qt.Key.Key_W, CTRL | SHIFT)


def aldrete(total: int):
    answers = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}
    for name in list(answers)[: 10 - total]:
        answers[name] -= 1
    return score(SCALES["aldrete"], answers)


def test_ending_at_t_plus_60_lists_the_open_items_and_needs_a_reason(qtbot, window, store, clock):
    view = dosed_esketamine(qtbot, window, clock)
    clock.advance(60 * 60)
    view.tick()
    end_key(qtbot, window)
    panel = view.end_override
    assert panel.isVisible() and not view.live.ended
    listed = panel.list_label.text()
    for expected in ("Minimum observation: 60 of 120 min since the first dose", "Modified Aldrete not recorded",
                     "Steady gait: not answered", "Oriented: not answered", "Dissociation resolved: not answered",
                     "Told not to drive or operate machinery until the next day, after sleep: not answered",
                     "Escort home not named"):
        assert expected in listed, expected
    assert QApplication.focusWidget() is panel.reason  # the answer to the key just pressed
    assert QApplication.activeModalWidget() is None

    key(qtbot, window, Qt.Key.Key_Return)  # no reason: refused in place, nothing ends
    assert "Type the reason first" in panel.message.text() and not view.live.ended
    assert panel.isVisible()
    type_text(qtbot, window, "Synthetic: client collected by paramedics")
    key(qtbot, window, Qt.Key.Key_Return)
    assert view.live.ended and not panel.isVisible()
    [override] = [e.data for e in store.entries(view.live.id) if isinstance(e.data, SafetyOverride)
                  and e.data.gate == "discharge"]
    assert override.reason == "Synthetic: client collected by paramedics"
    assert override.items[0].startswith("Minimum observation: 60 of 120 min") and len(override.items) == 7
    assert [e.kind for e in store.entries(view.live.id)][-1] == Kind.SESSION_ENDED


def test_esc_leaves_the_session_running(qtbot, window, clock):
    view = dosed_esketamine(qtbot, window, clock)
    clock.advance(30 * 60)
    end_key(qtbot, window)
    assert view.end_override.isVisible()
    key(qtbot, window, Qt.Key.Key_Escape)
    assert not view.end_override.isVisible() and not view.live.ended
    assert view.message.text() == "Session not ended."


@pytest.mark.parametrize(("minutes", "gated"), [(119, True), (120, False)])
def test_with_everything_checked_only_the_minimum_observation_holds(qtbot, window, store, clock, minutes, gated):
    view = dosed_esketamine(qtbot, window, clock)
    clock.advance(100 * 60)
    view.live.record(aldrete(9))
    # The discharge page, by keyboard: F10, Y on each item, Tab between them, the escort, Ctrl+S.
    key(qtbot, window, Qt.Key.Key_F10)
    assert view.tabs.currentWidget().widget() is view.discharge
    for _ in view.discharge.rows:
        key(qtbot, window, Qt.Key.Key_Y)
        key(qtbot, window, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.discharge.escort
    type_text(qtbot, window, "Sam Synthetic (synthetic)")
    key(qtbot, window, Qt.Key.Key_S, CTRL)
    [check] = [e.data for e in store.entries(view.live.id) if isinstance(e.data, DischargeCheck)]
    assert check == DischargeCheck(True, True, True, True, "Sam Synthetic (synthetic)")
    assert view.discharge.open_items.text().startswith("1 discharge item open")

    clock.advance((minutes - 100) * 60)
    view.tick()
    end_key(qtbot, window)
    if gated:
        assert view.end_override.isVisible()
        assert view.end_override.items == [view.end_override.items[0]]
        assert view.end_override.items[0].startswith("Minimum observation: 119 of 120 min")
    else:
        assert not view.end_override.isVisible() and view.buttons["end"].property("armed") == "true"
        end_key(qtbot, window)
        assert view.live.ended
        assert not [e for e in store.entries(view.live.id) if isinstance(e.data, SafetyOverride)
                    and e.data.gate == "discharge"]


@pytest.mark.parametrize(("total", "gated"), [(8, True), (9, False)])
def test_an_aldrete_below_the_clinic_score_holds_the_end(qtbot, window, clock, total, gated):
    view = dosed_esketamine(qtbot, window, clock)
    clock.advance(125 * 60)
    view.live.record(aldrete(total))
    view.live.record(DischargeCheck(True, True, True, True, "Sam Synthetic (synthetic)"))
    end_key(qtbot, window)
    assert view.end_override.isVisible() is gated
    if gated:
        assert view.end_override.items[0].startswith("Modified Aldrete 8")


def test_the_clock_band_shows_the_earliest_discharge(qtbot, window, clock):
    view = start_by_keyboard(qtbot, window, client="BAND-01 (synthetic)", protocol="esketamine")
    assert view.band.discharge.text() == ""  # nothing dosed yet
    clock.advance(15 * 60)
    view.live.record(aldrete(10))  # anything but a dose leaves it as it is
    view.tick()
    assert view.band.discharge.text() == ""
    key(qtbot, window, Qt.Key.Key_D, CTRL)
    type_text(qtbot, window, "Synthetic reason")
    key(qtbot, window, Qt.Key.Key_Return)
    earliest = view.live.info.dose_at + timedelta(minutes=120)
    assert view.band.discharge.text() == f"Discharge from {earliest.astimezone():%H:%M}"
    clock.advance(120 * 60)
    view.tick()
    assert view.band.discharge.text().endswith("minimum observation met")


def test_a_sublingual_band_has_no_discharge_time(qtbot, window, clock):
    view = start_by_keyboard(qtbot, window, client="BAND-02 (synthetic)")
    view.mark_dose()
    view.override.reason.setText("Synthetic reason")
    view.override.confirm()
    assert view.live.info.dose_at is not None and view.band.discharge.text() == ""


def test_rems_enrolment_and_first_treatment_are_asked_once_per_client(qtbot, store, clock, people, protocols):
    clinician, client = people
    first = store.start_session(client.id, clinician.id, protocols["esketamine"])
    pane = open_pane(qtbot, LiveSession(store, first.id, clinician.id, clock))
    rems = pane.rems
    qtbot.keyClick(pane, Qt.Key.Key_R, ALT)
    assert rems.enrolled.isVisible() and rems.first.isVisible()
    assert "no earlier esketamine sitting on record" in rems.known.text()
    rems.enrolled.setFocus()
    qtbot.keyClick(rems.enrolled, Qt.Key.Key_Y)
    qtbot.keyClick(rems.enrolled, Qt.Key.Key_Return)  # enrolled without an ID or date: refused, nothing saved
    assert "enrolment ID or the date" in rems.message.text() and kinds(pane.live, "rems_patient") == []
    enter(qtbot, rems.enrolment, "REMS-SYN-0042")
    [entry] = kinds(pane.live, "rems_patient")
    assert entry.data == RemsPatient(True, "REMS-SYN-0042", None)
    assert not rems.enrolled.isVisible() and rems.first.isVisible()  # enrolment is known now; first is not
    rems.first.setFocus()
    qtbot.keyClick(rems.first, Qt.Key.Key_Y)
    qtbot.keyClick(rems.first, Qt.Key.Key_Return)
    assert kinds(pane.live, "rems_patient")[-1].data == RemsPatient(None, "", True)
    assert not rems.first.isVisible()
    store.mark_dose(first.id, clinician.id)
    store.end_session(first.id, clinician.id)

    clock.advance(3 * 24 * 3600)
    second = store.start_session(client.id, clinician.id, protocols["esketamine"])
    pane = open_pane(qtbot, LiveSession(store, second.id, clinician.id, clock))
    qtbot.keyClick(pane, Qt.Key.Key_R, ALT)
    assert not pane.rems.enrolled.isVisible() and not pane.rems.first.isVisible()  # asked once
    assert "REMS enrolment: yes (REMS-SYN-0042)" in pane.rems.known.text()
    assert "First esketamine treatment: no — earlier esketamine sitting on" in pane.rems.known.text()
