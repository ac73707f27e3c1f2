"""The idle lock, the hand-off and break glass in the real window, by keyboard, on a hand-moved clock.

Locked, the window shows the session clock, the reminders' times and the music transport, and no
client data: the record, the pseudonym, notes, charts and history are hidden (not visible, so out
of the accessibility tree and the tab chain), while the session view keeps ticking and the music
keeps playing beneath. The player runs on ``NullBackend`` (tests/test_music_session.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    DESK_CLINICIAN,
    SYNTHETIC_PASSWORD,
    open_main_window,
    synthetic_account,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from test_music_session import make_player
from test_sign_in_window import choose

from kapdesk.domain.clinic import load_clinic_settings_or_defaults
from kapdesk.domain.entries import Handoff, Observation, of_type
from kapdesk.player import PlaybackState, VlcAvailability

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CLIENT = "LOCK-01 (synthetic)"
QUOTE = "Synthetic: the light is warm"
NURSE = "Night Nurse (synthetic)"
NURSE_PIN = "2580"
CODE = "synthetic emergency code"


@pytest.fixture
def desk(qtbot, store, clock):
    """The window signed in as the desk admin, a nurse with a PIN, and a NullBackend player."""
    window = open_main_window(qtbot, store, clock)
    nurse = synthetic_account(window.clinic, NURSE, "prescriber")
    window.clinic.accounts.set_pin(nurse.id, NURSE_PIN)
    player, _backend = make_player(clock)
    window._player, window._availability = player, VlcAvailability(True, "test", "")
    yield window
    player.close()


def start(qtbot, window):
    screen = window.start_screen
    screen.client.setCurrentText(CLIENT)
    screen.choose_protocol("sublingual")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    view = window.session_view
    assert view is not None, screen.message.text()
    return view


def shown_text(window) -> str:
    """Every text a visible widget of the window shows (labels, lines, buttons, combo boxes, tabs)."""
    texts = [window.windowTitle(), window.statusBar().currentMessage()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, (QLabel, QLineEdit, QAbstractButton)):
            texts.append(widget.text())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            texts.extend(str(model.index(row, column).data() or "") for row in range(model.rowCount())
                         for column in range(8))  # an index past the last column is invalid: no data
        texts.append(widget.accessibleName())
    return "\n".join(texts)


def tab_chain(start: QWidget, steps: int = 60) -> list[QWidget]:
    """The widgets Tab would reach from ``start`` (visible, enabled, taking focus by Tab)."""
    found, widget = [], start
    for _ in range(steps):
        widget = widget.nextInFocusChain()
        if widget is start:
            break
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            found.append(widget)
    return found


def actions(store) -> list[tuple[str, str]]:
    return [(e.action, e.detail.get("why", "")) for e in store.audit_events()]


def test_idle_lock_hides_the_client_and_keeps_the_clock_and_the_music(qtbot, desk, store, clock):
    window = desk
    view = start(qtbot, window)
    view.live.record(Observation(QUOTE, quote=True))
    qtbot.keyClick(view, Qt.Key.Key_P, CTRL)  # music: play
    assert window._player.state is PlaybackState.PLAYING
    qtbot.keyClick(view, Qt.Key.Key_F6)  # the timeline, with the client's words in it
    assert QUOTE in shown_text(window)

    clock.advance(10 * 60 - 1)  # the shipped idle_lock_minutes is 10
    window.idle.check()
    assert not window.locked
    clock.advance(2)
    window.idle.check()
    assert window.locked and actions(store)[-1] == ("locked", "idle")

    lock = window.lock_screen
    text = shown_text(window)
    for secret in (CLIENT, "LOCK-01", QUOTE, "Record", "Timeline", "Integration note"):
        assert secret not in text, secret
    assert not view.isVisible() and not window.history.isVisible()
    assert not any(view.isAncestorOf(w) or window.start_screen.isAncestorOf(w)
                   for w in tab_chain(QApplication.focusWidget()))
    assert lock.isAncestorOf(QApplication.focusWidget())
    # The room: the clock, the reminders as times, the music transport.
    assert lock.since_arrival.isVisible() and lock.since_arrival.text() == "10:01"
    assert lock.phase.text() == "Arrival & check-in"
    assert lock.reminders.text().startswith("Pre-dose vitals at ")
    assert all(button.isVisible() for button in lock.buttons.values())
    assert window._player.state is PlaybackState.PLAYING  # the music carries on

    # Beneath, the sitting keeps going: its timer ticks and the reminder falls due.
    assert view._timer.isActive()
    clock.advance(15 * 60)
    view.tick()
    lock.tick()
    assert "overdue" in view.band.reminder.text() and "overdue" in lock.reminders.text()
    assert lock.since_arrival.text() == "25:01"

    # The transport works by keys while locked, and the state is the player's.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, CTRL)
    assert window._player.state in (PlaybackState.PAUSING, PlaybackState.PAUSED)
    assert "paus" in lock.track.text()
    volume = window._player.volume
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down, CTRL | SHIFT)
    assert window._player.volume < volume

    # The one who locked unlocks with their password: no hand-off.
    form = lock.form
    assert form.who.currentText() == DESK_CLINICIAN
    qtbot.keyClicks(form.secret, SYNTHETIC_PASSWORD)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert not window.locked and window.stack.currentWidget() is view and view.isVisible()
    assert of_type(view.live.entries(), Handoff) == []
    assert actions(store)[-1] == ("unlocked", "")


def test_unlock_by_another_clinician_with_a_pin_records_the_handoff(qtbot, desk, store):
    window = desk
    view = start(qtbot, window)
    desk_id = view.live.clinician_id
    qtbot.keyClick(view, Qt.Key.Key_L, CTRL | SHIFT)
    assert window.locked and actions(store)[-1] == ("locked", "key")
    form = window.lock_screen.form
    choose(qtbot, form.who, NURSE)
    qtbot.keyClick(form.who, Qt.Key.Key_Return)
    qtbot.keyClicks(form.secret, "9999")
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert window.locked and form.message.text().startswith(f"Wrong password or PIN for {NURSE}")
    clock = window.clock
    clock.advance(1)
    form.secret.selectAll()
    qtbot.keyClicks(form.secret, NURSE_PIN)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)

    assert not window.locked and window.clinician.name == NURSE
    (entry, handoff), = of_type(view.live.entries(), Handoff)
    assert (handoff.from_id, handoff.from_name, handoff.to_name, handoff.by) == (desk_id, DESK_CLINICIAN, NURSE, "pin")
    assert entry.author_name == NURSE and view.live.clinician_id == handoff.to_id
    assert NURSE in view.message.text()
    later = view.live.record(Observation("Synthetic: resting"))
    assert later.author_name == NURSE
    unlocked = [e for e in store.audit_events() if e.action == "unlocked"]
    assert [e.actor for e in unlocked] == [NURSE]


def test_the_quick_switch_hands_over_with_a_password(qtbot, desk, store):
    window = desk
    view = start(qtbot, window)
    qtbot.keyClick(view, Qt.Key.Key_H, CTRL | SHIFT)
    panel = view.handoff
    assert panel.isVisible() and QApplication.focusWidget() is panel.form.who
    assert [panel.form.who.itemText(i) for i in range(panel.form.who.count())] == [NURSE]  # not the one acting
    qtbot.keyClick(panel.form.who, Qt.Key.Key_Return)
    qtbot.keyClick(panel.form.secret, Qt.Key.Key_Escape)  # Esc: no hand-off
    assert not panel.isVisible() and view.live.clinician_id == window.clinician.id
    qtbot.keyClick(view, Qt.Key.Key_H, CTRL | SHIFT)
    qtbot.keyClick(panel.form.who, Qt.Key.Key_Return)
    qtbot.keyClicks(panel.form.secret, SYNTHETIC_PASSWORD)
    qtbot.keyClick(panel.form.secret, Qt.Key.Key_Return)
    assert not panel.isVisible()
    (_entry, handoff), = of_type(view.live.entries(), Handoff)
    assert handoff.to_name == NURSE and handoff.by == "password"
    assert window.clinician.name == NURSE
    assert [e.action for e in store.audit_events()][-2:] == ["hand-off", "created"]  # the entry joins the chain


def test_ctrl_shift_l_on_the_start_screen_hides_the_history(qtbot, desk, store, clock, people, protocols):
    window = desk
    clinician, client = people
    store.start_session(client.id, clinician.id, protocols["sublingual"])
    window.show_start()
    assert "TEST-01" in shown_text(window)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_L, CTRL | SHIFT)
    assert window.locked and not window.history.isVisible() and not window.start_screen.isVisible()
    assert "TEST-01" not in shown_text(window)
    assert not window.lock_screen.room.isVisible() and not window.lock_screen.music.isVisible()
    form = window.lock_screen.form
    qtbot.keyClicks(form.secret, SYNTHETIC_PASSWORD)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.start_screen


def test_a_suspended_laptop_locks_on_resume(qtbot, desk, store, clock):
    window = desk
    view = start(qtbot, window)
    clock.advance(60)  # an ordinary minute: the wall and the awake clock move together
    window.idle.check()
    assert not window.locked
    clock.suspend(20 * 60)  # the lid was closed for 20 minutes
    window.idle.check()
    assert window.locked and actions(store)[-1] == ("locked", "resume")
    assert not view.isVisible() and window.session_view is view  # hidden, never closed


def test_break_glass_needs_a_reason_and_is_shown_until_an_admin_reviews_it(qtbot, desk, store, clock):
    window = desk
    admin = window.clinician
    window.clinic.accounts.set_emergency_code(admin, CODE)
    window.sign_out()
    page = window.sign_in_page
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_B, CTRL | SHIFT)
    glass = page.emergency_form
    assert QApplication.focusWidget() is glass.code
    qtbot.keyClicks(glass.code, CODE)
    qtbot.keyClick(glass.code, Qt.Key.Key_Return)
    assert glass.message.text() == "Say why the emergency access is needed: the reason is recorded."
    assert QApplication.focusWidget() is glass.reason and window.clinician is None
    assert window.clinic.accounts.open_emergency_accesses() == []
    qtbot.keyClicks(glass.reason, "Synthetic: locked out during a sitting")
    qtbot.keyClick(glass.reason, Qt.Key.Key_Return)

    assert window.clinician is not None and window.clinician.name == "Emergency access (break glass)"
    screen = window.start_screen
    assert screen.emergencies.isVisible() and "Synthetic: locked out during a sitting" in screen.emergencies.text()
    view = start(qtbot, window)
    assert view.live.info.clinician_name == "Emergency access (break glass)"
    assert "Emergency access (break glass)" not in [c.name for c in window.clinic.sign_in_choices()]
    qtbot.keyClick(view, Qt.Key.Key_Backspace, CTRL)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_O, CTRL | SHIFT)  # sign out

    form = page.form
    choose(qtbot, form.who, DESK_CLINICIAN)
    qtbot.keyClicks(form.secret, SYNTHETIC_PASSWORD)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert screen.emergencies.isVisible()  # still open
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_U, CTRL | SHIFT)
    accounts = window.accounts_page
    assert accounts.accesses.count() == 1 and "Synthetic: locked out" in accounts.accesses.item(0).text()
    accounts.accesses.setFocus()
    accounts.accesses.setCurrentRow(0)
    qtbot.keyClick(accounts.accesses, Qt.Key.Key_Return)
    assert accounts.accesses.count() == 0 and accounts.message.text() == "Emergency access marked reviewed."
    qtbot.keyClick(accounts.accesses, Qt.Key.Key_Backspace, CTRL)
    assert not screen.emergencies.isVisible()
    assert [e.action for e in store.audit_events()].count("break glass") == 1


def test_break_glass_on_the_lock_screen_is_a_handoff_to_emergency_access(qtbot, desk, store):
    window = desk
    window.clinic.accounts.set_emergency_code(window.clinician, CODE)
    view = start(qtbot, window)
    window.lock("key")
    glass = window.lock_screen.emergency_form
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_B, CTRL | SHIFT)
    qtbot.keyClicks(glass.code, CODE)
    glass.reason.setFocus()
    qtbot.keyClicks(glass.reason, "Synthetic: the therapist is away")
    qtbot.keyClick(glass.reason, Qt.Key.Key_Return)
    assert not window.locked
    (_entry, handoff), = of_type(view.live.entries(), Handoff)
    assert handoff.to_name == "Emergency access (break glass)" and handoff.by == "emergency"


def test_idle_lock_minutes_is_a_clinic_setting_of_at_most_15(tmp_path: Path):
    assert load_clinic_settings_or_defaults()[0].idle_lock_minutes == 10
    path = tmp_path / "clinic.toml"
    path.write_text("[security]\nidle_lock_minutes = 3\n", encoding="utf-8")
    assert load_clinic_settings_or_defaults([path])[0].idle_lock_minutes == 3
    for bad in ("20", "0", '"ten"'):
        path.write_text(f"# the lock\n[security]\nidle_lock_minutes = {bad}\n", encoding="utf-8")
        settings, errors = load_clinic_settings_or_defaults([path])
        assert settings.idle_lock_minutes == 10
        assert str(errors[0]).startswith(f"{path}:3: security.idle_lock_minutes: must be a whole number of minutes 1–15")


def test_a_short_idle_setting_locks_sooner(qtbot, store, clock, tmp_path, monkeypatch):
    import os

    folder = Path(os.environ["KAPDESK_DATA_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clinic.toml").write_text("[security]\nidle_lock_minutes = 2\n", encoding="utf-8")
    window = open_main_window(qtbot, store, clock)
    clock.advance(2 * 60)
    window.idle.check()
    assert window.locked


def test_the_report_lists_the_handoff_under_presence_and_hand_off(qtbot, desk, store, clock):
    from datetime import timezone

    from kapdesk.domain.alerts import DEFAULT_RULES
    from kapdesk.export.pdf_sections import Report

    window = desk
    view = start(qtbot, window)
    nurse = next(c for c in store.clinicians() if c.name == NURSE)
    view.live.hand_over(nurse, "pin")
    report = Report(store.session_record(view.live.id), DEFAULT_RULES, timezone.utc, clock.utcnow())
    html = report.presence()
    assert NURSE in html and f"from {DESK_CLINICIAN}, signed in with PIN" in html
    assert "hand-off" not in report.other_entries()  # shown once, in its own section


def test_unlocking_over_a_past_session_switches_the_author_without_a_handoff_entry(qtbot, desk, store, people,
                                                                                 protocols):
    window = desk
    clinician, client = people
    past = store.start_session(client.id, clinician.id, protocols["sublingual"])
    store.end_session(past.id, clinician.id)
    window.open_session(past.id)
    view = window.session_view
    assert view.live.clinician_id == window.clinician.id  # an addendum would be the signed-in one's
    before = len(store.entries(past.id))
    window.lock("key")
    form = window.lock_screen.form
    choose(qtbot, form.who, NURSE)
    qtbot.keyClicks(form.secret, NURSE_PIN)
    qtbot.keyClick(form.secret, Qt.Key.Key_Return)
    assert not window.locked and view.live.clinician_id == window.clinician.id and window.clinician.name == NURSE
    assert len(store.entries(past.id)) == before
