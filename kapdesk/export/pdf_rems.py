"""The esketamine REMS patient monitoring form's fields, as the PDF report prints them.

The form's clinical answers are the domain's: which readings are "before dosing", "about 40 min
after" and "at the end" (:func:`kapdesk.domain.series.rems_blood_pressures`), whether the vitals
were acceptable (:func:`kapdesk.domain.series.vitals_check`, measured from the one baseline of
:func:`kapdesk.domain.series.find_baseline`, as the alert strip measures), the lowest SpO₂
(:func:`kapdesk.domain.series.lowest_reading`), whole minutes (:func:`kapdesk.domain.series.whole_minutes`).
This module only words them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kapdesk.domain.entries import describe_entry
from kapdesk.domain.series import (
    current_readings,
    lowest_reading,
    minutes_between,
    rems_blood_pressures,
    vitals_check,
    whole_minutes,
)
from kapdesk.export.pdf_html import REMS_MEDICINES, bp_text, esc, number, yes_no

if TYPE_CHECKING:
    from kapdesk.export.pdf_sections import Report

__all__ = ["RemsFields"]


class RemsFields:
    """The form's rows for one report. T0 is the marked dose time, else the first esketamine spray."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.record = report.record
        doses = [e for e in report.current("dose") if str(e.payload.get("drug", "")).casefold() == "esketamine"]
        self.doses = doses
        first = min([e.occurred_at for e in doses], default=None)
        self.t0 = self.record.info.dose_at or first

    def rows(self) -> list[list[str]]:
        return [
            ["Concomitant medicines", self.medicines()],
            ["Dose and lot", self.dose()],
            ["Minutes from first spray (T0) to end of monitoring", self.monitoring_minutes()],
            ["Vital signs acceptable before dosing", self.acceptable(before=True)],
            ["Vital signs acceptable at the end", self.acceptable(before=False)],
            ["Blood pressure readings", self.blood_pressures()],
            ["Sedation (MOAA/S)", self.scale_results(("moaas",))],
            ["Dissociation", self.scale_results(("cadss6", "dissociation_0_10"))],
            ["Breathing (pulse oximetry)", self.oximetry()],
            ["Serious adverse events", self.rems_answer("serious_adverse_events")],
            ["Ready to leave without the 2-hour rule", self.rems_answer("ready_without_2h_minutes")],
            ["Form due", self.due()],
        ]

    def medicines(self) -> str:
        preparations = self.report.current("preparation")
        meds = preparations[-1].payload.get("medications") if preparations else None
        if not isinstance(meds, dict):
            return "not recorded"
        return "; ".join(f"{esc(label)}: <b>{esc(yes_no(meds.get(key)))}</b>" for key, label in REMS_MEDICINES)

    def dose(self) -> str:
        if not self.doses:
            return "no esketamine dose recorded"
        total = sum(float(e.payload.get("amount_mg") or 0) for e in self.doses)  # the sitting's dose: every spray
        box = f"{number(total)} mg" if total in (56, 84) else f"other ({number(total)} mg)"
        lots = sorted({str(e.payload["lot"]) for e in self.doses if e.payload.get("lot")})
        lot_text = f"lot {esc(', '.join(lots))}" if lots else "<b>no lot recorded</b>"
        return f"<b>{esc(box)}</b>, {lot_text}"

    def monitoring_minutes(self) -> str:
        end = self.record.info.ended_at
        if self.t0 is None:
            return "no first spray recorded"
        if end is None:
            return "monitoring has not ended"
        # Whole minutes, cut like a clock: 119 min 40 s is short of a 120-minute minimum.
        minutes = whole_minutes(minutes_between(self.t0, end))
        minimum = self.record.info.protocol.min_observation_minutes
        short = f" — <b>less than the {minimum} min minimum</b>" if minimum and minutes < minimum else ""
        return f"{minutes} min ({self.report.time(self.t0)} to {self.report.time(end)}){short}"

    def acceptable(self, *, before: bool) -> str:
        if self.t0 is None:
            return "no dose time recorded"
        check = vitals_check(self.record.entries, self.t0, before=before, rules=self.report.rules)
        if check is None:
            return "no reading recorded"
        when = f"{self.report.time(check.entry.occurred_at)}: {esc(check.reading.format())}"
        if check.acceptable:
            return f"yes — no alert threshold crossed ({when})"
        return f"<b>check</b> — {esc('; '.join(a.message for a in check.alerts))} ({when})"

    def blood_pressures(self) -> str:
        chosen = rems_blood_pressures(self.record.entries, self.t0)
        if not chosen:
            return "none recorded"
        return "<br/>".join(f"{esc(label)}: {self.report.when(e.occurred_at)} <b>{esc(bp_text(r))}</b>"
                            for label, e, r in chosen)

    def scale_results(self, keys: tuple[str, ...]) -> str:
        results = [e for e in self.report.current("scale") if e.payload.get("scale") in keys]
        if not results:
            return "not recorded"
        return "<br/>".join(f"{self.report.when(e.occurred_at)}: {esc(describe_entry('scale', e.payload))}"
                            for e in results)

    def oximetry(self) -> str:
        lowest = lowest_reading(self.record.entries, "spo2")
        if lowest is None:
            return "not recorded"
        count = sum(1 for _, r in current_readings(self.record.entries) if r.spo2 is not None)
        entry, reading = lowest
        low = self.report.rules.spo2_low
        flag = f"; <b>below {number(low)}%</b>" if low is not None and reading.spo2 < low else ""  # type: ignore[operator]
        return f"{count} readings, lowest {reading.spo2}% at {self.report.when(entry.occurred_at)}{flag}"

    def rems_answer(self, key: str) -> str:
        answers = self.report.current("rems")
        if not answers or answers[-1].payload.get(key) in (None, ""):
            return "<b>not recorded</b>"
        value = answers[-1].payload[key]
        return f"{esc(value)} min after the first spray" if key == "ready_without_2h_minutes" else esc(value)

    def due(self) -> str:
        start = self.t0 or self.record.info.arrival_at
        by = (self.report.local(start) + timedelta(days=7)).date().isoformat()
        return f"Submit the REMS patient monitoring form within 7 days: <b>by {by}</b>"
