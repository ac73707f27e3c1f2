"""A real KAPDesk process typing observations into the real entry line until it is killed.

Usage: python entry_loop_app.py DB_PATH TAG [ROTATE]

For the SIGKILL cycles of ``make reliability`` (tools/reliability.py) and their short version in
``make test`` (tests/test_kill_cycles.py). The app is built exactly as ``kapdesk --db DB_PATH``
builds it (``kapdesk.app.build``: the same window, lock and record), but the session is opened
without the start screen: the clinician and client are found or added through the ``Clinic`` and
the window is shown with ``window.show_session`` — the call the start screen ends in — so these
cycles do not depend on how the start screen names the clinician. A session already in progress
(the one the last killed process was writing to) is resumed, as after a crash; once it holds
``ROTATE`` observations (default 150, about a long sitting's worth) it is ended and a new one
started, so the record grows as a clinic's does rather than one sitting growing without end.

Then, by keys only: F3 (the window-wide key that puts the cursor in the observation line), the
text ``TAG n<k>``, Enter. Enter returns once the entry is committed and "Saved …" is on screen;
the section's ``saved`` signal then prints ``ACK <entry id hex> <text>``: what the screen
confirmed. Before the first entry it prints ``READY <session id hex> <resumed|new>``. The loop
runs until the process is killed. Anything that goes wrong prints ``FAILED <why>`` and exits 1.
"""

import sys

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kapdesk.app import build
from kapdesk.domain.entries import Kind
from kapdesk.domain.status import SessionStatus

CLINICIAN = "Kill Cycle Clinician (synthetic)"
CLIENT = "CYCLE-01 (synthetic)"


def open_session(window, rotate: int):
    """Resume the sitting in progress, or (when there is none, or it is full) start one."""
    clinic = window.clinic
    clinician = clinic.clinician_named(CLINICIAN)
    running = clinic.sessions(status=SessionStatus.IN_PROGRESS, limit=1)
    if running:
        session = running[0]
        if len(clinic.entries(session.id, [Kind.OBSERVATION])) < rotate:
            return window.show_session(session.id, clinician.id), "resumed"
        clinic.open_session(session.id, clinician.id).end()
    client = clinic.client_labelled(CLIENT, clinician.id)
    info = clinic.start_session(client.id, clinician.id, window.protocols["sublingual"])
    return window.show_session(info.id, clinician.id), "new"


def drive(window, tag: str, rotate: int) -> None:
    if not QTest.qWaitForWindowActive(window):  # the window-wide keys reach only the active window
        raise SystemExit("the window never became active")
    view, how = open_session(window, rotate)
    pane = view.record_pane
    line = pane.observation.line
    pane.observation.saved.connect(lambda entry: print("ACK", entry.id.hex, entry.data.text, flush=True))
    print("READY", view.live.id.hex, how, flush=True)
    n = 0
    while True:
        n += 1
        QTest.keyClick(view, Qt.Key.Key_F3)
        if QApplication.focusWidget() is not line:
            raise SystemExit("F3 did not put the cursor in the observation line")
        QTest.keyClicks(line, f"{tag} n{n}")
        QTest.keyClick(line, Qt.Key.Key_Return)  # returns once committed and confirmed
        if line.text():
            raise SystemExit(f"not saved: {pane.observation.message.text()}")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)  # timers, repaints


def main() -> int:
    db_path, tag = sys.argv[1], sys.argv[2]
    rotate = int(sys.argv[3]) if len(sys.argv) > 3 else 150
    app, window, _lock = build(db_path)  # the lock lives as long as the window
    window.show()
    window.activateWindow()

    def run() -> None:
        try:
            drive(window, tag, rotate)
        except BaseException as exc:  # noqa: BLE001 - say it and stop, never hang the checker
            print("FAILED", repr(exc), flush=True)
            app.exit(1)

    QTimer.singleShot(0, run)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
