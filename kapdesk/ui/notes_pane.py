"""The integration note: structured sections, autosaved as a draft, then signed, locked and added to.

Integration is client-led (product.md, "Three stages"): the sections hold the client's words and
the therapist's record of them. Quotes flagged during the sitting are offered beside the note
with their times, and go into the section being written as ``“quote” (10:42)``.

Never lose a word: every change is saved as the draft (``LiveSession.save_note_draft``, one
committed transaction) 800 ms after the last keystroke, when a section loses focus, and when the pane is
hidden or closed. The dim line says when the draft last reached the disk.

Signing takes two presses within a few seconds (no dialog). The record then locks the note (its
triggers refuse any change) and the pane turns read-only, showing who signed, when, and the
start of the content hash; later words go into signed addenda listed under it. If another
window signed the note first, the record refuses our draft with ``NoteLockedError``: the pane
switches to the signed note and moves what had been typed since into the addendum box, unsigned,
so nothing is lost and nothing is signed without the clinician's key press.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QTextCursor
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QScrollArea, QSplitter,
    QVBoxLayout, QWidget,
)

from kapdesk.domain.entries import EntryInfo, Kind, Observation, of_type
from kapdesk.domain.notes import SECTIONS, NoteSection
from kapdesk.domain.preparation import current_preparation
from kapdesk.session import NoteLockedError, StoreError
from kapdesk.ui import keymap
from kapdesk.ui.kit import focus, restyle, see_through, set_role

if TYPE_CHECKING:
    from kapdesk.domain.info import AddendumInfo, NoteInfo
    from kapdesk.session import LiveSession

AUTOSAVE_MS = 800  # after the last keystroke: long enough not to save mid-word, short enough to lose nothing
ARM_MS = 5000  # how long the Sign button waits for its second press
HASH_SHOWN = 12  # hex digits of the content hash shown on screen


def format_quote(text: str, at: datetime) -> str:
    """``“It's like the ocean…” (10:42)``: the client's words and the local time they were said."""
    return f"“{text.strip()}” ({at.astimezone().strftime('%H:%M')})"


class NotesPane(QFrame):
    """The integration note of one session, written by the sitting's acting clinician.

    It reads and writes through the :class:`~kapdesk.session.LiveSession` and follows its
    :attr:`~kapdesk.session.LiveSession.changed` signal: a newly flagged quote is offered at once.

    Keys (``notes.*`` in the key map; while focus is inside the pane): Alt+1 … Alt+0 go to the ten
    sections; Ctrl+S saves the draft now; Ctrl+Shift+Q goes to the quote list, where Enter inserts
    the selected quote into the section last written in; Ctrl+I does the same from anywhere in the
    pane; Ctrl+Shift+S signs (press twice), and once the note is signed it signs the addendum.
    (The addendum had Ctrl+Shift+A, which the session view uses to acknowledge an alert.)
    """

    saved = Signal(object)  # NoteInfo: a draft save has been committed
    signed = Signal(object)  # NoteInfo: the note is signed and locked
    addendum_added = Signal(object)  # AddendumInfo: a signed addendum has been committed

    def __init__(self, live: LiveSession, *, debounce_ms: int = AUTOSAVE_MS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.live = live
        self._dirty = False
        self._loading = False
        self._note: NoteInfo | None = None
        self._last_section = SECTIONS[0].key

        title = QLabel("Integration note")
        title.setProperty("role", "title")
        self.status = QLabel("")
        set_role(self.status, "status")
        self.sign_button = QPushButton(f"Sign note  {keymap.key('notes.sign')}")
        self.sign_button.clicked.connect(self.sign)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        set_role(self.message, "status")

        self.editors: dict[str, QPlainTextEdit] = {}
        sections_widget = QWidget()
        sections_layout = QVBoxLayout(sections_widget)
        sections_layout.setContentsMargins(0, 0, 8, 0)
        for number, section in enumerate(SECTIONS, start=1):
            sections_layout.addLayout(self._section(section, number % 10))

        # Shown once signed: who signed, the addenda, and the box for the next one.
        self.signed_label = QLabel("")
        self.signed_label.setWordWrap(True)
        self.signed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.addenda_label = QLabel("")
        self.addenda_label.setWordWrap(True)
        self.addenda_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.addendum = QPlainTextEdit()
        self.addendum.setTabChangesFocus(True)
        self.addendum.setPlaceholderText("A later addition, signed on its own (the note above stays as signed)")
        self.addendum.setAccessibleName("Addendum")
        self.addendum.setFixedHeight(90)
        self.addendum_button = QPushButton(f"Sign addendum  {keymap.key('notes.sign')}")
        self.addendum_button.clicked.connect(self.sign_addendum)
        self.signed_box = QWidget()
        signed_layout = QVBoxLayout(self.signed_box)
        signed_layout.setContentsMargins(0, 8, 8, 0)
        addenda_title = QLabel("Addenda")
        addenda_title.setStyleSheet("font-weight: 600;")
        signed_layout.addWidget(addenda_title)
        signed_layout.addWidget(self.addenda_label)
        signed_layout.addWidget(self.addendum)
        signed_layout.addWidget(self.addendum_button, 0, Qt.AlignmentFlag.AlignLeft)
        sections_layout.addWidget(self.signed_box)
        sections_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(sections_widget)
        self.scroll = scroll

        self.quotes = QListWidget()
        self.quotes.setAccessibleName("Client quotes")
        self.quotes.setWordWrap(True)
        self.quotes.setAlternatingRowColors(True)
        self.quotes.setSpacing(3)
        self.quotes.itemActivated.connect(lambda _item: self.insert_quote())
        quotes_pane = QWidget()
        quotes_layout = QVBoxLayout(quotes_pane)
        quotes_layout.setContentsMargins(8, 0, 0, 0)
        quotes_title = QLabel("Client quotes")
        quotes_title.setStyleSheet("font-weight: 600;")
        quotes_hint = QLabel("Enter or Ctrl+I puts the selected quote into the section you were writing in")
        quotes_hint.setProperty("role", "dim")
        quotes_hint.setWordWrap(True)
        quotes_layout.addWidget(quotes_title)
        quotes_layout.addWidget(quotes_hint)
        quotes_layout.addWidget(self.quotes, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(quotes_pane)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        see_through(splitter, scroll, scroll.viewport(), sections_widget, quotes_pane, self.signed_box)

        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.status, 1)
        header.addWidget(self.sign_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.signed_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(debounce_ms)
        self.autosave_timer.timeout.connect(self.save)
        self._armed = QTimer(self)
        self._armed.setSingleShot(True)
        self._armed.setInterval(ARM_MS)
        self._armed.timeout.connect(self._disarm)

        for name, slot in (
            ("notes.save", self.save), ("notes.insert_quote", self.insert_quote), ("notes.sign", self.sign),
            ("notes.quotes", self.quotes.setFocus),
        ):
            keymap.shortcuts(name, self, slot)
        for number, section in enumerate(SECTIONS, start=1):
            editor = self.editors[section.key]
            keymap.shortcuts(f"notes.section{number}", self, editor.setFocus)

        self.reload()
        self.refresh_quotes()
        live.changed.connect(self._record_changed)

    def _section(self, section: NoteSection, digit: int) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        heading = QLabel(f"{section.title}   <span style='font-weight: normal'>{keymap.key(f'notes.section{digit or 10}')}</span>")
        heading.setStyleSheet("font-weight: 600;")
        hint = QLabel(section.hint)
        hint.setProperty("role", "dim")
        editor = QPlainTextEdit()
        editor.setTabChangesFocus(True)  # Tab goes to the next section: notes need no tab characters
        editor.setAccessibleName(section.title)
        editor.setMinimumHeight(72)
        editor.setSizeAdjustPolicy(QPlainTextEdit.SizeAdjustPolicy.AdjustToContents)
        editor.textChanged.connect(self._edited)
        editor.installEventFilter(self)
        editor.setProperty("section", section.key)
        self.editors[section.key] = editor
        box.addWidget(heading)
        box.addWidget(hint)
        box.addWidget(editor)
        box.addSpacing(6)
        return box

    def focus_first(self) -> None:
        """The cursor where writing continues: the section last written in (the first at the start),
        or the addendum box once the note is signed."""
        editor = self.addendum if self.is_signed else self.editors[self._last_section]
        focus(editor, Qt.FocusReason.ShortcutFocusReason)
        if editor.textCursor().position() == 0:  # a section not yet typed in here: go on from its end
            editor.moveCursor(QTextCursor.MoveOperation.End)

    # -- state --------------------------------------------------------------------------------
    @property
    def note(self) -> NoteInfo | None:
        """The note as last read from or committed to the record."""
        return self._note

    @property
    def is_signed(self) -> bool:
        return self._note is not None and self._note.signed

    @property
    def dirty(self) -> bool:
        """True while typed text has not yet been committed."""
        return self._dirty

    def sections(self) -> dict[str, str]:
        return {key: editor.toPlainText() for key, editor in self.editors.items()}

    def reload(self) -> None:
        """Read the note from the record (unsaved typing is dropped: call :meth:`save` first).

        A session without a note yet starts with the intention from its preparation, so the
        therapist revisits it in the client's own words; it is saved with the first edit.
        """
        self._note = self.live.note()
        if self._note is not None:
            texts = dict(self._note.sections)
        else:
            preparation = current_preparation(self.live.entries())
            texts = {"intention": preparation[1].intention if preparation is not None else ""}
        self._loading = True
        try:
            for key, editor in self.editors.items():
                if editor.toPlainText() != texts.get(key, ""):
                    editor.setPlainText(texts.get(key, ""))
        finally:
            self._loading = False
        self._dirty = False
        self.autosave_timer.stop()
        self._show_state()

    def refresh_quotes(self) -> None:
        """Re-read the session's flagged quotes (done by itself when the sitting records an observation)."""
        selected = self.quotes.currentRow()
        self.quotes.clear()
        for entry, observation in quote_entries(self.live.entries()):
            text = observation.text.strip()
            if not text:
                continue
            item = QListWidgetItem(f"{entry.occurred_at.astimezone().strftime('%H:%M')}  “{text}”")
            item.setData(Qt.ItemDataRole.UserRole, format_quote(text, entry.occurred_at))
            self.quotes.addItem(item)
        if self.quotes.count():
            self.quotes.setCurrentRow(min(max(selected, 0), self.quotes.count() - 1))

    def _record_changed(self, entry: EntryInfo | None) -> None:
        """The sitting committed something: a new or corrected observation may change the quotes."""
        if entry is None or entry.kind == Kind.OBSERVATION:
            self.refresh_quotes()

    # -- autosave -----------------------------------------------------------------------------
    def _edited(self) -> None:
        if self._loading or self.is_signed:
            return
        self._dirty = True
        self.autosave_timer.start()  # restarting it is the debounce

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.FocusIn and watched.property("section"):
            self._last_section = str(watched.property("section"))
        elif event.type() == QEvent.Type.FocusOut and watched.property("section"):
            self.save()
        return super().eventFilter(watched, event)

    def save(self, *, force: bool = False) -> bool:
        """Commit the draft now if anything changed (or ``force``); True when nothing is left unsaved.

        A failure other than the lock leaves the text dirty, says so in amber, and the next
        keystroke, focus change or timer tries again: the words stay on the screen meanwhile.
        """
        self.autosave_timer.stop()
        if self.is_signed or not (self._dirty or force):
            return not self._dirty
        sections = self.sections()
        try:
            note = self.live.save_note_draft(sections)
        except NoteLockedError:
            self._signed_elsewhere(sections)
            return False
        except StoreError as exc:
            self._say(f"Draft NOT saved: {exc}. Your text is still here; it will be retried.", error=True)
            return False
        self._note = note
        self._dirty = False
        self.status.setText(f"Draft saved {note.saved_at.astimezone().strftime('%H:%M:%S')}")
        if self.message.property("role") == "message":
            self._say("")
        self.saved.emit(note)
        return True

    def flush(self) -> bool:
        """Save whatever is unsaved; the owner calls this before it discards the pane."""
        return self.save()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt name)
        self.save()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.save()
        super().closeEvent(event)

    # -- quotes -------------------------------------------------------------------------------
    def insert_quote(self) -> None:
        """Put the selected quote at the cursor of the section last written in, then return there."""
        item = self.quotes.currentItem()
        if item is None:
            self._say("There is no quote to insert: quotes flagged during the session appear on the right.")
            return
        if self.is_signed:
            self._say("The note is signed: put the quote into an addendum instead.", error=True)
            return
        editor = self.editors[self._last_section]
        cursor = editor.textCursor()
        text = str(item.data(Qt.ItemDataRole.UserRole))
        before = editor.toPlainText()[: cursor.position()]
        if before and not before[-1].isspace():
            text = " " + text
        cursor.insertText(text)
        editor.setTextCursor(cursor)
        editor.setFocus()

    # -- signing ------------------------------------------------------------------------------
    def sign(self) -> None:
        """First press arms, second press (within 5 s) saves the draft and signs it. Once the note is
        signed, the same key signs the addendum (one press: the note above it stays as signed)."""
        if self.is_signed:
            self.sign_addendum()
            return
        if not self._armed.isActive():
            if not any(text.strip() for text in self.sections().values()):
                self._say("The note is empty: write something before signing.", error=True)
                return
            self._armed.start()
            self.sign_button.setText(f"Press again to sign  {keymap.key('notes.sign')}")
            restyle(self.sign_button, "armed", "true")
            self._say("Press Sign again within 5 seconds to sign. A signed note is locked; later words go into addenda.",
                      error=True)
            return
        self._disarm()
        if not self.save(force=self._note is None):
            return
        try:
            note = self.live.sign_note()
        except NoteLockedError:
            self._signed_elsewhere(self.sections())
            return
        except StoreError as exc:  # EntryError too: e.g. the note is empty
            self._say(f"Not signed: {exc}.", error=True)
            return
        self._note = note
        self._show_state()
        self._say("Signed and locked.")
        self.signed.emit(note)

    def _disarm(self) -> None:
        self._armed.stop()
        self.sign_button.setText(f"Sign note  {keymap.key('notes.sign')}")
        restyle(self.sign_button, "armed", "false")

    def sign_addendum(self) -> None:
        if not self.is_signed:
            self._say("Addenda follow a signed note: until it is signed, write in the sections.")
            return
        text = self.addendum.toPlainText().strip()
        if not text:
            self._say("The addendum is empty: type it first.", error=True)
            self.addendum.setFocus()
            return
        try:
            addendum = self.live.add_addendum(text)
        except StoreError as exc:
            self._say(f"Addendum not signed: {exc}.", error=True)
            return
        self.addendum.clear()
        self._show_addenda()
        self._say("Addendum signed.")
        self.addendum_added.emit(addendum)

    def _signed_elsewhere(self, typed: dict[str, str]) -> None:
        """Someone signed first: show their note and keep our unsaved words for an addendum."""
        self.reload()
        signed = self._note.sections if self._note is not None else {}
        changed = [(s.title, typed.get(s.key, "")) for s in SECTIONS
                   if typed.get(s.key, "").strip() and typed.get(s.key, "") != signed.get(s.key, "")]
        if changed:
            kept = "\n\n".join(f"{title}:\n{text}" for title, text in changed)
            current = self.addendum.toPlainText().strip()
            self.addendum.setPlainText(f"{current}\n\n{kept}".strip() if current else kept)
        self._say("This note was signed in another window before your last words were saved. They are in the "
                  "addendum box below, not signed: edit them and sign the addendum to keep them."
                  if changed else "This note was signed in another window; it is now read-only.", error=True)

    # -- display ------------------------------------------------------------------------------
    def _show_state(self) -> None:
        note = self._note
        signed = note is not None and note.signed
        for editor in self.editors.values():
            editor.setReadOnly(signed)
        self.sign_button.setEnabled(not signed)
        self.signed_box.setVisible(signed)
        if signed:
            assert note is not None and note.signed_at is not None
            when = note.signed_at.astimezone().strftime("%Y-%m-%d %H:%M")
            digest = (note.content_hash or "")[:HASH_SHOWN]
            self.signed_label.setText(f"Signed by {note.signed_by} at {when} · hash {digest}… · locked")
            self.signed_label.show()
            self.status.setText("")
            self._show_addenda()
        else:
            self.signed_label.hide()
            if note is not None:
                self.status.setText(f"Draft saved {note.saved_at.astimezone().strftime('%H:%M:%S')}")
            else:
                self.status.setText("Not saved yet: the draft saves itself as you type")

    def _show_addenda(self) -> None:
        addenda: list[AddendumInfo] = self.live.addenda()
        if not addenda:
            self.addenda_label.setText("None yet.")
            set_role(self.addenda_label, "status")
            return
        parts = [f"{a.signed_at.astimezone().strftime('%Y-%m-%d %H:%M')} · {a.author} · hash {a.content_hash[:HASH_SHOWN]}…\n"
                 f"{a.text}" for a in addenda]
        self.addenda_label.setText("\n\n".join(parts))
        set_role(self.addenda_label, "")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "message" if error else "status")


def quote_entries(entries: Iterable[EntryInfo]) -> list[tuple[EntryInfo, Observation]]:
    """The current observations flagged as client quotes, with their entries, in time order."""
    found = [(e, o) for e, o in of_type(entries, Observation) if o.quote]
    return sorted(found, key=lambda pair: pair[0].occurred_at)
