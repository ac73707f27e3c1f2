"""The session clock band: what the therapist reads from two metres away.

It only displays a ``ClockReading``; the session view ticks it and owns the actions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from kapdesk.domain.clock import ClockReading, Segment, format_span
from kapdesk.ui.kit import restyle
from kapdesk.ui.theme import current_theme


def _label(role: str = "", text: str = "") -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    return label


class TimelineBar(QWidget):
    """The planned phases as a bar, lived ones darker, with a marker at now and a tick at T0."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(46)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._reading: ClockReading | None = None
        self._drawn: tuple = ()

    def show_reading(self, reading: ClockReading) -> None:
        """Repaint only when something on the bar moves: on a three-hour bar the now-line moves a
        pixel every few seconds, and a repaint each tick was most of an idle session's CPU."""
        self._reading = reading
        key = self._drawn_key(reading)
        if key != self._drawn:
            self._drawn = key
            self.update()

    def _drawn_key(self, reading: ClockReading) -> tuple:
        segments = reading.segments
        if not segments:
            return ()
        start, end = segments[0].start, segments[-1].end
        span = max((end - start).total_seconds(), 1.0)
        moment = reading.now if not reading.ended else end
        now_px = int((self.width() - 2) * max(0.0, min(1.0, (moment - start).total_seconds() / span)))
        return (segments, reading.phase_index, reading.ended, now_px, self.width())

    def paintEvent(self, _event: object) -> None:  # noqa: N802 (Qt name)
        reading = self._reading
        if reading is None or not reading.segments:
            return
        theme = current_theme()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        segments = reading.segments
        start, end = segments[0].start, segments[-1].end
        span = max((end - start).total_seconds(), 1.0)
        width, height = self.width() - 2, self.height() - 18
        font = QFont(self.font())
        font.setPixelSize(12)
        painter.setFont(font)

        def x_at(moment) -> float:
            return 1 + width * max(0.0, min(1.0, (moment - start).total_seconds() / span))

        for segment in segments:
            left, right = x_at(segment.start), x_at(segment.end)
            rect = QRectF(left, 0, max(right - left - 2, 1), height)
            current = segment.index == reading.phase_index and segment.actual and segment is _last_actual(segments)
            fill = theme.accent if current else (theme.past if segment.actual else theme.planned)
            painter.fillRect(rect, QColor(fill))
            painter.setPen(theme.color("text") if current else theme.color("dim_text"))
            painter.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             _elide(painter, segment.name, rect.width() - 10))
        now_x = x_at(reading.now if not reading.ended else end)
        pen = QPen(theme.color("text"))
        pen.setWidth(3)
        painter.setPen(pen)
        painter.drawLine(int(now_x), 0, int(now_x), height + 6)
        painter.setPen(theme.color("dim_text"))
        painter.drawText(QRectF(0, height + 2, width, 16), Qt.AlignmentFlag.AlignLeft, start.astimezone().strftime("%H:%M"))
        painter.drawText(QRectF(0, height + 2, width, 16), Qt.AlignmentFlag.AlignRight, end.astimezone().strftime("%H:%M"))
        painter.end()


def _last_actual(segments: tuple[Segment, ...]) -> Segment | None:
    actual = [s for s in segments if s.actual]
    return actual[-1] if actual else None


def _elide(painter: QPainter, text: str, width: float) -> str:
    return painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(max(width, 0)))


