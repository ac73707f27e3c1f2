"""A real process with a notes pane, for the SIGKILL test of the integration-note autosave.

Usage: python notes_app.py DB_PATH TEXT
Opens (and migrates) the SQLite record, starts a synthetic session, shows a NotesPane, types TEXT
into "What the client described" with real key events, and waits for the pane's own debounced
autosave (the real 800 ms timer, nothing fired by hand). When ``saved`` arrives it prints
``SAVED <session id>`` and keeps running until it is killed.
"""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kapdesk.domain.clock import SystemClock
from kapdesk.domain.protocols import load_protocols
from kapdesk.paths import protocol_folders
from kapdesk.session import LiveSession
from kapdesk.store import Store
from kapdesk.ui.notes_pane import NotesPane
from kapdesk.ui.theme import DARK, apply_theme


def main() -> int:
    db_path, text = sys.argv[1], sys.argv[2]
    app = QApplication(sys.argv)
    apply_theme(app, DARK)
    clock = SystemClock()
    store = Store.open(db_path, now=clock.utcnow)
    protocols = {p.id: p for p in load_protocols(protocol_folders())[0]}
    clinician = store.add_clinician("Kill Clinician (synthetic)")
    client = store.add_client("KILL-01 (synthetic)", clinician.id)
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    pane = NotesPane(LiveSession(store, session.id, clinician.id, clock))
    pane.saved.connect(lambda _note: print("SAVED", session.id, flush=True))
    pane.show()

    def type_text() -> None:
        editor = pane.editors["described"]
        editor.setFocus()
        QTest.keyClicks(editor, text)

    QTimer.singleShot(0, type_text)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
