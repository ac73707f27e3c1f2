"""Dim-room and daylight themes.

The dark theme lights no room: near-black grounds, warm grey text well below white, one muted
amber for what needs attention. No pure white anywhere, no saturated red, nothing that flashes.

Alert severities look different by shape as well as colour (product.md, "Alarm practice"), so
they stay apart for a colour-blind reader and in black-and-white print: a *critical* alert is a
muted brick red (as dim as the amber: it lights no room) in a thick double frame; a *caution*
the amber in a single frame; a *reminder* plain text in a thin dashed frame. The strip also writes
each severity as a symbol and a word (:data:`kapdesk.domain.alerts.SEVERITY_LABELS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    panel: str
    raised: str
    text: str
    dim_text: str
    accent: str  # current phase, focus
    attention: str  # due and overdue reminders: amber, never red
    past: str  # phases already lived
    planned: str  # phases still to come
    border: str
    critical: str = "#a9574a"  # critical alerts: a muted brick red, never a bright one
    reminder: str = "#6f6a62"  # reminders (advisory): the dim text colour

    def severity_color(self, severity: str) -> str:
        """The colour of an alert of ``severity`` ("critical", "caution", "reminder")."""
        return {"critical": self.critical, "reminder": self.reminder}.get(severity, self.attention)

    def color(self, role: str) -> QColor:
        return QColor(getattr(self, role))


DARK = Theme(
    name="dark",
    window="#0b0c0e",
    panel="#121417",
    raised="#1a1d21",
    text="#b9b2a6",
    dim_text="#6f6a62",
    accent="#5f7f8f",
    attention="#b07a2e",
    past="#2b3238",
    planned="#1c2126",
    border="#262a2f",
    critical="#a9574a",
    reminder="#8a8479",
)

LIGHT = Theme(
    name="light",
    window="#f1efea",
    panel="#e7e4dd",
    raised="#dcd8cf",
    text="#22201c",
    dim_text="#5e5a53",
    accent="#2f6075",
    attention="#8a5312",
    past="#b9c2c8",
    planned="#d5d9dc",
    border="#c3beb4",
    critical="#8f2418",
    reminder="#5e5a53",
)

THEMES = {t.name: t for t in (DARK, LIGHT)}


def stylesheet(t: Theme) -> str:
    return f"""
    QWidget {{ background: {t.window}; color: {t.text}; font-size: 15px; }}
    QFrame#band, QFrame#pane {{ background: {t.panel}; border: 1px solid {t.border}; border-radius: 6px; }}
    QLabel {{ background: transparent; border: none; }}
    QLabel[role="dim"] {{ color: {t.dim_text}; }}
    QLabel[role="huge"] {{ font-size: 84px; font-weight: 600; }}
    QLabel[role="big"] {{ font-size: 34px; }}
    QLabel[role="title"] {{ font-size: 20px; font-weight: 600; }}
    QLabel[role="message"] {{ color: {t.attention}; }}
    QLabel[state="due"] {{ color: {t.attention}; }}
    QLabel[state="overdue"] {{ color: {t.attention}; border: 2px solid {t.attention}; border-radius: 6px; padding: 2px 8px; }}
    QLabel[severity="critical"] {{ color: {t.critical}; border: 4px double {t.critical}; border-radius: 6px; padding: 2px 8px; }}
    QLabel[severity="caution"] {{ color: {t.attention}; border: 2px solid {t.attention}; border-radius: 6px; padding: 2px 8px; }}
    QLabel[severity="reminder"] {{ color: {t.text}; border: 1px dashed {t.reminder}; border-radius: 6px; padding: 2px 8px; }}
    QPushButton {{ background: {t.raised}; border: 1px solid {t.border}; border-radius: 5px; padding: 8px 14px; }}
    QPushButton:focus, QLineEdit:focus, QComboBox:focus, QListView:focus, QTreeView:focus, QPlainTextEdit:focus {{
        border: 2px solid {t.accent}; }}
    QPushButton:disabled {{ color: {t.dim_text}; }}
    QPushButton[armed="true"] {{ border: 2px solid {t.attention}; color: {t.attention}; }}
    QLineEdit, QComboBox, QPlainTextEdit, QDateEdit {{ background: {t.raised}; border: 1px solid {t.border}; border-radius: 4px; padding: 5px; }}
    QListView, QTreeView {{ background: {t.panel}; border: 1px solid {t.border}; alternate-background-color: {t.raised}; }}
    QListView::item:selected, QTreeView::item:selected {{ background: {t.past}; color: {t.text}; }}
    QHeaderView::section {{ background: {t.raised}; color: {t.dim_text}; border: none; padding: 4px; }}
    QLabel[role="status"] {{ color: {t.dim_text}; }}
    QStatusBar {{ color: {t.dim_text}; }}
    QScrollBar {{ background: {t.panel}; border: none; width: 12px; height: 12px; }}
    QScrollBar::handle {{ background: {t.past}; border-radius: 5px; min-height: 24px; min-width: 24px; }}
    QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
    QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
    QComboBox QAbstractItemView {{ background: {t.raised}; color: {t.text}; selection-background-color: {t.past}; }}
    QPushButton[compact="true"] {{ padding: 5px 7px; font-size: 13px; }}
    QToolTip {{ background: {t.raised}; color: {t.text}; border: 1px solid {t.border}; }}
    """


def apply_theme(app: QApplication, theme: Theme) -> None:
    # First: widgets that repaint on the palette or style change read the theme by this name.
    app.setProperty("kapdesk_theme", theme.name)
    palette = QPalette()
    for role, value in (
        (QPalette.ColorRole.Window, theme.window),
        (QPalette.ColorRole.WindowText, theme.text),
        (QPalette.ColorRole.Base, theme.raised),
        (QPalette.ColorRole.AlternateBase, theme.panel),
        (QPalette.ColorRole.Text, theme.text),
        (QPalette.ColorRole.Button, theme.raised),
        (QPalette.ColorRole.ButtonText, theme.text),
        (QPalette.ColorRole.Highlight, theme.past),
        (QPalette.ColorRole.HighlightedText, theme.text),
        (QPalette.ColorRole.PlaceholderText, theme.dim_text),
    ):
        palette.setColor(role, QColor(value))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(theme))
    theme_changes().changed.emit(theme)


class ThemeChanges(QObject):
    """Told after each :func:`apply_theme`: for widgets that paint their own colours (the chart),
    which a palette or style sheet alone does not reach."""

    changed = Signal(object)  # Theme


_changes: list[ThemeChanges] = []


def theme_changes() -> ThemeChanges:
    if not _changes:
        _changes.append(ThemeChanges())
    return _changes[0]


def current_theme(app: QApplication | None = None) -> Theme:
    app = app or QApplication.instance()
    name = app.property("kapdesk_theme") if app else None
    return THEMES.get(str(name), DARK)