class ClockBand(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("band")
        self.since_dose = _label("huge", "--:--")
        self.since_dose.setAccessibleName("Time since dose")
        self.dose_caption = _label("dim", "since dose (T0 not marked)")
        self.since_arrival = _label("big", "00:00")
        self.arrival_caption = _label("dim", "since arrival")
        self.phase = _label("big", "")
        self.phase_left = _label("dim", "")
        self.reminder = _label("big", "")
        self.reminder.setAccessibleName("Next reminder")
        self.reminder_caption = _label("dim", "")
        # The gaps of the vitals schedule ("Pre-dose vitals: missed"): shown, never in the way.
        self.missed = _label("dim", "")
        self.missed.setAccessibleName("Missed readings")
        self.missed.hide()
        # The earliest discharge (first dose + the protocol's minimum observation), computed by the
        # domain (kapdesk.domain.discharge.discharge_from) and given by the session view.
        self.discharge = _label("dim", "")
        self.discharge.setAccessibleName("Earliest discharge")
        self._discharge_from: datetime | None = None
        self.timeline = TimelineBar()
        # Long texts must clip, never widen the window past a 1280-pixel laptop screen.
        for label in (self.reminder, self.phase, self.phase_left, self.missed):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        grid = self._grid = QGridLayout()
        grid.setHorizontalSpacing(36)
        grid.addWidget(self.since_dose, 0, 0, 2, 1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.dose_caption, 2, 0)
        grid.addWidget(self.discharge, 3, 0)
        grid.addWidget(self.phase, 0, 1)
        grid.addWidget(self.phase_left, 1, 1)
        grid.addWidget(self.since_arrival, 0, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.arrival_caption, 1, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.reminder, 2, 1, 1, 2)
        grid.addWidget(self.reminder_caption, 3, 1, 1, 2)
        grid.addWidget(self.missed, 4, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        column = self._column = QVBoxLayout(self)
        column.setContentsMargins(20, 12, 20, 12)
        column.addLayout(grid)
        column.addWidget(self.timeline)
        self.controls = QHBoxLayout()
        column.addLayout(self.controls)
        self.compact = False

    def set_compact(self, compact: bool) -> None:
        """The short band for a laptop screen (kapdesk.ui.screen_fit): the clock keeps its size (its
        digits stay over 60 px tall, readable from two metres) and the reminder moves up beside it;
        the phase and reminder lines get smaller type, the phase bar and the margins less height."""
        if compact == self.compact:
            return
        self.compact = compact
        grid, rows = self._grid, 3 if compact else 2
        for label in (self.since_dose, self.dose_caption, self.discharge):
            grid.removeWidget(label)
        grid.addWidget(self.since_dose, 0, 0, rows, 1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.dose_caption, rows, 0)
        grid.addWidget(self.discharge, rows + 1, 0)
        grid.setVerticalSpacing(2 if compact else -1)
        for label in (self.phase, self.since_arrival, self.reminder):
            label.setStyleSheet("font-size: 26px;" if compact else "")  # over the theme's "big"
        self.timeline.setMinimumHeight(34 if compact else 46)
        self.timeline.setMaximumHeight(34 if compact else 16777215)
        self._column.setContentsMargins(*((16, 6, 16, 6) if compact else (20, 12, 20, 12)))
        self._column.setSpacing(4 if compact else -1)

    def show_reading(self, r: ClockReading) -> None:
        if r.since_dose is None:
            self.since_dose.setText("T0 --:--")
            self.dose_caption.setText("dose not marked yet (Ctrl+D)")
        else:
            self.since_dose.setText("T+" + format_span(r.since_dose))
            self.dose_caption.setText("since dose" + (" (session ended)" if r.ended else ""))
        self.since_arrival.setText(format_span(r.since_arrival))
        self.phase.setText(r.phase_name)
        if r.ended:
            self.phase_left.setText("session ended")
        elif r.phase_left >= timedelta(0):
            self.phase_left.setText(f"{format_span(r.phase_left)} left in this phase")
        else:
            self.phase_left.setText(f"over plan by {format_span(-r.phase_left)}  (Ctrl+N next phase, Ctrl+E +5 min)")
        self._show_reminder(r)
        self._show_discharge(r)
        self.timeline.show_reading(r)

    def set_discharge_from(self, moment: datetime | None) -> None:
        """The earliest discharge to show (None: nothing dosed yet, or no minimum observation)."""
        self._discharge_from = moment

    def _show_discharge(self, r: ClockReading) -> None:
        moment = self._discharge_from
        if moment is None or r.ended:
            self.discharge.setText("")
            return
        text = f"Discharge from {moment.astimezone().strftime('%H:%M')}"
        self.discharge.setText(text + (" · minimum observation met" if r.now >= moment else ""))

    def _show_reminder(self, r: ClockReading) -> None:
        gaps = " · ".join(m.describe() for m in r.missed)
        if gaps != self.missed.text():
            self.missed.setText(gaps)
            self.missed.setVisible(bool(gaps))
        reminder = r.next_reminder
        self.reminder_caption.setText("" if reminder is None else
                                      f"due {reminder.due.astimezone().strftime('%H:%M')} · Ctrl+K when taken")
        if reminder is None:
            self.reminder.setText("No reminder due" if not r.ended else "")
            restyle(self.reminder, "state", "idle")
            return
        left = reminder.remaining(r.now)
        if left > timedelta(minutes=2):
            self.reminder.setText(f"{reminder.label} in {format_span(left)}")
            restyle(self.reminder, "state", "idle")
        elif left >= timedelta(0):
            self.reminder.setText(f"{reminder.label} due in {format_span(left)}")
            restyle(self.reminder, "state", "due")
        else:
            self.reminder.setText(f"{reminder.label} overdue by {format_span(-left)}")
            restyle(self.reminder, "state", "overdue")
