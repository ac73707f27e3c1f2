"""The timeline's data: one row per entry in display order (corrections under what they correct),
and the filter behind the kind buttons and the text box. No widgets; :mod:`kapdesk.ui.timeline`
draws them."""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from kapdesk.domain.alerts import severity_label
from kapdesk.domain.entries import DISCHARGE_GATE, AlertRaised, EntryInfo, Kind, Observation, SafetyOverride
from kapdesk.domain.record import t_plus
from kapdesk.ui import keymap
from kapdesk.ui.theme import Theme


__all__ = [
    "AUTHOR", "COLUMNS", "CORRECTED_MARK", "DETAIL", "ENTRY_ROLE", "FILTER_GROUPS", "OFFSET", "TIME", "WHAT",
    "TimelineFilter", "TimelineModel", "entry_group", "filter_group",
]

COLUMNS = ("Time", "T+", "What", "Detail", "By")
TIME, OFFSET, WHAT, DETAIL, AUTHOR = range(len(COLUMNS))
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's EntryInfo
# Drawn (not struck through) before the struck-through detail of a superseded entry.
CORRECTED_MARK = "corrected ↓"

# The kind buttons: (key, button text, entry kinds). Kinds not listed fall under "other", so a
# kind added to entries.py later is still shown and can still be filtered.
FILTER_GROUPS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("vitals", "Vitals", frozenset({"vitals", "reminder_done"})),
    ("doses", "Doses", frozenset({"dose", "dose_time", "safety_override", "infusion_start", "infusion_change"})),
    ("scales", "Scales", frozenset({"scale"})),
    ("notes", "Notes", frozenset({"observation", "presence"})),
    # The session's course, its end included: the discharge check (and a discharge override,
    # entry_group) sits with "ended", not under Other or Doses.
    ("phases", "Phases", frozenset({"phase", "phase_extended", "session_started", "session_ended",
                                    "discharge_check"})),
    ("music", "Music", frozenset({"music"})),
    ("alerts", "Alerts", frozenset({"alert", "alert_ack"})),
    ("rescue", "Rescue & AE", frozenset({"rescue_medication", "adverse_event"})),
    ("other", "Other", frozenset()),
)
_GROUP_OF = {kind: key for key, _, kinds in FILTER_GROUPS for kind in kinds}


def filter_group(kind: str) -> str:
    """The kind button an entry kind belongs to (``"other"`` for kinds the table does not name)."""
    return _GROUP_OF.get(kind, "other")


def entry_group(entry: EntryInfo) -> str:
    """The kind button a row belongs to: its kind's (:func:`filter_group`), except a discharge
    override, which is filed with the end of the session rather than with the dose override."""
    if isinstance(entry.data, SafetyOverride) and entry.data.gate == DISCHARGE_GATE:
        return "phases"
    return filter_group(entry.stored_kind)


def _is_quote(entry: EntryInfo) -> bool:
    return isinstance(entry.data, Observation) and entry.data.quote


def _kind_label(entry: EntryInfo) -> str:
    """The kind's label; a kind this build does not know is named as stored, not as "Unknown"."""
    if entry.kind is Kind.UNKNOWN:
        return entry.stored_kind.replace("_", " ").capitalize()
    return entry.kind.label


@dataclass
class _Row:
    """One line of the list. ``root`` is the first entry of its correction chain; every row of a
    chain shares the root's sort key, so corrections stay right under what they correct."""

    entry: EntryInfo
    root: uuid.UUID
    key: tuple[datetime, datetime, int]
    detail: str
    search: str  # lower-case text the filter box matches


