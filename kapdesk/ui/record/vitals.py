"""The vitals section: one quick line or six fields, and the line form of a reading."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLineEdit, QWidget

from kapdesk.domain.entries import EntryInfo, Kind, Vitals
from kapdesk.domain.observations import EntryTimeError, split_time_suffix
from kapdesk.domain.record import is_pre_dose
from kapdesk.domain.vitals import FIELD_ORDER, VITAL_BOUNDS, VitalsError, VitalsReading, parse_vitals, validate_field
from kapdesk.ui import keymap
from kapdesk.ui.kit import clear_error, focus, make_label, mark_error, text_line
from kapdesk.ui.record.base import Section, suffix_span

_FIELD_LABELS = {
    "systolic": "Sys",
    "diastolic": "Dia",
    "heart_rate": "HR",
    "spo2": "SpO₂",
    "resp_rate": "RR",
    "temperature_c": "Temp °C",
}



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

    kinds = (Kind.VITALS,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Vitals", f"{keymap.key('record.vitals')} line · {keymap.key('record.vitals_fields')} fields", parent)
        self.line = text_line("128/84 72 98 14   or   bp 128/84 hr 72 spo2 98 rr 14 t 36.8   (@10:35 or -5m: earlier)",
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
            field = text_line(bound.describe_range().split(" ")[0], _FIELD_LABELS[attr])
            field.setToolTip(f"{bound.label}, {bound.describe_range()}")
            field.returnPressed.connect(self.save_form)
            grid.addWidget(make_label(_FIELD_LABELS[attr], "dim"), 0, column)
            grid.addWidget(field, 1, column)
            self.fields[attr] = field
        self.time_field = text_line("now", "vitals time")
        self.time_field.setToolTip("Empty: now. Or 10:35, or -5m for five minutes ago")
        self.time_field.returnPressed.connect(self.save_form)
        grid.addWidget(make_label("Time", "dim"), 0, len(FIELD_ORDER))
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
        vitals = entry.data
        if not isinstance(vitals, Vitals):
            raise TypeError("the stored reading cannot be read")
        reading = vitals.reading
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
            mark_error(self.line, suffix_span(text, body, when))
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
        baseline = is_pre_dose(moment, self.ctx.live.info.dose_at)
        return self.commit(Vitals(reading, baseline), when)
