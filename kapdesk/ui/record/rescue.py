"""The rescue sections: a PRN rescue medication (Alt+M) and an adverse event (Alt+E).

Both are forms of the record pane's lower stack, by keyboard only: the key puts the cursor on the
first list (type a letter or use the arrows to choose), Tab moves on, Enter anywhere saves. The
rules — the clinic's PRN list, the drug's own unit, the clinic's maximum, "other" needs words —
are :mod:`kapdesk.domain.rescue`'s; these widgets only carry the fields there and the messages back.

The rescue medication's amount field is never pre-filled: the clinic's example amounts are shown
beside it as examples (product.md gives no rescue doses, and KAPDesk gives no dosing advice).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QLineEdit, QWidget

from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.rescue import (
    AdverseEvent,
    AdverseEventEntry,
    EventType,
    Outcome,
    RescueEntry,
    RescueError,
    RescueMedication,
    RescueRoute,
    Severity,
)
from kapdesk.ui import keymap
from kapdesk.ui.kit import (
    EnterFilter,
    clear_error,
    focus,
    make_label,
    mark_error,
    text_line,
)
from kapdesk.ui.record.base import RecordContext, Section, local_time

CHOOSE = "choose…"


def _grid(rows: Sequence[Sequence[tuple[str, QWidget]]]) -> QGridLayout:
    grid = QGridLayout()
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(6)
    grid.setVerticalSpacing(3)
    for row, pairs in enumerate(rows):
        for column, (title, widget) in enumerate(pairs):
            grid.addWidget(make_label(title, "dim"), row, column * 2)
            grid.addWidget(widget, row, column * 2 + 1)
    grid.setColumnStretch(1, 1)
    grid.setColumnStretch(3, 1)
    return grid


def _combo(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    return combo


def _fill(combo: QComboBox, members: Sequence[Enum], *, choose: bool) -> None:
    combo.clear()
    if choose:
        combo.addItem(CHOOSE, None)
    for member in members:
        combo.addItem(str(member.value), member)


class _Form(Section):
    """What both forms share: Enter saves from a list as from a line, and an error is pointed at."""

    def _enter_saves(self, lines: Sequence[QLineEdit], lists: Sequence[QWidget]) -> None:
        for line in lines:
            line.returnPressed.connect(self.save)
        self._enter = EnterFilter(self.save, self)
        for widget in lists:
            widget.installEventFilter(self._enter)

    def save(self) -> EntryInfo | None:  # pragma: no cover - both forms override
        raise NotImplementedError

    def _error(self, widget: QWidget, message: str, span: tuple[int, int] | None = None) -> None:
        self.say(message, error=True)
        focus(widget, Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            mark_error(widget, span if span is not None else (0, len(widget.text())))


class RescueSection(_Form):
    """A PRN rescue drug from the clinic's list: amount with its unit, route, device (oxygen),
    reason, lot, given by, time."""

    kinds = (Kind.RESCUE_MEDICATION,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Rescue medication (PRN)", keymap.key("record.rescue"), parent)
        self.drug = _combo("rescue drug")
        self.amount = text_line("amount and unit, e.g. 4 mg", "rescue amount")
        self.route = _combo("rescue route")
        self.device = _combo("oxygen device")
        self.reason = text_line("why: nausea, BP 190/110, agitation…", "rescue reason")
        self.lot = text_line("lot number (optional)", "rescue lot")
        self.given_by = text_line("who gave it", "rescue given by")
        self.time_field = text_line("now", "rescue time")
        self.time_field.setToolTip("Empty: now. Or 10:35, or -5m for five minutes ago")
        self.examples = make_label("", "dim", wrap=True)
        self.body.addLayout(_grid((
            (("Drug", self.drug), ("Amount", self.amount)),
            (("Route", self.route), ("Device", self.device)),
            (("Reason", self.reason), ("Lot", self.lot)),
            (("Given by", self.given_by), ("Time", self.time_field)),
        )))
        self.body.addWidget(self.examples)
        self.drug.currentIndexChanged.connect(self._drug_changed)
        self._enter_saves((self.amount, self.reason, self.lot, self.given_by, self.time_field),
                          (self.drug, self.route, self.device))
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        self.drug.blockSignals(True)
        self.drug.clear()
        for drug in ctx.settings.rescue.drugs:
            self.drug.addItem(f"{drug.name} — {drug.drug_class.value}", drug.name)
        self.drug.blockSignals(False)
        super().bind(ctx)
        self.reset_defaults()

    def focus_entry(self) -> None:
        if self.ctx is not None and not self.given_by.text():
            self.given_by.setText(self.ctx.clinician_name)
        focus(self.drug, Qt.FocusReason.ShortcutFocusReason)

    def _drug_changed(self) -> None:
        """The route and device lists and the examples line follow the chosen drug."""
        drug = self.ctx.settings.rescue.find(str(self.drug.currentData() or "")) if self.ctx else None
        self.route.clear()
        self.device.clear()
        if drug is None:
            self.examples.setText("The clinic lists no rescue drugs: add them to [[rescue.drugs]] in clinic.toml.")
            return
        for route in drug.routes:
            self.route.addItem(f"{route.abbreviation} {route.value}", route)
        for device in drug.devices:
            self.device.addItem(device, device)
        self.device.setEnabled(drug.is_oxygen)
        self.amount.setPlaceholderText(f"amount in {drug.unit.value}")
        examples = drug.examples_text()
        self.examples.setText(
            f"{drug.name} is recorded in {drug.unit.value}"
            + (f"; the clinic's examples (clinic.toml, not advice): {examples}" if examples else "")
            + (f"; the clinic's maximum: {drug.max_amount:g} {drug.unit.value}" if drug.max_amount else "") + ".")

    def reset_defaults(self) -> None:
        if self.ctx is None:
            return
        self.drug.setCurrentIndex(0 if self.drug.count() else -1)
        self._drug_changed()
        self.given_by.setText(self.ctx.clinician_name)

    def clear_fields(self) -> None:
        for line in (self.amount, self.reason, self.lot, self.time_field):
            line.clear()
        for line in (self.amount, self.reason, self.lot, self.given_by, self.time_field):
            clear_error(line)
        self.reset_defaults()

    def load(self, entry: EntryInfo) -> None:
        given = entry.data
        if not isinstance(given, RescueMedication):
            raise TypeError("the stored rescue medication cannot be read")
        self.clear_fields()
        index = self.drug.findData(given.drug)
        if index < 0:  # dropped from the clinic's list since: still shown, so the correction says why
            self.drug.addItem(f"{given.drug} — not on the clinic's list now", given.drug)
            index = self.drug.count() - 1
        self.drug.setCurrentIndex(index)
        self._drug_changed()
        self.amount.setText(given.amount_text())
        self.route.setCurrentIndex(max(self.route.findData(given.route), 0))
        if given.device:
            self.device.setCurrentIndex(max(self.device.findData(given.device), 0))
        self.reason.setText(given.reason)
        self.lot.setText(given.lot or "")
        self.given_by.setText(given.given_by)

    def save(self) -> EntryInfo | None:
        assert self.ctx is not None
        ok, when = self.entry_time(self.time_field)
        if not ok:
            return None
        route = self.route.currentData()
        entry = RescueEntry(
            drug=str(self.drug.currentData() or ""),
            amount=self.amount.text(),
            route=route if isinstance(route, RescueRoute) else None,
            reason=self.reason.text(),
            given_by=self.given_by.text(),
            lot=self.lot.text(),
            device=self.device.currentData() if self.device.isEnabled() else None,
        )
        try:
            given = entry.validate(self.ctx.settings.rescue)
        except RescueError as exc:
            widget = {"drug": self.drug, "amount": self.amount, "unit": self.amount, "route": self.route,
                      "device": self.device, "reason": self.reason, "lot": self.lot,
                      "given_by": self.given_by}.get(exc.field or "", self.amount)
            self._error(widget, exc.message, exc.span)
            return None
        saved = self.commit(given, when)
        if saved is not None:
            self.clear_fields()
        return saved


class AdverseEventSection(_Form):
    """An adverse event from the list, its severity and outcome, the rescue medication that treated
    it (this sitting's, newest first), a note, and its time."""

    kinds = (Kind.ADVERSE_EVENT,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Adverse event", keymap.key("record.adverse_event"), parent)
        self.event = _combo("adverse event")
        _fill(self.event, list(EventType), choose=True)
        self.detail = text_line("what happened (needed for ‘other’)", "adverse event detail")
        self.severity = _combo("severity")
        _fill(self.severity, list(Severity), choose=True)
        self.outcome = _combo("outcome")
        _fill(self.outcome, list(Outcome), choose=True)
        self.treated_with = _combo("treated with")
        self.note = text_line("note (optional)", "adverse event note")
        self.time_field = text_line("now", "adverse event time")
        self.time_field.setToolTip("Empty: now. Or 10:35, or -5m for five minutes ago")
        self.body.addLayout(_grid((
            (("Event", self.event), ("Detail", self.detail)),
            (("Severity", self.severity), ("Outcome", self.outcome)),
            (("Treated with", self.treated_with), ("Time", self.time_field)),
            (("Note", self.note),),
        )))
        self._enter_saves((self.detail, self.note, self.time_field),
                          (self.event, self.severity, self.outcome, self.treated_with))
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        super().bind(ctx)
        self.refresh_rescues()

    def focus_entry(self) -> None:
        if self.correcting is None:
            self.refresh_rescues()
        focus(self.event, Qt.FocusReason.ShortcutFocusReason)

    def refresh_rescues(self, keep: uuid.UUID | None = None) -> None:
        """The "treated with" list: none, then this sitting's rescue medications, newest first."""
        chosen = keep if keep is not None else self.treated_with.currentData()
        self.treated_with.clear()
        self.treated_with.addItem("none", None)
        if self.ctx is None:
            return
        given = sorted((e for e in self.ctx.entries() if e.current and isinstance(e.data, RescueMedication)),
                       key=lambda e: e.occurred_at, reverse=True)
        for entry in given:
            assert isinstance(entry.data, RescueMedication)
            self.treated_with.addItem(f"{local_time(entry.occurred_at)} {entry.data.format()}", entry.id)
        if chosen is not None and self.treated_with.findData(chosen) < 0:
            self.treated_with.addItem("an earlier version of a rescue medication", chosen)
        self.treated_with.setCurrentIndex(max(self.treated_with.findData(chosen), 0))

    def clear_fields(self) -> None:
        for combo in (self.event, self.severity, self.outcome):
            combo.setCurrentIndex(0)
        for line in (self.detail, self.note, self.time_field):
            line.clear()
            clear_error(line)
        self.refresh_rescues(keep=None)
        self.treated_with.setCurrentIndex(0)

    def load(self, entry: EntryInfo) -> None:
        event = entry.data
        if not isinstance(event, AdverseEvent):
            raise TypeError("the stored adverse event cannot be read")
        self.clear_fields()
        self.event.setCurrentIndex(self.event.findData(event.event))
        self.severity.setCurrentIndex(self.severity.findData(event.severity))
        self.outcome.setCurrentIndex(self.outcome.findData(event.outcome))
        self.detail.setText(event.detail)
        self.note.setText(event.note)
        self.refresh_rescues(keep=event.rescue)

    def save(self) -> EntryInfo | None:
        assert self.ctx is not None
        ok, when = self.entry_time(self.time_field)
        if not ok:
            return None
        linked = self.treated_with.currentData()
        entry = AdverseEventEntry(self.event.currentData(), self.severity.currentData(), self.outcome.currentData(),
                                  self.detail.text(), linked if isinstance(linked, uuid.UUID) else None,
                                  self.note.text())
        try:
            event = entry.validate()
        except RescueError as exc:
            widget = {"event": self.event, "detail": self.detail, "severity": self.severity,
                      "outcome": self.outcome, "note": self.note}.get(exc.field or "", self.event)
            self._error(widget, exc.message)
            return None
        saved = self.commit(event, when)
        if saved is not None:
            self.clear_fields()
        return saved
