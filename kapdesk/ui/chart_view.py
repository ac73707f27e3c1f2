"""The vitals chart's plot: a chart view that paints phase bands behind the curves and the dose,
now and threshold labels above them, the small marker images its series draw per point, and the
wording of its labels. Painting, no data: :mod:`kapdesk.ui.vitals_chart` decides what is drawn."""

from __future__ import annotations

from PySide6.QtCharts import QChart, QChartView, QValueAxis
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QImage, QPainter, QPen

from kapdesk.domain.alerts import AlertRules
from kapdesk.domain.record import offset_label
from kapdesk.domain.series import ChartData
from kapdesk.domain.vitals import VitalsReading
from kapdesk.ui.theme import Theme

__all__ = ["PlotView", "header_offset", "header_reading", "marker_image", "threshold_name", "threshold_tag",
           "value_axis"]

_THRESHOLD_LABEL = {"systolic": "Systolic", "diastolic": "Diastolic", "heart_rate": "Heart rate", "spo2": "SpO₂",
                    "resp_rate": "Respiratory rate"}
_THRESHOLD_SHORT = {"systolic": "SBP", "diastolic": "DBP", "heart_rate": "HR", "spo2": "SpO₂", "resp_rate": "RR"}


def marker_image(shape: str, color: QColor, size: int = 12) -> QImage:
    """A small marker image for ``QXYSeries.setLightMarker``: drawn once, blitted per point.

    Drawn at the screen's pixel ratio (2 on a 2× display), so the markers stay crisp when scaled."""
    app = QGuiApplication.instance()
    ratio = max(1.0, app.devicePixelRatio() if app is not None else 1.0)
    image = QImage(round(size * ratio), round(size * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color, 2.0)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    m, s = 2.0, float(size)
    if shape == "down":  # ∨ systolic: the point of the V sits on the value
        painter.drawPolyline([QPointF(m, m), QPointF(s / 2, s - m), QPointF(s - m, m)])
    elif shape == "up":  # ∧ diastolic
        painter.drawPolyline([QPointF(m, s - m), QPointF(s / 2, m), QPointF(s - m, s - m)])
    elif shape == "dot":
        painter.setBrush(color)
        painter.drawEllipse(QRectF(s / 2 - 3, s / 2 - 3, 6, 6))
    else:  # hollow square
        painter.drawRect(QRectF(m + 1, m + 1, s - 2 * m - 2, s - 2 * m - 2))
    painter.end()
    return image


class PlotView(QChartView):
    """The chart view that paints phase bands behind the series and dose/now lines above them.

    Painting here (rather than adding area series) keeps the chart's item count and legend fixed
    however many phases and doses a sitting has. Positions come from the x axis range and the
    plot area, so they follow any resize or range change for free.
    """

    def __init__(self, chart: QChart, theme: Theme) -> None:
        super().__init__(chart)
        self._theme = theme
        self.data: ChartData | None = None
        self.now_minute: float | None = None
        # (its axis, value, label, colour) for each threshold line
        self.threshold_labels: list[tuple[QValueAxis, float, str, QColor]] = []
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # display only: Tab skips it
        self.setFrameShape(QChartView.Shape.NoFrame)
        self.setBackgroundBrush(theme.color("panel"))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.setBackgroundBrush(theme.color("panel"))
        self.viewport().update()

    def _x_axis(self) -> QValueAxis | None:
        axes = self.chart().axes(Qt.Orientation.Horizontal)
        return axes[0] if axes and isinstance(axes[0], QValueAxis) else None

    def _plot_rect(self) -> QRectF:
        chart = self.chart()
        return chart.mapRectToScene(chart.plotArea())

    def _x_of(self, minute: float, plot: QRectF, axis: QValueAxis) -> float:
        span = axis.max() - axis.min() or 1.0
        return plot.left() + (minute - axis.min()) / span * plot.width()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 (Qt name)
        super().drawBackground(painter, rect)
        axis, data = self._x_axis(), self.data
        if axis is None or data is None or not data.phases:
            return
        t = self._theme
        plot = self._plot_rect()
        font = QFont(self.font())
        font.setPixelSize(12)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        lived, planned = QColor(t.past), QColor(t.planned)
        # On a light (print-like) ground the bands stay pale so the curves keep their contrast.
        light = QColor(t.panel).lightness() > 128
        lived.setAlpha(90 if light else 150)
        planned.setAlpha(110 if light else 255)
        for n, band in enumerate(data.phases):
            left = max(plot.left(), self._x_of(band.start, plot, axis))
            right = min(plot.right(), self._x_of(band.end, plot, axis))
            if right <= left:
                continue
            fill = QColor(lived if band.actual else planned)
            if n % 2:  # neighbouring phases differ a little, so a boundary reads without a line
                fill = fill.darker(108 if light else 118)
            painter.fillRect(QRectF(left, plot.top(), right - left, plot.height()), fill)
            name = metrics.elidedText(band.name, Qt.TextElideMode.ElideRight, int(right - left) - 8)
            if name:
                painter.setPen(t.color("dim_text"))
                painter.drawText(QRectF(left + 4, plot.bottom() - 20, right - left - 8, 18),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 (Qt name)
        super().drawForeground(painter, rect)
        axis, data = self._x_axis(), self.data
        if axis is None or data is None:
            return
        t = self._theme
        plot = self._plot_rect()
        if self.now_minute is not None and axis.min() <= self.now_minute <= axis.max():
            now_color = t.color("accent")
            now_color.setAlpha(110)
            painter.setPen(QPen(now_color, 1.0, Qt.PenStyle.DotLine))
            x = self._x_of(self.now_minute, plot, axis)
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        self._draw_threshold_labels(painter, plot)
        font = QFont(self.font())
        font.setPixelSize(13)
        painter.setFont(font)
        for n, dose in enumerate(data.doses):
            if not axis.min() <= dose.minute <= axis.max():
                continue
            x = self._x_of(dose.minute, plot, axis)
            painter.setPen(QPen(t.color("accent"), 2.0))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            painter.setPen(t.color("text"))
            painter.drawText(QRectF(x + 5, plot.top() + 2 + 17 * (n % 3), 260, 17),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, dose.label)

    def _draw_threshold_labels(self, painter: QPainter, plot: QRectF) -> None:
        """Name each threshold line at the plot's right edge, just above the line."""
        font = QFont(self.font())
        font.setPixelSize(12)
        painter.setFont(font)
        taken: list[float] = []  # label rows already used: lines a few units apart share one label row
        for axis, value, text, color in self.threshold_labels:
            if not axis.isVisible():
                continue
            span = axis.max() - axis.min() or 1.0
            if not axis.min() <= value <= axis.max():
                continue
            y = plot.bottom() - (value - axis.min()) / span * plot.height()
            if any(abs(y - other) < 14 for other in taken):
                continue  # the line is still drawn; its name is in the series (and the PDF's legend)
            taken.append(y)
            label = QColor(color)
            label.setAlpha(min(255, color.alpha() + 60))
            painter.setPen(label)
            painter.drawText(QRectF(plot.right() - 206, y - 17, 200, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, text)


def _rise_of(vital: str, value: float, baseline: VitalsReading | None, rules: AlertRules) -> float | None:
    """The rise from baseline that ``value`` stands for, if it is a baseline-relative line."""
    if baseline is None:
        return None
    base = getattr(baseline, vital, None) if vital in ("systolic", "diastolic") else None
    rise = rules.systolic_rise if vital == "systolic" else rules.diastolic_rise
    if base is not None and rise is not None and base + rise == value:
        return rise
    return None


def threshold_name(vital: str, value: float, baseline: VitalsReading | None, rules: AlertRules) -> str:
    """``Systolic limit 180``; ``Systolic limit 166 (baseline +40)`` for a baseline-relative line."""
    rise = _rise_of(vital, value, baseline, rules)
    suffix = f" (baseline +{rise:g})" if rise is not None else ""
    return f"{_THRESHOLD_LABEL[vital]} limit {value:g}{suffix}"


def threshold_tag(vital: str, value: float, baseline: VitalsReading | None, rules: AlertRules) -> str:
    """The short label at the line's right end: ``SBP 180``, ``SBP base+40``, ``SpO₂ 92%``."""
    rise = _rise_of(vital, value, baseline, rules)
    if rise is not None:
        return f"{_THRESHOLD_SHORT[vital]} base+{rise:g}"
    return f"{_THRESHOLD_SHORT[vital]} {value:g}{'%' if vital == 'spo2' else ''}"


def header_offset(minute: float, from_dose: bool) -> str:
    """``T+45`` / ``T-12`` from the dose; ``arrival +12`` before T0 is marked."""
    return offset_label(minute) if from_dose else f"arrival +{int(minute)}"


def header_reading(reading: VitalsReading) -> str:
    """``148/94  HR 84  SpO₂ 97%  RR 14  36.8 °C`` — in the order of the legend."""
    return "  ".join(
        part
        for part in (
            f"{reading.systolic}/{reading.diastolic if reading.diastolic is not None else '–'}"
            if reading.systolic is not None else "",
            f"HR {reading.heart_rate}" if reading.heart_rate is not None else "",
            f"SpO₂ {reading.spo2}%" if reading.spo2 is not None else "",
            f"RR {reading.resp_rate}" if reading.resp_rate is not None else "",
            f"{reading.temperature_c:g} °C" if reading.temperature_c is not None else "",
        )
        if part
    )


def value_axis(title: str, step: float, label_format: str = "%d") -> QValueAxis:
    """A y axis titled ``title`` with a tick every ``step``."""
    axis = QValueAxis()
    axis.setTitleText(title)
    axis.setTickInterval(step)
    axis.setLabelFormat(label_format)
    return axis
