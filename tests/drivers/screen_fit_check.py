"""The window on one screen size, run by tests/test_screen_fit.py in a process of its own.

The offscreen platform's screen size is fixed when the QApplication starts, so each size needs a
fresh process: the parent sets ``QT_QPA_PLATFORM=offscreen:configfile=…`` (a screen of the size
under test) and ``KAPDESK_SCREEN=WxH``, and runs this file with pytest. Not collected by the suite
itself (its name does not start with ``test_``); run alone it checks whatever screen it is given.
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget

from kapdesk.demo import write_demo_session
from kapdesk.session import Clinic
from kapdesk.ui.screen_fit import CHART_SHARE, place_window
from kapdesk.ui.theme import DARK, apply_theme

SCREEN = os.environ.get("KAPDESK_SCREEN", "")


def _inside(widget: QWidget, window: QWidget) -> QRect:
    """``widget``'s rectangle in window coordinates, after checking it is wholly shown there."""
    assert widget.isVisible(), f"{widget.accessibleName() or type(widget).__name__} is hidden"
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    assert window.rect().contains(rect), f"{type(widget).__name__} at {rect} is outside the window {window.rect()}"
    # Not clipped by a scroll area or a splitter: every pixel of it is on screen.
    assert widget.visibleRegion().boundingRect() == widget.rect(), f"{type(widget).__name__} is partly hidden"
    return rect


@pytest.mark.skipif(not SCREEN, reason="run by tests/test_screen_fit.py with a screen size")
def test_the_window_fits_the_screen(qtbot, store, clock, db_path):
    width, height = (int(v) for v in SCREEN.split("x"))
    write_demo_session(str(db_path))  # a past sitting with PHQ-9 and GAD-7: the start screen's course has its chart
    app = QApplication.instance()
    apply_theme(app, DARK)  # as the app starts: the theme sets the type sizes
    available = app.primaryScreen().availableGeometry()
    assert (available.width(), available.height()) == (width, height)  # the screen asked for
    from conftest import make_main_window

    window = make_main_window(qtbot, store, clock, signed_in="Screen Clinician (synthetic)")
    qtbot.addWidget(window)
    place_window(window)  # the first run: maximized
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.isMaximized()

    screen = window.start_screen
    history = window.history
    history.show_selected_course()
    app.processEvents()
    # The course's chart and its note: both whole, the one never drawn over the other, the chart readable.
    chart, note = _inside(history.chart_view, window), _inside(history.chart_note, window)
    assert not chart.intersects(note), f"the course chart {chart} overlaps its note {note}"
    assert chart.height() >= 120, f"the course chart is squeezed to {chart.height()} px"

    screen.client.setCurrentText("SCR-01 (synthetic)")
    screen.protocol.setCurrentIndex(screen.protocol.findData("sublingual"))
    screen.start_button.click()
    view = window.session_view
    view.live.mark_dose()
    view.refresh()
    view.tick()
    view.show_page("record")
    qtbot.waitUntil(lambda: view.record_pane.vitals.line.isVisible())
    app.processEvents()

    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)
    for widget in (view.band.since_dose, view.band.reminder, view.record_pane.alerts_strip,
                   view.record_pane.vitals.line, view.record_pane.observation.line):
        _inside(widget, window)
    music = view.side.itemAt(0).widget()
    for name in ("play", "previous", "next", "section", "talk"):
        _inside(music.buttons[name], window)
    _inside(music.volume, window)
    record_page = view.tabs.currentWidget()
    assert record_page.verticalScrollBar().value() == 0  # nothing scrolled to show them

    digits = view.band.since_dose.fontMetrics().tightBoundingRect("0123456789").height()
    if height <= 800:
        assert view.band.compact
    if (width, height) == (1366, 768):
        assert digits >= 60, f"the clock's digits are {digits} px tall"

    chart = view.chart
    ratio = window.devicePixelRatio()  # 2 under QT_SCALE_FACTOR=2: the markers are drawn for it, not scaled up
    assert all(image.devicePixelRatio() == ratio and image.width() == round(12 * ratio)
               for image in chart._markers.values())
    if view.single:  # record and chart take turns: the key shows the chart, wide, then the record again
        assert not chart.isVisible()
        qtbot.keyClick(view, Qt.Key.Key_F12)
        page = view.tabs.currentWidget()
        qtbot.waitUntil(lambda: view.record_area.height() <= page.viewport().height())  # laid out again
        _inside(chart.view.viewport(), window)
        assert not view.record_pane.isVisible()
        assert chart.width() >= CHART_SHARE * window.width()
        qtbot.keyClick(view, Qt.Key.Key_F12)
        app.processEvents()
        _inside(view.record_pane.vitals.line, window)
        assert view.record_pane.vitals.line.hasFocus()
    else:
        _inside(chart.view.viewport(), window)
        assert chart.width() >= CHART_SHARE * window.width(), (chart.width(), window.width())
