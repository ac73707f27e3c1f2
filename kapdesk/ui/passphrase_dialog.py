"""The passphrase of an encrypted record, asked once at start-up, before the main window opens.

A modal question is acceptable here and nowhere else in the app: no session is running yet, so
nothing in the room waits behind it. Keyboard only: type, Enter tries, Esc quits. A wrong
passphrase is said in the dialog and the field is cleared for another try; the record is never
changed by a try. The dialog knows nothing of the store: it is given a function that tries a
passphrase and returns ``None`` (opened) or the one line to show.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout, QWidget

from kapdesk.ui.kit import make_label


class PassphraseDialog(QDialog):
    def __init__(self, record: str, try_passphrase: Callable[[str], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._try = try_passphrase
        self.setWindowTitle("KAPDesk — encrypted record")
        self.setModal(True)
        layout = QVBoxLayout(self)
        layout.addWidget(make_label(f"The record {record} is encrypted.", "title", wrap=True))
        layout.addWidget(make_label("Type its passphrase, then Enter.  Esc quits.", wrap=True))
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName("passphrase")
        self.field.returnPressed.connect(self._submit)
        layout.addWidget(self.field)
        self.message = make_label("", "message", wrap=True)
        layout.addWidget(self.message)
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        passphrase = self.field.text()
        self.field.clear()  # the passphrase stays in the widget no longer than the try
        if not passphrase:
            self.message.setText("Type the passphrase first.")
            return
        self.message.setText("Opening…")
        QApplication.processEvents()  # the key takes a quarter second to derive: say so first
        problem = self._try(passphrase)
        if problem is None:
            self.accept()
            return
        self.message.setText(problem[:1].upper() + problem[1:])
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)
