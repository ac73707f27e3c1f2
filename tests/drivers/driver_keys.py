"""What every real-process driver does first: wait for the window, sign in by keyboard, then start a
session by keyboard."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

CTRL = Qt.KeyboardModifier.ControlModifier
DRIVER_PASSWORD = "synthetic driver pass"  # a synthetic secret for the drivers' records only


def sign_in_by_keyboard(window, clinician: str) -> None:
    """On a new record, create ``clinician`` as the first admin; on an older one, sign in as them."""
    page = window.sign_in_page
    if page is None or window.stack.currentWidget() is not page:
        raise SystemExit("the sign-in page is not shown")
    if page.first_run:
        form = page.first_admin
        for line, text in ((form.name, clinician), (form.password, DRIVER_PASSWORD), (form.again, DRIVER_PASSWORD)):
            line.setFocus()
            QTest.keyClicks(line, text)
        QTest.keyClick(form.again, Qt.Key.Key_Return)
    else:
        form = page.form
        form.who.setFocus()
        form.who.setCurrentIndex(form.who.findText(clinician))
        QTest.keyClick(form.who, Qt.Key.Key_Return)  # Enter on the name: to the password
        QTest.keyClicks(form.secret, DRIVER_PASSWORD)
        QTest.keyClick(form.secret, Qt.Key.Key_Return)
    if window.clinician is None:
        raise SystemExit(f"not signed in: {form.message.text()}")


def start_session_by_keyboard(window, clinician: str, client: str, protocol: str = "sublingual"):
    """Sign in as ``clinician``, fill the start screen and press Ctrl+Return; returns the session view."""
    if not QTest.qWaitForWindowActive(window):  # shortcuts reach only the active window
        raise SystemExit("the window never became active")
    sign_in_by_keyboard(window, clinician)
    screen = window.start_screen
    screen.client.setCurrentText(client)
    screen.protocol.setCurrentIndex(screen.protocol.findData(protocol))
    QTest.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    if window.session_view is None:
        raise SystemExit(f"the session did not start: {screen.message.text()}")
    return window.session_view
