"""Past sessions, searchable, and the course of treatment of the selected session's client.

The list shows one page, the newest ``PAGE_SIZE`` sessions matching the search, read by the
record (``Clinic.search_sessions``: client label, protocol or clinician) rather than filtered
here, so opening the view costs the same with ten sessions or ten thousand. Typing in the search
line asks again after a short pause.

Selecting a session shows its client's course: per session the dose, peak blood pressure, lowest
MOAA/S, dissociation and that session's PHQ-9 / GAD-7 (``Clinic.course``), and a chart
of PHQ-9 and GAD-7 over time in the theme's dim colours, without animation.

A PHQ-9 item 9 above 0 is marked in words, "⚑ item 9 = 2", never by colour alone: beside the
client in the list, in the session's PHQ-9 cell of the course, and in a line under the course's
title naming every positive answer with its date (one taken between sessions too).

Keys: Ctrl+F goes to the search line, Down from there to the list; Enter opens the selected
session; Ctrl+P / Ctrl+Shift+C / Ctrl+Shift+F ask for a PDF / CSV / FHIR export (``history.*`` in
the key map). The view only
emits what was asked for; opening and exporting are the window's job.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCharts import QChart, QChartView, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import (
    QAbstractTableModel, QDate, QDateTime, QEvent, QMargins, QModelIndex, QObject, QPersistentModelIndex, Qt, QTime, QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSplitter, QTreeView,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from kapdesk.domain.course import Course
from kapdesk.domain.suicidality import ITEM9_ADVICE, ITEM9_MARK, Item9Answer
from kapdesk.export import FORMATS
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.kit import see_through, set_role
from kapdesk.ui.theme import Theme, current_theme

if TYPE_CHECKING:
    from kapdesk.domain.info import SessionInfo
    from kapdesk.session import Clinic

PAGE_SIZE = 200  # newest sessions shown; the search narrows in the record, not in this list
SEARCH_DELAY_MS = 250  # pause after typing before the record is asked
COURSE_DELAY_MS = 120  # arrowing through the list does not reload a course per row passed
COURSE_LIMIT = 500  # sessions read for one client's course (a course is typically 6-8)
COURSE_COLUMNS = ("Date", "Protocol", "Dose", "Peak BP", "MOAA/S low", "Dissociation", "PHQ-9", "GAD-7")

_Index = QModelIndex | QPersistentModelIndex


class SessionListModel(QAbstractTableModel):
    """The visible page of sessions: only the texts shown are computed, and only when painted."""

    COLUMNS = ("Date", "Client", "Protocol", "Status", "Clinician")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sessions: list[SessionInfo] = []
        self.item9: dict[uuid.UUID, Item9Answer] = {}  # sessions whose PHQ-9 item 9 was above 0

    def set_sessions(self, sessions: Sequence[SessionInfo], item9: dict[uuid.UUID, Item9Answer] | None = None) -> None:
        self.beginResetModel()
        self.sessions = list(sessions)
        self.item9 = dict(item9 or {})
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt signature)
        return 0 if parent.isValid() else len(self.sessions)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt signature)
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.sessions[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return info.arrival_at.astimezone().strftime("%Y-%m-%d %H:%M")
            if column == 1:
                answer = self.item9.get(info.id)
                return f"{info.client_label}  {answer.marker}" if answer is not None else info.client_label
            if column == 2:
                return info.protocol.name
            if column == 3:
                return info.status.replace("_", " ")
            return info.clinician_name
        if role == Qt.ItemDataRole.UserRole:
            return info.id
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1 and info.id in self.item9:
            return f"{self.item9[info.id].describe()}: {ITEM9_ADVICE}"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None


class _SessionList(QTreeView):
    """The list of sessions. It claims Enter while it has the focus (``ShortcutOverride``), so Enter
    opens the session selected here rather than the start screen's Enter-resumes (the key map's
    ``history.open`` overrides ``start.resume``)."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and keymap.matches(event, "history.open"):
            event.accept()
            return True
        return super().event(event)


