"""The dose section: drug, amount (mg or mg/kg), route, weight, lot, given by, booster, time."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLineEdit, QWidget

from kapdesk.domain.doses import Dose, DoseEntry, DoseError, Route
from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.preparation import preparation_weight
from kapdesk.ui import keymap
from kapdesk.ui.kit import EnterFilter, clear_error, focus, make_label, mark_error, text_line
from kapdesk.ui.record.base import RecordContext, Section

_AMOUNT_FIELD_RE = re.compile(r"\s*(?P<num>[0-9]+(?:[.,][0-9]+)?)\s*(?P<unit>\S.*?)?\s*\Z")


class DoseSection(Section):
    """Drug, amount with unit (``100 mg`` or ``0.5 mg/kg``), route, weight, lot, given by, booster, time."""

    kinds = (Kind.DOSE,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dose", keymap.key("record.dose"), parent)
        self.drug = QComboBox()
        self.drug.setAccessibleName("drug")
        self.amount = text_line("100 mg  or  0.5 mg/kg", "amount")
        self.route = QComboBox()
        self.route.setAccessibleName("route")
        for route in Route:
            self.route.addItem(f"{route.abbreviation} {route.value}", route)
        self.weight = text_line("kg (for mg/kg)", "weight kg")
        self.lot = text_line("lot number", "lot")
        self.given_by = text_line("who gave it", "given by")
        self.booster = QCheckBox("Booster")
        self.time_field = text_line("now", "dose time")
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
                grid.addWidget(make_label(title, "dim"), row, column * 2)
                grid.addWidget(widget, row, column * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.body.addLayout(grid)
        for line in (self.amount, self.weight, self.lot, self.given_by, self.time_field):
            line.returnPressed.connect(self.save)
        self._enter = EnterFilter(self.save, self)
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
            weight = preparation_weight(self.ctx.entries())
            if weight is not None:
                self.weight.setText(f"{weight:g}")
        if not self.amount.text():
            self.booster.setChecked(self.ctx.latest(Dose) is not None)

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
        weight = preparation_weight(self.ctx.entries())
        self.weight.setText(f"{weight:g}" if weight is not None else "")
        self.given_by.setText(self.ctx.clinician_name)
        self.booster.setChecked(self.ctx.latest(Dose) is not None)

    def clear_fields(self) -> None:
        for line in (self.amount, self.lot, self.time_field):
            line.clear()
        for line in (self.amount, self.weight, self.lot, self.given_by, self.time_field):
            clear_error(line)
        self.reset_defaults()

    def load(self, entry: EntryInfo) -> None:
        dose = entry.data
        if not isinstance(dose, Dose):
            raise TypeError("the stored dose cannot be read")
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
        saved = self.commit(dose, when, extra=warning, extra_error=bool(warning))
        if saved is not None:
            self.clear_fields()
        return saved

    def _error(self, widget: QWidget, message: str, span: tuple[int, int] | None) -> None:
        self.say(message, error=True)
        focus(widget, Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            mark_error(widget, span if span is not None else (0, len(widget.text())))
