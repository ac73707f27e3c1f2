"""When to lock by itself: after the clinic's idle minutes without input, and when the laptop wakes.

One application-wide event filter notes the time of every keyboard, mouse, wheel or touch input.
A check every few seconds compares that with the injected clock (so tests move a FakeClock instead
of sleeping) and emits :attr:`IdleWatch.idle` once the clinic's minutes have passed.

A suspended laptop locks on resume. The clock's awake face (``awake()``: CLOCK_MONOTONIC, which
stops while a Linux laptop sleeps) is compared with its wall time between two checks; when the
wall moved more than :data:`SUSPEND_GAP_S` further than the awake clock, the machine slept, and
:attr:`IdleWatch.resumed` is emitted. A clock without an awake face cannot tell, and never does.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from kapdesk.domain.clock import Clock

SUSPEND_GAP_S = 30.0  # a wall clock this far ahead of the awake clock means the laptop slept
CHECK_MS = 2000

INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TabletPress, QEvent.Type.ShortcutOverride,
})


class IdleWatch(QObject):
    idle = Signal()  # no input for the clinic's idle minutes (once, until the next input)
    resumed = Signal()  # the laptop woke from sleep

    def __init__(self, clock: Clock, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.minutes = minutes
        self._last_input = clock.monotonic()
        self._fired = False
        self._faces = self._read_faces()
        self._timer = QTimer(self, interval=CHECK_MS)
        self._timer.timeout.connect(self.check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def start(self) -> None:
        """Watch from now (a sign-in or an unlock counts as input)."""
        self.touch()
        self._faces = self._read_faces()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def watching(self) -> bool:
        return self._timer.isActive()

    def touch(self) -> None:
        self._last_input = self.clock.monotonic()
        self._fired = False

    def idle_seconds(self) -> float:
        return self.clock.monotonic() - self._last_input

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() in INPUT_EVENTS:
            self.touch()
        return False

    def check(self) -> None:
        """Emit ``resumed`` after a sleep, ``idle`` after the idle minutes (the timer calls this)."""
        if not self._timer.isActive():
            return
        faces = self._read_faces()
        (wall0, awake0), (wall1, awake1) = self._faces, faces
        self._faces = faces
        if awake0 is not None and awake1 is not None:
            slept = (wall1 - wall0).total_seconds() - (awake1 - awake0)
            if slept > SUSPEND_GAP_S:
                self.touch()
                self.resumed.emit()
                return
        if not self._fired and self.idle_seconds() >= self.minutes * 60:
            self._fired = True
            self.idle.emit()

    def _read_faces(self) -> tuple[datetime, float | None]:
        awake = getattr(self.clock, "awake", None)
        return self.clock.utcnow(), awake() if callable(awake) else None

    def close(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