class HistoryView(QWidget):
    """Past sessions and the selected client's course, for one clinic's record."""

    open_session_requested = Signal(object)  # uuid.UUID of the session to open
    export_requested = Signal(object, str)  # uuid.UUID, format: "pdf" | "csv" | "fhir"
    course_shown = Signal(object)  # uuid.UUID of the client whose course is now on screen

    def __init__(self, clinic: Clinic, *, page_size: int = PAGE_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.page_size = page_size
        self.course: Course | None = None
        self.course_client: uuid.UUID | None = None

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search client, protocol or clinician   Ctrl+F")
        self.search.setAccessibleName("Search sessions")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self.search_timer.start())
        self.search.returnPressed.connect(self._search_now_and_go_to_list)
        self.search.installEventFilter(self)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.run_search)

        self.model = SessionListModel(self)
        self.list = _SessionList()
        self.list.setModel(self.model)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)  # lets the view lay out a page without measuring every row
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAccessibleName("Past sessions")
        header = self.list.header()
        header.setStretchLastSection(True)
        self.list.ensurePolished()  # the theme's font size, not the default, decides the widths
        metrics = self.list.fontMetrics()
        for column, sample in enumerate(("2026-01-27 00:00", f"DEMO-01 (synthetic client)  {ITEM9_MARK} item 9 = 3",
                                         "Sublingual ketamine (troche)",
                                         "in progress")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 28)
        self.list.activated.connect(self._open_index)
        self.list.selectionModel().currentRowChanged.connect(lambda _cur, _prev: self.course_timer.start())
        self.count_label = QLabel("")
        self.count_label.setProperty("role", "status")
        self.course_timer = QTimer(self)
        self.course_timer.setSingleShot(True)
        self.course_timer.setInterval(COURSE_DELAY_MS)
        self.course_timer.timeout.connect(self.show_selected_course)

        self.export_buttons: dict[str, QPushButton] = {}
        buttons = QHBoxLayout()
        open_button = QPushButton(f"Open  {keymap.key('history.open')}")
        open_button.setProperty("compact", "true")
        open_button.clicked.connect(lambda: self._open_index(self.list.currentIndex()))
        buttons.addWidget(open_button)
        for fmt in FORMATS:
            keys = keymap.key(f"history.{fmt}")
            button = QPushButton(f"{fmt.upper()}  {keys}")
            button.setProperty("compact", "true")
            button.setToolTip(f"Export the selected session as {fmt.upper()} ({keys})")
            button.clicked.connect(lambda _=False, f=fmt: self.request_export(f))
            buttons.addWidget(button)
            self.export_buttons[fmt] = button
            keymap.shortcuts(f"history.{fmt}", self, lambda f=fmt: self.request_export(f))
        buttons.addStretch(1)
        keymap.shortcuts("history.search", self, self.focus_search)

        list_pane = QFrame()
        list_pane.setObjectName("pane")
        list_layout = QVBoxLayout(list_pane)
        title = QLabel("Past sessions")
        title.setProperty("role", "title")
        list_layout.addWidget(title)
        list_layout.addWidget(self.search)
        list_layout.addWidget(self.list, 1)
        list_layout.addWidget(self.count_label)
        list_layout.addLayout(buttons)

        self.course_title = QLabel("Course")
        self.course_title.setProperty("role", "title")
        self.course_item9 = QLabel("")  # every positive PHQ-9 item 9 of the course, in words
        self.course_item9.setWordWrap(True)
        self.course_item9.setAccessibleName("PHQ-9 item 9 answers above 0")
        set_role(self.course_item9, "message")
        self.course_item9.hide()
        self.course_table = QTreeWidget()
        self.course_table.setHeaderLabels(list(COURSE_COLUMNS))
        self.course_table.setRootIsDecorated(False)
        self.course_table.setAlternatingRowColors(True)
        self.course_table.setAccessibleName("Course of treatment")
        course_header = self.course_table.header()
        course_header.setStretchLastSection(False)
        course_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The protocol name is long and usually the same all course: it takes the width the numbers
        # leave, elided (the full name is its tooltip), so every number stays in view.
        course_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.course_table.itemActivated.connect(
            lambda item, _col: self.open_session_requested.emit(item.data(0, Qt.ItemDataRole.UserRole)))
        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)  # nothing moves in a dim room
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setFrameShape(QFrame.Shape.NoFrame)
        self.chart_view.setMinimumSize(320, 120)  # readable, and within the course pane of a 1280×720 screen
        self.chart_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # nothing to do there by keyboard
        self.chart_note = QLabel("")
        self.chart_note.setProperty("role", "status")
        self.chart_note.setWordWrap(True)  # under the title, the pane's width: one line, the chart keeps the height
        style_chart(self.chart, current_theme(), self.chart_view)  # an unstyled chart is white: never show one
        # Shown once a course has a score to draw: an empty chart says nothing, and not painting it
        # keeps the first page of a large history under 50 ms (bench/bench_history.py).
        self.chart_view.hide()
        course_split = QSplitter(Qt.Orientation.Horizontal)
        course_split.addWidget(self.course_table)
        course_split.addWidget(self.chart_view)
        course_split.setStretchFactor(0, 2)
        course_split.setStretchFactor(1, 1)
        course_split.setSizes([2000, 1000])  # two thirds to the table from the start, not the chart's size hint
        course_pane = QFrame()
        course_pane.setObjectName("pane")
        course_layout = QVBoxLayout(course_pane)
        course_layout.addWidget(self.course_title)
        course_layout.addWidget(self.course_item9)
        course_layout.addWidget(self.chart_note)
        course_layout.addWidget(course_split, 1)

        # The list above, the course below: both tables need the full width to show their columns.
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(list_pane)
        splitter.addWidget(course_pane)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        see_through(splitter, course_split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(splitter)
        self.run_search()

    # -- the list -----------------------------------------------------------------------------
    def run_search(self) -> None:
        """Ask the record for the newest page matching the search line; keep the selection if it is still there."""
        self.search_timer.stop()
        selected = self.selected_session_id()
        try:
            sessions = self.clinic.search_sessions(self.search.text(), limit=self.page_size)
            item9 = self.clinic.item9_by_session(sessions)
        except StoreError as exc:
            self.count_label.setText(f"Could not read the sessions: {exc}")
            return
        self.model.set_sessions(sessions, item9)
        row = next((i for i, s in enumerate(sessions) if s.id == selected), 0 if sessions else -1)
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row, 0))
        shown = len(sessions)
        more = "  (the newest; search to narrow)" if shown >= self.page_size else ""
        what = f"matching “{self.search.text().strip()}”" if self.search.text().strip() else ""
        self.count_label.setText(f"{shown} session{'s' if shown != 1 else ''} {what}{more}".replace("  ", " ").strip())

    def select_session(self, session_id: uuid.UUID) -> bool:
        """Make ``session_id`` the list's current row, if it is listed (Enter on the list opens it)."""
        row = next((i for i, s in enumerate(self.model.sessions) if s.id == session_id), None)
        if row is None:
            return False
        self.list.setCurrentIndex(self.model.index(row, 0))
        return True

    def selected_session_id(self) -> uuid.UUID | None:
        index = self.list.currentIndex()
        return self.model.data(index, Qt.ItemDataRole.UserRole) if index.isValid() else None

    def selected_session(self) -> SessionInfo | None:
        index = self.list.currentIndex()
        return self.model.sessions[index.row()] if index.isValid() else None

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_now_and_go_to_list(self) -> None:
        self.run_search()
        self.list.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is self.search and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Down:
                if self.search_timer.isActive():
                    self.run_search()
                self.list.setFocus()
                return True
        return super().eventFilter(watched, event)

    def _open_index(self, index: QModelIndex) -> None:
        session_id = self.model.data(index, Qt.ItemDataRole.UserRole) if index.isValid() else None
        if session_id is not None:
            self.open_session_requested.emit(session_id)

    def request_export(self, fmt: str) -> None:
        session_id = self.selected_session_id()
        if session_id is None:
            self.count_label.setText("Select a session to export first.")
            return
        self.export_requested.emit(session_id, fmt)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        """A light/dark switch (a new application palette) repaints the chart in the new theme."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            # Deferred: apply_theme names the new theme only after it has set the palette.
            QTimer.singleShot(0, self, self._restyle_chart)

    def _restyle_chart(self) -> None:
        if self.course is not None:
            self._fill_chart(self.course)
        else:
            style_chart(self.chart, current_theme(), self.chart_view)

    # -- the course ---------------------------------------------------------------------------
    def show_selected_course(self) -> None:
        info = self.selected_session()
        if info is not None and info.client_id != self.course_client:
            self.show_course(info.client_id, info.client_label)

    def show_course(self, client_id: uuid.UUID, client_label: str | None = None) -> Course:
        """Read and show one client's course (a few short reads: sessions, their entries, outcomes)."""
        sessions, course = self.clinic.course(client_id, limit=COURSE_LIMIT)
        self.course, self.course_client = course, client_id
        label = client_label or (sessions[0].client_label if sessions else self.clinic.client(client_id).label)
        count = len(course.sessions)
        self.course_title.setText(f"Course: {label} · {count} session{'s' if count != 1 else ''}")
        self._fill_table(course)
        self._fill_item9(course)
        self._fill_chart(course)
        self.course_shown.emit(client_id)
        return course

    def _fill_table(self, course: Course) -> None:
        self.course_table.clear()
        for s in course.sessions:
            row = QTreeWidgetItem([
                s.arrival_at.astimezone().strftime("%Y-%m-%d"), s.protocol, s.dose_text, s.peak_bp_text,
                _dash(s.lowest_moaas), s.dissociation_text, s.phq9_text, _dash(s.gad7),
            ])
            row.setData(0, Qt.ItemDataRole.UserRole, s.session_id)
            row.setToolTip(1, s.protocol)
            for column in range(2, len(COURSE_COLUMNS)):
                row.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if s.item9 is not None:  # the words say it; bold makes the cell stand out in either theme
                phq9 = COURSE_COLUMNS.index("PHQ-9")
                font = row.font(phq9)
                font.setBold(True)
                row.setFont(phq9, font)
                row.setToolTip(phq9, f"{s.item9.describe()}: {ITEM9_ADVICE}")
            self.course_table.addTopLevelItem(row)

    def _fill_item9(self, course: Course) -> None:
        answers = course.item9_positives
        listed = " · ".join(f"{a.taken_on.isoformat()}: item 9 = {a.value}" for a in answers)
        self.course_item9.setText(f"{ITEM9_MARK} PHQ-9 item 9 above 0 — {listed}. Calls for {ITEM9_ADVICE}."
                                  if answers else "")
        self.course_item9.setVisible(bool(answers))

    def _fill_chart(self, course: Course) -> None:
        """PHQ-9 and GAD-7 totals by date, in the theme's colours; solid and dashed, not two hues alone."""
        theme = current_theme()
        chart = self.chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        style_chart(chart, theme, self.chart_view)
        lines = (("phq9", "PHQ-9", theme.accent, Qt.PenStyle.SolidLine), ("gad7", "GAD-7", theme.text, Qt.PenStyle.DashLine))
        points = {key: course.series(key) for key, *_ in lines}
        dates = [d for series in points.values() for d, _ in series]
        self.chart_view.setVisible(bool(dates))
        if not dates:
            self.chart_note.setText("No PHQ-9 or GAD-7 recorded for this client yet.")
            return
        self.chart_note.setText("PHQ-9 (0–27, solid) and GAD-7 (0–21, dashed) by the date taken.")
        x_axis = QDateTimeAxis()
        x_axis.setFormat("d MMM")
        first, last = min(dates), max(dates)
        if first == last:  # one day: widen so the point is not on the edge
            x_axis.setRange(_qdt(first, -1), _qdt(last, 1))
        else:
            x_axis.setRange(_qdt(first), _qdt(last))
        x_axis.setTickCount(min(max(len(set(dates)), 2), 8))
        y_axis = QValueAxis()
        y_axis.setRange(0, 27)
        y_axis.setTickCount(4)
        y_axis.setLabelFormat("%d")
        for axis, alignment in ((x_axis, Qt.AlignmentFlag.AlignBottom), (y_axis, Qt.AlignmentFlag.AlignLeft)):
            style_axis(axis, theme)
            chart.addAxis(axis, alignment)
        for key, name, colour, pen_style in lines:
            series = QLineSeries()
            series.setName(name)
            pen = QPen(QColor(colour), 2)
            pen.setStyle(pen_style)
            series.setPen(pen)
            series.setPointsVisible(True)
            for day, total in points[key]:
                series.append(_qdt(day).toMSecsSinceEpoch(), total)
            chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)


