"""The live vitals chart: blood pressure, heart rate and SpO₂ against minutes from the dose.

What it draws (data from :func:`kapdesk.domain.series.chart_data`):

* systolic ∨ and diastolic ∧ (the anaesthesia-chart convention) in the text colour, heart rate
  with dots in the accent colour, all on the left axis (mmHg / bpm, 20–220); SpO₂ as a thinner
  dim line with hollow squares on the right axis (80–100 %). Series differ by marker shape and
  width as well as colour, so they stay apart for a colour-blind reader and on a dimmed screen
  (not by dash: see ``_SERIES_STYLE`` for what dashes cost);
* x = minutes from T0, ``T-30`` … ``T+180``, widened in 15-minute steps when the sitting runs
  longer (or counted from arrival, labelled so, before T0 is marked);
* the phases as faint bands behind the curves (lived phases a shade lighter than planned ones),
  the dose(s) as vertical lines with a short label, a dim line at now;
* the alert thresholds as dim dashed lines in the colour of their vital (systolic low/high and
  the baseline-relative rises, SpO₂ low), from :func:`kapdesk.domain.alerts.threshold_lines`;
* above the plot, the newest reading in large type and the baseline in dim type: the one line
  a therapist reads from two metres;
* on a second page (its key, ``session.chart_vitals``), respiratory rate (left axis, /min) and
  temperature (right axis, °C) on axes of their own, with the respiratory-rate alert lines.

It follows the application's theme live (Ctrl+L), unless it was made with a theme of its own
(``render_to_image`` for the PDF, in the light, print-like theme).

Why QtCharts and not pyqtgraph: PySide6-Addons already ships QtCharts, so it costs no extra
dependency; it is an ordinary widget that sits in the session view's splitter, takes the theme's
colours and fonts, and renders to a ``QImage`` for the PDF report with the same code. pyqtgraph
is the faster library for hundreds of thousands of points, but a six-hour sitting at one reading
a minute is 360 points per series, which QtCharts redraws in a few milliseconds
(``bench/bench_chart.py`` keeps that honest).

Cheap updates, because the chart stays open for hours beside a laptop on battery:

* animations are off (they cost CPU and make the screen flicker in a dark room);
* a new reading changes each changed series in **one** call: ``append`` when it is simply the
  newest point, else one ``QXYSeries.replace`` (several appends would each re-lay-out and
  schedule a repaint); unchanged series, axes and threshold lines are not touched at all;
* with :meth:`VitalsChart.set_session`, entries of kinds the chart does not draw (notes, music,
  scales) are ignored without any work, and only phase/dose changes re-read the record;
* phase bands and markers are painted straight onto the view's background and foreground, not
  added as series: no legend entries to hide, no extra chart items to lay out.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from PySide6.QtCharts import QChart, QLegend, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt, QTimer
from PySide6.QtGui import QFont, QImage, QPen, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules, threshold_lines
from kapdesk.domain.clock import Segment
from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.record import minutes_between
from kapdesk.domain.series import ALL_VITALS, CHARTED_VITALS, MORE_VITALS, ChartData, chart_data
from kapdesk.ui.chart_view import (PlotView, header_offset, header_reading, marker_image, threshold_name,
                                   threshold_tag, value_axis)
from kapdesk.ui.theme import Theme, current_theme, theme_changes

if TYPE_CHECKING:
    from kapdesk.session import LiveSession

__all__ = ["CHART_KINDS", "PAGES", "THRESHOLD_VITALS", "VitalsChart"]

# Entry kinds that change what the chart draws; any other new entry is ignored.
CHART_KINDS: frozenset[Kind] = frozenset({Kind.VITALS, Kind.DOSE})
# Threshold lines drawn, by vital. Heart-rate bounds (50/150) share the left axis with blood
# pressure and would add two more dashed lines to read past; the alert itself still fires.
THRESHOLD_VITALS: tuple[str, ...] = ("systolic", "diastolic", "spo2", "resp_rate")
# The chart's two pages of vitals, shown in turn (``toggle_vitals``).
PAGES: dict[str, tuple[str, ...]] = {"circulation": CHARTED_VITALS, "breathing": MORE_VITALS}

LEFT_RANGE = (20.0, 220.0)  # mmHg and bpm
LEFT_STEP = 20.0
RIGHT_RANGE = (80.0, 100.0)  # SpO₂ %
RIGHT_STEP = 5.0
RR_RANGE, RR_STEP = (0.0, 40.0), 5.0  # breaths/min
TEMP_RANGE, TEMP_STEP = (35.0, 40.0), 0.5  # °C
# Readings closer together than this on screen are drawn as lines without markers.
MARKER_SPACING_PX = 9.0
# How often the bands and the "now" line follow the clock: the chart's x resolution is a
# minute, so a faster timer would only spend battery.
CLOCK_REFRESH_MS = 30_000

# (theme colour, line width, marker) per vital. The lines are solid on purpose: an antialiased
# dashed polyline of a few hundred points costs the raster engine several times a solid one
# (measured on a six-hour chart: ~10 ms a repaint with heart rate and SpO₂ dashed, ~1.5 ms
# solid), so the series are told apart by marker shape, colour and width instead. Dashes are kept for the two-point threshold
# lines, where they cost nothing.
_SERIES_STYLE: dict[str, tuple[str, float, str]] = {
    "systolic": ("text", 2.0, "down"),
    "diastolic": ("text", 2.0, "up"),
    "heart_rate": ("accent", 2.0, "dot"),
    "spo2": ("dim_text", 1.5, "square"),
    "resp_rate": ("accent", 2.0, "dot"),
    "temperature_c": ("text", 2.0, "square"),
}
# The legend shows each series' own marker and line beside these names.
_LEGEND = {"systolic": "Systolic", "diastolic": "Diastolic", "heart_rate": "Heart rate", "spo2": "SpO₂ (right axis)",
           "resp_rate": "Respiratory rate", "temperature_c": "Temperature (right axis)"}
# Threshold lines take their vital's colour at this opacity: visible, but quieter than data.
# SpO₂ is already drawn in the dim text colour, so its limit keeps nearly all of it.
_THRESHOLD_ALPHA = {"spo2": 230}
_DEFAULT_THRESHOLD_ALPHA = 120


class VitalsChart(QWidget):
    """Vitals against minutes from T0, with phases, doses and alert thresholds.

    Two ways to feed it:

    * :meth:`set_session` — the chart follows a :class:`~kapdesk.session.LiveSession`: it
      reads the record once, then updates from each committed entry (``live.changed``) and
      moves its bands and now-line with the clock every 30 s.
    * :meth:`update_from` — a caller (a report, a review screen) hands it entries directly.

    Either way the final step is :meth:`show_data`, which touches only what changed.
    """

    def __init__(self, parent: QWidget | None = None, *, theme: Theme | None = None,
                 rules: AlertRules = DEFAULT_RULES) -> None:
        super().__init__(parent)
        self._theme = theme or current_theme()
        self._rules = rules
        self._data: ChartData | None = None
        self._now_minute: float | None = None
        self._thresholds: dict[str, list[float]] = {}
        self._threshold_series: list[tuple[str, float, QLineSeries]] = []
        self._live: LiveSession | None = None
        self._entries: dict[uuid.UUID, EntryInfo] = {}  # vitals and dose entries of the live session
        self._follows_app = theme is None  # Ctrl+L retheme; a report's copy keeps its own theme
        self.page = "circulation"
        self._filled: dict[str, tuple[tuple[float, float], ...]] = {}  # the points each series holds

        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setBackgroundVisible(False)
        self.chart.setPlotAreaBackgroundVisible(False)
        self.chart.setDropShadowEnabled(False)
        self.chart.setMargins(QMargins(2, 2, 2, 2))
        self.chart.layout().setContentsMargins(0, 0, 0, 0)

        axis_font = QFont(self.font())
        axis_font.setPixelSize(13)
        title_font = QFont(axis_font)
        title_font.setPixelSize(12)
        self.axis_x = QValueAxis()
        self.axis_x.setTickInterval(30)
        self.axis_x.setMinorTickCount(1)
        self.axis_left = value_axis("mmHg · bpm", LEFT_STEP)
        self.axis_right = value_axis("SpO₂ %", RIGHT_STEP)
        self.axis_rr = value_axis("breaths/min", RR_STEP)
        self.axis_temp = value_axis("°C", TEMP_STEP, "%.1f")
        self._axes = {"spo2": self.axis_right, "resp_rate": self.axis_rr, "temperature_c": self.axis_temp}
        for axis in (self.axis_x, self.axis_left, self.axis_right, self.axis_rr, self.axis_temp):
            axis.setTickType(QValueAxis.TickType.TicksDynamic)
            axis.setTickAnchor(0)
            if axis is not self.axis_temp:
                axis.setLabelFormat("%d")
            axis.setLabelsFont(axis_font)
            axis.setTitleFont(title_font)
            axis.setShadesVisible(False)
        for axis in (self.axis_right, self.axis_temp):
            axis.setGridLineVisible(False)  # one grid (the left axis's) is enough
        self.chart.addAxis(self.axis_x, Qt.AlignmentFlag.AlignBottom)
        for axis in (self.axis_left, self.axis_rr):
            self.chart.addAxis(axis, Qt.AlignmentFlag.AlignLeft)
        for axis in (self.axis_right, self.axis_temp):
            self.chart.addAxis(axis, Qt.AlignmentFlag.AlignRight)

        self.series: dict[str, QLineSeries] = {}
        self._markers: dict[str, QImage] = {}
        for name in ALL_VITALS:
            s = QLineSeries()
            s.setName(_LEGEND[name])
            s.setMarkerSize(12)
            s.setPointsVisible(True)
            self.chart.addSeries(s)
            s.attachAxis(self.axis_x)
            s.attachAxis(self._axes.get(name, self.axis_left))
            self.series[name] = s

        legend = self.chart.legend()
        legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
        legend.setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        legend_font = QFont(self.font())
        legend_font.setPixelSize(13)
        legend.setFont(legend_font)
        legend.setBackgroundVisible(False)

        self.view = PlotView(self.chart, self._theme)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view.setMinimumHeight(220)

        self.latest = QLabel("No readings yet")
        self.latest.setObjectName("vitalsLatest")
        self.baseline = QLabel("")
        self.baseline.setObjectName("vitalsBaseline")
        self.setObjectName("vitalsChart")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        header = QHBoxLayout()
        header.setContentsMargins(6, 0, 6, 0)
        header.addWidget(self.latest)
        header.addSpacing(24)
        header.addStretch(1)
        header.addWidget(self.baseline)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        self.setAccessibleName("Vitals chart")
        self._apply_theme(self._theme)
        self._show_page()
        if self._follows_app:  # Ctrl+L: Qt disconnects this when the chart goes
            theme_changes().changed.connect(self.set_theme)

        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(CLOCK_REFRESH_MS)
        self._clock_timer.timeout.connect(self.refresh_clock)
        # Empty axes already show the usual window, so the pane does not jump at the first reading.
        empty = ChartData(origin=datetime(2000, 1, 1, tzinfo=timezone.utc), from_dose=True, points={})
        self._set_x_range(empty.x_range())
        self._set_y_ranges(empty)

    # -- theme and pages -----------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return self._theme

    def set_theme(self, theme: Theme) -> None:
        """Recolour everything in ``theme`` (the data, ranges and lines stay as they are)."""
        if theme is not self._theme:
            self._apply_theme(theme)

    def toggle_vitals(self) -> None:
        """Blood pressure, heart rate and SpO₂ ⇄ respiratory rate and temperature."""
        self.page = "breathing" if self.page == "circulation" else "circulation"
        self._show_page()
        self._fit_markers()

    def _fill_series(self, data: ChartData) -> None:
        """Give the shown page's series their points, each in one call (one relayout), and only
        when they changed; the hidden page's series wait until it is shown."""
        for name in PAGES[self.page]:
            points, held = data.points.get(name, ()), self._filled.get(name)
            if held == points:
                continue
            if held and len(points) == len(held) + 1 and points[:-1] == held:
                self.series[name].append(*points[-1])  # the usual case: one newer reading
            else:
                self.series[name].replace([QPointF(x, y) for x, y in points])
            self._filled[name] = points

    def _show_page(self) -> None:
        if self._data is not None:
            self._fill_series(self._data)
        shown = PAGES[self.page]
        for name, s in self.series.items():
            s.setVisible(name in shown)
            for marker in self.chart.legend().markers(s):
                marker.setVisible(name in shown)
        breathing = self.page == "breathing"
        for axis, visible in ((self.axis_left, not breathing), (self.axis_right, not breathing),
                              (self.axis_rr, breathing), (self.axis_temp, breathing)):
            axis.setVisible(visible)
        for vital, _, s in self._threshold_series:
            s.setVisible(vital in shown)
            for marker in self.chart.legend().markers(s):
                marker.setVisible(False)  # showing a series shows its legend entry again
        self.view.viewport().update()

    def _apply_theme(self, t: Theme) -> None:
        # The chart carries its own theme rather than inheriting the application's, so a report
        # rendered in the light theme from a dark-themed app (render_to_image) is light throughout.
        self._theme = t
        for axis in (self.axis_x, self.axis_left, self.axis_right, self.axis_rr, self.axis_temp):
            axis.setLabelsColor(t.color("text"))
            axis.setTitleBrush(t.color("dim_text"))
            axis.setLinePenColor(t.color("border"))
            axis.setGridLineColor(t.color("border"))
            axis.setMinorGridLineColor(t.color("planned"))
        for name, s in self.series.items():
            role, width, shape = _SERIES_STYLE[name]
            pen = QPen(t.color(role), width)
            # Flat caps and bevel joins: round ones made a six-hour repaint about three times
            # slower (measured), for corners too small to see at this width.
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            pen.setJoinStyle(Qt.PenJoinStyle.BevelJoin)
            s.setPen(pen)
            self._markers[name] = marker_image(shape, t.color(role))
            if s.pointsVisible():
                s.setLightMarker(self._markers[name])
        self.chart.legend().setLabelColor(t.color("text"))
        self.setStyleSheet(
            f"#vitalsChart {{ background: {t.panel}; }}"
            f" QLabel#vitalsLatest {{ color: {t.text}; background: transparent; font-size: 22px; font-weight: 600; }}"
            f" QLabel#vitalsBaseline {{ color: {t.dim_text}; background: transparent; font-size: 15px; }}"
        )
        self.view.set_theme(t)
        if self._data is not None:  # the threshold lines take their vital's new colour
            self._thresholds = {}
            self._apply_thresholds(self._data)

    # -- feeding -------------------------------------------------------------------------------
    def set_session(self, live: LiveSession) -> None:
        """Follow ``live``: read its record now, then update on every committed change.

        Connected to ``live.changed``: Qt disconnects it when this widget goes, and a second call
        switches sessions, disconnecting the old one.
        """
        if self._live is not None and self._live is not live:
            self._live.changed.disconnect(self._on_change)
        if self._live is not live:
            live.changed.connect(self._on_change)
        self._live = live
        self._reload()
        if live.ended:
            self._clock_timer.stop()
        else:
            self._clock_timer.start()

    def update_from(self, entries: Iterable[EntryInfo], *, arrival: datetime, dose_at: datetime | None,
                    segments: Iterable[Segment] = (), rules: AlertRules | None = None,
                    now: datetime | None = None) -> None:
        """Draw ``entries`` (any kinds; corrections handled) as they stand; see :func:`chart_data`."""
        if rules is not None:
            self._rules = rules
        data = chart_data(entries, arrival=arrival, dose_at=dose_at, segments=segments)
        self.show_data(data, now_minute=minutes_between(data.origin, now) if now else None)

    def add_entry(self, entry: EntryInfo) -> None:
        """Take one newly committed entry of the followed session (what ``live.changed`` delivers).

        A correction marks the entry it supersedes as no longer current, so the old point
        leaves the chart and the new one takes its place.
        """
        if entry.kind not in CHART_KINDS:
            return
        old = self._entries.get(entry.supersedes_id) if entry.supersedes_id else None
        if old is not None:
            self._entries[old.id] = dataclasses.replace(old, superseded_by=entry.id)
        self._entries[entry.id] = entry
        self._redraw_live()

    def set_rules(self, rules: AlertRules) -> None:
        """Use a clinic's thresholds (the lines move; nothing else is recomputed)."""
        self._rules = rules
        if self._data is not None:
            self._apply_thresholds(self._data)

    def refresh_clock(self) -> None:
        """Move the bands and the now-line to the clock (the timer calls this every 30 s)."""
        if self._live is not None:
            if self._live.ended:
                self._clock_timer.stop()
            self._redraw_live()

    def show_data(self, data: ChartData, *, now_minute: float | None = None) -> None:
        """Draw ``data``, changing only what differs from what is on screen."""
        self._data = data
        self._now_minute = now_minute
        self._fill_series(data)
        self._set_x_range(data.x_range(now_minute))
        self._set_y_ranges(data)
        self._apply_thresholds(data)
        self._show_header(data)
        self._fit_markers()
        self.view.data = data
        self.view.now_minute = now_minute
        self.view.viewport().update()

    # -- reading back (tests, reports) ----------------------------------------------------------
    @property
    def data(self) -> ChartData | None:
        """What the chart shows now."""
        return self._data

    def points(self, vital: str) -> list[tuple[float, float]]:
        """The points of one series as the chart holds them (minutes, value)."""
        return [(p.x(), p.y()) for p in self.series[vital].points()]

    def threshold_values(self) -> dict[str, list[float]]:
        """The threshold lines drawn, by vital (ascending)."""
        return {vital: list(values) for vital, values in self._thresholds.items()}

    def threshold_series(self) -> list[QLineSeries]:
        return [s for _, _, s in self._threshold_series]

    def render_to_image(self, width: int, height: int, theme: Theme | None = None) -> QImage:
        """The chart as it stands, rendered at ``width`` × ``height`` (for the PDF report).

        Renders a fresh, never-shown copy so the live pane neither resizes nor flickers; pass
        the light theme for paper.
        """
        copy = VitalsChart(theme=theme or self._theme, rules=self._rules)
        if copy.page != self.page:
            copy.toggle_vitals()
        try:
            if self._data is not None:
                copy.show_data(self._data, now_minute=self._now_minute)
            copy.resize(width, height)
            return copy.grab().toImage()
        finally:
            copy.deleteLater()

    # -- inside ---------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_markers()

    def _fit_markers(self) -> None:
        """Show point markers only while readings are at least ``MARKER_SPACING_PX`` apart.

        At one reading every 15 minutes the markers are what tells the series apart; at one a
        minute over six hours they would merge into a band that hides the curve, and drawing
        them is half the cost of a repaint. Lines, colours and the legend remain either way.
        """
        data = self._data
        count = max((len(points) for points in data.points.values()), default=0) if data else 0
        span = (self.axis_x.max() - self.axis_x.min()) or 1.0
        width = max(self.view.width() - 120, 1)  # the plot, less axes and their labels
        spaced = True
        if data is not None and count > 1:
            readings = data.points.get("systolic") or max(data.points.values(), key=len)
            per_minute = (count - 1) / max(readings[-1][0] - readings[0][0], 1.0)
            spaced = width / span / per_minute >= MARKER_SPACING_PX
        for name, series in self.series.items():
            if series.pointsVisible() != spaced:
                # A light marker is drawn whatever pointsVisible says, so it goes too.
                series.setLightMarker(self._markers[name] if spaced else QImage())
                series.setPointsVisible(spaced)

    def _on_change(self, entry: EntryInfo | None) -> None:
        if entry is None:  # a dose time, phase or end: rare, so re-read the record
            self._reload()
        else:
            self.add_entry(entry)

    def _reload(self) -> None:
        live = self._live
        if live is None:
            return
        self._entries = {e.id: e for e in live.entries() if e.kind in CHART_KINDS}
        self._redraw_live()

    def _redraw_live(self) -> None:
        live = self._live
        if live is None:
            return
        reading = live.reading()
        info = live.info
        data = chart_data(self._entries.values(), arrival=info.arrival_at, dose_at=info.dose_at,
                          segments=reading.segments)
        now = info.ended_at or reading.now
        self.show_data(data, now_minute=None if info.ended_at else minutes_between(data.origin, now))

    def _set_x_range(self, x_range: tuple[float, float]) -> None:
        lo, hi = x_range
        if (self.axis_x.min(), self.axis_x.max()) != (lo, hi):
            self.axis_x.setRange(lo, hi)
        from_dose = self._data.from_dose if self._data is not None else True
        fmt, title = ("T%+d", "minutes from dose (T0)") if from_dose else ("%d", "minutes from arrival (T0 not marked)")
        if self.axis_x.labelFormat() != fmt:
            self.axis_x.setLabelFormat(fmt)
            self.axis_x.setTitleText(title)

    def _set_y_ranges(self, data: ChartData) -> None:
        for axis, names, default, step in (
            (self.axis_left, ("systolic", "diastolic", "heart_rate"), LEFT_RANGE, LEFT_STEP),
            (self.axis_right, ("spo2",), RIGHT_RANGE, RIGHT_STEP),
            (self.axis_rr, ("resp_rate",), RR_RANGE, RR_STEP),
            (self.axis_temp, ("temperature_c",), TEMP_RANGE, TEMP_STEP),
        ):
            lo, hi = data.value_range(names, default, step)
            if (axis.min(), axis.max()) != (lo, hi):
                axis.setRange(lo, hi)

    def _apply_thresholds(self, data: ChartData) -> None:
        """Rebuild the threshold lines only when their values change; otherwise just keep them
        spanning the x range."""
        baseline = data.baseline.reading if data.baseline is not None else None
        lines = {v: values for v, values in threshold_lines(self._rules, baseline=baseline).items()
                 if v in THRESHOLD_VITALS}
        lo, hi = self.axis_x.min(), self.axis_x.max()
        if lines != self._thresholds:
            for _, _, s in self._threshold_series:
                self.chart.removeSeries(s)
                s.deleteLater()
            self._threshold_series = []
            for vital, values in lines.items():
                color = self.series[vital].pen().color()
                color.setAlpha(_THRESHOLD_ALPHA.get(vital, _DEFAULT_THRESHOLD_ALPHA))
                pen = QPen(color, 1.0, Qt.PenStyle.DashLine)
                for value in values:
                    s = QLineSeries()
                    s.setName(threshold_name(vital, value, baseline, self._rules))
                    s.setPen(pen)
                    self.chart.addSeries(s)
                    s.attachAxis(self.axis_x)
                    s.attachAxis(self._axes.get(vital, self.axis_left))
                    for marker in self.chart.legend().markers(s):
                        marker.setVisible(False)
                    s.setVisible(vital in PAGES[self.page])
                    self._threshold_series.append((vital, value, s))
            self._thresholds = lines
            self.view.threshold_labels = [
                (self._axes.get(vital, self.axis_left), value, threshold_tag(vital, value, baseline, self._rules),
                 s.pen().color())
                for vital, value, s in self._threshold_series
            ]
            self.view.viewport().update()
        for _, value, s in self._threshold_series:
            if s.count() != 2 or s.at(0).x() != lo or s.at(1).x() != hi:
                s.replace([QPointF(lo, value), QPointF(hi, value)])

    def _show_header(self, data: ChartData) -> None:
        if data.latest is None:
            latest = "No readings yet"
        else:
            minute, reading = data.latest
            latest = f"{header_offset(minute, data.from_dose)}   {header_reading(reading)}"
        if self.latest.text() != latest:
            self.latest.setText(latest)
        base = ""
        if data.baseline is not None:
            # Blood pressure only: the rises the alerts measure are from the baseline BP.
            b = data.baseline.reading
            bp = f"{b.systolic}/{b.diastolic if b.diastolic is not None else '–'}" if b.systolic is not None else header_reading(b)
            base = f"baseline {bp}" if data.baseline.flagged else f"baseline {bp} (last pre-dose)"
        if self.baseline.text() != base:
            self.baseline.setText(base)
