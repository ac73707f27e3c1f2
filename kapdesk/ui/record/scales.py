"""The scale section: MOAA/S, dissociation, BPRS+, nausea and the modified Aldrete, scored by keys."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.scales import (
    ALDRETE, ScaleDefinition, ScaleError, ScaleResult, aldrete_circulation_score, aldrete_spo2_score, discharge_ready,
    score, summarize,
)
from kapdesk.ui import keymap
from kapdesk.ui.kit import focus, make_label, restyle
from kapdesk.ui.record.base import RecordContext, Section, local_time
from kapdesk.ui.theme import current_theme


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

    kinds = (Kind.SCALE,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scale", keymap.key("record.scale"), parent)
        self.pad = ScalePad()
        inner = QVBoxLayout(self.pad)
        inner.setContentsMargins(8, 6, 8, 6)
        inner.setSpacing(3)
        self.scales_label = make_label("", "dim", wrap=True)
        self.scales_label.setTextFormat(Qt.TextFormat.RichText)
        self.items_label = make_label("", "", wrap=True)
        self.items_label.setTextFormat(Qt.TextFormat.RichText)
        self.anchors_label = make_label("", "dim", wrap=True)
        self.anchors_label.setTextFormat(Qt.TextFormat.RichText)
        self.total_label = make_label("", "status", wrap=True)
        self.hint_label = make_label("", "dim", wrap=True)
        self.vitals_hint = make_label("", "dim", wrap=True)
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
        result = entry.data
        if not isinstance(result, ScaleResult):
            raise TypeError("the stored scale cannot be read")
        key = result.scale_key
        if not self.pad.select_scale(key):
            raise ValueError(f"the scale {key!r} is not one of this clinic's in-session scales")
        self.pad.set_answers(key, dict(result.answers))

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
        restyle(self.total_label, "role", role)

    def _aldrete_hint(self) -> str:
        """What the latest reading says about circulation and SpO₂; the clinician still scores them,
        because only they know whether the client is on oxygen."""
        if self.ctx is None:
            return ""
        facts = self.ctx.facts()
        latest = facts.latest
        if latest is None:
            return "No reading yet to compare with the baseline."
        reading = latest.reading
        parts = [f"Latest reading {local_time(latest.at)}:"]
        if facts.baseline is not None and reading.systolic is not None:
            baseline = facts.baseline.reading
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
        entry = self.commit(result, None)
        if entry is not None:
            self.pad.clear_scale()
        return entry