class TimelineModel(QAbstractTableModel):
    """The rows of the timeline, in display order, with the roles the view and filter read."""

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._row_of: dict[uuid.UUID, int] = {}
        self._chains: dict[uuid.UUID, list[uuid.UUID]] = {}  # root -> ids of the chain, in order
        self._dose_at: datetime | None = None
        self._sequence = itertools.count()  # ties (same time and stamp) keep arrival order
        self._dim = theme.color("dim_text")
        self._attention = theme.color("attention")
        self._theme = theme  # alert rows take their severity's colour

    # -- Qt model interface ----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt name)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        entry, column = row.entry, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole:
            if not entry.current:
                return self._dim
            if entry.kind is Kind.ALERT:
                return self._severity_colour(entry)
            if entry.kind is Kind.ADVERSE_EVENT:
                return self._attention
            return None
        if role == Qt.ItemDataRole.FontRole:
            if column == DETAIL and (not entry.current or _is_quote(entry)):
                font = QFont()
                font.setStrikeOut(not entry.current)
                font.setItalic(_is_quote(entry))
                return font
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == OFFSET:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = " ".join(self._text(row, c) for c in range(len(COLUMNS)))
            return text if entry.current else f"{CORRECTED_MARK}: {text}"
        return None

    # -- content ---------------------------------------------------------------------------------
    def entry_at(self, row: int) -> EntryInfo:
        return self._rows[row].entry

    def entries(self) -> list[EntryInfo]:
        """The entries in display order."""
        return [row.entry for row in self._rows]

    def row_of(self, entry_id: uuid.UUID) -> int | None:
        return self._row_of.get(entry_id)

    def latest_version(self, entry: EntryInfo) -> EntryInfo:
        """The newest entry of ``entry``'s correction chain (``entry`` itself if never corrected)."""
        row = self._row_of.get(entry.id)
        if row is None:
            return entry
        chain = self._chains[self._rows[row].root]
        return self._rows[self._row_of[chain[-1]]].entry

    def search_text(self, row: int) -> str:
        """What the text filter matches for a row: its own text and its whole chain's, so a
        corrected entry and its correction are found (and shown) together."""
        chain = self._chains[self._rows[row].root]
        return " ".join(self._rows[self._row_of[i]].search for i in chain)

    def set_entries(self, entries: Iterable[EntryInfo], dose_at: datetime | None) -> None:
        """Replace everything (opening a session): one reset, then the same ordering as ``add``."""
        self.beginResetModel()
        self._rows, self._row_of, self._chains = [], {}, {}
        self._dose_at = dose_at
        for entry in sorted(entries, key=lambda e: (e.occurred_at, e.recorded_at)):
            self._place(entry, notify=False)
        self.endResetModel()

    def add_entry(self, entry: EntryInfo) -> None:
        """Insert one committed entry where it belongs; a correction goes right under the entry
        it supersedes, which is marked as corrected. An id already listed is ignored."""
        if entry.id in self._row_of:
            return
        self._place(entry, notify=True)

    def sync(self, entries: Iterable[EntryInfo], dose_at: datetime | None) -> None:
        """Bring the list up to the record without a rebuild: add what is missing, and re-label
        the T+ column if the dose time changed (the only field a later action alters)."""
        if dose_at != self._dose_at:
            self._dose_at = dose_at
            if self._rows:
                self.dataChanged.emit(self.index(0, OFFSET), self.index(len(self._rows) - 1, OFFSET))
        for entry in sorted(entries, key=lambda e: (e.occurred_at, e.recorded_at)):
            self.add_entry(entry)

    # -- inside ----------------------------------------------------------------------------------
    def _place(self, entry: EntryInfo, *, notify: bool) -> None:
        old_row = self._row_of.get(entry.supersedes_id) if entry.supersedes_id is not None else None
        if old_row is not None:
            old = self._rows[old_row]
            root = old.root
            # Under the last row of the chain (the store only lets the newest version be corrected,
            # but a record written otherwise must still show every row).
            position = self._row_of[self._chains[root][-1]] + 1
            key = old.key
            if old.entry.superseded_by != entry.id:
                old.entry = dataclasses.replace(old.entry, superseded_by=entry.id)
                old.detail, old.search = self._describe(old.entry)
                if notify:
                    self.dataChanged.emit(self.index(old_row, 0), self.index(old_row, len(COLUMNS) - 1))
            self._chains[root].append(entry.id)
        else:
            root = entry.id
            key = (entry.occurred_at, entry.recorded_at, next(self._sequence))
            position = bisect.bisect_right(self._rows, key, key=lambda r: r.key)
            self._chains[root] = [entry.id]
        detail, search = self._describe(entry)
        if notify:
            self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, _Row(entry, root, key, detail, search))
        if position == len(self._rows) - 1:
            self._row_of[entry.id] = position
        else:  # a back-dated entry: the rows below it moved down one
            self._row_of = {row.entry.id: n for n, row in enumerate(self._rows)}
        if notify:
            self.endInsertRows()

    def _describe(self, entry: EntryInfo) -> tuple[str, str]:
        detail = entry.describe()
        if entry.supersedes_id is not None:
            detail = f"↳ {detail}" + (f"  — {entry.note}" if entry.note else "")
        elif entry.note:
            detail = f"{detail}  — {entry.note}"
        what = self._what(entry)
        marker = "" if entry.current else CORRECTED_MARK
        search = " ".join((_kind_label(entry), entry.stored_kind, what, marker, detail, entry.author_name)).lower()
        return detail, search

    def _what(self, entry: EntryInfo) -> str:
        if isinstance(entry.data, AlertRaised):  # the severity in words too, not colour alone
            return f"{_kind_label(entry)} {severity_label(entry.data.severity)}"
        return "Quote" if _is_quote(entry) else _kind_label(entry)

    def _severity_colour(self, entry: EntryInfo) -> QColor:
        if isinstance(entry.data, AlertRaised):
            return QColor(self._theme.severity_color(entry.data.severity))
        return self._attention

    def _text(self, row: _Row, column: int) -> str:
        entry = row.entry
        if column == TIME:
            return entry.occurred_at.astimezone().strftime("%H:%M")
        if column == OFFSET:
            return t_plus(entry.occurred_at, self._dose_at) or ""
        if column == WHAT:
            return self._what(entry)
        if column == DETAIL:
            return row.detail
        return entry.author_name

    def _tooltip(self, row: _Row) -> str:
        entry = row.entry
        lines = [row.detail, f"{_kind_label(entry)} at {entry.occurred_at.astimezone():%H:%M:%S}, "
                             f"recorded {entry.recorded_at.astimezone():%H:%M:%S} by {entry.author_name}"]
        if not entry.current:
            lines.append("Corrected: the correction is on the next row.")
        else:
            lines.append(f"{keymap.key('timeline.correct')}: record a correction")
        return "\n".join(lines)


class TimelineFilter(QSortFilterProxyModel):
    """Kind buttons and the text box. Reads the source rows directly (no role lookups per cell)."""

    def __init__(self, source: TimelineModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._groups: frozenset[str] = frozenset(key for key, _, _ in FILTER_GROUPS)
        self._terms: tuple[str, ...] = ()
        self.setSourceModel(source)

    def set_groups(self, groups: Iterable[str]) -> None:
        groups = frozenset(groups)
        if groups != self._groups:
            self._refilter(lambda: setattr(self, "_groups", groups))

    def set_text(self, text: str) -> None:
        terms = tuple(text.lower().split())
        if terms != self._terms:
            self._refilter(lambda: setattr(self, "_terms", terms))

    def _refilter(self, change: Callable[[], None]) -> None:
        """Re-run the row filter around ``change``: Qt 6.10 replaced ``invalidateRowsFilter``
        with begin/endFilterChange (the old call warns); pyproject allows older Qt too."""
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        if entry_group(self._source.entry_at(source_row)) not in self._groups:
            return False
        if not self._terms:
            return True
        text = self._source.search_text(source_row)
        return all(term in text for term in self._terms)
