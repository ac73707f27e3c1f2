"""A real KAPDesk process typing into the record pane, for the SIGKILL test of what it confirms.

Usage: python record_app.py DB_PATH

Starts the app exactly as ``kapdesk --db DB_PATH`` does (``kapdesk.app.build``), starts a session
by keyboard and uses the session view's record pane (wiring one in the way the integration does,
if this build's view has none yet). Then, by keys only, through the real entry line:

1. F2, types a reading above the clinic's thresholds, Enter → prints ``SAVED <confirmation>``;
2. waits for the alert to reach the strip and the record, Ctrl+Shift+A, types the reason a critical
   alert asks for, Enter → prints ``ACKED <strip line>``;
3. F2, types a normal reading, Enter → prints ``SAVED <confirmation>``.

Each line is printed the moment the confirmation is on screen, and the test kills the process with
SIGKILL right after the last one. The process then idles until it is killed. Anything that goes
wrong prints ``FAILED <why>`` and exits, so the test never waits on a silent process.
"""

import sys
import time
from collections.abc import Callable

from driver_keys import start_session_by_keyboard
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kapdesk.app import build
from kapdesk.ui.record_pane import RecordPane

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Run the event loop until ``condition`` holds (PySide6 has no ``QTest.qWaitFor``)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return True


def type_reading(view, pane: RecordPane, text: str) -> str:
    QTest.keyClick(view, Qt.Key.Key_F2)
    line = pane.vitals.line
    if QApplication.focusWidget() is not line:
        raise SystemExit("F2 did not reach the vitals line")
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)  # returns once the entry is committed and confirmed
    shown = pane.vitals.message.text()
    if not shown.startswith("Saved "):
        raise SystemExit(f"not saved: {shown}")
    return shown


def drive(window) -> None:
    view = start_session_by_keyboard(window, "Kill Clinician (synthetic)", "KILL-01 (synthetic)")
    pane = view.record_pane

    print("SAVED", type_reading(view, pane, "186/96 88 97 16"), flush=True)
    if not wait_until(lambda: pane.board.top is not None and pane.board.top.recorded):
        raise SystemExit("the alert never reached the record")
    QTest.keyClick(pane.vitals.line, Qt.Key.Key_A, CTRL | SHIFT)
    reason = pane.alerts_strip.reason
    if pane.board.top is not None and pane.board.top.needs_reason:  # a critical alert asks why
        if QApplication.focusWidget() is not reason:
            raise SystemExit("the reason line did not get the cursor")
        QTest.keyClicks(reason, "recheck in 5 min (synthetic)")
        QTest.keyClick(reason, Qt.Key.Key_Return)  # returns once the acknowledgement is committed
    print("ACKED", pane.alerts_strip.status.text(), flush=True)
    print("SAVED", type_reading(view, pane, "bp 132/84 hr 76 spo2 98 rr 14 t 36.7"), flush=True)


def main() -> int:
    app, window, lock = build(sys.argv[1])
    window.show()
    window.activateWindow()

    def run() -> None:
        try:
            drive(window)
        except BaseException as exc:  # noqa: BLE001 - say it and stop, never hang the test
            print("FAILED", repr(exc), flush=True)
            app.exit(1)

    QTimer.singleShot(0, run)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