def style_chart(chart: QChart, theme: Theme, view: QChartView | None = None) -> None:
    """Dark-room colours for a chart: the pane's ground, dim labels, no drop shadow, no animation."""
    if view is not None:  # the view's own ground shows around the chart: make it the same
        view.setBackgroundBrush(QBrush(QColor(theme.panel)))
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.layout().setContentsMargins(0, 0, 0, 0)
    chart.setBackgroundBrush(QBrush(QColor(theme.panel)))
    chart.setBackgroundPen(QPen(Qt.PenStyle.NoPen))
    chart.setBackgroundRoundness(0)
    chart.setDropShadowEnabled(False)
    chart.setPlotAreaBackgroundVisible(False)
    chart.setTitleBrush(QBrush(QColor(theme.text)))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    legend = chart.legend()
    legend.setLabelColor(QColor(theme.text))
    legend.setAlignment(Qt.AlignmentFlag.AlignBottom)


def style_axis(axis: QDateTimeAxis | QValueAxis, theme: Theme) -> None:
    axis.setLabelsColor(QColor(theme.dim_text))
    axis.setLinePen(QPen(QColor(theme.border)))
    axis.setGridLineColor(QColor(theme.border))
    axis.setTitleBrush(QBrush(QColor(theme.dim_text)))


def _qdt(day: date, shift_days: int = 0) -> QDateTime:
    """Midday of ``day`` in local time: a score is dated, not timed, so it sits mid-day on the axis."""
    return QDateTime(QDate(day.year, day.month, day.day), QTime(12, 0)).addDays(shift_days)


def _dash(value: int | None) -> str:
    return "—" if value is None else str(value)
