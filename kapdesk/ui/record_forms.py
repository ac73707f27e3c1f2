"""The record pane's sections: vitals, observation, scale, dose and presence entry.

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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFrame, QGridLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from kapdesk.domain.alerting import baseline_entry
from kapdesk.domain.clinic import ClinicSettings
from kapdesk.domain.doses import DEFAULT_FORMULARY, Dose, DoseEntry, DoseError, Formulary, Route
from kapdesk.domain.entries import describe_entry
from kapdesk.domain.observations import (
    EntryTimeError, Observation, ObservationError, parse_entry_time, parse_observation, split_time_suffix,
)
from kapdesk.domain.scales import (
    ALDRETE, ScaleDefinition, ScaleError, ScaleResult, aldrete_circulation_score, aldrete_spo2_score, discharge_ready,
    score, summarize,
)
from kapdesk.domain.vitals import FIELD_ORDER, VITAL_BOUNDS, VitalsError, VitalsReading, parse_vitals, validate_field
from kapdesk.store.errors import StoreError
from kapdesk.ui.theme import current_theme

if TYPE_CHECKING:
    from kapdesk.live_session import LiveSession
    from kapdesk.store import EntryInfo

__all__ = [
    "DoseSection",
    "ObservationSection",
    "PresenceSection",
    "RemsSection",
    "RecordContext",
    "ScalePad",
    "ScaleSection",
    "Section",
    "VitalsSection",
    "focus",
    "vitals_line",
]


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

    def latest(self, kind: str) -> EntryInfo | None:
        """The newest current entry of ``kind`` (by the time it happened)."""
        found = [e for e in self.entries() if e.kind == kind and e.current]
        return max(found, key=lambda e: e.occurred_at) if found else None


# --------------------------------------------------------------------------------------------
# Shared look and behaviour
# --------------------------------------------------------------------------------------------


def _label(text: str = "", role: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return label


def _restyle(widget: QWidget, name: str, value: str) -> None:
    if widget.property(name) != value:
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def mark_error(line: QLineEdit, span: tuple[int, int] | None) -> None:
    """Select the offending characters of ``line`` in amber and keep the cursor there.

    The dark theme's normal selection colour is too close to the field to see across a dim room,
    so an error selection (and the field's border) takes the theme's attention colour until the
    text is edited. With no span to point at, the cursor goes to the end.
    """
    theme = current_theme()
    line.setStyleSheet(
        f"QLineEdit {{ border: 2px solid {theme.attention}; selection-background-color: {theme.attention};"
        f" selection-color: {theme.window}; }}"
    )
    line.setProperty("error", "true")
    length = len(line.text())
    start, end = span or (0, 0)
    start, end = max(0, min(start, length)), max(0, min(end, length))
    line.setProperty("error_span", [start, end])
    _select_error(line)


def _select_error(line: QLineEdit) -> None:
    start, end = line.property("error_span") or (0, 0)
    if end > start:
        line.setSelection(start, end - start)
    else:
        line.setCursorPosition(len(line.text()))


def focus(widget: QWidget, reason: Qt.FocusReason = Qt.FocusReason.OtherFocusReason) -> None:
    """Give ``widget`` the cursor and scroll it into view.

    The session view shows its pages in scroll areas; a field that gets the cursor below the fold
    would be typed into blind, so every ancestor scroll area is asked to show it.
    """
    widget.setFocus(reason)
    if isinstance(widget, QLineEdit) and widget.property("error") == "true":
        _select_error(widget)  # not Qt's select-all on shortcut focus: that would paint it all amber
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget, 24, 64)  # room for the message line below
        parent = parent.parentWidget()


def clear_error(line: QLineEdit) -> None:
    if line.property("error") == "true":
        line.setStyleSheet("")
        line.setProperty("error", "false")


def _line(placeholder: str = "", name: str = "") -> QLineEdit:
    line = QLineEdit()
    line.setPlaceholderText(placeholder)
    if name:
        line.setObjectName(name)
        line.setAccessibleName(name)
    line.textEdited.connect(lambda _text, line=line: clear_error(line))
    return line


class _EnterFilter(QObject):
    """Enter on a combo box or check box saves the form, as it does in the form's text fields."""

    def __init__(self, on_enter: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._on_enter = on_enter

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._on_enter()
                return True
        return False


def _database_errors() -> tuple[type[BaseException], ...]:
    """Failures below the store's own errors. SQLAlchemy is imported here, not at the top, because
    this module must not be what pulls it in before the window paints."""
    from sqlalchemy.exc import SQLAlchemyError

    return (SQLAlchemyError, OSError)


class Section(QWidget):
    """One kind of entry. Subclasses build their fields, ``save()`` and ``load(entry)``."""

    saved = Signal(object)  # EntryInfo: committed, and the confirmation is on screen
    kinds: tuple[str, ...] = ()  # entry kinds this section can correct
    time_field: QLineEdit | None = None  # a form's own time field, if it has one

    def __init__(self, title: str, keys: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx: RecordContext | None = None
        self.correcting: EntryInfo | None = None
        self.setProperty("plain", "true")  # containers show the pane's ground (see RecordPane)
        self.heading = _label(f"{title}   {keys}", "dim")
        self.banner = _label("", "message", wrap=True)
        self.banner.hide()
        self.message = _label("", "status", wrap=True)
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
        _restyle(self.message, "role", "message" if error else "status")

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
            self.time_field.setPlaceholderText(f"as before ({_local(entry.occurred_at)})")
        self.banner.setText(
            f"Correcting the {_local(entry.occurred_at)} entry by {entry.author_name}: Enter saves a correction "
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
    def commit(self, kind: str, payload: dict[str, Any], occurred_at: datetime | None,
               *, extra: str = "", extra_error: bool = False) -> EntryInfo | None:
        """Record one entry (a correction when one is loaded); say what was saved, or why not.

        Returns the committed entry, or None when the store refused it (the fields are kept).
        """
        assert self.ctx is not None, "set_session first"
        correcting = self.correcting
        if correcting is not None and occurred_at is None:
            occurred_at = correcting.occurred_at  # a correction keeps the time of what it corrects
        try:
            entry = self.ctx.live.record(kind, payload, occurred_at=occurred_at,
                                         supersedes=correcting.id if correcting is not None else None)
        except StoreError as exc:
            self.say(f"Not saved: {exc}.", error=True)
            return None
        except _database_errors() as exc:  # a full disk, a vanished file: say it, keep what was typed
            self.say(f"Not saved: the record could not be written ({exc.__class__.__name__}). "
                     "What you typed is kept; try again.", error=True)
            return None
        self._end_correction()
        verb = "Correction saved" if correcting is not None else "Saved"
        text = f"{verb} {_local(entry.occurred_at)} — {describe_entry(kind, payload)}"
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


# --------------------------------------------------------------------------------------------
# Vitals
# --------------------------------------------------------------------------------------------

_FIELD_LABELS = {
    "systolic": "Sys",
    "diastolic": "Dia",
    "heart_rate": "HR",
    "spo2": "SpO₂",
    "resp_rate": "RR",
    "temperature_c": "Temp °C",
}


def _suffix_span(text: str, body: str, when: datetime | None) -> tuple[int, int]:
    """What to mark when the store refuses a line: its time suffix if it had one, else all of it."""
    if when is None:
        return (0, len(text))
    start = len(body)
    while start < len(text) and text[start].isspace():
        start += 1
    return (start, len(text.rstrip()))


def vitals_line(reading: VitalsReading) -> str:
    """The labelled quick form of a reading, which :func:`parse_vitals` reads back unchanged."""
    parts: list[str] = []
    if reading.systolic is not None:
        parts.append(f"bp {reading.systolic}/{reading.diastolic}" if reading.diastolic is not None
                     else f"sys {reading.systolic}")
    for attr, label in (("heart_rate", "hr"), ("spo2", "spo2"), ("resp_rate", "rr")):
        value = getattr(reading, attr)
        if value is not None:
            parts.append(f"{label} {value}")
    if reading.temperature_c is not None:
        parts.append(f"t {reading.temperature_c:g}")
    return " ".join(parts)


class VitalsSection(Section):
    """One line (``128/84 72 98 14``, ``bp 128/84 hr 72``, ``… @10:35`` or ``… -5m``) or six fields."""

    kinds = ("vitals",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Vitals", "F2 line · Shift+F2 fields", parent)
        self.line = _line("128/84 72 98 14   or   bp 128/84 hr 72 spo2 98 rr 14 t 36.8   (@10:35 or -5m: earlier)",
                          "vitals line")
        self.line.returnPressed.connect(self.save_line)
        self.body.addWidget(self.line)

        self.form = QWidget()
        self.form.setProperty("plain", "true")
        grid = QGridLayout(self.form)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        self.fields: dict[str, QLineEdit] = {}
        for column, attr in enumerate(FIELD_ORDER):
            bound = VITAL_BOUNDS[attr]
            field = _line(bound.describe_range().split(" ")[0], _FIELD_LABELS[attr])
            field.setToolTip(f"{bound.label}, {bound.describe_range()}")
            field.returnPressed.connect(self.save_form)
            grid.addWidget(_label(_FIELD_LABELS[attr], "dim"), 0, column)
            grid.addWidget(field, 1, column)
            self.fields[attr] = field
        self.time_field = _line("now", "vitals time")
        self.time_field.setToolTip("Empty: now. Or 10:35, or -5m for five minutes ago")
        self.time_field.returnPressed.connect(self.save_form)
        grid.addWidget(_label("Time", "dim"), 0, len(FIELD_ORDER))
        grid.addWidget(self.time_field, 1, len(FIELD_ORDER))
        self.form.hide()
        self.body.addWidget(self.form)
        self.finish_layout()

    @property
    def form_shown(self) -> bool:
        return not self.form.isHidden()

    def show_form(self, on: bool) -> None:
        self.form.setVisible(on)
        self.line.setVisible(not on)

    def toggle_form(self) -> None:
        """Shift+F2: switch between the line and the fields, and put the cursor there."""
        self.show_form(not self.form_shown)
        self.focus_entry()

    def focus_entry(self) -> None:
        if self.form_shown:
            target = next((f for f in self.fields.values() if not f.text()), self.fields["systolic"])
            focus(target, Qt.FocusReason.ShortcutFocusReason)
        else:
            focus(self.line, Qt.FocusReason.ShortcutFocusReason)

    def clear_fields(self) -> None:
        for field in (self.line, *self.fields.values(), self.time_field):
            field.clear()
            clear_error(field)

    def load(self, entry: EntryInfo) -> None:
        reading = VitalsReading.from_payload(entry.payload)
        self.clear_fields()
        if self.form_shown:
            for attr, field in self.fields.items():
                value = getattr(reading, attr)
                field.setText("" if value is None else f"{value:g}" if isinstance(value, float) else str(value))
        else:
            self.line.setText(vitals_line(reading))

    def save_line(self) -> EntryInfo | None:
        assert self.ctx is not None
        text = self.line.text()
        try:
            body, when = split_time_suffix(text, self.ctx.now())
            reading = parse_vitals(body)
        except (VitalsError, EntryTimeError) as exc:
            self.say(exc.message, error=True)
            mark_error(self.line, exc.span)
            return None
        entry = self._record(reading, when)
        if entry is None:
            mark_error(self.line, _suffix_span(text, body, when))
        else:
            self.line.clear()
            clear_error(self.line)
        return entry

    def save_form(self) -> EntryInfo | None:
        assert self.ctx is not None
        values: dict[str, Any] = {}
        for attr, field in self.fields.items():
            try:
                values[attr] = validate_field(attr, field.text())
            except VitalsError as exc:
                self._field_error(attr, exc.message, exc.span)
                return None
        try:
            reading = VitalsReading(**values)
        except VitalsError as exc:
            self._field_error(exc.field or "systolic", exc.message, None)
            return None
        ok, when = self.entry_time(self.time_field)
        if not ok:
            return None
        entry = self._record(reading, when)
        if entry is not None:
            typing_here = any(f.hasFocus() for f in (*self.fields.values(), self.time_field))
            for field in (*self.fields.values(), self.time_field):
                field.clear()
                clear_error(field)
            if typing_here:  # ready for the next reading, as the line is
                focus(self.fields["systolic"], Qt.FocusReason.OtherFocusReason)
        return entry

    def _field_error(self, attr: str, message: str, span: tuple[int, int] | None) -> None:
        field = self.fields[attr]
        self.say(message, error=True)
        focus(field, Qt.FocusReason.OtherFocusReason)
        mark_error(field, span if span and span != (0, 0) else (0, len(field.text())))

    def _record(self, reading: VitalsReading, when: datetime | None) -> EntryInfo | None:
        """A reading before T0 is a pre-dose reading and is saved as the baseline."""
        assert self.ctx is not None
        correcting = self.correcting
        moment = when or (correcting.occurred_at if correcting is not None else self.ctx.now())
        dose_at = self.ctx.live.info.dose_at
        baseline = dose_at is None or moment < dose_at
        return self.commit("vitals", reading.to_payload() | {"baseline": baseline}, when)


# --------------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------------


class ObservationSection(Section):
    """Free text with the clinic's quick tags (Alt+1 … Alt+9) and a client-quote flag (Alt+Q)."""

    kinds = ("observation",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Observation", "F3 · Alt+1…9 tags · Alt+Q quote", parent)
        self.line = _line("What you notice; “quotes” or Alt+Q for the client's words; #tag", "observation line")
        self.line.returnPressed.connect(self.save)
        self.body.addWidget(self.line)
        self.tag_row = QWidget()
        self.tag_row.setProperty("plain", "true")
        self.tag_grid = QGridLayout(self.tag_row)
        self.tag_grid.setContentsMargins(0, 0, 0, 0)
        self.tag_grid.setSpacing(4)
        self.body.addWidget(self.tag_row)
        self.tag_buttons: list[QPushButton] = []
        self.quote_button = self._toggle("Alt+Q  quote")
        self.quote_button.setToolTip("The text is the client's own words (Alt+Q)")
        self.extra_tags: tuple[str, ...] = ()  # tags of a corrected entry the clinic no longer lists
        self.extra_label = _label("", "dim")
        self.extra_label.hide()
        self.body.addWidget(self.extra_label)
        self.finish_layout()

    @staticmethod
    def _toggle(text: str) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.setProperty("compact", "true")
        # A click must not pull the cursor out of the text line.
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.toggled.connect(lambda on, b=button: _restyle(b, "armed", "true" if on else "false"))
        return button

    def bind(self, ctx: RecordContext) -> None:
        for button in self.tag_buttons:
            button.deleteLater()
        self.tag_buttons = []
        per_row = 5
        for index, tag in enumerate(ctx.settings.quick_tags):
            button = self._toggle(f"{index + 1} {tag}")
            button.setToolTip(f"Tag “{tag}” (Alt+{index + 1})")
            self.tag_grid.addWidget(button, index // per_row, index % per_row)
            self.tag_buttons.append(button)
        self.tag_grid.removeWidget(self.quote_button)
        count = len(self.tag_buttons)
        self.tag_grid.addWidget(self.quote_button, count // per_row, count % per_row)
        super().bind(ctx)

    @property
    def known_tags(self) -> tuple[str, ...]:
        return self.ctx.settings.quick_tags if self.ctx is not None else ()

    def selected_tags(self) -> list[str]:
        chosen = [tag for tag, button in zip(self.known_tags, self.tag_buttons) if button.isChecked()]
        return [*chosen, *self.extra_tags]

    def toggle_tag(self, index: int) -> None:
        """Alt+<n>: toggle the n-th tag and put the cursor in the line, ready for Enter."""
        if 0 <= index < len(self.tag_buttons):
            self.tag_buttons[index].toggle()
            focus(self.line, Qt.FocusReason.ShortcutFocusReason)

    def focus_entry(self) -> None:
        focus(self.line, Qt.FocusReason.ShortcutFocusReason)

    def toggle_quote(self) -> None:
        self.quote_button.toggle()
        focus(self.line, Qt.FocusReason.ShortcutFocusReason)

    def clear_fields(self) -> None:
        self.line.clear()
        clear_error(self.line)
        for button in (*self.tag_buttons, self.quote_button):
            button.setChecked(False)
        self._set_extra(())

    def _set_extra(self, tags: tuple[str, ...]) -> None:
        self.extra_tags = tags
        self.extra_label.setText("Also tagged (no longer a quick tag): " + ", ".join(tags) if tags else "")
        self.extra_label.setVisible(bool(tags))

    def load(self, entry: EntryInfo) -> None:
        observation = Observation.from_payload(entry.payload)
        self.clear_fields()
        self.line.setText(observation.text)
        keys = {t.casefold(): i for i, t in enumerate(self.known_tags)}
        extra = []
        for tag in observation.tags:
            if tag.casefold() in keys:
                self.tag_buttons[keys[tag.casefold()]].setChecked(True)
            else:
                extra.append(tag)
        self._set_extra(tuple(extra))
        self.quote_button.setChecked(observation.quote)

    def save(self) -> EntryInfo | None:
        assert self.ctx is not None
        text = self.line.text()
        try:
            body, when = split_time_suffix(text, self.ctx.now())
            observation = parse_observation(body, self.known_tags, tags=self.selected_tags(),
                                            quote=self.quote_button.isChecked())
        except (ObservationError, EntryTimeError) as exc:
            self.say(exc.message, error=True)
            mark_error(self.line, exc.span)
            return None
        entry = self.commit("observation", observation.to_payload(), when)
        if entry is None:
            mark_error(self.line, _suffix_span(text, body, when))
        else:
            self.clear_fields()
        return entry


# --------------------------------------------------------------------------------------------
# Scales
# --------------------------------------------------------------------------------------------


class ScalePad(QFrame):
    """The keyboard surface of the scale section; all state, no drawing of its own.

    Keys: digits score the current item (two digits for a 0–10 item: ``1`` then ``0``), ↑/↓ move
    between items, ←/→ or a scale's letter (M, D, B, N, A) switch scale, Backspace clears the item,
    Enter saves, Shift+Enter saves an incomplete scale (the client fell asleep), Esc clears the
    scale (or cancels a correction). Answers of each scale are kept while switching.
    """

    changed = Signal()
    submitted = Signal(bool)  # True: save even if incomplete
    escaped = Signal()

    LETTERS = {"moaas": "M", "cadss6": "D", "dissociation_0_10": "D", "bprs_plus": "B", "nausea": "N", "aldrete": "A"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scalepad")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("scale entry")
        self.definitions: tuple[ScaleDefinition, ...] = ()
        self.index = 0
        self.item_index: dict[str, int] = {}
        self.answers: dict[str, dict[str, int | None]] = {}
        self._pending: tuple[str, int] | None = None  # (item key, first digit) awaiting a second
        self._paint_focus(False)

    def set_definitions(self, definitions: Sequence[ScaleDefinition]) -> None:
        self.definitions = tuple(definitions)
        self.index = 0
        self.item_index = {d.key: 0 for d in self.definitions}
        self.answers = {d.key: {i.key: None for i in d.items} for d in self.definitions}
        self._pending = None
        self.changed.emit()

    @property
    def definition(self) -> ScaleDefinition:
        return self.definitions[self.index]

    @property
    def current_item(self) -> int:
        return self.item_index.get(self.definition.key, 0)

    def select_scale(self, key: str) -> bool:
        for index, definition in enumerate(self.definitions):
            if definition.key == key:
                self.index = index
                self._pending = None
                self.changed.emit()
                return True
        return False

    def set_answers(self, key: str, answers: dict[str, int]) -> None:
        definition = next(d for d in self.definitions if d.key == key)
        self.answers[key] = {i.key: answers.get(i.key) for i in definition.items}
        self.item_index[key] = 0
        self.changed.emit()

    def clear_scale(self) -> None:
        definition = self.definition
        self.answers[definition.key] = {i.key: None for i in definition.items}
        self.item_index[definition.key] = 0
        self._pending = None
        self.changed.emit()

    def current_answers(self) -> dict[str, int | None]:
        return dict(self.answers.get(self.definition.key, {}))

    def move_item(self, step: int) -> None:
        count = len(self.definition.items)
        self.item_index[self.definition.key] = max(0, min(count - 1, self.current_item + step))
        self._pending = None
        self.changed.emit()

    def type_digit(self, digit: int) -> bool:
        """Score the current item; False when the digit is outside its range (nothing changes)."""
        definition = self.definition
        item = definition.items[self.current_item]
        if self._pending is not None and self._pending[0] == item.key:
            combined = self._pending[1] * 10 + digit
            self._pending = None
            if item.low <= combined <= item.high:
                self.answers[definition.key][item.key] = combined
                self._advance()
                self.changed.emit()
                return True
        if not item.low <= digit <= item.high:
            return False
        self.answers[definition.key][item.key] = digit
        if digit * 10 <= item.high:  # a second digit could follow (1 → 10 on a 0–10 item)
            self._pending = (item.key, digit)
        else:
            self._advance()
        self.changed.emit()
        return True

    def _advance(self) -> None:
        self._pending = None
        if self.current_item < len(self.definition.items) - 1:
            self.item_index[self.definition.key] = self.current_item + 1

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods == Qt.KeyboardModifier.NoModifier and Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
            self.type_digit(key - Qt.Key.Key_0)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit(bool(mods & Qt.KeyboardModifier.ShiftModifier))
            return
        if mods != Qt.KeyboardModifier.NoModifier:
            super().keyPressEvent(event)
            return
        if key == Qt.Key.Key_Up:
            self.move_item(-1)
        elif key == Qt.Key.Key_Down:
            self.move_item(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self.definitions:
            self.index = (self.index + (1 if key == Qt.Key.Key_Right else -1)) % len(self.definitions)
            self._pending = None
            self.changed.emit()
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.answers[self.definition.key][self.definition.items[self.current_item].key] = None
            self._pending = None
            self.changed.emit()
        elif key == Qt.Key.Key_Escape:
            self.escaped.emit()
        elif event.text().upper() in set(self.LETTERS.values()):
            letter = event.text().upper()
            key_for = next((d.key for d in self.definitions if self.LETTERS.get(d.key) == letter), None)
            if key_for is not None:
                self.select_scale(key_for)
        else:
            super().keyPressEvent(event)

    # A focus frame: digits go wherever focus is, so where it is must be plain to see.
    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt name)
        self._paint_focus(True)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt name)
        self._paint_focus(False)
        self._pending = None
        super().focusOutEvent(event)

    def _paint_focus(self, focused: bool) -> None:
        theme = current_theme()
        colour = theme.accent if focused else theme.border
        width = 2 if focused else 1
        self.setStyleSheet(
            f"QFrame#scalepad {{ background: transparent; border: {width}px solid {colour}; border-radius: 6px; }}"
        )


class ScaleSection(Section):
    """MOAA/S, the clinic's dissociation scale, BPRS+, nausea and the modified Aldrete."""

    kinds = ("scale",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scale", "F4", parent)
        self.pad = ScalePad()
        inner = QVBoxLayout(self.pad)
        inner.setContentsMargins(8, 6, 8, 6)
        inner.setSpacing(3)
        self.scales_label = _label("", "dim", wrap=True)
        self.scales_label.setTextFormat(Qt.TextFormat.RichText)
        self.items_label = _label("", "", wrap=True)
        self.items_label.setTextFormat(Qt.TextFormat.RichText)
        self.anchors_label = _label("", "dim", wrap=True)
        self.anchors_label.setTextFormat(Qt.TextFormat.RichText)
        self.total_label = _label("", "status", wrap=True)
        self.hint_label = _label("", "dim", wrap=True)
        self.vitals_hint = _label("", "dim", wrap=True)
        for widget in (self.scales_label, self.items_label, self.anchors_label, self.total_label, self.vitals_hint,
                       self.hint_label):
            inner.addWidget(widget)
        self.body.addWidget(self.pad)
        self.pad.changed.connect(self.render)
        self.pad.submitted.connect(lambda partial: self.save(partial=partial))
        self.pad.escaped.connect(self._escape)
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        self.pad.set_definitions(ctx.settings.in_session_scales())
        super().bind(ctx)
        self.render()

    def focus_entry(self) -> None:
        focus(self.pad, Qt.FocusReason.ShortcutFocusReason)

    def clear_fields(self) -> None:
        if self.pad.definitions:
            self.pad.clear_scale()

    def load(self, entry: EntryInfo) -> None:
        payload = entry.payload
        key = payload.get("scale")
        if not isinstance(key, str) or not self.pad.select_scale(key):
            raise ValueError(f"the scale {key!r} is not one of this clinic's in-session scales")
        answers = payload.get("answers") or {}
        self.pad.set_answers(key, {k: int(v) for k, v in answers.items() if v is not None})

    def _escape(self) -> None:
        if self.correcting is not None:
            self.cancel_correction()
            self.say("Correction cancelled; nothing was saved.")
        else:
            self.pad.clear_scale()
            self.say("")

    def render(self) -> None:
        pad = self.pad
        if not pad.definitions:
            return
        definition = pad.definition
        names = []
        for d in pad.definitions:
            name = f"{escape(ScalePad.LETTERS.get(d.key, ''))} {escape(d.name)}"
            names.append(f"<b>[{name}]</b>" if d is definition else name)
        self.scales_label.setText("  ·  ".join(names))
        answers = pad.current_answers()
        rows = []
        for index, item in enumerate(definition.items):
            value = answers.get(item.key)
            words = item.anchor(value) if value is not None else None
            shown = "–" if value is None else str(value)
            text = f"{escape(item.label)} ({item.range_text}): <b>{shown}</b>"
            if words:
                text += f" — {escape(words)}"
            marker = "›" if index == pad.current_item else "&nbsp;&nbsp;"
            rows.append(f"{marker} {text}")
        self.items_label.setText("<br>".join(rows))
        item = definition.items[pad.current_item]
        chosen = answers.get(item.key)
        anchors = []
        for anchor in sorted(item.anchors, key=lambda a: -a.value):
            text = f"{anchor.value}&nbsp;&nbsp;{escape(anchor.text)}"
            anchors.append(f"<b>{text}</b>" if anchor.value == chosen else text)
        # Sentences (MOAA/S, Aldrete) read best one per line; single words (CADSS) fit on one.
        long_words = any(len(a.text) > 16 for a in item.anchors)
        self.anchors_label.setText(("<br>" if long_words else "  ·  ").join(anchors))
        self._render_total(definition, answers)
        self.vitals_hint.setVisible(definition.key == ALDRETE.key)
        if definition.key == ALDRETE.key:
            self.vitals_hint.setText(self._aldrete_hint())
        digits = f"{item.low}–{item.high}"
        self.hint_label.setText(
            f"{digits} score · ↑↓ item · ←→ or letter: scale · Enter save · Shift+Enter save incomplete · Esc clear"
        )

    def _render_total(self, definition: ScaleDefinition, answers: dict[str, int | None]) -> None:
        done = sum(v is not None for v in answers.values())
        if done < len(definition.items):
            self._total(f"{done} of {len(definition.items)} items scored", "status")
            return
        result = score(definition, {k: v for k, v in answers.items() if v is not None})
        if definition.key == ALDRETE.key and self.ctx is not None:
            threshold = self.ctx.settings.aldrete_discharge_score
            high = definition.total_range[1]
            if discharge_ready(result, threshold=threshold):
                self._total(f"Total {result.total} / {high} — ≥ {threshold}: meets discharge score", "title")
            else:
                self._total(f"Total {result.total} / {high} — below {threshold}: does not meet the discharge score",
                            "message")
            return
        self._total(summarize(definition, result), "status")

    def _total(self, text: str, role: str) -> None:
        self.total_label.setText(text)
        _restyle(self.total_label, "role", role)

    def _aldrete_hint(self) -> str:
        """What the latest reading says about circulation and SpO₂; the clinician still scores them,
        because only they know whether the client is on oxygen."""
        if self.ctx is None:
            return ""
        latest = self.ctx.latest("vitals")
        if latest is None:
            return "No reading yet to compare with the baseline."
        try:
            reading = VitalsReading.from_payload(latest.payload)
        except VitalsError:
            return ""
        parts = [f"Latest reading {_local(latest.occurred_at)}:"]
        base = baseline_entry(self.ctx.entries(), self.ctx.live.info.dose_at)
        if base is not None and reading.systolic is not None:
            baseline = VitalsReading.from_payload(base.payload)
            if baseline.systolic is not None:
                item = aldrete_circulation_score(reading, baseline)
                parts.append(f"systolic {reading.systolic} vs baseline {baseline.systolic} → circulation {item};")
        if reading.spo2 is not None:
            parts.append(f"SpO₂ {reading.spo2}% → {aldrete_spo2_score(reading.spo2, False)} on room air "
                         f"({aldrete_spo2_score(reading.spo2, True)} on oxygen)")
        return " ".join(parts)

    def save(self, *, partial: bool = False) -> EntryInfo | None:
        definition = self.pad.definition
        answers = {k: v for k, v in self.pad.current_answers().items() if v is not None}
        try:
            result: ScaleResult = score(definition, answers, allow_partial=partial)
        except ScaleError as exc:
            self.say(f"{exc.message}. Shift+Enter saves it as incomplete." if not partial else exc.message, error=True)
            if exc.item in definition.item_keys:
                self.pad.item_index[definition.key] = definition.item_keys.index(exc.item)
                self.render()
            return None
        if not result.answers:
            self.say(f"Nothing to save: score {definition.name} with the digit keys first.", error=True)
            return None
        entry = self.commit("scale", result.to_payload(), None)
        if entry is not None:
            self.pad.clear_scale()
        return entry


# --------------------------------------------------------------------------------------------
# Doses
# --------------------------------------------------------------------------------------------

_AMOUNT_FIELD_RE = re.compile(r"\s*(?P<num>[0-9]+(?:[.,][0-9]+)?)\s*(?P<unit>\S.*?)?\s*\Z")


class DoseSection(Section):
    """Drug, amount with unit (``100 mg`` or ``0.5 mg/kg``), route, weight, lot, given by, booster, time."""

    kinds = ("dose",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dose", "Alt+D", parent)
        self.drug = QComboBox()
        self.drug.setAccessibleName("drug")
        self.amount = _line("100 mg  or  0.5 mg/kg", "amount")
        self.route = QComboBox()
        self.route.setAccessibleName("route")
        for route in Route:
            self.route.addItem(f"{route.abbreviation} {route.value}", route)
        self.weight = _line("kg (for mg/kg)", "weight kg")
        self.lot = _line("lot number", "lot")
        self.given_by = _line("who gave it", "given by")
        self.booster = QCheckBox("Booster")
        self.time_field = _line("now", "dose time")
        self.time_field.setToolTip("Empty: now. Or 10:35, or -5m for five minutes ago")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        for row, pairs in enumerate((
            (("Drug", self.drug), ("Amount", self.amount)),
            (("Route", self.route), ("Weight", self.weight)),
            (("Lot", self.lot), ("Given by", self.given_by)),
            (("Time", self.time_field), ("", self.booster)),
        )):
            for column, (title, widget) in enumerate(pairs):
                grid.addWidget(_label(title, "dim"), row, column * 2)
                grid.addWidget(widget, row, column * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.body.addLayout(grid)
        for line in (self.amount, self.weight, self.lot, self.given_by, self.time_field):
            line.returnPressed.connect(self.save)
        self._enter = _EnterFilter(self.save, self)
        for widget in (self.drug, self.route, self.booster):
            widget.installEventFilter(self._enter)
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        self.drug.clear()
        for name in ctx.formulary.names:
            self.drug.addItem(name, name)
        super().bind(ctx)
        self.reset_defaults()

    def focus_entry(self) -> None:
        if self.correcting is None:
            self.refresh_defaults()
        focus(self.amount, Qt.FocusReason.ShortcutFocusReason)

    def refresh_defaults(self) -> None:
        """Entries recorded since the form was last cleared (preparation, a first dose) may change its
        defaults; only fields the clinician has not touched follow them."""
        if self.ctx is None:
            return
        if not self.weight.text() and not self.weight.isModified():
            preparation = self.ctx.latest("preparation")
            weight = preparation.payload.get("weight_kg") if preparation is not None else None
            if isinstance(weight, (int, float)) and not isinstance(weight, bool):
                self.weight.setText(f"{weight:g}")
        if not self.amount.text():
            self.booster.setChecked(self.ctx.latest("dose") is not None)

    def reset_defaults(self) -> None:
        """The protocol's drug and route, the client's weight from preparation, the acting clinician;
        booster ticked once a dose is already recorded."""
        if self.ctx is None:
            return
        protocol = self.ctx.live.info.protocol
        drug = self.ctx.formulary.find(protocol.drug)
        self.drug.setCurrentIndex(max(self.drug.findData(drug.name), 0) if drug is not None else 0)
        try:
            route = Route.parse(protocol.route)
        except DoseError:
            route = None
        self.route.setCurrentIndex(max(self.route.findData(route), 0) if route is not None else 0)
        preparation = self.ctx.latest("preparation")
        weight = preparation.payload.get("weight_kg") if preparation is not None else None
        self.weight.setText(f"{weight:g}" if isinstance(weight, (int, float)) and not isinstance(weight, bool) else "")
        self.given_by.setText(self.ctx.clinician_name)
        self.booster.setChecked(self.ctx.latest("dose") is not None)

    def clear_fields(self) -> None:
        for line in (self.amount, self.lot, self.time_field):
            line.clear()
        for line in (self.amount, self.weight, self.lot, self.given_by, self.time_field):
            clear_error(line)
        self.reset_defaults()

    def load(self, entry: EntryInfo) -> None:
        dose = Dose.from_payload(entry.payload)
        self.clear_fields()
        self.drug.setCurrentIndex(max(self.drug.findData(dose.drug), 0))
        if dose.mg_per_kg is not None:
            self.amount.setText(f"{dose.mg_per_kg:g} mg/kg")
            self.weight.setText(f"{dose.weight_kg:g}" if dose.weight_kg is not None else "")
        else:
            self.amount.setText(f"{dose.amount_mg:g} mg")
        self.route.setCurrentIndex(max(self.route.findData(dose.route), 0))
        self.lot.setText(dose.lot or "")
        self.given_by.setText(dose.given_by)
        self.booster.setChecked(dose.booster)

    def save(self) -> EntryInfo | None:
        assert self.ctx is not None
        text = self.amount.text()
        match = _AMOUNT_FIELD_RE.fullmatch(text)
        amount: str | None = match.group("num") if match else text
        unit = match.group("unit") if match else None
        num_span = match.span("num") if match else (0, len(text))
        unit_span = match.span("unit") if match and match.group("unit") else (0, len(text))
        weight: float | None = None
        weight_text = self.weight.text().strip()
        if weight_text:
            try:
                weight = float(weight_text.replace(",", "."))
            except ValueError:
                self._error(self.weight, f"The client's weight must be a number of kg, not ‘{weight_text[:20]}’", None)
                return None
        ok, when = self.entry_time(self.time_field)
        if not ok:
            return None
        entry = DoseEntry(
            drug=str(self.drug.currentData() or ""),
            amount=amount,
            unit=unit,
            route=self.route.currentData(),
            given_by=self.given_by.text(),
            lot=self.lot.text(),
            booster=self.booster.isChecked(),
            weight_kg=weight,
        )
        try:
            dose = entry.validate(self.ctx.formulary)
        except DoseError as exc:
            widget, span = {
                "drug": (self.drug, None),
                "amount": (self.amount, num_span),
                "unit": (self.amount, unit_span),
                "route": (self.route, None),
                "lot": (self.lot, None),
                "given_by": (self.given_by, None),
                "weight_kg": (self.weight, None),
            }.get(exc.field or "", (self.amount, None))
            self._error(widget, exc.message, span)
            return None
        warning = "; ".join(dose.warnings)
        saved = self.commit("dose", dose.to_payload(), when, extra=warning, extra_error=bool(warning))
        if saved is not None:
            self.clear_fields()
        return saved

    def _error(self, widget: QWidget, message: str, span: tuple[int, int] | None) -> None:
        self.say(message, error=True)
        focus(widget, Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            mark_error(widget, span if span is not None else (0, len(widget.text())))


# --------------------------------------------------------------------------------------------
# Presence and hand-off
# --------------------------------------------------------------------------------------------


class PresenceSection(Section):
    """Who is in the room (a provider must be present throughout) and any hand-off."""

    kinds = ("presence",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Presence", "Alt+P", parent)
        self.present = _line("names, separated by commas", "present")
        self.handoff = _line("hand-off to (empty if none)", "hand-off to")
        self.note = _line("note (optional)", "presence note")
        self.time_field = _line("now", "presence time")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        for row, (title, widget) in enumerate((("Present", self.present), ("Hand-off", self.handoff),
                                               ("Note", self.note), ("Time", self.time_field))):
            grid.addWidget(_label(title, "dim"), row, 0)
            grid.addWidget(widget, row, 1)
            widget.returnPressed.connect(self.save)
        self.body.addLayout(grid)
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        super().bind(ctx)
        self.reset_defaults()

    def focus_entry(self) -> None:
        focus(self.present, Qt.FocusReason.ShortcutFocusReason)
        self.present.selectAll()

    def reset_defaults(self) -> None:
        if self.ctx is None:
            return
        latest = self.ctx.latest("presence")
        names = latest.payload.get("present") if latest is not None else None
        self.present.setText(", ".join(names) if names else self.ctx.clinician_name)

    def clear_fields(self) -> None:
        for line in (self.handoff, self.note, self.time_field):
            line.clear()
        for line in (self.present, self.handoff, self.note, self.time_field):
            clear_error(line)
        self.reset_defaults()

    def load(self, entry: EntryInfo) -> None:
        payload = entry.payload
        self.clear_fields()
        self.present.setText(", ".join(str(n) for n in payload.get("present") or []))
        self.handoff.setText(str(payload.get("handoff_to") or ""))
        self.note.setText(str(payload.get("note") or ""))

    def save(self) -> EntryInfo | None:
        names = [" ".join(n.split()) for n in re.split(r"[,;]", self.present.text()) if n.strip()]
        handoff = " ".join(self.handoff.text().split()) or None
        if not names:
            self.say("Who is present? Type the names, separated by commas.", error=True)
            focus(self.present, Qt.FocusReason.OtherFocusReason)
            mark_error(self.present, (0, len(self.present.text())))
            return None
        ok, when = self.entry_time(self.time_field)
        if not ok:
            return None
        payload = {"present": names, "handoff_to": handoff, "note": self.note.text().strip()}
        entry = self.commit("presence", payload, when)
        if entry is not None:
            self.clear_fields()
        return entry


# --------------------------------------------------------------------------------------------
# Esketamine REMS monitoring answers
# --------------------------------------------------------------------------------------------

# A REMS sitting is at least two hours; more than ten is a typo.
REMS_MAX_MINUTES = 600


class RemsSection(Section):
    """The two REMS monitoring-form answers the record cannot derive by itself.

    Everything else on the form (medicines, dose and lot, vitals, sedation, dissociation, pulse
    oximetry, minutes of monitoring) comes from the session's own entries in the report.
    """

    kinds = ("rems",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("REMS", "Alt+R", parent)
        self.adverse = _line("serious adverse events (empty if none)", "serious adverse events")
        self.ready = _line("minutes after the first spray (e.g. 75)", "ready to leave without the 2-hour rule")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        for row, (title, widget) in enumerate((("Serious adverse events", self.adverse),
                                               ("Ready without the 2-h rule at", self.ready))):
            grid.addWidget(_label(title, "dim"), row, 0)
            grid.addWidget(widget, row, 1)
            widget.returnPressed.connect(self.save)
        self.body.addLayout(grid)
        self.finish_layout()

    def focus_entry(self) -> None:
        focus(self.adverse, Qt.FocusReason.ShortcutFocusReason)

    def clear_fields(self) -> None:
        for line in (self.adverse, self.ready):
            line.clear()
            clear_error(line)

    def load(self, entry: EntryInfo) -> None:
        self.clear_fields()
        self.adverse.setText(str(entry.payload.get("serious_adverse_events") or ""))
        minutes = entry.payload.get("ready_without_2h_minutes")
        self.ready.setText("" if minutes is None else str(minutes))

    def save(self) -> EntryInfo | None:
        text = self.ready.text().strip()
        minutes: int | None = None
        if text:
            if not text.isdigit() or not 0 < int(text) <= REMS_MAX_MINUTES:
                self.say(f"“{text}” is not a number of minutes: type whole minutes after the first spray, "
                         f"1 to {REMS_MAX_MINUTES}.", error=True)
                focus(self.ready, Qt.FocusReason.OtherFocusReason)
                mark_error(self.ready, (0, len(text)))
                return None
            minutes = int(text)
        payload = {"serious_adverse_events": " ".join(self.adverse.text().split()), "ready_without_2h_minutes": minutes}
        entry = self.commit("rems", payload, None)
        if entry is not None:
            self.clear_fields()
        return entry
