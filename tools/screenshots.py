"""Screenshots of every view for the README, taken from the real app on a real (Xvfb) screen.

Run: ``xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tools/screenshots.py docs/``
The session is driven through the same store actions as the app, on a clock moved by hand,
so the pictures show a plausible mid-session moment without waiting an hour.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from kapdesk.demo import write_demo_session
from kapdesk.domain.clock import FakeClock
from kapdesk.domain.protocols import load_protocols
from kapdesk.paths import protocol_folders
from kapdesk.store import Store
from kapdesk.ui.main_window import MainWindow
from kapdesk.ui.theme import DARK, LIGHT, apply_theme


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    apply_theme(app, DARK)
    db = Path(tempfile.mkdtemp()) / "shots.sqlite3"
    write_demo_session(str(db))
    clock = FakeClock()
    store = Store.open(str(db), now=clock.utcnow)
    protocols, errors = load_protocols(protocol_folders())
    window = MainWindow(protocols, errors, clock, store)
    window.resize(1280, 800)
    window.show()
    window.start_screen.clinician.setCurrentText("Demo Clinician (synthetic)")
    window.start_screen.client.setCurrentText("DEMO-02 (synthetic client)")
    window.start_screen.protocol.setCurrentIndex(window.start_screen.protocol.findData("sublingual"))
    window.history.show_selected_course()
    settle(app)
    window.grab().save(str(out / "start-screen.png"))

    window.start_screen.start_button.click()
    view = window.session_view
    clock.advance(14 * 60)
    view.reminder_done()
    clock.advance(6 * 60)
    view.mark_dose()
    view.override.reason.setText("Synthetic: checklist done on paper")
    view.override.confirm()
    clock.advance(15 * 60)
    view.advance_phase()
    clock.advance(1 * 60)
    view.reminder_done()
    clock.advance(20 * 60)
    view.advance_phase()
    clock.advance(12 * 60 + 37)
    view.tick()
    settle(app)
    window.grab().save(str(out / "session-dark.png"))
    clock.advance(4 * 60)
    view.tick()
    apply_theme(app, LIGHT)
    settle(app)
    window.grab().save(str(out / "session-light.png"))
    apply_theme(app, DARK)
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
