"""What every real-process driver does first: wait for the window, then start a session by keyboard."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

CTRL = Qt.KeyboardModifier.ControlModifier


def start_session_by_keyboard(window, clinician: str, client: str, protocol: str = "sublingual"):
    """Fill the start screen and press Ctrl+Return; returns the session view."""
    if not QTest.qWaitForWindowActive(window):  # shortcuts reach only the active window
        raise SystemExit("the window never became active")
    screen = window.start_screen
    screen.clinician.setCurrentText(clinician)
    screen.client.setCurrentText(client)
    screen.protocol.setCurrentIndex(screen.protocol.findData(protocol))
    QTest.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    if window.session_view is None:
        raise SystemExit(f"the session did not start: {screen.message.text()}")
    return window.session_view
