"""Preparation before dosing, and the inline panel that asks for an override at the dose.

The preparation pane records the client's intention in their own words, the checklist, the
suicidality question (beside the client's last PHQ-9 item-9 answer), the protocol's
contraindication screen, concomitant medicines and (optionally) the weight for mg/kg doses, as
one ``preparation`` entry. Saving again records a correction that supersedes the previous entry:
the record keeps every version (product.md, "The record").

Every control is reached with Tab. A yes/no item takes the keyboard itself: Y answers yes, N no,
Backspace or Delete clears it back to "not answered". Nothing here opens a dialog or takes focus
by itself; problems are said in one quiet line.

:class:`~kapdesk.ui.kit.ChoiceRow` (a focusable row answered by keys) comes from the widget kit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from kapdesk.domain.entries import Preparation
from kapdesk.domain.preparation import (
    MEDICATIONS, SELF_HARM, GateItem, PreparationError, PrepItem, checklist_for, contraindications_for,
    current_preparation, make_preparation, unanswered_safety_items,
)
from kapdesk.domain.suicidality import latest_item9
from kapdesk.domain.weight import WeightError, format_weight, parse_weight
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.kit import ChoiceRow, focus, see_through, set_role

if TYPE_CHECKING:
    from kapdesk.session import LiveSession

YES_NO: tuple[tuple[bool, str, Qt.Key], ...] = ((True, "Yes", Qt.Key.Key_Y), (False, "No", Qt.Key.Key_N))


def yes_no_row(item: PrepItem) -> ChoiceRow:
    return ChoiceRow(item.key, item.label, YES_NO, tooltips=("Y", "N"))


class PreparationPane(QFrame):
    """The preparation form for one session; each save commits a ``preparation`` entry.

    Shortcuts (while focus is inside the pane): Ctrl+S saves. Y / N / Backspace answer the
    focused yes/no item.
    """

    saved = Signal(object)  # EntryInfo of the committed preparation entry

    def __init__(self, live: LiveSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.live = live
        self.checklist_items = checklist_for(live.info.protocol.drug)
        self.screen = contraindications_for(live.info.protocol)
        title = QLabel("Preparation")
        title.setProperty("role", "title")

        self.intention = QPlainTextEdit()
        self.intention.setTabChangesFocus(True)
        self.intention.setPlaceholderText("The client's intention, in their own words")
        self.intention.setAccessibleName("Intention")
        self.intention.setFixedHeight(90)

        self.rows: dict[str, dict[str, ChoiceRow]] = {"checklist": {}, "contraindications": {}, "medications": {}}
        groups = (
            ("checklist", "Checklist", self.checklist_items),
            ("contraindications", "Contraindications", self.screen),
            ("medications", "Concomitant medicines", MEDICATIONS),
        )
        group_boxes: dict[str, QVBoxLayout] = {}
        for group, heading, items in groups:
            box = QVBoxLayout()
            box.setSpacing(2)
            label = QLabel(heading)
            label.setStyleSheet("font-weight: 600;")
            box.addWidget(label)
            for item in items:
                row = yes_no_row(item)
                row.changed.connect(self._answers_changed)
                self.rows[group][item.key] = row
                box.addWidget(row)
            group_boxes[group] = box

        # Suicidality: asked at every visit, beside the last PHQ-9 item 9 the record holds.
        self.self_harm = yes_no_row(SELF_HARM)
        self.self_harm.changed.connect(self._answers_changed)
        self.last_item9 = QLabel("")
        self.last_item9.setWordWrap(True)
        set_role(self.last_item9, "status")
        suicidality = QVBoxLayout()
        suicidality.setSpacing(2)
        suicidality_label = QLabel("Since the last visit")
        suicidality_label.setStyleSheet("font-weight: 600;")
        suicidality.addWidget(suicidality_label)
        suicidality.addWidget(self.self_harm)
        suicidality.addWidget(self.last_item9)

        self.weight = QLineEdit()
        self.weight.setPlaceholderText("70 kg or 154 lb, optional (for mg/kg doses)")
        self.weight.setAccessibleName("Weight with its unit, kg or lb")
        self.weight.setMaximumWidth(260)
        self.weight_shown = QLabel("")  # the weight as kept, in both units: "69.85 kg (154 lb)"
        set_role(self.weight_shown, "status")
        self.weight.textChanged.connect(self._weight_changed)
        self.save_button = QPushButton(f"Save preparation  {keymap.key('preparation.save')}")
        self.save_button.clicked.connect(self.save)
        keymap.shortcuts("preparation.save", self, self.save)
        self.open_items = QLabel("")  # the count, amber while any is open
        self.open_list = QLabel("")  # which ones, dim: a wall of amber would shout
        self.open_list.setWordWrap(True)
        set_role(self.open_list, "status")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        set_role(self.message, "status")
        hint = QLabel("Tab moves between items · Y yes · N no · Backspace clears")
        hint.setProperty("role", "dim")

        content = QWidget()
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        intention_label = QLabel("Intention")
        intention_label.setStyleSheet("font-weight: 600;")
        left = QVBoxLayout()
        left.addWidget(intention_label)
        left.addWidget(self.intention)
        left.addLayout(group_boxes["checklist"])
        left.addSpacing(8)
        left.addLayout(suicidality)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(group_boxes["contraindications"])
        right.addSpacing(8)
        right.addLayout(group_boxes["medications"])
        right.addSpacing(8)
        weight_label = QLabel("Weight")
        weight_label.setStyleSheet("font-weight: 600;")
        right.addWidget(weight_label)
        right.addWidget(self.weight)
        right.addWidget(self.weight_shown)
        right.addStretch(1)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        see_through(scroll, scroll.viewport(), content)

        bottom = QHBoxLayout()
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.open_items)
        layout.addWidget(self.open_list)
        layout.addLayout(bottom)

        # Tab order follows reading order: intention, checklist, suicidality, screen, medicines, weight, save.
        chain: list[QWidget] = [self.intention, *self.rows["checklist"].values(), self.self_harm,
                                *self.rows["contraindications"].values(),
                                *self.rows["medications"].values(), self.weight, self.save_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        self.load()

    def focus_first(self) -> None:
        """The cursor to the end of the intention, where the form's typing starts."""
        focus(self.intention, Qt.FocusReason.ShortcutFocusReason)
        self.intention.moveCursor(QTextCursor.MoveOperation.End)

    # -- reading and writing ------------------------------------------------------------------
    def load(self) -> None:
        """Fill the form from the session's current preparation entry (if there is one)."""
        found = current_preparation(self.live.entries())
        preparation = found[1] if found is not None else Preparation()
        self.intention.setPlainText(preparation.intention)
        for group, rows in self.rows.items():
            answers = getattr(preparation, group)
            for key, row in rows.items():
                row.set_value(answers.get(key))
        self.self_harm.set_value(preparation.self_harm_thoughts)
        weight = preparation.weight_kg
        self.weight.setText(f"{weight:g} kg" if weight is not None else "")
        self.show_last_item9()
        self._answers_changed()

    def show_last_item9(self) -> None:
        """The client's last PHQ-9 item-9 answer with its date (amber when above 0), or that none is recorded."""
        try:
            answer = latest_item9(self.live.outcomes())
        except StoreError as exc:
            self.last_item9.setText(f"Last PHQ-9 item 9 could not be read: {exc}")
            return
        if answer is None:
            self.last_item9.setText("Last PHQ-9 item 9: no PHQ-9 recorded")
            set_role(self.last_item9, "status")
        else:
            self.last_item9.setText(f"Last {answer.describe()}")
            set_role(self.last_item9, "message" if answer.positive else "status")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        # A PHQ-9 may have been taken on its page since the pane was built.
        self.show_last_item9()
        super().showEvent(event)

    def preparation(self) -> Preparation:
        """The form as a :class:`Preparation`; raises PreparationError for a bad weight."""
        weight: float | None = None
        if self.weight.text().strip():
            try:
                weight = parse_weight(self.weight.text())
            except WeightError as exc:
                raise PreparationError(exc.message, "weight_kg") from None
        return make_preparation(
            self.intention.toPlainText(),
            {k: r.value for k, r in self.rows["checklist"].items()},
            {k: r.value for k, r in self.rows["contraindications"].items()},
            {k: r.value for k, r in self.rows["medications"].items()},
            weight,
            screen=self.screen,
            self_harm_thoughts=self.self_harm.value,
        )

    def save(self) -> None:
        """Commit the form as a new entry; a second save supersedes the first (a correction)."""
        try:
            preparation = self.preparation()
        except PreparationError as exc:
            self._say(f"Not saved: {exc.message}.", error=True)
            if exc.field == "weight_kg":
                self.weight.setFocus()
            return
        try:
            found = current_preparation(self.live.entries())
            previous = found[0] if found is not None else None
            if previous is not None and previous.data == preparation:
                self._say("Nothing changed since the last save.")
                return
            entry = self.live.record(preparation, supersedes=previous.id if previous is not None else None)
        except StoreError as exc:
            self._say(f"Not saved: {exc}.", error=True)
            return
        when = entry.recorded_at.astimezone().strftime("%H:%M")
        self._say(f"Preparation saved {when}" + (" (a correction of the earlier one)." if previous is not None else "."))
        self.saved.emit(entry)

    # -- display ------------------------------------------------------------------------------
    def _answers_changed(self, _value: object = None) -> None:
        try:
            problems = unanswered_safety_items(self.preparation(), self.live.info.protocol)
        except PreparationError:
            return
        if problems:
            count = len(problems)
            self.open_items.setText(f"{count} safety item{'s' if count != 1 else ''} open before dosing:")
            self.open_list.setText(" · ".join(problems))
            set_role(self.open_items, "message")
        else:
            self.open_items.setText("Every safety item is answered.")
            self.open_list.setText("")
            set_role(self.open_items, "status")

    def _weight_changed(self, text: str) -> None:
        try:
            self.weight_shown.setText(f"kept as {format_weight(parse_weight(text))}" if text.strip() else "")
        except WeightError:
            self.weight_shown.setText("")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "message" if error else "status")


