"""Fitting the window to the screen it is on: where it opens, and which layout the session uses.

Budget clinic laptops have 1366×768 or 1280×720 screens, less a task bar; a window laid out for
1280×800 puts its status line and the record pane's lower half off the screen. So:

* **Where it opens.** The first time, maximized on the screen it starts on. After that, the last
  geometry the therapist left it at (``window.json`` in the data folder, ``KAPDESK_DATA_DIR``
  honoured), *clamped to the available geometry of the screen it now falls on*: a laptop that
  was docked to a large monitor last week still opens a window that fits its own screen. The
  file is a convenience, not part of the record: one that cannot be read is ignored (and a
  window that cannot be saved is not worth a message).
* **Which layout.** :func:`layout_for` turns the size the session view has into two flags the
  view applies: *compact* (the clock band drops its spare rows and spacing below
  :data:`COMPACT_HEIGHT`) and *single* (the record pane and the chart take turns, one key
  switching, when the chart beside the record would get less than :data:`CHART_SHARE` of the
  window: a 200-pixel chart is unreadable, and squeezing the record pane hides its lines).

Pure arithmetic apart from reading the screen: the rules are tested without a window.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

from kapdesk.paths import data_dir

__all__ = ["CHART_SHARE", "COMPACT_HEIGHT", "Layout", "clamp", "geometry_file", "keep_on_screen", "layout_for",
           "place_window", "save_geometry"]

# Below this height of the session view, the compact clock band (1366×768 and 1280×720 laptops).
COMPACT_HEIGHT = 900
# The chart beside the record pane must get at least this share of the window's width.
CHART_SHARE = 0.35


@dataclass(frozen=True)
class Layout:
    compact: bool  # the short clock band
    single: bool  # record and chart take turns (the record/chart key switches)


def layout_for(window_width: int, view_height: int, page_width: int, record_width: int,
              splitter_handle: int = 6) -> Layout:
    """The layout for a session view ``view_height`` tall in a window ``window_width`` wide, whose
    record page is ``page_width`` wide and whose record pane needs ``record_width``."""
    chart = page_width - record_width - splitter_handle
    return Layout(compact=view_height < COMPACT_HEIGHT, single=chart < CHART_SHARE * window_width)


def clamp(rect: QRect, available: QRect) -> QRect:
    """``rect`` made to fit inside ``available``: no larger, then moved (not shrunk further) inside."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    x = min(max(rect.x(), available.left()), available.left() + available.width() - width)
    y = min(max(rect.y(), available.top()), available.top() + available.height() - height)
    return QRect(x, y, width, height)


def geometry_file() -> Path:
    return data_dir() / "window.json"


def _load(path: Path) -> tuple[QRect, bool] | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        rect = QRect(*(int(saved[k]) for k in ("x", "y", "width", "height")))
        maximized = bool(saved.get("maximized", False))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return (rect, maximized) if rect.width() > 0 and rect.height() > 0 else None


def _screen_for(rect: QRect | None) -> QScreen:
    screen = QGuiApplication.screenAt(rect.center()) if rect is not None else None
    return screen or QGuiApplication.primaryScreen()


def place_window(window: QWidget, path: Path | None = None) -> None:
    """Show ``window``: maximized the first time (or when it was left so), else where it was left,
    clamped to the available geometry of the screen it falls on."""
    saved = _load(path or geometry_file())
    rect = saved[0] if saved else None
    available = _screen_for(rect).availableGeometry()
    if saved is None or saved[1]:
        window.setGeometry(clamp(rect or available, available))  # what "restore" returns to
        window.showMaximized()
        return
    window.setGeometry(clamp(rect, available))
    window.show()
    keep_on_screen(window)


def keep_on_screen(window: QWidget) -> None:
    """Once shown, the frame (title bar included) inside the screen's available geometry."""
    available = _screen_for(window.frameGeometry()).availableGeometry()
    frame = window.frameGeometry()
    if available.contains(frame):
        return
    extra_w, extra_h = frame.width() - window.width(), frame.height() - window.height()
    inside = clamp(frame, available)
    window.resize(max(inside.width() - extra_w, 1), max(inside.height() - extra_h, 1))
    window.move(QPoint(inside.x(), inside.y()))


def save_geometry(window: QWidget, path: Path | None = None) -> None:
    """Remember where the window is (its restored geometry when maximized or full screen)."""
    rect = window.normalGeometry() if (window.isMaximized() or window.isFullScreen()) else window.geometry()
    if rect.width() <= 0 or rect.height() <= 0:
        rect = window.geometry()
    path = path or geometry_file()
    data = {"x": rect.x(), "y": rect.y(), "width": rect.width(), "height": rect.height(),
            "maximized": window.isMaximized() or window.isFullScreen()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # where the window opens next time is not worth a message at closing time
