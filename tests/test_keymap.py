"""The key map: no two actions share a key where both are live, the README's table is the map,
and the window's shortcuts are the map's keys (Ctrl+P in particular: PDF on the start screen,
play/pause in a session)."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QApplication

from kapdesk.ui import keymap
from kapdesk.ui.keymap import ACTIONS, NOTES, RECORD, SESSION, START, Action

README = Path(__file__).resolve().parent.parent / "README.md"
CTRL = Qt.KeyboardModifier.ControlModifier


def test_no_two_actions_share_a_key_where_both_are_live():
    assert keymap.clashes() == []


def test_the_clash_check_sees_a_clash_and_lets_siblings_share():
    ack = Action("x.ack", "Ctrl+Shift+A", "acknowledge", SESSION)
    addendum = Action("x.addendum", "Ctrl+Shift+A", "sign the addendum", NOTES)  # the clash found in issue 8
    assert [(a.id, b.id, key) for a, b, key in keymap.clashes([ack, addendum])] == [
        ("x.ack", "x.addendum", "Ctrl+Shift+A")]
    keypad = Action("x.keypad", "Ctrl+K", "k", SESSION, also=("Ctrl+Shift+A",))
    assert keymap.clashes([keypad, addendum]), "a second key of an action counts too"
    note_tag = Action("x.tag", "Alt+1", "tag", RECORD)
    note_section = Action("x.section", "Alt+1", "section", NOTES)
    assert keymap.clashes([note_tag, note_section]) == []  # two pages: never live together
    pdf = Action("x.pdf", "Ctrl+P", "pdf", START)
    play = Action("x.play", "Ctrl+P", "play", SESSION)
    assert keymap.clashes([pdf, play]) == []
    shadow = Action("x.open", "Alt+1", "open", NOTES, overrides="x.other")
    assert keymap.clashes([Action("x.other", "Alt+1", "other", SESSION), shadow]) == []
    wrong_way = Action("x.other", "Alt+1", "other", SESSION, overrides="x.open")  # a parent cannot shadow a child
    assert keymap.clashes([wrong_way, Action("x.open", "Alt+1", "open", NOTES)])


def test_every_action_has_a_key_qt_understands_and_a_unique_id():
    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids))
    for action in ACTIONS:
        for key in action.keys:
            assert keymap.QKeySequence(key).toString() == key, (action.id, key)


def test_the_readme_key_table_is_the_key_map():
    text = README.read_text(encoding="utf-8")
    section = text.split("## In the room: keys", 1)[1].split("\n## ", 1)[0]
    assert keymap.readme_table() in section, "run: python tools/keys_table.py, and paste it into README.md"




def _start(qtbot, window):
    screen = window.start_screen
    screen.client.setCurrentText("KEY-01 (synthetic)")
    screen.choose_protocol("sublingual")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    assert window.session_view is not None, screen.message.text()
    return window.session_view


def test_every_shortcut_in_the_window_is_a_key_of_the_map(qtbot, window):
    _start(qtbot, window)
    mapped = {s.toString() for a in ACTIONS for s in keymap.sequences(a.id)}
    shortcuts = window.findChildren(QShortcut)
    assert len(shortcuts) > 40
    assert sorted({s.key().toString() for s in shortcuts} - mapped) == []


def test_ctrl_p_exports_on_the_start_screen_and_plays_in_a_session(qtbot, window, monkeypatch):
    from kapdesk.ui.music_pane import MusicPane

    played = []
    monkeypatch.setattr(MusicPane, "toggle_pause", lambda self: played.append(True))
    exports = []
    window.history.export_requested.connect(lambda sid, fmt: exports.append(fmt))
    view = _start(qtbot, window)
    qtbot.keyClick(QApplication.focusWidget() or view, Qt.Key.Key_P, CTRL)
    assert played == [True] and exports == []

    qtbot.keyClick(view, Qt.Key.Key_Backspace, CTRL)  # back to the start screen
    assert window.stack.currentWidget() is window.start_screen
    window.history.list.setFocus()
    qtbot.keyClick(window.history.list, Qt.Key.Key_P, CTRL)
    assert exports == ["pdf"] and played == [True]
