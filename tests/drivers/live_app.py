"""A real KAPDesk process driven by its own keyboard shortcuts, for the SIGKILL tests.

Usage: python live_app.py DB_PATH
Starts the app exactly as ``kapdesk --db DB_PATH`` does, starts a session by keyboard, marks the
dose, advances a phase, extends it and records a reading, then prints ``READY <session id>`` and
keeps running until it is killed.
"""

import sys

from driver_keys import CTRL, start_session_by_keyboard
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from kapdesk.app import build


def drive(window) -> None:
    view = start_session_by_keyboard(window, "Crash Clinician (synthetic)", "CRASH-01 (synthetic)")
    QTest.keyClick(view, Qt.Key.Key_K, CTRL)  # pre-dose reading taken
    QTest.keyClick(view, Qt.Key.Key_D, CTRL)  # dose: no preparation, so the override asks for a reason
    QTest.keyClicks(view.override.reason, "Synthetic: checklist on paper")
    QTest.keyClick(view.override.reason, Qt.Key.Key_Return)
    for key, modifiers in ((Qt.Key.Key_N, CTRL), (Qt.Key.Key_E, CTRL)):
        QTest.keyClick(view, key, modifiers)
    print("READY", view.live.id, view.band.phase.text(), flush=True)


def main() -> int:
    app, window, lock = build(sys.argv[1])
    window.show()
    window.activateWindow()
    QTimer.singleShot(0, lambda: drive(window))
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
