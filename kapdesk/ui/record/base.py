"""What every record section shares: the context it works in and the :class:`Section` base.

Every section follows the same rules, because the clinician uses them one-handed in the dark:

* **Nothing is saved until it is valid, and what is shown as saved is on disk.** Enter validates
  with the domain's parser; on an error the message under the line says which part is wrong and
  why, the offending characters are selected (amber), the typed text stays, and nothing is
  written. On success the entry is committed through ``LiveSession.record`` (which returns only
  once committed); only then does the line clear and a dim "Saved 10:42 — …" appear.
* **The store has the last word** on times (in the future, before arrival): its refusal is shown
  the same way and the text is kept.
* **A correction is a new entry.** ``begin_correction(entry)`` loads an entry's values; saving
  records a new entry with ``supersedes=entry.id`` at the original time (unless another time is
  typed), and the original stays in the record.
* **No section moves focus by itself.** Focus moves only when the user presses a key that asks for
  it (F2, a correction, Alt+digit for a tag); saving leaves the cursor where it was.

Widgets only; the rules live in :mod:`kapdesk.domain` (vitals, doses, scales, observations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from kapdesk.domain.clinic import ClinicSettings
from kapdesk.domain.doses import DEFAULT_FORMULARY, Formulary
from kapdesk.domain.entries import EntryInfo, Kind, Payload, describe, of_type
from kapdesk.domain.observations import EntryTimeError, parse_entry_time
from kapdesk.domain.record import RecordFacts
from kapdesk.session import StoreError
from kapdesk.ui.kit import focus, make_label, mark_error, restyle

if TYPE_CHECKING:
    from kapdesk.session import LiveSession

P = TypeVar("P")


@dataclass
class RecordContext:
    """What every section needs from the pane: the sitting, the clinic, who is typing, the entries."""

    live: LiveSession
    settings: ClinicSettings
    clinician_name: str
    entries: Callable[[], Sequence[EntryInfo]]  # the pane's cached copy: reading it costs no query
    formulary: Formulary = DEFAULT_FORMULARY

    def now(self) -> datetime:
        return self.live.clock.utcnow()

    def latest(self, payload_type: type[P]) -> tuple[EntryInfo, P] | None:
        """The newest current entry holding a ``payload_type`` (by the time it happened), with it."""
        found = of_type(self.entries(), payload_type)
        return max(found, key=lambda pair: pair[0].occurred_at) if found else None

    def facts(self) -> RecordFacts:
        """The sitting's derived facts (baseline, latest reading …) from the cached entries (no query)."""
        return self.live.facts(list(self.entries()))


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


class Section(QWidget):
    """One kind of entry. Subclasses build their fields, ``save()`` and ``load(entry)``."""

    saved = Signal(object)  # EntryInfo: committed, and the confirmation is on screen
    kinds: tuple[Kind, ...] = ()  # entry kinds this section can correct
    time_field: QLineEdit | None = None  # a form's own time field, if it has one

    def __init__(self, title: str, keys: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx: RecordContext | None = None
        self.correcting: EntryInfo | None = None
        self.setProperty("plain", "true")  # containers show the pane's ground (see RecordPane)
        self.heading = make_label(f"{title}   {keys}", "dim")
        self.banner = make_label("", "message", wrap=True)
        self.banner.hide()
        self.message = make_label("", "status", wrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(4)
        self.body.addWidget(self.heading)
        self.body.addWidget(self.banner)

    def finish_layout(self) -> None:
        self.body.addWidget(self.message)
        # One line is kept for the message so the fields below do not jump while typing.
        self.message.setMinimumHeight(self.message.fontMetrics().height() + 2)

    def bind(self, ctx: RecordContext) -> None:
        self.ctx = ctx
        self.cancel_correction()
        self.say("")

    def say(self, text: str, *, error: bool = False) -> None:
        """The line under the section: amber for what needs attention, dim for confirmations."""
        self.message.setText(text)
        restyle(self.message, "role", "message" if error else "status")

    # -- corrections ------------------------------------------------------------------------
    def begin_correction(self, entry: EntryInfo) -> bool:
        """Load ``entry`` for correction; False (and a message) when this section cannot."""
        if entry.kind not in self.kinds:
            return False
        if not entry.current:
            self.say("That entry was already corrected: correct the newest version.", error=True)
            return False
        try:
            self.load(entry)
        except (ValueError, TypeError, KeyError) as exc:
            self.say(f"This entry cannot be loaded for correction ({exc}).", error=True)
            return False
        self.correcting = entry
        if self.time_field is not None:
            self.time_field.setPlaceholderText(f"as before ({local_time(entry.occurred_at)})")
        self.banner.setText(
            f"Correcting the {local_time(entry.occurred_at)} entry by {entry.author_name}: Enter saves a correction "
            "(the original stays in the record) · Esc cancels"
        )
        self.banner.show()
        self.say("")
        return True

    def cancel_correction(self) -> None:
        if self.correcting is not None:
            self._end_correction()
            self.clear_fields()

    def _end_correction(self) -> None:
        self.correcting = None
        self.banner.hide()
        if self.time_field is not None:
            self.time_field.setPlaceholderText("now")

    def load(self, entry: EntryInfo) -> None:  # pragma: no cover - every section overrides
        raise NotImplementedError

    def focus_entry(self) -> None:  # pragma: no cover - every section overrides
        """Put the cursor where this section's typing starts (only ever on the user's request)."""
        raise NotImplementedError

    def clear_fields(self) -> None:  # pragma: no cover - every section overrides
        raise NotImplementedError

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_Escape and self.correcting is not None:
            self.cancel_correction()
            self.say("Correction cancelled; nothing was saved.")
            return
        super().keyPressEvent(event)

    # -- saving -----------------------------------------------------------------------------
    def commit(self, data: Payload, occurred_at: datetime | None,
               *, extra: str = "", extra_error: bool = False) -> EntryInfo | None:
        """Record one entry (a correction when one is loaded); say what was saved, or why not.

        Returns the committed entry, or None when the store refused it (the fields are kept).
        """
        assert self.ctx is not None, "set_session first"
        correcting = self.correcting
        if correcting is not None and occurred_at is None:
            occurred_at = correcting.occurred_at  # a correction keeps the time of what it corrects
        try:
            entry = self.ctx.live.record(data, occurred_at=occurred_at,
                                         supersedes=correcting.id if correcting is not None else None)
        except StoreError as exc:  # a refused time, a full disk, a vanished file: say it, keep what was typed
            self.say(f"Not saved: {exc}.", error=True)
            return None
        self._end_correction()
        verb = "Correction saved" if correcting is not None else "Saved"
        text = f"{verb} {local_time(entry.occurred_at)} — {describe(data)}"
        self.say(text + (f"; {extra}" if extra else ""), error=extra_error)
        self.saved.emit(entry)
        return entry

    def entry_time(self, field: QLineEdit) -> tuple[bool, datetime | None]:
        """Read a form's time field: ``(ok, time or None for now)``; on error it is marked."""
        assert self.ctx is not None
        try:
            return True, parse_entry_time(field.text(), self.ctx.now())
        except EntryTimeError as exc:
            self.say(exc.message, error=True)
            focus(field)
            mark_error(field, exc.span)
            return False, None


def suffix_span(text: str, body: str, when: datetime | None) -> tuple[int, int]:
    """What to mark when the store refuses a line: its time suffix if it had one, else all of it."""
    if when is None:
        return (0, len(text))
    start = len(body)
    while start < len(text) and text[start].isspace():
        start += 1
    return (start, len(text.rstrip()))

