"""The PDF report's vitals chart: the live chart's data, painted with QPainter for paper.

Every number comes from :func:`kapdesk.domain.series.chart_data` (points, baseline, dose markers,
phases, x range) and :func:`kapdesk.domain.series.chart_thresholds` (the alert lines, from
:func:`kapdesk.domain.alerts.threshold_lines` measured from that baseline): the same data the
live chart in ``ui/vitals_chart.py`` draws, so screen and paper cannot disagree. Only the drawing
is separate: the live chart is QtCharts in the theme's colours; this one is vector QPainter work
inside the PDF's text flow (text selectable), black on white.

Black-and-white friendly: lines are told apart by dash pattern and marker shape (systolic solid
▼, diastolic dashed △, heart rate dotted ●, SpO₂ solid □), never by colour; lived phases are
alternating light grey bands, planned ones (a report of a sitting still in progress) hatched;
thresholds are thin dotted lines labelled at the right, a baseline-relative one with its rise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QPyTextObject,
    QTextDocument,
    QTextFormat,
)

from kapdesk.domain.series import ChartData, ThresholdLine

__all__ = ["ChartObject", "PdfChart"]

_MM_PER_INCH = 25.4
# The y ranges shown before a value widens them (ChartData.value_range), and their grid steps.
_UPPER = (("systolic", "diastolic", "heart_rate"), (40.0, 200.0), 20.0)
_LOWER = (("spo2",), (85.0, 100.0), 5.0)


@dataclass(frozen=True)
class _Style:
    label: str  # in the legend
    short: str  # on a threshold line
    dash: Qt.PenStyle
    marker: str  # "down", "up", "circle", "square"
    filled: bool


# Legend order is CHARTED_VITALS' order.
_STYLES: dict[str, _Style] = {
    "systolic": _Style("Systolic", "SBP", Qt.PenStyle.SolidLine, "down", True),
    "diastolic": _Style("Diastolic", "DBP", Qt.PenStyle.DashLine, "up", False),
    "heart_rate": _Style("Heart rate", "HR", Qt.PenStyle.DotLine, "circle", True),
    "spo2": _Style("SpO₂", "SpO₂", Qt.PenStyle.SolidLine, "square", False),
}


@dataclass(frozen=True)
class PdfChart:
    """What the PDF chart draws: the shared chart data, its alert lines and its x range."""

    data: ChartData
    thresholds: tuple[ThresholdLine, ...]
    x_range: tuple[float, float]


def _number(value: float) -> str:
    return f"{value:g}"


def threshold_label(line: ThresholdLine) -> str:
    """``SBP 180``; ``SBP 180 (+40)`` when the line is the baseline plus the clinic's rise."""
    text = f"{_STYLES[line.vital].short} {_number(line.value)}"
    return f"{text} (+{_number(line.rise)})" if line.rise is not None else text


class ChartObject(QPyTextObject):
    """Draws the vitals chart where the document holds its object character.

    Two panels share the time axis: blood pressure and heart rate above, SpO₂ below.
    """

    def __init__(self, chart: PdfChart, width: float, dpi: int) -> None:
        super().__init__()
        self.chart = chart
        self.width = width
        self.dpi = dpi
        self.pt = dpi / 72.0  # one typographic point in device pixels

    def intrinsicSize(self, doc: QTextDocument, pos: int, fmt: QTextFormat) -> QSizeF:  # noqa: N802 (Qt API)
        return QSizeF(self.width * 0.98, 98 / _MM_PER_INCH * self.dpi)

    def drawObject(self, painter: QPainter, rect: QRectF, doc: QTextDocument, pos: int,  # noqa: N802 (Qt API)
                   fmt: QTextFormat) -> None:
        painter.save()
        try:
            _ChartPainter(painter, rect, self.chart, self.pt).draw()
        finally:
            painter.restore()


