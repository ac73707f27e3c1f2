"""Preparation before dosing, and the inline panel that asks for an override at the dose.

The preparation pane records the client's intention in their own words, the checklist, the
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
    CONTRAINDICATIONS, MEDICATIONS, PreparationError, PrepItem, checklist_for, current_preparation, make_preparation,
    unanswered_safety_items,
)
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
            ("contraindications", "Contraindications", CONTRAINDICATIONS),
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

        self.weight = QLineEdit()
        self.weight.setPlaceholderText("kg, optional (for mg/kg doses)")
        self.weight.setAccessibleName("Weight in kg")
        self.weight.setMaximumWidth(260)
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
        left.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(group_boxes["contraindications"])
        right.addSpacing(8)
        right.addLayout(group_boxes["medications"])
        right.addSpacing(8)
        weight_label = QLabel("Weight (kg)")
        weight_label.setStyleSheet("font-weight: 600;")
        right.addWidget(weight_label)
        right.addWidget(self.weight)
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

        # Tab order follows reading order: intention, checklist, screen, medicines, weight, save.
        chain: list[QWidget] = [self.intention, *self.rows["checklist"].values(), *self.rows["contraindications"].values(),
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
        weight = preparation.weight_kg
        self.weight.setText(f"{weight:g}" if weight is not None else "")
        self._answers_changed()

    def preparation(self) -> Preparation:
        """The form as a :class:`Preparation`; raises PreparationError for a bad weight."""
        text = self.weight.text().strip().replace(",", ".")
        weight: float | None = None
        if text:
            try:
                weight = float(text.removesuffix("kg").strip())
            except ValueError:
                raise PreparationError(f"Weight ‘{self.weight.text().strip()}’ is not a number of kg", "weight_kg") from None
        return make_preparation(
            self.intention.toPlainText(),
            {k: r.value for k, r in self.rows["checklist"].items()},
            {k: r.value for k, r in self.rows["contraindications"].items()},
            {k: r.value for k, r in self.rows["medications"].items()},
            weight,
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
            problems = unanswered_safety_items(self.preparation())
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
        self.items: list[str] = []
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

    def ask(self, items: Sequence[str]) -> None:
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
