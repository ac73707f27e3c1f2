"""PHQ-9 item 9 in the real window, by keyboard only: typed in the sitting, marked in the course.

F9 opens the PHQ-9 with the cursor on item 1; nine digits answer it; Enter saves. Ctrl+Backspace
goes back to the start screen, where the history list has the sitting selected and the course of
its client shows the marker in words. Every key goes to whatever widget has the focus.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kapdesk.ui.history_view import COURSE_COLUMNS

CTRL = Qt.KeyboardModifier.ControlModifier


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifiers)


def type_here(qtbot, window, text):
    for char in text:
        qtbot.keyClicks(QApplication.focusWidget() or window, char)


def test_phq9_with_item9_two_is_marked_in_the_form_and_the_course(qtbot, window, store):
    screen = window.start_screen
    screen.client.setCurrentText("ITEM9-01 (synthetic)")
    screen.choose_protocol("sublingual")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    view = window.session_view
    assert view is not None, screen.message.text()

    press(qtbot, window, Qt.Key.Key_F9)
    type_here(qtbot, window, "000000002")
    press(qtbot, window, Qt.Key.Key_Return)
    (saved,) = store.outcomes(view.live.info.client_id)
    assert saved.answers["self_harm"] == 2 and saved.total == 2
    assert "PHQ-9 2 (minimal) · ⚑ item 9 = 2" in view.outcomes.message.text()
    assert "PHQ-9 2 (minimal) · ⚑ item 9 = 2" in view.outcomes.recorded.text()
    # The sitting's alert strip says it too: a critical alert, with the same advice everywhere.
    strip = view.record_pane.alerts_strip
    qtbot.waitUntil(lambda: any(a.key == "phq9_item9" for a in strip.alerts))
    alert = next(a for a in strip.alerts if a.key == "phq9_item9")
    assert alert.severity == "critical" and "item 9 = 2" in alert.message
    assert "item 9 = 2" in strip.alerts_label.text()
    session_id = view.live.id

    press(qtbot, window, Qt.Key.Key_Backspace, CTRL)  # back to the start screen
    history = window.history
    assert window.session_view is None and history.selected_session_id() == session_id
    row = next(r for r in range(history.model.rowCount()) if history.model.sessions[r].id == session_id)
    assert history.model.data(history.model.index(row, 1)) == "ITEM9-01 (synthetic)  ⚑ item 9 = 2"
    qtbot.waitUntil(lambda: history.course_table.topLevelItemCount() == 1)  # the course follows the selection
    cell = history.course_table.topLevelItem(0).text(COURSE_COLUMNS.index("PHQ-9"))
    assert cell == "2 · ⚑ item 9 = 2"
    assert history.course_item9.isVisible() and "item 9 = 2" in history.course_item9.text()