class _ChartPainter:
    def __init__(self, painter: QPainter, rect: QRectF, chart: PdfChart, pt: float) -> None:
        self.p = painter
        self.data = chart.data
        self.lines = [(line, threshold_label(line)) for line in chart.thresholds]
        self.pt = pt
        font = QFont()
        font.setPointSizeF(6.5)
        self.font = font
        self.metrics = QFontMetricsF(font, painter.device())
        line = self.metrics.height()
        labels = [self.metrics.horizontalAdvance(label) for _, label in self.lines]
        left, right = 7.5 * line, max([3 * line, *labels]) + 0.6 * line  # room for the axis and threshold labels
        top = rect.top() + 1.6 * line  # the legend
        bottom = rect.bottom() - 2.4 * line  # the x axis labels and title
        gap = 1.0 * line
        usable = bottom - top - gap
        self.upper = QRectF(rect.left() + left, top, rect.width() - left - right, usable * 0.68)
        self.lower = QRectF(self.upper.left(), self.upper.bottom() + gap, self.upper.width(), usable * 0.32)
        self.x0, self.x1 = chart.x_range
        self.upper_range = self.data.value_range(*_UPPER)
        self.lower_range = self.data.value_range(*_LOWER)

    # -- coordinates ---------------------------------------------------------------------------
    def x(self, minutes: float) -> float:
        return self.upper.left() + (minutes - self.x0) / (self.x1 - self.x0) * self.upper.width()

    def y(self, panel: QRectF, value_range: tuple[float, float], value: float) -> float:
        lo, hi = value_range
        return panel.bottom() - (value - lo) / (hi - lo) * panel.height()

    def pen(self, width_pt: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine, grey: int = 0) -> QPen:
        pen = QPen(QColor(grey, grey, grey), width_pt * self.pt, style)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    def panel_of(self, vital: str) -> tuple[QRectF, tuple[float, float]]:
        return (self.lower, self.lower_range) if vital in _LOWER[0] else (self.upper, self.upper_range)

    # -- drawing -------------------------------------------------------------------------------
    def draw(self) -> None:
        self.p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.p.setFont(self.font)
        for panel in (self.upper, self.lower):
            self.phase_bands(panel)
        self.grid(self.upper, self.upper_range, _UPPER[2], "mmHg · bpm")
        self.grid(self.lower, self.lower_range, _LOWER[2], "SpO₂ %")
        self.thresholds()
        self.dose_markers()
        for vital, style in _STYLES.items():
            self.series(self.data.points.get(vital, ()), style, *self.panel_of(vital))
        self.baseline()
        self.x_axis()
        self.legend()

    def phase_bands(self, panel: QRectF) -> None:
        line = self.metrics.height()
        for band in self.data.phases:
            left, right = max(self.x(band.start), panel.left()), min(self.x(band.end), panel.right())
            if right <= left:
                continue
            rect = QRectF(left, panel.top(), right - left, panel.height())
            if not band.actual:
                self.p.fillRect(rect, QBrush(QColor(200, 200, 200), Qt.BrushStyle.BDiagPattern))
            elif band.index % 2:
                self.p.fillRect(rect, QColor(236, 236, 236))
            if panel is self.upper:
                self.p.setPen(self.pen(0.3, grey=90))
                name = band.name if band.actual else f"{band.name} (planned)"
                label = self.metrics.elidedText(name, Qt.TextElideMode.ElideRight, rect.width() - 0.3 * line)
                self.p.drawText(QRectF(rect.left() + 0.15 * line, rect.top(), rect.width(), line),
                                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), label)

    def grid(self, panel: QRectF, value_range: tuple[float, float], step: float, title: str) -> None:
        lo, hi = value_range
        line = self.metrics.height()
        value = lo
        while value <= hi + 1e-9:
            y = self.y(panel, value_range, value)
            self.p.setPen(self.pen(0.2, grey=190))
            self.p.drawLine(QPointF(panel.left(), y), QPointF(panel.right(), y))
            self.p.setPen(self.pen(0.3))
            self.p.drawText(QRectF(panel.left() - 3 * line, y - line / 2, 2.7 * line, line),
                            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), _number(value))
            value += step
        self.p.setPen(self.pen(0.6))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        self.p.drawRect(panel)
        self.p.save()
        self.p.translate(panel.left() - 3.4 * line, panel.center().y())
        self.p.rotate(-90)
        self.p.drawText(QRectF(-panel.height() / 2, -line, panel.height(), line), int(Qt.AlignmentFlag.AlignCenter),
                        title)
        self.p.restore()

    def thresholds(self) -> None:
        line = self.metrics.height()
        for threshold, label in self.lines:
            panel, value_range = self.panel_of(threshold.vital)
            if not value_range[0] <= threshold.value <= value_range[1]:
                continue
            y = self.y(panel, value_range, threshold.value)
            self.p.setPen(self.pen(0.5, Qt.PenStyle.DotLine, grey=60))
            self.p.drawLine(QPointF(panel.left(), y), QPointF(panel.right(), y))
            self.p.setPen(self.pen(0.3))
            self.p.drawText(QRectF(panel.right() + 0.2 * line, y - line / 2, self.metrics.horizontalAdvance(label) + line,
                                   line), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), label)

    def dose_markers(self) -> None:
        line = self.metrics.height()
        for marker in self.data.doses:
            x = self.x(marker.minute)
            if not self.upper.left() <= x <= self.upper.right():
                continue
            self.p.setPen(self.pen(0.9))
            self.p.drawLine(QPointF(x, self.upper.top()), QPointF(x, self.lower.bottom()))
            self.p.setBrush(QBrush(Qt.GlobalColor.black))
            size = 0.35 * line
            self.p.drawPolygon(QPolygonF([QPointF(x - size, self.upper.top() - 1.2 * size),
                                          QPointF(x + size, self.upper.top() - 1.2 * size),
                                          QPointF(x, self.upper.top())]))
            self.p.setBrush(Qt.BrushStyle.NoBrush)
            width = self.metrics.horizontalAdvance(marker.label) + line
            self.p.drawText(QRectF(x + 0.2 * line, self.upper.top() + line, width, line),
                            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), marker.label)

    def series(self, points: tuple[tuple[float, float], ...], style: _Style, panel: QRectF,
               value_range: tuple[float, float]) -> None:
        # ChartData's points are already in time order (series.chart_data sorts them).
        drawn = [QPointF(self.x(m), self.y(panel, value_range, v)) for m, v in points]
        if not drawn:
            return
        self.p.setPen(self.pen(0.9, style.dash))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        if len(drawn) > 1:
            path = QPainterPath(drawn[0])
            for point in drawn[1:]:
                path.lineTo(point)
            self.p.drawPath(path)
        for point in drawn:
            self.marker(point, style.marker, style.filled)

    def baseline(self) -> None:
        """A ring round the baseline reading's systolic point, labelled: rises are measured from it."""
        base = self.data.baseline
        if base is None or base.reading.systolic is None:
            return
        at = QPointF(self.x(base.minute), self.y(self.upper, self.upper_range, base.reading.systolic))
        line = self.metrics.height()
        self.p.setPen(self.pen(0.5))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        self.p.drawEllipse(at, 3.2 * self.pt, 3.2 * self.pt)
        self.p.drawText(QRectF(at.x() - 3 * line, at.y() - 1.6 * line, 6 * line, line),
                        int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom), "baseline")

    def marker(self, at: QPointF, shape: str, filled: bool) -> None:
        size = 1.6 * self.pt
        self.p.setPen(self.pen(0.6))
        self.p.setBrush(QBrush(Qt.GlobalColor.black) if filled else QBrush(Qt.GlobalColor.white))
        if shape == "circle":
            self.p.drawEllipse(at, size * 0.8, size * 0.8)
        elif shape == "square":
            self.p.drawRect(QRectF(at.x() - size * 0.75, at.y() - size * 0.75, size * 1.5, size * 1.5))
        else:
            tip = 1 if shape == "down" else -1
            self.p.drawPolygon(QPolygonF([QPointF(at.x() - size, at.y() - tip * size),
                                          QPointF(at.x() + size, at.y() - tip * size),
                                          QPointF(at.x(), at.y() + tip * size)]))

    def x_axis(self) -> None:
        line = self.metrics.height()
        step = 15 if self.x1 - self.x0 <= 240 else 30
        self.p.setPen(self.pen(0.3))
        minute = math.ceil(self.x0 / step) * step
        while minute <= self.x1:
            x = self.x(minute)
            self.p.drawLine(QPointF(x, self.lower.bottom()), QPointF(x, self.lower.bottom() + 0.3 * line))
            zero = "T0" if self.data.from_dose else "0"
            text = zero if minute == 0 else (f"+{minute:g}" if minute > 0 else f"−{-minute:g}")
            self.p.drawText(QRectF(x - 2 * line, self.lower.bottom() + 0.3 * line, 4 * line, line),
                            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), text)
            minute += step
        title = "minutes from the dose time (T0)" if self.data.from_dose else "minutes from arrival (T0 not marked)"
        self.p.drawText(QRectF(self.lower.left(), self.lower.bottom() + 1.3 * line, self.lower.width(), line),
                        int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), title)

    def legend(self) -> None:
        line = self.metrics.height()
        x = self.upper.left()
        y = self.upper.top() - 1.25 * line
        for style in _STYLES.values():
            self.p.setPen(self.pen(0.9, style.dash))
            self.p.drawLine(QPointF(x, y + line / 2), QPointF(x + 2.4 * line, y + line / 2))
            self.marker(QPointF(x + 1.2 * line, y + line / 2), style.marker, style.filled)
            self.p.setPen(self.pen(0.3))
            width = self.metrics.horizontalAdvance(style.label)
            self.p.drawText(QRectF(x + 2.7 * line, y, width + line, line),
                            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), style.label)
            x += 3.6 * line + width
        self.p.setPen(self.pen(0.5, Qt.PenStyle.DotLine, grey=60))
        self.p.drawLine(QPointF(x, y + line / 2), QPointF(x + 2.4 * line, y + line / 2))
        self.p.setPen(self.pen(0.3))
        self.p.drawText(QRectF(x + 2.7 * line, y, 12 * line, line),
                        int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), "alert threshold")