class SafetyOverridePanel(QFrame):
    """Inline, non-modal question shown when a gate finds open items (the dose, or ending the session).

    The session view calls :meth:`ask` with the gate's problems (``dose_gate(...)`` by default);
    the panel shows them with a reason line. Ctrl+Return (or the button) confirms with the reason
    — an empty reason is refused in place —, Esc cancels. On ``confirmed`` the session view records
    the ``safety_override`` entry (``make_override(panel.items, reason)``) and then marks T0.
    Focus moves to the reason line in :meth:`ask` because the clinician has just pressed Dose:
    it answers their action, it is not stolen.

    The words and keys default to the dose gate's; another gate passes its own (the discharge
    gate: "End the session despite open discharge items?", ``end_override.*`` keys).
    """

    confirmed = Signal(str)  # the reason typed
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None, *, heading: str = "Dose despite open safety items?",
                 placeholder: str = "Reason for dosing anyway (required, kept in the record)",
                 confirm_text: str = "Dose anyway", refused: str = "Type the reason first: it goes into the record "
                 "with the dose.", keys: str = "override") -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.items: list[GateItem | str] = []
        self._refused = refused
        heading_label = QLabel(heading)
        heading_label.setProperty("role", "message")
        heading_label.setStyleSheet("font-weight: 600;")
        self.list_label = QLabel("")
        self.list_label.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(placeholder)
        self.reason.setAccessibleName("Override reason")
        self.reason.returnPressed.connect(self.confirm)
        self.confirm_button = QPushButton(f"{confirm_text}  {keymap.key(f'{keys}.confirm')}")
        self.confirm_button.setProperty("armed", "true")
        self.confirm_button.clicked.connect(self.confirm)
        self.cancel_button = QPushButton(f"Cancel  {keymap.key(f'{keys}.cancel')}")
        self.cancel_button.clicked.connect(self.cancel)
        keymap.shortcuts(f"{keys}.confirm", self, self.confirm)
        keymap.shortcuts(f"{keys}.cancel", self, self.cancel)
        self.message = QLabel("")
        self.message.setProperty("role", "message")
        row = QHBoxLayout()
        row.addWidget(self.reason, 1)
        row.addWidget(self.confirm_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading_label)
        layout.addWidget(self.list_label)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.hide()

    def ask(self, items: Sequence[GateItem | str]) -> None:
        """Show ``items`` (the dose gate's open items) and put the cursor in the reason line."""
        self.items = list(items)
        self.list_label.setText("\n".join(f"• {item}" for item in self.items))
        self.reason.clear()
        self.message.clear()
        self.show()
        self.reason.setFocus()

    def confirm(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            self.message.setText(self._refused)
            self.reason.setFocus()
            return
        self.hide()
        self.confirmed.emit(reason)

    def cancel(self) -> None:
        self.hide()
        self.cancelled.emit()
