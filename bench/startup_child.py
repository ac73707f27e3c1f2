"""One cold start, timed to the first paint of the main window and to a usable start screen.

``python bench/startup_child.py kapdesk DB`` runs ``kapdesk --db DB`` exactly (``run_gui``);
``python bench/startup_child.py bare`` starts a bare PySide6 QMainWindow the same way.
Prints two wall times (time.time): the first paint of the main window, then the moment the
start screen is usable: the sign-in page painted with its names and taking keys (from the first
look at the record, ``kapdesk.store.peek``), or else the record open (the same moment for the bare
window).
"""

import sys
import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow


class Watch(QObject):
    def __init__(self, kapdesk: bool) -> None:
        super().__init__()
        self.kapdesk = kapdesk
        self.painted = False

    def eventFilter(self, watched, event):  # noqa: N802
        if not self.painted and event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
            self.painted = True
            print(f"{time.time():.6f}", flush=True)
            if self.kapdesk and watched.clinic is None and not watched.signing_in_ready():
                watched.record_opened.connect(self.ready)
            else:
                self.ready()
        return False

    def ready(self) -> None:
        print(f"{time.time():.6f}", flush=True)
        QApplication.instance().exit(0)


def main() -> int:
    kapdesk = sys.argv[1] == "kapdesk"
    app = QApplication(sys.argv[:1])
    watch = Watch(kapdesk)
    app.installEventFilter(watch)
    if kapdesk:
        from kapdesk.app import run_gui

        return run_gui(sys.argv[2], "dark")
    window = QMainWindow()
    window.resize(1280, 800)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
