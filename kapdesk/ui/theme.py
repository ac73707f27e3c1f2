"""Dim-room and daylight themes.

The dark theme lights no room: near-black grounds, warm grey text well below white, one muted
amber for what needs attention. No pure white anywhere, no saturated red, nothing that flashes.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    app.setProperty("kapdesk_theme", theme.name)


def current_theme(app: QApplication | None = None) -> Theme:
    app = app or QApplication.instance()
    name = app.property("kapdesk_theme") if app else None
    return THEMES.get(str(name), DARK)
