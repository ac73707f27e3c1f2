"""The session timeline: every entry of the sitting in one time-ordered, filterable list.

Columns: local time (HH:MM), offset from the dose (``T+45``, as on the chart), what (the kind's
label), the one-line detail (:meth:`kapdesk.domain.entries.EntryInfo.describe`) and who recorded it.

The record keeps corrections beside what they correct, and so does the list: an entry that a
correction superseded stays visible, dimmed, its detail struck through and its kind marked
"corrected ↓"; the correction sits on the very next row, its detail opening with "↳" and
carrying the note that says why. Filtering never splits the pair: a text match on either row
shows both. Client quotes (observations with ``quote=true``) read "Quote" and are set in italics;
alerts take the theme's attention colour (amber, never red).

Keyboard: Ctrl+F goes to the text filter (Return back to the list, Escape clears it); Tab
reaches each kind button (Space toggles it); in the list, Ctrl+R asks for a correction of the
selected entry — the :attr:`Timeline.correction_requested` signal carries the newest version of
it, since the store only accepts a correction of the newest one. The timeline only asks; the
entry pane opens the form.

Cheap to keep open for hours: a new entry is one ``beginInsertRows`` (usually at the end), a
correction one insert plus one ``dataChanged``; nothing is rebuilt. The list follows new entries
only while it is scrolled to the bottom, so a therapist reading back is not yanked away.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent, QItemSelectionModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QStyle, QStyledItemDelegate,
    QStyleOptionViewItem, QTreeView, QVBoxLayout, QWidget,
)

from kapdesk.domain.entries import EntryInfo
from kapdesk.ui import keymap
from kapdesk.ui.theme import Theme, current_theme
from kapdesk.ui.timeline_model import (
    AUTHOR, CORRECTED_MARK, DETAIL, ENTRY_ROLE, FILTER_GROUPS, OFFSET, TIME, WHAT, TimelineFilter, TimelineModel,
    filter_group,
)

if TYPE_CHECKING:
    from kapdesk.session import LiveSession

__all__ = ["AUTHOR", "CORRECTED_MARK", "DETAIL", "ENTRY_ROLE", "FILTER_GROUPS", "OFFSET", "TIME", "WHAT", "Timeline", "TimelineModel",
           "filter_group"]


class _DetailDelegate(QStyledItemDelegate):
    """Paints a superseded entry's detail as ``corrected ↓`` followed by the old text struck
    through: the marker must stay legible while the old values read as void. Every other cell
    is the standard painting."""

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dim = theme.color("dim_text")

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        entry = index.data(ENTRY_ROLE)
        if entry is None or entry.current:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        plain = QFont(opt.font)
        plain.setStrikeOut(False)
        mark = f"{CORRECTED_MARK}  "
        mark_width = QFontMetrics(plain).horizontalAdvance(mark)
        struck = QFont(opt.font)
        struck.setStrikeOut(True)
        painter.save()
        painter.setPen(self._dim)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.setFont(plain)
        painter.drawText(rect, align, mark)
        rest = rect.adjusted(mark_width, 0, 0, 0)
        painter.setFont(struck)
        painter.drawText(rest, align, QFontMetrics(struck).elidedText(text, Qt.TextElideMode.ElideRight, rest.width()))
        painter.restore()


class _EntryView(QTreeView):
    """The list itself. It claims Ctrl+R while focused (``ShortcutOverride``), so a window-wide
    shortcut on the same keys cannot steal the correction request from the selected row."""

    correct = Signal()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and _is_correct_key(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if _is_correct_key(event):
            event.accept()
            self.correct.emit()
            return
        super().keyPressEvent(event)


def _is_correct_key(event: QKeyEvent) -> bool:
    return keymap.matches(event, "timeline.correct")


class _FilterBox(QLineEdit):
    """The text filter: Escape clears it, Return or Down goes back to the list."""

    leave = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
            self.leave.emit()
            return
        super().keyPressEvent(event)


class Timeline(QWidget):
    """Every entry of the session, filterable, with corrections shown beside what they correct.

    Feed it with :meth:`set_session` (follows a live session) or :meth:`set_entries` (a closed
    record). It records nothing itself: :attr:`correction_requested` hands the entry to whoever
    owns the entry forms (the record pane's ``correct``).
    """

    correction_requested = Signal(object)  # EntryInfo: the newest version of the selected entry

    def __init__(self, parent: QWidget | None = None, *, theme: Theme | None = None) -> None:
        super().__init__(parent)
        self._theme = theme or current_theme()
        self._live: LiveSession | None = None
        self.model = TimelineModel(self._theme, self)
        self.proxy = TimelineFilter(self.model, self)

        self.text_filter = _FilterBox()
        self.text_filter.setPlaceholderText(f"Filter entries  {keymap.key('timeline.filter')}")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setAccessibleName("Filter entries by text")
        self.text_filter.textChanged.connect(self.proxy.set_text)

        self.kind_buttons: dict[str, QPushButton] = {}
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for key, text, _ in FILTER_GROUPS:
            button = QPushButton(text)
            button.setCheckable(True)
            button.setChecked(True)
            button.setProperty("compact", "true")
            button.setProperty("kindFilter", "true")
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setToolTip(f"Show or hide {text.lower()} entries (Space)")
            button.toggled.connect(self._kinds_changed)
            buttons.addWidget(button)
            self.kind_buttons[key] = button
        buttons.addStretch(1)
        t = self._theme
        # The theme styles no checked state, and a hidden kind must be obvious at a glance:
        # a shown kind looks like a normal button, a hidden one is flat and dim.
        self.setStyleSheet(
            f'QPushButton[kindFilter="true"]:!checked {{ background: {t.panel}; color: {t.dim_text};'
            f' border: 1px dashed {t.border}; }}'
        )

        self.view = _EntryView()
        self.view.setModel(self.proxy)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)  # lets the view skip measuring every row
        self.view.setAlternatingRowColors(True)
        self.view.setAllColumnsShowFocus(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setAccessibleName("Session timeline")
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(DETAIL, QHeaderView.ResizeMode.Stretch)
        self.view.setItemDelegateForColumn(DETAIL, _DetailDelegate(self._theme, self.view))
        for column, width in ((TIME, 58), (OFFSET, 62), (WHAT, 104), (AUTHOR, 120)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.view.setColumnWidth(column, width)
        self.view.correct.connect(self.request_correction)
        self.text_filter.leave.connect(self.focus_list)
        self.proxy.rowsAboutToBeInserted.connect(self._note_follow)
        self.proxy.rowsInserted.connect(self._follow)
        self._following = True

        keymap.shortcuts("timeline.filter", self, self.focus_filter)

        top = QHBoxLayout()
        top.addWidget(self.text_filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        self.setFocusProxy(self.view)

    # -- feeding ---------------------------------------------------------------------------------
    def set_session(self, live: LiveSession) -> None:
        """Show ``live``'s record and follow it: each committed entry is added as it comes.

        ``live.changed`` passes the new entry, or None after an action that wrote entries of its
        own (dose time, phase, end): then the list is synced against the record, adding only what
        is missing. Qt disconnects the signal when this widget goes; following another session
        disconnects the previous one.
        """
        if self._live is not None and self._live is not live:
            self._live.changed.disconnect(self._on_change)
        if self._live is not live:
            live.changed.connect(self._on_change)
        self._live = live
        self.set_entries(live.entries(), live.info.dose_at)

    def set_entries(self, entries: Iterable[EntryInfo], dose_at: datetime | None = None) -> None:
        """Show exactly ``entries`` (a closed record, or the first load of a live one)."""
        self.model.set_entries(entries, dose_at)
        self.view.scrollToBottom()

    def add_entry(self, entry: EntryInfo) -> None:
        """Add one committed entry (incrementally; see :meth:`TimelineModel.add_entry`)."""
        self.model.add_entry(entry)

    # -- filtering -------------------------------------------------------------------------------
    def set_kind_filter(self, groups: Iterable[str]) -> None:
        """Show only these groups of :data:`FILTER_GROUPS` (by key); the buttons follow."""
        wanted = set(groups)
        for key, button in self.kind_buttons.items():
            button.blockSignals(True)
            button.setChecked(key in wanted)
            button.blockSignals(False)
        self._kinds_changed()

    def set_text_filter(self, text: str) -> None:
        self.text_filter.setText(text)

    def visible_entries(self) -> list[EntryInfo]:
        """The entries the list shows now, top to bottom (after filtering)."""
        return [self.proxy.index(r, 0).data(ENTRY_ROLE) for r in range(self.proxy.rowCount())]

    def focus_filter(self) -> None:
        self.text_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_filter.selectAll()

    # -- selection and correction ----------------------------------------------------------------
    def selected_entry(self) -> EntryInfo | None:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isSelected(index):
            return None
        return index.siblingAtColumn(0).data(ENTRY_ROLE)

    def select_entry(self, entry_id: uuid.UUID) -> bool:
        """Select and show one entry; False if it is not listed or filtered out."""
        row = self.model.row_of(entry_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def request_correction(self) -> None:
        """Emit :attr:`correction_requested` for the selected entry's newest version, if any."""
        entry = self.selected_entry()
        if entry is not None:
            self.correction_requested.emit(self.model.latest_version(entry))

    # -- inside ----------------------------------------------------------------------------------
    def _on_change(self, entry: EntryInfo | None) -> None:
        live = self._live
        if entry is not None:
            self.model.add_entry(entry)
        elif live is not None:
            self.model.sync(live.entries(), live.info.dose_at)

    def _kinds_changed(self) -> None:
        self.proxy.set_groups(key for key, button in self.kind_buttons.items() if button.isChecked())

    def focus_list(self) -> None:
        """The cursor to the list, on the selected entry (the newest when none is), ready for Ctrl+R."""
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        current = self.view.currentIndex()
        if (not current.isValid() or not self.view.selectionModel().isSelected(current)) and self.proxy.rowCount():
            # Qt makes the first row current, unselected, when the list first gets the focus: that
            # shows no highlight and leaves Ctrl+R nothing to correct. The newest entry is likelier.
            current = self.proxy.index(self.proxy.rowCount() - 1, 0)
        if current.isValid() and not self.view.selectionModel().isSelected(current):
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.view.selectionModel().setCurrentIndex(current, flags)
            self.view.scrollTo(current)

    def _note_follow(self) -> None:
        bar = self.view.verticalScrollBar()
        self._following = bar.value() >= bar.maximum()

    def _follow(self) -> None:
        if self._following:
            self.view.scrollToBottom()
