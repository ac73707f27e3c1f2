"""The music pane: what plays, the arc's sections, the tracks, and the transport, all by keyboard.

A view over a ``MusicSession`` (which records) and its ``Player`` (which plays); it holds no state
of its own that matters, so it can be rebuilt at any time, even while the music plays.

Dark-room rules: nothing here is bright, nothing moves by itself (no animation, no blinking),
problems are one quiet amber line (never a dialog), and nothing takes keyboard focus by itself:
the buttons, slider and playlist picker only take focus from Tab, so a click on them leaves the
cursor in the note the therapist was typing.

Keys (``music.*`` in :mod:`kapdesk.ui.keymap`: play / pause, previous and next track, next section,
talk level, volume up and down; play and the track keys also on the media keys). They work
anywhere inside ``shortcut_scope`` (the session view, when the lead passes it; the pane itself by
default), also while a text field has the focus, because none of them is a text-editing key
(Ctrl+Shift+Left/Right would be: they select words). In the sections list Enter goes to that
section; in the tracks list it plays the track.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from kapdesk.player import PlaybackState
from kapdesk.playlists import Playlist, Track
from kapdesk.ui import keymap
from kapdesk.ui.music_lists import KEY_ROLE, LOOK_ROLE, ChoiceList, QuietComboBox, format_time, section_size
from kapdesk.ui.kit import hold_size, restyle, set_role

if TYPE_CHECKING:
    from kapdesk.session import MusicSession

VOLUME_STEP = 5

STATE_WORDS = {
    PlaybackState.STOPPED: "Stopped",
    PlaybackState.PLAYING: "Playing",
    PlaybackState.PAUSING: "Pausing…",
    PlaybackState.PAUSED: "Paused",
    PlaybackState.STOPPING: "Fading out…",
}


class MusicPane(QFrame):
    """The music of the sitting. Keys: see the module docstring (``MUSIC_KEYS``).

    ``shortcut_scope`` is the widget inside which the keys work (default: this pane). The session
    view passes itself so the music answers wherever the therapist is typing in the sitting.
    """

    def __init__(self, music: MusicSession, parent: QWidget | None = None, *,
                 shortcut_scope: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.music = music
        self.player = music.player
        self._shown_time = ""
        self._browsed_key: str | None = None  # the section whose tracks are listed

        title = QLabel("Music")
        title.setProperty("role", "title")
        self.playlist_box = QuietComboBox()
        self.playlist_box.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.playlist_box.setToolTip("Playlist (from the shipped and the clinic's playlist folders)")
        self.playlist_box.setAccessibleName("Playlist")
        for choice in music.playlists:
            # Paths as text: QVariant compares strings by value, Python objects only by identity.
            self.playlist_box.addItem(choice.label, str(choice.path))
            self.playlist_box.setItemData(self.playlist_box.count() - 1, str(choice.path), Qt.ItemDataRole.ToolTipRole)
        self.playlist_box.activated.connect(self._playlist_chosen)

        self.state_line = QLabel("")
        self.state_line.setWordWrap(True)  # never widen the narrow column it shares
        set_role(self.state_line, "dim")
        self.track_title = QLabel("")
        self.track_title.setWordWrap(True)
        self.track_title.setStyleSheet("QLabel { font-size: 26px; font-weight: 600; }")
        self.track_title.setAccessibleName("Now playing")
        self.track_artist = QLabel("")
        set_role(self.track_artist, "dim")
        self.time_left = QLabel("")
        set_role(self.time_left, "big")
        self.time_left.setAccessibleName("Time left in the track")
        self.time_caption = QLabel("")
        set_role(self.time_caption, "dim")

        self.buttons: dict[str, QPushButton] = {}
        for name, text, slot in (
            ("play", "Play", self.toggle_pause),
            ("previous", "Previous", self.previous_track),
            ("next", "Next", self.next_track),
            ("section", "Next section", self.next_section),
            ("talk", "Talk down", self.toggle_talk),
        ):
            button = QPushButton()
            button.setProperty("compact", "true")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(slot)
            self.buttons[name] = button
            self._label_button(name, text)

        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(VOLUME_STEP)
        self.volume.setPageStep(2 * VOLUME_STEP)
        self.volume.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.volume.setAccessibleName("Music volume")
        self.volume.setToolTip(f"Music volume ({keymap.key('music.volume_up')} / {keymap.key('music.volume_down')})")
        self.volume.valueChanged.connect(self._volume_moved)
        self.volume.sliderReleased.connect(lambda: self._apply_volume(self.volume.value()))
        self.volume_value = QLabel("")
        set_role(self.volume_value, "dim")

        self.sections = ChoiceList()
        self.sections.setWordWrap(False)
        self.sections.setAccessibleName("Sections of the arc")
        self.sections.setToolTip("The arc. Selecting shows a section's tracks; Enter or a double-click moves the "
                                 f"music there ({keymap.key('music.section')}: the next section)")
        self.sections.currentRowChanged.connect(self._browse_row)
        self.sections.chosen.connect(self._section_chosen)
        self.tracks = ChoiceList()
        self.tracks.setSpacing(2)
        self.tracks.setAccessibleName("Tracks of the section")
        self.tracks.chosen.connect(self._track_chosen)

        self.playlist_note = QLabel("")  # unplayable tracks and playlist problems
        self.playlist_note.setWordWrap(True)
        set_role(self.playlist_note, "message")
        self.notice = QLabel("")  # the latest thing that went wrong
        self.notice.setWordWrap(True)
        set_role(self.notice, "message")
        self.availability = QLabel("")
        self.availability.setWordWrap(True)
        self.availability.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.availability, "message")

        # Laid out for the narrow side column of a 1280x800 laptop screen, under the clock band:
        # title beside time left, the sections beside their tracks, the playlist picker with them.
        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.state_line, 1, Qt.AlignmentFlag.AlignBottom)
        now_playing = QGridLayout()
        now_playing.setHorizontalSpacing(12)
        now_playing.setVerticalSpacing(0)
        now_playing.addWidget(self.track_title, 0, 0, Qt.AlignmentFlag.AlignBottom)
        now_playing.addWidget(self.time_left, 0, 1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        now_playing.addWidget(self.track_artist, 1, 0, Qt.AlignmentFlag.AlignTop)
        now_playing.addWidget(self.time_caption, 1, 1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        now_playing.setColumnStretch(0, 1)
        self.controls = QWidget()  # hidden without a player: nothing to press, room for the install hint
        transport = QGridLayout(self.controls)
        transport.setContentsMargins(0, 0, 0, 0)
        transport.setHorizontalSpacing(6)
        transport.setVerticalSpacing(6)
        for column, name in enumerate(("play", "previous", "next")):
            transport.addWidget(self.buttons[name], 0, column)
        transport.addWidget(self.buttons["section"], 1, 0, 1, 2)
        transport.addWidget(self.buttons["talk"], 1, 2)
        volume_row = QHBoxLayout()
        volume_caption = QLabel(f"Volume  {keymap.key('music.volume_up').removesuffix('Up')}↑↓")
        set_role(volume_caption, "dim")
        volume_row.addWidget(volume_caption)
        volume_row.addWidget(self.volume, 1)
        volume_row.addWidget(self.volume_value)
        transport.addLayout(volume_row, 2, 0, 1, 3)
        lists = QHBoxLayout()
        lists.setSpacing(6)
        lists.addWidget(self.sections, 2)
        lists.addWidget(self.tracks, 5)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(5)
        layout.addLayout(header)
        layout.addWidget(self.availability)
        layout.addLayout(now_playing)
        layout.addWidget(self.controls)
        layout.addWidget(self.playlist_box)
        layout.addLayout(lists, 1)
        layout.addWidget(self.playlist_note)
        layout.addWidget(self.notice)

        self.shortcuts: dict[str, list[QShortcut]] = {}
        scope = shortcut_scope or self
        for name, slot in (
            ("play", self.toggle_pause),
            ("previous", self.previous_track),
            ("next", self.next_track),
            ("section", self.next_section),
            ("talk", self.toggle_talk),
            ("volume_up", lambda: self.step_volume(VOLUME_STEP)),
            ("volume_down", lambda: self.step_volume(-VOLUME_STEP)),
        ):
            self.shortcuts[name] = keymap.shortcuts(f"music.{name}", scope, slot)
        if scope is not self:
            # The shortcuts live on the scope; they must not outlive this pane and call into it.
            owned = [shortcut for group in self.shortcuts.values() for shortcut in group]
            self.destroyed.connect(lambda: _delete_later(owned))

        music.playlist_changed.connect(self._show_playlist)
        music.notice_changed.connect(self._show_notice)
        player = self.player
        if player is not None:
            player.state_changed.connect(self._show_state)
            player.track_changed.connect(self._show_track)
            player.position_changed.connect(self._show_position)
            player.section_changed.connect(self._section_moved)
            player.queued_section_changed.connect(self._queue_moved)
            player.talk_changed.connect(self._show_talk)
        self._show_availability()
        self._show_playlist(music.playlist)
        self._show_notice(music.notice)
        self._show_state()
        self._show_volume()
        self._show_talk(player.talk_active if player is not None else False)

    # -- actions (buttons and keys) ------------------------------------------------------------------

    def toggle_pause(self) -> None:
        if self._can_play():
            assert self.player is not None
            self.player.toggle_pause()

    def next_track(self) -> None:
        if self._can_play():
            assert self.player is not None
            self.player.next_track()

    def previous_track(self) -> None:
        if self._can_play():
            assert self.player is not None
            self.player.previous_track()

    def next_section(self) -> None:
        if self._can_play():
            self.music.next_section()

    def toggle_talk(self) -> None:
        if self._can_play():
            assert self.player is not None
            self.player.toggle_talk_level()

    def step_volume(self, delta: int) -> None:
        if self._can_play():
            assert self.player is not None
            self._apply_volume(self.player.volume + delta)

    # -- reacting to the player and the session ---------------------------------------------------

    def _show_availability(self) -> None:
        availability = self.music.availability
        if self.player is None:
            self.availability.setText(
                f"Music is off: {availability.reason} {availability.install_hint} "
                "Everything else in the sitting works without it."
            )
            self.availability.show()
        else:
            self.availability.hide()
        enabled = self._can_play()
        for button in self.buttons.values():
            button.setEnabled(enabled)
        self.volume.setEnabled(enabled)
        self.controls.setVisible(self.player is not None)
        self.playlist_box.setEnabled(self.music.active)

    def _show_state(self, _state: PlaybackState | None = None) -> None:
        player = self.player
        if player is None:
            self.state_line.setText("No music player")
            self._label_button("play", "Play")
            return
        state = player.state
        words = STATE_WORDS[state]
        section = self._section_title(player.current_section_key)
        if state is PlaybackState.STOPPED:
            words = f"Stopped · {keymap.key('music.play')} plays"
        elif section:
            words = f"{words} · {section}"
        if player.talk_active:
            words += " · talk level"
        if not self.music.active and self.music.live.ended:
            words = "The session has ended"
        self.state_line.setText(words)
        self._label_button("play", "Pause" if state is PlaybackState.PLAYING else "Play")
        if state is PlaybackState.STOPPED:
            self._show_position(0.0, 0.0)

    def _show_track(self, track: Track | None) -> None:
        self.track_title.setText("" if track is None else track.title)
        self.track_artist.setText("" if track is None else track.artist)
        self.track_title.setVisible(track is not None)
        self.track_artist.setVisible(track is not None and bool(track.artist))
        self._mark_tracks()
        self._show_position(0.0, 0.0 if track is None else track.duration_s or 0.0)

    def _show_position(self, position: float, length: float) -> None:
        """Four times a second: touch the labels only when the shown second changes."""
        player = self.player
        if player is not None and player.state is PlaybackState.STOPPED:
            track = player.current_track
            length = (track.duration_s or 0.0) if track is not None else 0.0
            position = 0.0
        if length > 0:
            shown = f"−{format_time(length - position)}"
            caption = f"left of {format_time(length)}"
        else:
            shown = format_time(position) if position > 0 else ""
            caption = "played" if position > 0 else ""
        if shown != self._shown_time:
            self._shown_time = shown
            self.time_left.setText(shown)
            self.time_caption.setText(caption)
            hold_size(self.time_left)  # a new second repaints the label, not a layout of the pane

    def _show_talk(self, active: bool) -> None:
        self._label_button("talk", "Music back up" if active else "Talk down")
        button = self.buttons["talk"]
        armed = "true" if active else "false"
        restyle(button, "armed", armed)
        self._show_state()

    def _show_volume(self) -> None:
        volume = self.player.volume if self.player is not None else 0
        self.volume.blockSignals(True)
        self.volume.setValue(volume)
        self.volume.blockSignals(False)
        self.volume_value.setText(f"{volume}")

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _show_playlist(self, playlist: Playlist | None) -> None:
        index = self.playlist_box.findData(str(self.music.playlist_path))
        if index >= 0:
            self.playlist_box.setCurrentIndex(index)
        self.sections.blockSignals(True)
        self.sections.clear()
        if playlist is not None:
            for section in playlist.sections:
                item = QListWidgetItem()
                item.setData(KEY_ROLE, section.key)
                self.sections.addItem(item)
        self.sections.blockSignals(False)
        self._mark_sections()
        self._summarise(playlist)
        key = self._current_key()
        self._browse(key if key is not None else (playlist.sections[0].key if playlist and playlist.sections else None))
        self._show_track(self.player.current_track if self.player is not None else None)
        self._show_state()

    def _queue_moved(self, _key: str) -> None:
        self._mark_sections()

    def _section_moved(self, key: str) -> None:
        self._mark_sections()
        self._browse(key)
        self._show_state()

    # -- the lists ------------------------------------------------------------------------------------

    def _current_key(self) -> str | None:
        if self.player is not None and self.player.playlist is self.music.playlist:
            return self.player.current_section_key
        return self.music.phase_section()

    def _mark_sections(self) -> None:
        playlist = self.music.playlist
        if playlist is None:
            return
        current = self._current_key()
        queued = self.player.queued_section_key if self.player is not None else None
        for row, section in enumerate(playlist.sections):
            item = self.sections.item(row)
            if item is None:
                continue
            text, look = section.title, ""
            if section.key == current:
                text, look = f"▶ {text}", "current"
            elif section.key == queued:
                text, look = f"{text} · next", "queued"
            elif not section.playable_tracks:
                look = "unplayable"
            item.setText(text)
            item.setData(LOOK_ROLE, look)
            when = "  (next, when this track ends)" if look == "queued" else ""
            item.setToolTip(f"{section.title}: {section_size(section)}{when}")

    def _browse_row(self, row: int) -> None:
        item = self.sections.item(row)
        if item is not None:
            self._browse(item.data(KEY_ROLE))

    def _browse(self, key: str | None) -> None:
        """List the tracks of section ``key`` (and select it in the sections list)."""
        playlist = self.music.playlist
        section = playlist.section(key) if playlist is not None and key is not None else None
        self._browsed_key = None if section is None else section.key
        for row in range(self.sections.count()):
            item = self.sections.item(row)
            if item is not None and item.data(KEY_ROLE) == self._browsed_key and self.sections.currentRow() != row:
                self.sections.blockSignals(True)
                self.sections.setCurrentRow(row)
                self.sections.blockSignals(False)
        self.tracks.clear()
        if section is None:
            self.tracks.setToolTip("")
            return
        self.tracks.setToolTip(f"Tracks in {section.title}: Enter or a double-click plays one now")
        for index, track in enumerate(section.tracks):
            item = QListWidgetItem()
            item.setData(KEY_ROLE, index)
            if not track.playable:
                why = track.reason or track.status.value
                item.setToolTip(f"Cannot be played: {why}\n{track.location}")
            else:
                item.setToolTip(str(track.path))
            self.tracks.addItem(item)
        self._mark_tracks()

    def _mark_tracks(self) -> None:
        playlist = self.music.playlist
        section = playlist.section(self._browsed_key) if playlist is not None and self._browsed_key else None
        if section is None:
            return
        current = self.player.current_track if self.player is not None else None
        for index, track in enumerate(section.tracks):
            item = self.tracks.item(index)
            if item is None:
                continue
            line = " — ".join(x for x in (track.title, track.artist) if x)
            if track.duration_s:
                line += f"   {format_time(track.duration_s)}"
            look = ""
            if not track.playable:
                line += f"\n    {track.status.value}: {track.reason or 'cannot be played'}"
                look = "unplayable"
            elif track is current:
                line, look = f"▶ {line}", "current"
            item.setText(line)
            item.setData(LOOK_ROLE, look)

    def _summarise(self, playlist: Playlist | None) -> None:
        if playlist is None:
            self.playlist_note.hide()
            return
        parts: list[str] = []
        unplayable = [t for t in playlist.tracks if not t.playable]
        if unplayable:
            parts.append(f"{len(unplayable)} of {len(playlist.tracks)} tracks cannot be played (greyed; they are "
                         "skipped)")
        parts.extend(playlist.problems)
        self.playlist_note.setText(" · ".join(parts))
        self.playlist_note.setVisible(bool(parts))

    def _section_chosen(self, row: int) -> None:
        item = self.sections.item(row)
        if item is not None and self._can_play():
            assert self.player is not None
            self.player.go_to_section(item.data(KEY_ROLE))

    def _track_chosen(self, row: int) -> None:
        if self._browsed_key is None or not self._can_play():
            return
        assert self.player is not None
        self.player.play_track(self._browsed_key, row)

    # -- helpers ----------------------------------------------------------------------------------------

    def _can_play(self) -> bool:
        return self.player is not None and self.music.active

    def _playlist_chosen(self, index: int) -> None:
        path = self.playlist_box.itemData(index)
        if path is not None and Path(path) != self.music.playlist_path:
            self.music.choose_playlist(Path(path))

    def _volume_moved(self, value: int) -> None:
        """Keys and clicks on the slider apply at once; a drag applies once, on release, so the
        record holds one volume change rather than one per pixel."""
        self.volume_value.setText(f"{value}")
        if not self.volume.isSliderDown():
            self._apply_volume(value)

    def _apply_volume(self, volume: int) -> None:
        if self._can_play():
            assert self.player is not None
            self.player.set_volume(volume)
        self._show_volume()

    def _label_button(self, name: str, text: str) -> None:
        keys = keymap.key(f"music.{name}")
        button = self.buttons[name]
        button.setText(f"{text}  {keys}")
        button.setToolTip(f"{text} ({keys})")

    def _section_title(self, key: str | None) -> str:
        playlist = self.music.playlist
        section = playlist.section(key) if playlist is not None and key is not None else None
        return section.title if section is not None else ""



def _delete_later(objects: list[QShortcut]) -> None:
    for item in objects:
        with contextlib.suppress(RuntimeError):  # its scope may have been deleted first, taking it along
            item.deleteLater()
