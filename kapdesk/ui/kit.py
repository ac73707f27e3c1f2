"""The widget kit: the small helpers and widgets every pane shares.

Labels with a role, a label whose size holds while its text changes, restyling on a property
change, see-through containers, a titled frame, focus that scrolls into view, the amber error
selection of a text line, Enter-saves for combo and check boxes, and :class:`ChoiceRow` (a
question answered by keys). Feature panes import these from
here and never from each other, so a pane is never a library for another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from kapdesk.ui.theme import current_theme

_CLEAR_KEYS = (Qt.Key.Key_Backspace, Qt.Key.Key_Delete)
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum size", which PySide6 does not export


def make_label(text: str = "", role: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return label


def hold_size(label: QLabel) -> None:
    """Call after ``label.setText``: keep the label at a fixed size that only grows, so that a new
    text (a clock's "−1:58" after "−1:59") repaints the label alone. A label whose size may change
    makes its layout lay the whole pane out again (wrapped labels' heights for their widths, every
    size hint), once a second for hours. An empty label lets go, giving its neighbours the room."""
    if not label.text():
        label.setMinimumSize(0, 0)
        label.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
        return
    hint = label.sizeHint()
    fixed = label.minimumSize() == label.maximumSize()
    width = label.minimumWidth() if fixed else 0
    if not fixed or hint.width() > width or hint.height() != label.minimumHeight():
        label.setFixedSize(max(hint.width(), width), hint.height())


def restyle(widget: QWidget, name: str, value: str) -> None:
    if widget.property(name) != value:
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)



def mark_error(line: QLineEdit, span: tuple[int, int] | None) -> None:
    """Select the offending characters of ``line`` in amber and keep the cursor there.

    The dark theme's normal selection colour is too close to the field to see across a dim room,
    so an error selection (and the field's border) takes the theme's attention colour until the
    text is edited. With no span to point at, the cursor goes to the end.
    """
    theme = current_theme()
    line.setStyleSheet(
        f"QLineEdit {{ border: 2px solid {theme.attention}; selection-background-color: {theme.attention};"
        f" selection-color: {theme.window}; }}"
    )
    line.setProperty("error", "true")
    length = len(line.text())
    start, end = span or (0, 0)
    start, end = max(0, min(start, length)), max(0, min(end, length))
    line.setProperty("error_span", [start, end])
    _select_error(line)


def _select_error(line: QLineEdit) -> None:
    start, end = line.property("error_span") or (0, 0)
    if end > start:
        line.setSelection(start, end - start)
    else:
        line.setCursorPosition(len(line.text()))


def focus(widget: QWidget, reason: Qt.FocusReason = Qt.FocusReason.OtherFocusReason) -> None:
    """Give ``widget`` the cursor and scroll it into view.

    The session view shows its pages in scroll areas; a field that gets the cursor below the fold
    would be typed into blind, so every ancestor scroll area is asked to show it.
    """
    widget.setFocus(reason)
    if isinstance(widget, QLineEdit) and widget.property("error") == "true":
        _select_error(widget)  # not Qt's select-all on shortcut focus: that would paint it all amber
    scroll_into_view(widget)


def scroll_into_view(widget: QWidget) -> None:
    """Ask every scroll area around ``widget`` to show it (a message under a form, a focused field)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget, 24, 64)  # room for the message line below
        parent = parent.parentWidget()


def clear_error(line: QLineEdit) -> None:
    if line.property("error") == "true":
        line.setStyleSheet("")
        line.setProperty("error", "false")


def text_line(placeholder: str = "", name: str = "") -> QLineEdit:
    line = QLineEdit()
    line.setPlaceholderText(placeholder)
    if name:
        line.setObjectName(name)
        line.setAccessibleName(name)
    line.textEdited.connect(lambda _text, line=line: clear_error(line))
    return line


class EnterFilter(QObject):
    """Enter on a combo box or check box saves the form, as it does in the form's text fields."""

    def __init__(self, on_enter: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._on_enter = on_enter

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._on_enter()
                return True
        return False



def set_role(label: QLabel, role: str) -> None:
    """Switch a label between "status" (dim) and "message" (amber) and re-polish only on change."""
    if label.property("role") != role:
        label.setProperty("role", role)
        label.style().unpolish(label)
        label.style().polish(label)


def see_through(*widgets: QWidget) -> None:
    """Let the pane's ground show through containers (splitters, scroll areas and their viewports).

    The theme gives every widget the window colour; a splitter or scroll area inside a pane would
    otherwise paint a darker block in the middle of it. The rule names only the widget itself.
    """
    for widget in widgets:
        if not widget.objectName():
            widget.setObjectName(f"seeThrough{id(widget)}")
        widget.setStyleSheet(f"#{widget.objectName()} {{ background: transparent; }}")
        widget.setAutoFillBackground(False)


def no_focus(widget: QWidget) -> QWidget:
    """A widget that never takes the keyboard focus (display only, or a button for the mouse)."""
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return widget


def titled(title: str, widget: QWidget) -> QFrame:
    """``widget`` in a pane frame under a title line."""
    frame = QFrame()
    frame.setObjectName("pane")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(8, 6, 8, 8)
    label = QLabel(title)
    label.setProperty("role", "title")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return frame


class ChoiceRow(QFrame):
    """One question answered from the keyboard: a label, then one small button per choice.

    The row itself takes focus (its buttons do not), so Tab moves from question to question
    and a key answers the focused one. ``choices`` pairs each value with its button text and
    its key; Backspace/Delete clears the answer (``None``). Left/Right step through the choices.
    The chosen button is drawn highlighted; the focused row gets an accent frame, painted here
    from the current theme so it follows a light/dark switch.
    """

    changed = Signal(object)  # the new value, or None when cleared

    def __init__(self, key: str, label: str, choices: Sequence[tuple[Any, str, Qt.Key]], *, tooltips: Sequence[str] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.choices = tuple(choices)
        self._value: Any = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(label)
        self.label = QLabel(label)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 6, 3)
        layout.addWidget(self.label, 1)
        self.buttons: list[QPushButton] = []
        for index, (value, text, _key) in enumerate(self.choices):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setProperty("compact", "true")
            # palette(highlight) follows the app palette, so a theme switch restyles the chosen answer.
            button.setStyleSheet("QPushButton:checked { background: palette(highlight); font-weight: 600; }")
            if index < len(tooltips):
                button.setToolTip(tooltips[index])
            button.ensurePolished()  # the theme's font decides the width; the tick must not make it jump
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(f"✓ {text}") + 26)
            button.clicked.connect(lambda _=False, v=value: self._choose(v))
            layout.addWidget(button)
            self.buttons.append(button)

    @property
    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        """Set the answer without emitting ``changed`` (used when loading a saved record)."""
        if value is not None and value not in [c[0] for c in self.choices]:
            raise ValueError(f"{self.key}: {value!r} is not one of the choices")
        self._value = value
        for button, (choice, text, _key) in zip(self.buttons, self.choices):
            chosen = value is not None and choice == value and type(choice) is type(value)
            button.setChecked(chosen)
            # A tick as well as the shade: in a dim room two dark greys are too close to tell apart.
            button.setText(f"✓ {text}" if chosen else text)

    def _choose(self, value: Any) -> None:
        self.set_value(value)
        self.changed.emit(value)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier & ~Qt.KeyboardModifier.ShiftModifier:
            super().keyPressEvent(event)  # Ctrl/Alt combinations belong to shortcuts
            return
        for value, _text, choice_key in self.choices:
            if key == choice_key:
                self._choose(value)
                return
        if key in _CLEAR_KEYS:
            self._choose(None)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            values = [c[0] for c in self.choices]
            index = next((i for i, v in enumerate(values) if self._value is not None and v == self._value), -1)
            step = 1 if key == Qt.Key.Key_Right else -1
            self._choose(values[(index + step) % len(values)] if index >= 0 else values[0 if step > 0 else -1])
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().focusOutEvent(event)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if self.hasFocus():
            painter = QPainter(self)
            painter.setPen(QPen(current_theme().color("accent"), 2))
            painter.drawRoundedRect(QRect(1, 1, self.width() - 2, self.height() - 2), 4, 4)
