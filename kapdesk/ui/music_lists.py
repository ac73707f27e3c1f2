"""The music pane's lists and picker: rows coloured from the theme in use, Enter-to-choose lists,
a combo box the mouse wheel cannot turn, and the time and size texts they show."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QComboBox, QListWidget, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from kapdesk.playlists import Section
from kapdesk.ui.theme import current_theme

# How a list row is drawn, read by ThemedDelegate at paint time so a theme switch (Ctrl+L) applies.
LOOK_ROLE = Qt.ItemDataRole.UserRole + 1  # "current" | "queued" | "unplayable" | ""
KEY_ROLE = Qt.ItemDataRole.UserRole  # section key, or track index


def format_time(seconds: float) -> str:
    """``3:05``, or ``1:02:03`` past an hour; never negative."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ThemedDelegate(QStyledItemDelegate):
    """Colours rows by their look (current, queued, unplayable) from the theme in use right now."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        look = index.data(LOOK_ROLE)
        theme = current_theme()
        if look == "current":
            option.font.setBold(True)
        elif look == "queued":
            option.palette.setColor(QPalette.ColorRole.Text, theme.color("accent"))
        elif look == "unplayable":
            option.palette.setColor(QPalette.ColorRole.Text, theme.color("dim_text"))
            option.palette.setColor(QPalette.ColorRole.HighlightedText, theme.color("dim_text"))


class ChoiceList(QListWidget):
    """A list where browsing (click, arrows) only selects; Enter or a double-click *chooses*.

    Plain ``itemActivated`` fires on a single click on some desktops, and a click that only
    meant to look at a section must not move the music.
    """

    chosen = Signal(int)  # row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(ThemedDelegate(self))
        self.setUniformItemSizes(False)
        self.setWordWrap(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self.chosen.emit(self.currentRow())
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        item = self.itemAt(event.position().toPoint())
        if item is not None:
            self.chosen.emit(self.row(item))
            return
        super().mouseDoubleClickEvent(event)


class QuietComboBox(QComboBox):
    """A combo box the mouse wheel cannot turn: scrolling past it must not swap the playlist."""

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        event.ignore()


def section_size(section: Section) -> str:
    playable = section.playable_tracks
    seconds = sum(t.duration_s or 0.0 for t in playable)
    count = f"{len(playable)} of {len(section.tracks)}" if len(playable) != len(section.tracks) else str(len(playable))
    noun = "track" if len(section.tracks) == 1 else "tracks"
    return f"{count} {noun}, {format_time(seconds)}" if seconds else f"{count} {noun}"
