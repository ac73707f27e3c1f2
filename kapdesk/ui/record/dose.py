"""The dose section: drug, amount (mg or mg/kg), route, weight, lot, given by, booster, time;
the infusion words in the same amount line; the session total beside it.

The rules are the domain's: :mod:`kapdesk.domain.doses` (what a dose is), :mod:`~kapdesk.domain.weight`
(a weight needs its unit), :mod:`~kapdesk.domain.dose_limits` (refused above a maximum; a second
Enter to record a dose outside the typical range) and :mod:`~kapdesk.domain.infusions` (an IV
infusion as a period). This widget only asks them and says what they answer.
"""

from __future__ import annotations

import dataclasses
import re

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLineEdit, QWidget

from kapdesk.domain.dose_limits import review_dose
from kapdesk.domain.doses import Dose, DoseEntry, DoseError, Route
from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.infusions import infusion_periods, parse_infusion_command
from kapdesk.domain.preparation import preparation_weight
from kapdesk.domain.weight import WeightError, format_weight, parse_weight
from kapdesk.ui import keymap
from kapdesk.ui.kit import EnterFilter, clear_error, focus, make_label, mark_error, text_line
from kapdesk.ui.record.base import RecordContext, Section, local_time
from kapdesk.ui.record.infusion import InfusionLine, session_summary

_AMOUNT_FIELD_RE = re.compile(r"\s*(?P<num>[0-9]+(?:[.,][0-9]+)?)\s*(?P<unit>\S.*?)?\s*\Z")
SECOND_ENTER = "Enter again to record it as confirmed, or correct it."
SUMMARY_REFRESH_MS = 30_000  # a running infusion's total moves with the clock


