"""Focus follows the keys: after a page key (F5–F9) or an entry key, typing lands where it is expected.

Each test presses the key on the real main window and then types the way a keyboard does, every
key to whatever widget has the focus at that moment (``type_here``), so a key that leaves the
focus behind fails here the way it fails for the clinician.
"""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier




@pytest.fixture
def view(qtbot, window):
    screen = window.start_screen
    screen.client.setCurrentText("FOCUS-01 (synthetic)")
    screen.choose_protocol("sublingual")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    assert window.session_view is not None, screen.message.text()
    return window.session_view


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    """A key as the keyboard sends it: to the focus widget (the window when nothing has focus)."""
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)


def type_here(qtbot, window, text):
    for char in text:
        qtbot.keyClicks(QApplication.focusWidget() or window, char)


def test_f9_then_nine_digits_saves_a_phq9(qtbot, window, view, store):
    press(qtbot, window, Qt.Key.Key_F9)
    assert view.tabs.currentWidget().widget() is view.outcomes
    assert QApplication.focusWidget() is view.outcomes.rows[0], "the cursor is on PHQ-9 item 1"
    type_here(qtbot, window, "012301230")
    assert view.outcomes.answers() == {row.key: int(d) for row, d in zip(view.outcomes.rows, "012301230")}
    press(qtbot, window, Qt.Key.Key_Return)
    saved = store.outcomes(view.live.info.client_id)
    assert [(o.measure, o.total) for o in saved] == [("phq9", 12)]
    assert "PHQ-9 12" in view.outcomes.message.text() and view.outcomes.message.visibleRegion().isEmpty() is False


def test_f8_then_typing_writes_the_first_section_of_the_note(qtbot, window, view):
    press(qtbot, window, Qt.Key.Key_F2)  # the cursor starts in the vitals line, on another page
    press(qtbot, window, Qt.Key.Key_F8)
    type_here(qtbot, window, "Synthetic intention")
    first = next(iter(view.notes.editors.values()))
    assert first.toPlainText() == "Synthetic intention"
    assert QApplication.focusWidget() is first


def test_f8_returns_to_the_section_last_written_in(qtbot, window, view):
    press(qtbot, window, Qt.Key.Key_F8)
    press(qtbot, window, Qt.Key.Key_3, ALT)
    type_here(qtbot, window, "third")
    press(qtbot, window, Qt.Key.Key_F5)
    press(qtbot, window, Qt.Key.Key_F8)
    type_here(qtbot, window, " and more")
    assert list(view.notes.sections().values())[2] == "third and more"


def test_f7_then_typing_writes_the_intention(qtbot, window, view):
    press(qtbot, window, Qt.Key.Key_F5)
    press(qtbot, window, Qt.Key.Key_F7)
    type_here(qtbot, window, "To feel safe (synthetic)")
    assert view.preparation.intention.toPlainText() == "To feel safe (synthetic)"


def test_f5_then_typing_records_a_reading(qtbot, window, view, store):
    press(qtbot, window, Qt.Key.Key_F8)
    press(qtbot, window, Qt.Key.Key_F5)
    type_here(qtbot, window, "128/84 72 98 14")
    assert view.record_pane.vitals.line.text() == "128/84 72 98 14"
    press(qtbot, window, Qt.Key.Key_Return)
    assert [e.kind for e in store.entries(view.live.id) if e.kind == "vitals"] == ["vitals"]


def test_f6_puts_the_cursor_in_the_timeline_list(qtbot, window, view):
    press(qtbot, window, Qt.Key.Key_F6)
    assert QApplication.focusWidget() is view.timeline.view
    entries = view.timeline.visible_entries()
    assert view.timeline.selected_entry() == entries[-1], "on the newest entry, selected, ready for Ctrl+R"


@pytest.mark.parametrize(("key", "modifiers", "field"), [
    (Qt.Key.Key_F2, Qt.KeyboardModifier.NoModifier, lambda pane: pane.vitals.line),
    (Qt.Key.Key_F2, SHIFT, lambda pane: pane.vitals.fields["systolic"]),
    (Qt.Key.Key_F3, Qt.KeyboardModifier.NoModifier, lambda pane: pane.observation.line),
    (Qt.Key.Key_D, ALT, lambda pane: pane.dose.amount),
    (Qt.Key.Key_P, ALT, lambda pane: pane.presence.present),
    (Qt.Key.Key_R, ALT, lambda pane: pane.rems.adverse),
], ids=["F2", "Shift+F2", "F3", "Alt+D", "Alt+P", "Alt+R"])
def test_every_entry_key_puts_typing_in_its_first_field(qtbot, window, view, key, modifiers, field):
    press(qtbot, window, Qt.Key.Key_F8)  # from another page: the key brings the record page
    press(qtbot, window, key, modifiers)
    target = field(view.record_pane)
    assert QApplication.focusWidget() is target
    target.clear()
    type_here(qtbot, window, "12")
    assert target.text() == "12"


def test_f4_then_a_digit_scores_the_first_item(qtbot, window, view):
    press(qtbot, window, Qt.Key.Key_F7)
    press(qtbot, window, Qt.Key.Key_F4)
    pad = view.record_pane.scales.pad
    assert QApplication.focusWidget() is pad
    type_here(qtbot, window, "4")
    assert list(pad.current_answers().values())[0] == 4
