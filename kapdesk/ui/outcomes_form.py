"""PHQ-9 and GAD-7 entry: nine or seven items scored 0–3, the total and band shown as they are answered.

Item labels are the short neutral paraphrases of :mod:`kapdesk.domain.scales`, not the
instruments' wording: the client answers the clinic's own form and the clinician keys in the
numbers. Scoring goes through ``scales.score`` so the total here is the total everywhere.

Keys: Tab moves from item to item; 0, 1, 2 or 3 answers the focused item (and moves on to the
next, so a whole form is typed as nine digits); Backspace clears it. Ctrl+S saves. A form with an
unanswered item is refused with a message naming the items, and nothing is saved.

Under the form, the measures saved for this sitting stay listed in the words of
``suicidality.outcome_summary``: a PHQ-9 whose item 9 is above 0 keeps its "⚑ item 9 = n" there,
not only in the message of the moment it was saved.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from kapdesk.domain.scales import GAD7, PHQ9, ScaleDefinition, ScaleError, score
from kapdesk.domain.suicidality import item9_marker, item9_positive, outcome_summary
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.kit import ChoiceRow, focus, scroll_into_view, set_role

if TYPE_CHECKING:
    from kapdesk.domain.info import OutcomeInfo
    from kapdesk.session import Clinic, LiveSession

MEASURES: tuple[ScaleDefinition, ...] = (PHQ9, GAD7)
_DIGITS = (Qt.Key.Key_0, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3)


class ScoreRow(ChoiceRow):
    """A 0–3 item; answering it with a digit moves the focus on to the next item."""

    def __init__(self, definition: ScaleDefinition, index: int, parent: QWidget | None = None) -> None:
        item = definition.items[index]
        choices = [(v, str(v), _DIGITS[v]) for v in range(item.low, item.high + 1)]
        tips = [f"{v}: {item.anchor(v) or ''}" for v in range(item.low, item.high + 1)]
        super().__init__(item.key, f"{index + 1}. {item.label}", choices, tooltips=tips, parent=parent)
        self.changed.connect(self._advance)

    def _advance(self, value: object) -> None:
        if value is not None and self.hasFocus():
            self.focusNextChild()


class OutcomesForm(QFrame):
    """Enter one PHQ-9 or GAD-7 for a client, tied to a sitting or not.

    ``OutcomesForm(live)`` records the measure for the client of the sitting ``live``, by its
    acting clinician, tied to that sitting; ``OutcomesForm(clinic=…, client_id=…, author_id=…)``
    records one outside any sitting. ``today`` is injected (a callable) so tests and a session
    resumed after midnight agree on the default date; with a sitting it defaults to the local
    date on the sitting's clock.
    """

    saved = Signal(object)  # OutcomeInfo of the committed measure

    def __init__(self, live: LiveSession | None = None, *, clinic: Clinic | None = None,
                 client_id: uuid.UUID | None = None, author_id: uuid.UUID | None = None,
                 today: Callable[[], date] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.live = live
        self.clinic = clinic
        if live is not None:
            self.client_id: uuid.UUID = live.info.client_id
            self.author_id: uuid.UUID = live.clinician_id
            self.session_id: uuid.UUID | None = live.id
            clock = live.clock
            self._today = today or (lambda: clock.utcnow().astimezone().date())
        else:
            if clinic is None or client_id is None or author_id is None:
                raise TypeError("OutcomesForm needs a live session, or a clinic, a client and an author")
            self.client_id, self.author_id, self.session_id = client_id, author_id, None
            self._today = today or date.today

        title = QLabel("Outcome measures")
        title.setProperty("role", "title")
        self.measure = QComboBox()
        for definition in MEASURES:
            self.measure.addItem(definition.name, definition.key)
        self.measure.setAccessibleName("Measure")
        self.measure.currentIndexChanged.connect(lambda _index: self._build_rows())
        self.taken_on = QDateEdit()
        self.taken_on.setDisplayFormat("yyyy-MM-dd")
        self.taken_on.setAccessibleName("Date taken")
        self.reset_date()
        self.legend = QLabel("")
        self.legend.setProperty("role", "dim")
        self.legend.setWordWrap(True)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(2)
        self.rows: list[ScoreRow] = []
        self.total = QLabel("")
        self.total.setStyleSheet("font-size: 20px;")
        self.save_button = QPushButton(f"Save  {keymap.key('outcomes.save')}")
        self.save_button.clicked.connect(self.save)
        keymap.shortcuts("outcomes.save", self, self.save)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        set_role(self.message, "status")
        self.recorded = QLabel("")  # the measures saved for this sitting, flags kept
        self.recorded.setWordWrap(True)
        self.recorded.setAccessibleName("Measures saved")
        self._saved: list[OutcomeInfo] = self._already_saved()

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel("Measure"))
        top.addWidget(self.measure)
        top.addWidget(QLabel("Taken on"))
        top.addWidget(self.taken_on)
        bottom = QHBoxLayout()
        bottom.addWidget(self.total, 1)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.legend)
        layout.addLayout(self.rows_box)
        layout.addLayout(bottom)
        layout.addWidget(self.message)
        layout.addWidget(self.recorded)
        layout.addStretch(1)
        self._build_rows()
        self._show_recorded()

    def focus_first(self) -> None:
        """The cursor on the first unanswered item (item 1 of a fresh form): the digits go there."""
        row = next((r for r in self.rows if r.value is None), self.rows[0] if self.rows else None)
        if row is not None:
            focus(row, Qt.FocusReason.ShortcutFocusReason)

    @property
    def definition(self) -> ScaleDefinition:
        return MEASURES[max(self.measure.currentIndex(), 0)]

    def reset_date(self) -> None:
        today = self._today()
        self.taken_on.setMaximumDate(QDate(today.year, today.month, today.day))
        self.taken_on.setDate(QDate(today.year, today.month, today.day))

    def answers(self) -> dict[str, int | None]:
        return {row.key: row.value for row in self.rows}

    def _build_rows(self) -> None:
        for row in self.rows:
            self.rows_box.removeWidget(row)
            row.deleteLater()
        definition = self.definition
        self.rows = [ScoreRow(definition, i) for i in range(len(definition.items))]
        previous: QWidget = self.taken_on
        for row in self.rows:
            row.changed.connect(self._update_total)
            self.rows_box.addWidget(row)
            row.show()  # at once: a layout shows a new child of a visible form only on the next event loop pass
            QWidget.setTabOrder(previous, row)
            previous = row
        QWidget.setTabOrder(previous, self.save_button)
        anchors = definition.items[0].anchors
        self.legend.setText(f"{definition.description}  " + " · ".join(f"{a.value} {a.text}" for a in anchors))
        self._update_total()

    def _update_total(self, _value: object = None) -> None:
        definition = self.definition
        answers = self.answers()
        missing = sum(1 for v in answers.values() if v is None)
        result = score(definition, answers, allow_partial=True)
        if missing:
            so_far = sum(v for v in answers.values() if v is not None)
            self.total.setText(f"{definition.name}: {so_far} so far · {missing} of {len(answers)} items to answer")
        else:
            result = score(definition, answers)
            self.total.setText(f"{definition.name} total {result.total} · {result.band}")
        marker = item9_marker(definition.key, answers)
        if marker:
            self.total.setText(f"{self.total.text()} · {marker}")
        set_role(self.total, "message" if result.flags else "")

    def save(self) -> None:
        """Score the form and commit it; an unanswered item or a future date saves nothing."""
        definition = self.definition
        try:
            result = score(definition, self.answers())
        except ScaleError as exc:
            self._say(f"Not saved: {exc.message}.", error=True)
            row = next((r for r in self.rows if r.key == exc.item), None)
            if row is not None:
                row.setFocus()
            return
        taken = self.taken_on.date()
        taken_on = date(taken.year(), taken.month(), taken.day())
        try:
            outcome = self._add(definition.key, dict(result.answers), int(result.total or 0), taken_on)
        except StoreError as exc:
            self._say(f"Not saved: {exc}.", error=True)
            return
        self._saved.append(outcome)
        self._show_recorded()
        text = f"{outcome_summary(outcome)} saved for {taken_on.isoformat()}."
        if result.flags:
            self._say(text + " " + " ".join(result.flags), error=True)
        else:
            self._say(text)
        for row in self.rows:
            row.set_value(None)
        self._update_total()
        self.saved.emit(outcome)

    def _add(self, measure: str, answers: dict[str, int | None], total: int, taken_on: date) -> OutcomeInfo:
        if self.live is not None:
            return self.live.add_outcome(measure, answers, total, taken_on)
        assert self.clinic is not None
        return self.clinic.add_outcome(self.client_id, measure, answers, total, self.author_id, taken_on)

    def _already_saved(self) -> list[OutcomeInfo]:
        """The sitting's measures saved before this form was opened (a resumed sitting); none
        without a sitting. A record that cannot be read leaves the list empty: saving still works."""
        if self.live is None:
            return []
        try:
            return [o for o in self.live.outcomes() if o.session_id == self.session_id]
        except StoreError:
            return []

    def _show_recorded(self) -> None:
        """One line per saved measure, in the shared words; attention colour while one is flagged."""
        lines = [f"{o.taken_on.isoformat()}  {outcome_summary(o)}" for o in self._saved]
        what = "Saved in this sitting" if self.live is not None else "Saved here"
        self.recorded.setText(f"{what}:\n" + "\n".join(lines) if lines else "")
        set_role(self.recorded, "message" if any(item9_positive(o) for o in self._saved) else "status")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "message" if error else "status")
        scroll_into_view(self.message)  # under nine items: below the fold on a laptop screen
