"""CPU used while a window idles for N seconds.

``python bench/clock_cpu_child.py kapdesk DB SECONDS``: the session view of a live session, ticking.
``python bench/clock_cpu_child.py bare - SECONDS``: a bare QMainWindow doing nothing.
Prints the CPU seconds (user + system) this process used during the window, start-up excluded.
"""

import resource
import sys

from PySide6.QtCore import QTimer


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    which, db, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if which == "bare":
        from PySide6.QtWidgets import QApplication, QMainWindow

        app = QApplication(sys.argv[:1])
        window = QMainWindow()
        window.resize(1280, 800)
    else:
        from kapdesk.app import build

        app, window, _lock = build(db)
        accounts = window.clinic.accounts  # a synthetic admin, signed in as the sign-in page does
        password = "synthetic bench pass"
        if accounts.needs_first_admin():
            accounts.create_first_admin("Bench Clinician (synthetic)", password)
        bench = next(c for c in accounts.active_clinicians() if c.name == "Bench Clinician (synthetic)")
        window.enter_as(accounts.sign_in(bench.id, password).clinician)
        screen = window.start_screen
        screen.client.setCurrentText("BENCH-01 (synthetic)")
        screen.protocol.setCurrentIndex(screen.protocol.findData("sublingual"))
        screen.start_button.click()
        window.session_view.mark_dose()
    window.show()
    start = {}

    def begin() -> None:
        start["cpu"] = cpu()
        QTimer.singleShot(int(seconds * 1000), finish)

    def finish() -> None:
        print(f"{cpu() - start['cpu']:.6f}", flush=True)
        app.exit(0)

    QTimer.singleShot(1000, begin)  # let start-up settle before measuring
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
