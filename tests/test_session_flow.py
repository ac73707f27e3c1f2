"""The start-session → dose → advance → extend → end flow, by keyboard, on a hand-moved clock."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from kapdesk.domain.entries import Vitals
from kapdesk.domain.protocols import load_protocols
from kapdesk.domain.vitals import VitalsReading
from kapdesk.paths import protocol_folders
from kapdesk.session import Clinic
from kapdesk.ui.main_window import MainWindow
from kapdesk.ui.session_view import SessionView
from conftest import make_main_window




def start_by_keyboard(qtbot, window, client="KB-01 (synthetic)", protocol="sublingual"):
    window.activateWindow()  # shortcuts only reach the active window
    qtbot.waitUntil(window.isActiveWindow)
    screen = window.start_screen
    screen.client.setFocus()
    qtbot.keyClicks(screen.client, client)
    screen.protocol.setCurrentIndex(screen.protocol.findData(protocol))
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.session_view, SessionView), screen.message.text()
    return window.session_view


def press(qtbot, view, key, modifiers=Qt.KeyboardModifier.ControlModifier):
    qtbot.keyClick(view, key, modifiers)


def test_full_flow_by_keyboard(qtbot, window, store, clock):
    view = start_by_keyboard(qtbot, window)
    band = view.band
    assert band.phase.text() == "Arrival & check-in"
    assert band.since_dose.text() == "T0 --:--"
    assert band.reminder.text().startswith("Pre-dose vitals in")

    clock.advance(18 * 60)
    press(qtbot, view, Qt.Key.Key_D)  # mark dose: no preparation recorded, so an override is asked
    assert view.override.isVisible() and view.live.info.dose_at is None
    assert "Preparation not recorded" in view.override.list_label.text()
    qtbot.keyClick(view.override.reason, Qt.Key.Key_Return)  # an empty reason is refused in place
    assert view.override.isVisible() and view.live.info.dose_at is None
    qtbot.keyClicks(view.override.reason, "Synthetic: preparation done on paper")
    qtbot.keyClick(view.override.reason, Qt.Key.Key_Return)
    assert band.since_dose.text() == "T+00:00"
    override = [e for e in store.entries(view.live.id) if e.kind == "safety_override"]
    assert override and override[0].data.reason == "Synthetic: preparation done on paper"
    assert band.phase.text() == "Dosing (troche held)"
    assert not view.buttons["dose"].isEnabled()

    clock.advance(15 * 60 + 7)
    view.tick()
    assert band.since_dose.text() == "T+15:07"
    assert band.since_arrival.text() == "33:07"
    press(qtbot, view, Qt.Key.Key_N)  # next phase
    assert band.phase.text() == "Onset"
    assert band.phase_left.text() == "20:00 left in this phase"

    press(qtbot, view, Qt.Key.Key_E)  # +5
    press(qtbot, view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)  # +15
    assert band.phase_left.text() == "40:00 left in this phase"

    # After a dose, ending with the discharge check open asks for a reason (the discharge gate).
    press(qtbot, view, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert view.end_override.isVisible() and not view.live.ended
    qtbot.keyClicks(view.end_override.reason, "Synthetic: discharge checked on paper")
    qtbot.keyClick(view.end_override.reason, Qt.Key.Key_Return)
    assert view.live.ended
    assert "ended" in band.phase_left.text()

    # Everything shown was saved: a fresh read of the file agrees.
    info = store.sessions()[0]
    assert info.status == "ended" and info.dose_at is not None
    kinds = [e.kind for e in store.entries(info.id)]
    assert kinds.count("phase") == 3 and kinds.count("phase_extended") == 2
    assert len(view.timeline.visible_entries()) == len(kinds)

    press(qtbot, view, Qt.Key.Key_Backspace)
    assert window.stack.currentWidget() is window.start_screen
    assert window.history.model.rowCount() == 1


def test_end_arming_lapses(qtbot, window, clock):
    view = start_by_keyboard(qtbot, window)
    view.end_session()
    assert view._armed.isActive()
    view._armed.timeout.emit()  # the wait lapses without a second press
    view._armed.stop()
    view.end_session()
    assert not view.live.ended


def test_mistakes_are_said_quietly_and_change_nothing(qtbot, window, store):
    view = start_by_keyboard(qtbot, window)
    for _ in range(5):
        press(qtbot, view, Qt.Key.Key_N)
    before = len(store.entries(view.live.id))
    press(qtbot, view, Qt.Key.Key_N)
    assert "last phase" in view.message.text()
    assert view.message.property("role") == "message"
    assert len(store.entries(view.live.id)) == before


def test_bad_start_input_keeps_what_was_typed(qtbot, window, store):
    screen = window.start_screen
    screen.client.setCurrentText("   ")
    screen.choose_protocol("sublingual")
    screen.start_button.click()
    assert "pseudonym" in screen.message.text()
    assert screen.protocol.currentData() == "sublingual"
    assert store.sessions() == []
    assert window.stack.currentWidget() is screen


def test_an_overdue_reminder_is_visual_and_takes_no_focus(qtbot, window, clock):
    view = start_by_keyboard(qtbot, window)
    note = QLineEdit(view)  # stands in for any entry field the therapist is typing in
    note.show()
    note.setFocus()
    qtbot.keyClicks(note, "quiet")
    clock.advance(45 * 60)  # pre-dose reading planned at 20 min: now 25 min overdue
    view.tick()
    assert "overdue by 25:00" in view.band.reminder.text()
    assert view.band.reminder.property("state") == "overdue"
    assert QApplication.focusWidget() is note
    assert QApplication.activeModalWidget() is None and QApplication.activePopupWidget() is None
    press(qtbot, view, Qt.Key.Key_K)  # reading taken
    assert view.band.reminder.property("state") != "overdue"
    assert note.text() == "quiet"


def test_ticking_reads_no_database(qtbot, window, clock, store):
    view = start_by_keyboard(qtbot, window)
    from sqlalchemy import event

    statements = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for _ in range(30):
        clock.advance(1)
        view.tick()
    assert statements == []


def test_resume_is_offered_first_after_a_restart(qtbot, store, clock):
    protocols, errors = load_protocols(protocol_folders())
    first = make_main_window(qtbot, store, clock)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    view = start_by_keyboard(qtbot, first, client="RES-01 (synthetic)")
    clock.advance(600)
    view.mark_dose()
    view.override.reason.setText("Synthetic reason")
    view.override.confirm()
    clock.advance(300)

    second = make_main_window(qtbot, store, clock)  # as after a restart, signed in again
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    second.activateWindow()
    qtbot.waitUntil(second.isActiveWindow)
    resume = second.start_screen.resume_buttons
    assert len(resume) == 1 and "RES-01" in resume[0].text()
    assert resume[0].hasFocus()
    qtbot.keyClick(resume[0], Qt.Key.Key_Space)
    assert second.session_view.band.since_dose.text() == "T+05:00"


def test_a_recorded_reading_moves_the_reminder_without_rereading_everything(store, people, protocols, clock):
    from kapdesk.session import LiveSession

    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    live = LiveSession(store, session.id, clinician.id, clock)
    assert live.reading().next_reminder.label == "Pre-dose vitals"
    seen = []
    live.changed.connect(seen.append)
    clock.advance(60)
    entry = live.record(Vitals(VitalsReading(120, 80, 70, 98, 14, None), baseline=True))
    assert seen == [entry]
    assert live.reading().next_reminder is None  # no dose yet: nothing else is due
    # The shortcut agrees with a full re-read of the record.
    assert LiveSession(store, session.id, clinician.id, clock).reading() == live.reading()


def test_the_last_protocol_used_is_offered_first(qtbot, store, people, protocols, clock):
    clinician, client = people
    store.start_session(client.id, clinician.id, protocols["iv-infusion"])
    loaded, errors = load_protocols(protocol_folders())
    window = make_main_window(qtbot, store, clock)
    qtbot.addWidget(window)
    assert window.start_screen.protocol.itemData(0) != "iv-infusion"  # not simply the first in the list
    assert window.start_screen.protocol.currentData() == "iv-infusion"


def test_another_clinician_resuming_is_a_recorded_hand_off(qtbot, store, clock):
    """The nurse who started the sitting signs out at a restart; the prescriber who resumes it
    proved who they are at sign-in: the record says who took over, and everything after is theirs."""
    from kapdesk.domain.entries import Handoff, Observation, of_type

    first = make_main_window(qtbot, store, clock, signed_in="Nurse Starter (synthetic)", role="prescriber")
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    view = start_by_keyboard(qtbot, first, client="HAND-01 (synthetic)")
    session_id = view.live.id
    clock.advance(300)

    second = make_main_window(qtbot, store, clock, signed_in="Doctor Resumer (synthetic)")
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    second.resume_session(session_id)
    live = second.session_view.live
    (entry, handoff), = of_type(live.entries(), Handoff)
    assert (handoff.from_name, handoff.to_name, handoff.by) == ("Nurse Starter (synthetic)",
                                                                 "Doctor Resumer (synthetic)", "password")
    assert entry.author_name == "Doctor Resumer (synthetic)"
    assert live.record(Observation("Synthetic: after the hand-off")).author_name == "Doctor Resumer (synthetic)"

    third = make_main_window(qtbot, store, clock, signed_in="Doctor Resumer (synthetic)")  # the same one again
    qtbot.addWidget(third)
    third.show()
    third.resume_session(session_id)
    assert len(of_type(third.session_view.live.entries(), Handoff)) == 1  # no hand-off to oneself