class DoseSection(Section):
    """Drug, amount with unit (``100 mg`` or ``0.5 mg/kg``), route, weight, lot, given by, booster, time.

    The amount line also takes the infusion words (``infusion 0.5 mg/kg over 40 min``, ``rate 0.5
    mg/kg/h``, ``pause``, ``resume``, ``stop``). A dose the limits question needs a second Enter
    with nothing changed; any edit asks again.
    """

    kinds = (Kind.DOSE, Kind.INFUSION_START, Kind.INFUSION_CHANGE)  # an infusion entry loads as its words

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dose", keymap.key("record.dose"), parent)
        self.drug = QComboBox()
        self.drug.setAccessibleName("drug")
        self.amount = text_line("100 mg · 0.5 mg/kg · infusion 0.5 mg/kg over 40 min", "amount")
        self.amount.setToolTip("A dose: 100 mg or 0.5 mg/kg. An IV infusion: infusion 0.5 mg/kg over 40 min, "
                               "infusion 0.75 mg/kg/h; then rate 0.5 mg/kg/h, pause, resume, stop")
        self.route = QComboBox()
        self.route.setAccessibleName("route")
        for route in Route:
            self.route.addItem(f"{route.abbreviation} {route.value}", route)
        self.weight = text_line("70 kg or 154 lb", "weight")
        self.weight.setToolTip("The client's weight with its unit (kg or lb), for mg/kg doses; kept in kg")
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
        # Beside the line: the weight in both units, the drug's session total against its maximum,
        # and a running infusion. Dim: it is information, not a problem.
        self.summary = make_label("", "dim", wrap=True)
        self.body.addWidget(self.summary)
        for line in (self.amount, self.weight, self.lot, self.given_by, self.time_field):
            line.returnPressed.connect(self.save)
        self._enter = EnterFilter(self.save, self)
        for widget in (self.drug, self.route, self.booster):
            widget.installEventFilter(self._enter)
        self.weight.textChanged.connect(lambda _text: self.refresh_summary())
        self.drug.currentIndexChanged.connect(lambda _index: self.refresh_summary())
        self._pending: tuple[object, ...] | None = None  # what a first Enter asked about
        self.infusion = InfusionLine(self)
        self._timer = QTimer(self)
        self._timer.setInterval(SUMMARY_REFRESH_MS)
        self._timer.timeout.connect(self.refresh_summary)
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        self.drug.clear()
        for name in ctx.formulary.names:
            self.drug.addItem(name, name)
        super().bind(ctx)
        self.reset_defaults()
        self._timer.start()

    def focus_entry(self) -> None:
        if self.correcting is None:
            self.refresh_defaults()
        self.refresh_summary()
        focus(self.amount, Qt.FocusReason.ShortcutFocusReason)

    def refresh_defaults(self) -> None:
        """Entries recorded since the form was last cleared (preparation, a first dose) may change its
        defaults; only fields the clinician has not touched follow them."""
        if self.ctx is None:
            return
        if not self.weight.text() and not self.weight.isModified():
            weight = preparation_weight(self.ctx.entries())
            if weight is not None:
                self.weight.setText(f"{weight:g} kg")
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
        self.weight.setText(f"{weight:g} kg" if weight is not None else "")
        self.given_by.setText(self.ctx.clinician_name)
        self.booster.setChecked(self.ctx.latest(Dose) is not None)
        self.refresh_summary()

    def clear_fields(self) -> None:
        for line in (self.amount, self.lot, self.time_field):
            line.clear()
        for line in (self.amount, self.weight, self.lot, self.given_by, self.time_field):
            clear_error(line)
        self._pending = None
        self.reset_defaults()

    def load(self, entry: EntryInfo) -> None:
        dose = entry.data
        if entry.kind in (Kind.INFUSION_START, Kind.INFUSION_CHANGE):
            self.clear_fields()
            self.infusion.load(entry)
            return
        if not isinstance(dose, Dose):
            raise TypeError("the stored dose cannot be read")
        self.clear_fields()
        self.drug.setCurrentIndex(max(self.drug.findData(dose.drug), 0))
        if dose.mg_per_kg is not None:
            self.amount.setText(f"{dose.mg_per_kg:g} mg/kg")
            self.weight.setText(f"{dose.weight_kg:g} kg" if dose.weight_kg is not None else "")
        else:
            self.amount.setText(f"{dose.amount_mg:g} mg")
        self.route.setCurrentIndex(max(self.route.findData(dose.route), 0))
        self.lot.setText(dose.lot or "")
        self.given_by.setText(dose.given_by)
        self.booster.setChecked(dose.booster)

    # -- reading the form ---------------------------------------------------------------------
    def read_weight(self) -> tuple[bool, float | None]:
        """``(ok, kg or None when blank)``; a bad weight is said and marked."""
        text = self.weight.text()
        if not text.strip():
            return True, None
        try:
            return True, parse_weight(text)
        except WeightError as exc:
            self.error(self.weight, exc.message, exc.span)
            return False, None

    def session_mg_before(self, drug: str) -> float:
        """The drug's session total now (infusions counted to this moment), without the dose being
        corrected (a correction replaces it)."""
        assert self.ctx is not None
        entries = list(self.ctx.entries())
        facts = dataclasses.replace(self.ctx.live.facts(entries), infusions=infusion_periods(entries, self.ctx.now()))
        total = facts.session_mg(drug)
        old = self.correcting.data if self.correcting is not None else None
        if isinstance(old, Dose) and old.drug.casefold() == drug.casefold():
            total -= old.amount_mg
        return max(round(total, 3), 0.0)

    def confirmed(self, questions: tuple[str, ...], signature: tuple[object, ...],
                  span: tuple[int, int] | None) -> bool:
        """True when ``questions`` are answered: none, or this is the second Enter on the same form.
        Otherwise say them (the dose is not saved) and remember what was asked."""
        if not questions or self._pending == (signature, questions):
            return True
        self.error(self.amount, f"{'; '.join(questions)}. {SECOND_ENTER}", span)
        self._pending = (signature, questions)
        return False

    def signature(self) -> tuple[object, ...]:
        return (self.drug.currentData(), self.amount.text().strip(), self.route.currentData(),
                self.weight.text().strip(), self.booster.isChecked(), self.lot.text().strip())

    # -- saving -------------------------------------------------------------------------------
    def save(self) -> EntryInfo | None:
        assert self.ctx is not None
        text = self.amount.text()
        try:
            command = parse_infusion_command(text)
        except DoseError as exc:
            self.error(self.amount, exc.message, exc.span)
            return None
        mismatch = self.infusion.correction_mismatch(command)
        if mismatch:
            self.error(self.amount, mismatch, (0, len(text)))
            return None
        if command is not None:
            return self.infusion.save(command)
        match = _AMOUNT_FIELD_RE.fullmatch(text)
        amount: str | None = match.group("num") if match else text
        unit = match.group("unit") if match else None
        num_span = match.span("num") if match else (0, len(text))
        unit_span = match.span("unit") if match and match.group("unit") else (0, len(text))
        ok, weight = self.read_weight()
        if not ok:
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
        spans = {"amount": num_span, "unit": unit_span}
        try:
            dose = entry.validate(self.ctx.formulary)
            review = review_dose(dose, self.ctx.settings.dose_limits, weight_kg=weight,
                                 session_mg_before=self.session_mg_before(dose.drug))
        except DoseError as exc:
            widget = {"drug": self.drug, "route": self.route, "lot": self.lot, "given_by": self.given_by,
                      "weight_kg": self.weight}.get(exc.field or "", self.amount)
            self.error(widget, exc.message, spans.get(exc.field or "") if widget is self.amount else None)
            return None
        if not self.confirmed(review.questions, self.signature(), (0, len(text))):
            return None
        if review.questions:
            dose = dataclasses.replace(dose, confirmed=review.questions)
        warning = "; ".join(dose.warnings)
        saved = self.commit(dose, when, extra=warning, extra_error=bool(warning))
        if saved is not None:
            self.clear_fields()
        return saved

    def error(self, widget: QWidget, message: str, span: tuple[int, int] | None) -> None:
        """Say what is wrong and mark it; any earlier question is void (it must be asked again)."""
        self._pending = None
        self.say(message, error=True)
        focus(widget, Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            mark_error(widget, span if span is not None else (0, len(widget.text())))

    # -- the line beside the form -------------------------------------------------------------
    def refresh_summary(self) -> None:
        """Weight in both units · the drug's session total against its maximum · a running infusion."""
        if self.ctx is None:
            return
        parts: list[str] = []
        try:
            weight = parse_weight(self.weight.text()) if self.weight.text().strip() else None
        except WeightError:
            weight = None
        if weight is not None:
            parts.append(f"Weight {format_weight(weight)}")
        drug = str(self.drug.currentData() or "")
        entries = list(self.ctx.entries())
        periods = infusion_periods(entries, self.ctx.now())
        facts = dataclasses.replace(self.ctx.live.facts(entries), infusions=periods)
        if drug:
            parts.append(session_summary(drug, facts, self.ctx.settings.dose_limits))
        parts += [self.infusion.describe(p, local_time) for p in periods if p.open]
        self.summary.setText(" · ".join(p for p in parts if p))
