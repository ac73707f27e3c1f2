"""The music pane: keys drive the player (also while typing a note), missing tracks read as such,
and without libvlc the pane says what to install while the sitting carries on.

The player runs on ``NullBackend`` with the hand-moved clock (helpers from test_music_session).
Keys are real key presses through Qt's shortcut machinery, into an active window.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QStyleOptionViewItem, QVBoxLayout, QWidget
from test_music_session import TRACK_S, Rig, advance_to, write_playlist
from test_music_session import make_rig, playlist_folder, rig  # noqa: F401 (fixtures shared with the glue tests)

from kapdesk.session import MusicSession, create_player
from kapdesk.player import PlaybackState, PlayerSettings, SectionChangeMode, install_hint
from kapdesk.ui import keymap
from kapdesk.ui.music_pane import LOOK_ROLE, MusicPane, format_time
from kapdesk.ui.session_view import SessionView
from kapdesk.ui.theme import DARK, apply_theme

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


class Desk(QWidget):
    """Stands in for the session view: the pane beside a line and a note the therapist types in."""

    def __init__(self, music: MusicSession) -> None:
        super().__init__()
        self.line = QLineEdit()
        self.note = QPlainTextEdit()
        self.pane = MusicPane(music, shortcut_scope=self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.line)
        layout.addWidget(self.note)
        layout.addWidget(self.pane)


def show_active(qtbot, widget: QWidget) -> None:
    qtbot.addWidget(widget)
    widget.resize(700, 900)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()  # shortcuts only reach the active window
    qtbot.waitUntil(widget.isActiveWindow)


@pytest.fixture(autouse=True)
def _dark() -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, DARK)


@pytest.fixture
def desk(qtbot, rig: Rig) -> Desk:
    desk = Desk(rig.music)
    show_active(qtbot, desk)
    desk.line.setFocus()
    qtbot.waitUntil(desk.line.hasFocus)
    return desk


def press(qtbot, target: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(target, key, modifiers)


def test_keys_drive_the_player_while_a_text_field_has_the_focus(qtbot, rig: Rig, desk: Desk) -> None:
    player = rig.player
    for typing_in in (desk.line, desk.note):
        typing_in.setFocus()
        qtbot.waitUntil(typing_in.hasFocus)
        if player.state is not PlaybackState.STOPPED:
            player.fade_out_and_stop(0)
            rig.run(1)
            rig.music.choose_playlist(rig.music.playlist_path)  # back to the start of the arc
        press(qtbot, typing_in, Qt.Key.Key_P, CTRL)
        assert player.state is PlaybackState.PLAYING
        rig.run(6)
        press(qtbot, typing_in, Qt.Key.Key_Right, ALT)  # next track
        rig.run(5)
        assert player.current_track is not None and player.current_track.title == "Settle B"
        press(qtbot, typing_in, Qt.Key.Key_Left, ALT)  # back to Settle A (only 3 s in)
        rig.run(5)
        assert player.current_track.title == "Settle A"
        press(qtbot, typing_in, Qt.Key.Key_PageDown, ALT)  # next section
        rig.run(5)
        assert player.current_section_key == "onset"
        press(qtbot, typing_in, Qt.Key.Key_T, CTRL)  # talk down
        assert player.talk_active
        press(qtbot, typing_in, Qt.Key.Key_T, CTRL)
        assert not player.talk_active
        volume = player.volume
        press(qtbot, typing_in, Qt.Key.Key_Up, CTRL | SHIFT)
        assert player.volume == volume + 5
        press(qtbot, typing_in, Qt.Key.Key_Down, CTRL | SHIFT)
        press(qtbot, typing_in, Qt.Key.Key_Down, CTRL | SHIFT)
        assert player.volume == volume - 5
        press(qtbot, typing_in, Qt.Key.Key_P, CTRL)  # pause
        assert player.state is PlaybackState.PAUSING
        assert typing_in.hasFocus(), "the music keys never move the focus"
        assert desk.line.text() == "" and desk.note.toPlainText() == "", "no key reached the text"
    events = rig.events()
    for wanted in ("play", "skip", "fade", "volume", "pause", "section_change"):
        assert wanted in events


def test_every_key_is_on_its_button(desk: Desk) -> None:
    for name, button in desk.pane.buttons.items():
        assert keymap.key(f"music.{name}") in button.text(), (name, button.text())
        assert keymap.key(f"music.{name}") in button.toolTip()


def test_clicking_a_button_leaves_the_focus_in_the_note(qtbot, rig: Rig, desk: Desk) -> None:
    desk.note.setFocus()
    qtbot.waitUntil(desk.note.hasFocus)
    qtbot.mouseClick(desk.pane.buttons["play"], Qt.MouseButton.LeftButton)
    assert rig.player.state is PlaybackState.PLAYING
    assert desk.note.hasFocus()


def test_the_seconds_ticking_down_do_not_lay_the_pane_out_again(qtbot, rig: Rig, desk: Desk) -> None:
    """Once a second for hours: the new "time left" repaints its label, nothing is laid out again."""
    from PySide6.QtCore import QEvent, QObject

    class LayoutRequests(QObject):
        count = 0

        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
            if event.type() == QEvent.Type.LayoutRequest:
                self.count += 1
            return False

    pane = desk.pane
    press(qtbot, desk.line, Qt.Key.Key_P, CTRL)
    rig.run(6)  # past the fade-in; the first "time left" has fixed the label's size
    for _ in range(3):
        QApplication.processEvents()
    requests = LayoutRequests()
    for widget in (desk, pane, *pane.findChildren(QWidget)):
        widget.installEventFilter(requests)
    shown = []
    for _ in range(12):
        rig.run(1)
        QApplication.processEvents()
        shown.append(pane.time_left.text())
    assert len(set(shown)) >= 10, shown
    assert requests.count == 0
    for widget in (desk, pane, *pane.findChildren(QWidget)):
        widget.removeEventFilter(requests)


def test_now_playing_shows_title_artist_and_time_left(qtbot, rig: Rig, desk: Desk) -> None:
    pane = desk.pane
    assert pane.track_title.text() == "Settle A"
    assert pane.state_line.text() == "Stopped · Ctrl+P plays"
    assert pane.time_left.text() == "−1:00"  # the track's listed length while stopped
    press(qtbot, desk.line, Qt.Key.Key_P, CTRL)
    rig.run(12.5)
    assert pane.track_artist.text() == "Synthetic Ensemble"
    assert pane.time_left.text() == "−0:47" or pane.time_left.text() == "−0:48"
    assert pane.time_caption.text() == "left of 1:00"
    assert pane.state_line.text() == "Playing · Pre-onset"
    assert pane.buttons["play"].text().startswith("Pause")
    press(qtbot, desk.line, Qt.Key.Key_T, CTRL)
    assert pane.state_line.text().endswith("talk level")
    assert pane.buttons["talk"].property("armed") == "true"


def test_sections_mark_the_current_and_the_queued_one(qtbot, make_rig) -> None:
    rig = make_rig(PlayerSettings(section_change_mode=SectionChangeMode.AFTER_TRACK))
    desk = Desk(rig.music)
    show_active(qtbot, desk)
    sections = desk.pane.sections
    rig.player.play()
    rig.run(5)
    advance_to(rig.live, "onset")  # queued for the end of the track
    looks = [sections.item(i).data(LOOK_ROLE) for i in range(sections.count())]
    assert looks[:2] == ["current", "queued"]
    assert sections.item(0).text().startswith("▶ ")
    assert sections.item(1).text() == "Onset · next"
    assert "when this track ends" in sections.item(1).toolTip()
    rig.run(TRACK_S)
    looks = [sections.item(i).data(LOOK_ROLE) for i in range(sections.count())]
    assert looks[:2] == ["", "current"]
    assert sections.currentRow() == 1, "the list follows the music to its new section"


def test_missing_tracks_are_greyed_with_their_reason(qtbot, rig: Rig, desk: Desk) -> None:
    pane = desk.pane
    pane.sections.setCurrentRow(2)  # browse the peak: looking does not move the music
    assert rig.player.current_section_key == "pre-onset"
    assert pane.tracks.toolTip().startswith("Tracks in Peak")
    missing = pane.tracks.item(1)
    assert missing.data(LOOK_ROLE) == "unplayable"
    assert missing.text().splitlines() == ["Peak missing — Synthetic Ensemble   1:00", "    missing: file not found"]
    assert "file not found" in missing.toolTip()
    option = QStyleOptionViewItem()
    pane.tracks.itemDelegate().initStyleOption(option, pane.tracks.model().index(1, 0))
    assert option.palette.color(QPalette.ColorRole.Text).name() == DARK.dim_text
    assert pane.tracks.item(0).data(LOOK_ROLE) == ""
    assert pane.playlist_note.text().startswith("1 of 9 tracks cannot be played")
    assert not pane.playlist_note.isHidden()


def test_enter_in_the_lists_goes_to_a_section_or_plays_a_track(qtbot, rig: Rig, desk: Desk) -> None:
    pane = desk.pane
    pane.sections.setFocus()
    pane.sections.setCurrentRow(2)
    qtbot.keyClick(pane.sections, Qt.Key.Key_Return)
    assert rig.player.current_section_key == "peak"
    pane.tracks.setFocus()
    pane.tracks.setCurrentRow(2)
    qtbot.keyClick(pane.tracks, Qt.Key.Key_Return)
    rig.run(5)
    assert rig.player.state is PlaybackState.PLAYING
    assert rig.player.current_track is not None and rig.player.current_track.title == "Peak B"
    pane.tracks.setCurrentRow(1)
    qtbot.keyClick(pane.tracks, Qt.Key.Key_Return)  # the missing one: refused, said quietly
    assert rig.player.current_track.title == "Peak B"
    assert "Peak missing" in pane.notice.text() and not pane.notice.isHidden()


def test_the_wheel_cannot_swap_the_playlist(qtbot, rig: Rig, desk: Desk) -> None:
    write_playlist(rig.folder, "other.kap.toml", "Other arc (synthetic)")
    pane = MusicPane(MusicSession(rig.live, rig.player, rig.music.availability, folders=[rig.folder]))
    qtbot.addWidget(pane)
    box = pane.playlist_box
    assert box.count() == 2
    before = box.currentIndex()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(box, wheel)
    assert box.currentIndex() == before


def test_picking_a_playlist_loads_it(qtbot, rig: Rig) -> None:
    other = write_playlist(rig.folder, "other.kap.toml", "Other arc (synthetic)")
    music = MusicSession(rig.live, rig.player, rig.music.availability, folders=[rig.folder])
    pane = MusicPane(music)
    qtbot.addWidget(pane)
    index = pane.playlist_box.findData(str(other))
    pane.playlist_box.activated.emit(index)  # what a choice in the popup sends
    assert music.playlist_path == other and rig.player.playlist is music.playlist
    assert pane.playlist_box.currentIndex() == index


def test_without_libvlc_the_pane_says_what_to_install(qtbot, store, people, protocols, clock,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from test_music_session import start_live

    monkeypatch.setitem(sys.modules, "vlc", None)
    player, availability = create_player()
    assert player is None
    live = start_live(store, people, protocols["sublingual"], clock)
    music = MusicSession(live, None, availability)
    desk = Desk(music)
    show_active(qtbot, desk)
    pane = desk.pane
    assert not pane.availability.isHidden()
    assert install_hint() in pane.availability.text()
    assert pane.availability.text().startswith("Music is off: The python-vlc package is not installed")
    assert not any(button.isEnabled() for button in pane.buttons.values())
    assert pane.sections.count() == 5, "the playlist can still be read"
    desk.line.setFocus()
    for key, modifiers in ((Qt.Key.Key_P, CTRL), (Qt.Key.Key_Right, ALT), (Qt.Key.Key_T, CTRL),
                           (Qt.Key.Key_Up, CTRL | SHIFT), (Qt.Key.Key_PageDown, ALT)):
        press(qtbot, desk.line, key, modifiers)  # nothing to do, and nothing breaks
    live.mark_dose()
    live.end()
    assert [e.kind for e in live.entries()][-1] == "session_ended"


def test_in_the_session_view_next_phase_moves_the_music(qtbot, rig: Rig) -> None:
    """The wiring the lead adds: the pane in the session view's splitter, keys scoped to the view."""
    view = SessionView(rig.live)
    pane = MusicPane(rig.music, shortcut_scope=view)
    view.set_side(pane)
    show_active(qtbot, view)
    view.tabs.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_P, CTRL)  # music
    rig.run(5)
    assert rig.player.state is PlaybackState.PLAYING
    qtbot.keyClick(view, Qt.Key.Key_N, CTRL)  # the session view's next phase: dosing, still pre-onset
    qtbot.keyClick(view, Qt.Key.Key_N, CTRL)  # onset
    rig.run(5)
    assert rig.player.current_section_key == "onset"
    assert pane.sections.item(1).data(LOOK_ROLE) == "current"
    view.stop()
    rig.music.close(fade_s=0)
    assert rig.player.state is PlaybackState.STOPPED


def test_format_time() -> None:
    assert [format_time(s) for s in (0, 59.4, 61, 3600 + 62, -3)] == ["0:00", "0:59", "1:01", "1:01:02", "0:00"]


def test_the_pane_can_be_rebuilt_while_the_music_plays(qtbot, rig: Rig, tmp_path: Path) -> None:
    rig.player.play()
    rig.run(10)
    first = MusicPane(rig.music)
    with qtbot.waitSignal(first.destroyed):
        first.deleteLater()
    second = MusicPane(rig.music)
    qtbot.addWidget(second)
    assert second.track_title.text() == "Settle A"
    assert second.buttons["play"].text().startswith("Pause")
    rig.run(1)  # signals reach the new pane (and not the deleted one)
    assert second.time_left.text() == "−0:49"
