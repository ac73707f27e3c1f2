"""The start screen: no protocol picked without a reason, a plain line when one is missing, the
clinic's default protocol, and Enter resuming a session in progress wherever the focus is."""

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kapdesk.domain.clinic import load_clinic_settings_or_defaults
from conftest import open_main_window

CTRL = Qt.KeyboardModifier.ControlModifier


def clinic_file(text: str) -> Path:
    """The clinic's own clinic.toml, in the test's user data folder (conftest points there)."""
    path = Path(os.environ["KAPDESK_DATA_DIR"]) / "clinic.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path




def test_a_fresh_record_picks_no_protocol(qtbot, store, clock):
    window = open_main_window(qtbot, store, clock)
    combo = window.start_screen.protocol
    assert combo.count() == 4 and combo.currentIndex() == -1 and combo.currentData() is None
    assert combo.placeholderText() == "Pick the protocol"


def test_starting_without_a_protocol_says_what_to_pick_and_keeps_the_text(qtbot, store, clock):
    window = open_main_window(qtbot, store, clock)
    screen = window.start_screen
    screen.client.setFocus()
    qtbot.keyClicks(screen.client, "START-01 (synthetic)")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    message = screen.message.text()
    assert message.startswith("Pick the protocol first (Alt+P") and "\n" not in message
    assert "Sublingual ketamine (troche)" in message
    assert window.stack.currentWidget() is screen and store.sessions() == []
    assert QApplication.activeModalWidget() is None
    assert screen.signed_in.text().startswith("Signed in as Desk Clinician (synthetic)")
    assert screen.client.currentText() == "START-01 (synthetic)"
    assert QApplication.focusWidget() is screen.protocol  # the next key picks one
    qtbot.keyClick(screen.protocol, Qt.Key.Key_Down)
    qtbot.keyClick(screen.protocol, Qt.Key.Key_Return, CTRL)
    assert window.session_view is not None and store.sessions()[0].client_label == "START-01 (synthetic)"


def test_the_clinics_default_protocol_is_offered_on_a_fresh_record(qtbot, store, clock):
    clinic_file('[session]\ndefault_protocol = "intramuscular"\n')
    window = open_main_window(qtbot, store, clock)
    assert window.start_screen.protocol.currentData() == "intramuscular"


def test_the_last_session_wins_over_the_clinics_default(qtbot, store, clock, people, protocols):
    clinic_file('[session]\ndefault_protocol = "intramuscular"\n')
    clinician, client = people
    store.start_session(client.id, clinician.id, protocols["iv-infusion"])
    window = open_main_window(qtbot, store, clock)
    assert window.start_screen.protocol.currentData() == "iv-infusion"


def test_a_default_protocol_that_is_not_loaded_is_named_with_its_file_and_line(qtbot, store, clock):
    path = clinic_file('[alerts]\nhr_low = 50\n\n[session]\ndefault_protocol = "oral-tablet"\n')
    window = open_main_window(qtbot, store, clock)
    assert window.start_screen.protocol.currentIndex() == -1
    assert f"{path}:5: session.default_protocol: no protocol “oral-tablet” is loaded" in window.start_screen.message.text()


def test_a_malformed_default_protocol_is_refused_with_file_and_line(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text('[session]\ndefault_protocol = "Sublingual please"\n', encoding="utf-8")
    settings, errors = load_clinic_settings_or_defaults([path])
    assert settings.default_protocol is None
    assert [str(e) for e in errors] == [
        f'{path}:2: session.default_protocol: must be a protocol id such as "sublingual" (lower-case letters, '
        "digits, hyphens), not 'Sublingual please'"]


@pytest.fixture
def restarted(qtbot, store, clock, people, protocols):
    """A window opened on a record with a session in progress (as after a crash) and one ended before it."""
    clinician, client = people
    old = store.start_session(client.id, clinician.id, protocols["sublingual"])
    store.end_session(old.id, clinician.id)
    clock.advance(3600)
    running = store.start_session(client.id, clinician.id, protocols["esketamine"])
    return open_main_window(qtbot, store, clock), running


@pytest.mark.parametrize("where", ["resume", "client", "protocol", "start", "search", "list"])
def test_enter_resumes_the_session_in_progress_whatever_has_the_focus(qtbot, restarted, where):
    window, running = restarted
    screen, history = window.start_screen, window.history
    assert screen.resume_buttons and screen.resume_buttons[0].hasFocus()  # offered first
    widget = {"resume": screen.resume_buttons[0], "client": screen.client,
              "protocol": screen.protocol, "start": screen.start_button, "search": history.search,
              "list": history.list}[where]
    widget.setFocus()
    assert QApplication.focusWidget() in (widget, getattr(widget, "lineEdit", lambda: None)())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert window.session_view is not None and window.session_view.live.id == running.id


def test_without_a_session_in_progress_enter_is_left_to_the_fields(qtbot, store, clock):
    window = open_main_window(qtbot, store, clock)
    screen = window.start_screen
    screen.client.setFocus()
    qtbot.keyClicks(screen.client, "ENTER-01 (synthetic)")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return)
    assert window.session_view is None and store.sessions() == []
