"""The locked screen: only what the room needs, nothing about the client.

Shown after the clinic's idle minutes, on Ctrl+Shift+L, and when the laptop wakes from sleep. It
shows the session clock (T+, time since arrival, the phase), the times of the next reminders
(no client data: no pseudonym, no readings) and the music transport (play/pause, next, volume).
The session view is hidden beneath it, not closed: its timers keep ticking, the music keeps
playing, the note keeps its unsaved words. Any active clinician unlocks with their password or
PIN; the emergency code with a reason also opens it (break glass).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapdesk.domain.clock import format_span
from kapdesk.ui import keymap
from kapdesk.ui.credential_forms import EmergencyForm, SecretForm
from kapdesk.ui.kit import make_label, restyle

if TYPE_CHECKING:
    from kapdesk.domain.info import ClinicianInfo
    from kapdesk.player import Player
    from kapdesk.session import Clinic, LiveSession

VOLUME_STEP = 5  # as the music pane's keys
SHOWN_REMINDERS = 3


class Transport(Protocol):
    """What the locked screen drives: the session's music pane (its keys ramp, never jump)."""

    player: Player | None

    def toggle_pause(self) -> None: ...

    def next_track(self) -> None: ...

    def step_volume(self, delta: int) -> None: ...


class LockScreen(QWidget):
    unlocked = Signal(object)  # SignedIn: a clinician's password or PIN
    emergency = Signal(object)  # EmergencyAccessInfo: break glass

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live: LiveSession | None = None
        self.transport: Transport | None = None
        title = make_label("Locked", "big")
        hint = make_label("The record is hidden. Pick your name, type your password or PIN, Enter.", "dim", wrap=True)

        # The room: the clock and the reminders' times.
        self.since_dose = make_label("", "huge")
        self.since_dose.setAccessibleName("Time since dose")
        self.since_arrival = make_label("", "big")
        self.since_arrival.setAccessibleName("Time since arrival")
        self.phase = make_label("", "big")
        self.phase.setAccessibleName("Phase")
        self.reminders = make_label("", "big", wrap=True)
        self.reminders.setAccessibleName("Next reminders")
        self.room = QFrame()
        self.room.setObjectName("band")
        grid = QGridLayout(self.room)
        grid.setHorizontalSpacing(36)
        grid.addWidget(self.since_dose, 0, 0, 2, 1)
        grid.addWidget(self.phase, 0, 1)
        grid.addWidget(self.since_arrival, 0, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(make_label("since arrival", "dim"), 1, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.reminders, 2, 0, 1, 3)
        grid.setColumnStretch(1, 1)

        # The music transport.
        self.track = make_label("", "dim", wrap=True)
        self.track.setAccessibleName("Music")
        self.buttons: dict[str, QPushButton] = {}
        music_row = QHBoxLayout()
        for name, text, action, slot in (
            ("play", "Play / pause", "lock.play", self.toggle_pause),
            ("next", "Next track", "lock.next", self.next_track),
            ("down", "Volume −", "lock.volume_down", lambda: self.step_volume(-VOLUME_STEP)),
            ("up", "Volume +", "lock.volume_up", lambda: self.step_volume(VOLUME_STEP)),
        ):
            button = QPushButton(f"{text}  {keymap.key(action)}")
            button.setProperty("compact", "true")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(slot)
            keymap.shortcuts(action, self, slot)
            music_row.addWidget(button)
            self.buttons[name] = button
        music_row.addStretch(1)
        self.music = QFrame()
        self.music.setObjectName("pane")
        music_column = QVBoxLayout(self.music)
        music_column.addWidget(make_label("Music", "title"))
        music_column.addWidget(self.track)
        music_column.addLayout(music_row)
        music_column.addStretch(1)  # top-aligned: the pane is as tall as the unlock form beside it

        # Unlocking.
        self.form = SecretForm(clinic, allow_pin=True, action="unlocked")
        self.form.accepted.connect(self.unlocked.emit)
        self.emergency_form = EmergencyForm(clinic)
        self.emergency_form.opened.connect(self.emergency.emit)
        keymap.shortcuts("lock.emergency", self, self.emergency_form.focus_first)
        unlock = QFrame()
        unlock.setObjectName("pane")
        unlock_column = QVBoxLayout(unlock)
        unlock_column.addWidget(title)
        unlock_column.addWidget(hint)
        unlock_column.addWidget(self.form)
        unlock_column.addSpacing(12)
        unlock_column.addWidget(self.emergency_form)
        unlock_column.addStretch(1)

        row = QHBoxLayout()
        row.addWidget(self.music, 1)
        row.addWidget(unlock, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(self.room)
        layout.addLayout(row)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    def show_locked(self, live: LiveSession | None, transport: Transport | None,
                    clinicians: Iterable[ClinicianInfo], acting: uuid.UUID | None) -> None:
        """What to show while locked: the sitting's clock (``live``; None on the start screen) and
        its music; the names that may unlock, the one who locked chosen."""
        self.live, self.transport = live, transport
        self.room.setVisible(live is not None)
        self.music.setVisible(transport is not None)
        self.form.set_choices(clinicians, acting)
        index = self.form.who.findData(acting)
        if index >= 0:
            self.form.who.setCurrentIndex(index)
        self.form.secret.clear()
        self.form.say("")
        self.tick()
        self._timer.start()

    def release(self) -> None:
        """Unlocked: stop ticking and let go of the session (the session view holds it)."""
        self._timer.stop()
        self.live = self.transport = None

    def focus_first(self) -> None:
        self.form.focus_first()

    # -- the room -----------------------------------------------------------------------------
    def tick(self) -> None:
        live = self.live
        if live is not None:
            r = live.reading()
            self.since_dose.setText("T0 --:--" if r.since_dose is None else "T+" + format_span(r.since_dose))
            self.since_arrival.setText(format_span(r.since_arrival))
            self.phase.setText(r.phase_name + ("  (session ended)" if r.ended else ""))
            self._show_reminders(live, r.now)
        self._show_music()

    def _show_reminders(self, live: LiveSession, now) -> None:
        upcoming = live.open_reminders()[:SHOWN_REMINDERS]
        if not upcoming:
            self.reminders.setText("No reminder due")
            restyle(self.reminders, "state", "idle")
            return
        parts = []
        for reminder in upcoming:
            at = reminder.due.astimezone().strftime("%H:%M")
            late = now - reminder.due
            parts.append(f"{reminder.label} at {at}" + (f" (overdue {format_span(late)})" if late > timedelta(0) else ""))
        self.reminders.setText("   ·   ".join(parts))
        first = upcoming[0].remaining(now)
        restyle(self.reminders, "state",
                "overdue" if first < timedelta(0) else "due" if first <= timedelta(minutes=2) else "idle")

    # -- the music ----------------------------------------------------------------------------
    def _player(self) -> Player | None:
        return self.transport.player if self.transport is not None else None

    def _show_music(self) -> None:
        player = self._player()
        if player is None:
            self.track.setText("No music player (the session's music pane says why).")
            return
        track = player.current_track
        title = f"{track.title}" if track is not None and track.title else "no track"
        self.track.setText(f"{player.state.name.lower()} · {title} · volume {player.volume}")

    def toggle_pause(self) -> None:
        if self.transport is not None:
            self.transport.toggle_pause()
            self._show_music()

    def next_track(self) -> None:
        if self.transport is not None:
            self.transport.next_track()
            self._show_music()

    def step_volume(self, delta: int) -> None:
        if self.transport is not None:
            self.transport.step_volume(delta)
            self._show_music()
