"""The esketamine REMS patient monitoring form's fields, as the PDF report prints them.

The form's clinical answers are the record's facts (:mod:`kapdesk.domain.record`): which readings
are "before dosing", "about 40 min after" and "at the end" (``rems_blood_pressures``), whether the
vitals were acceptable (``vitals_check``, measured from the one baseline of ``find_baseline``, as
the alert strip measures), the lowest SpO₂ (``lowest_reading``), whole minutes (``whole_minutes``).
This module only words them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import EntryInfo, Preparation, RemsAnswers
from kapdesk.domain.record import (
    RecordFacts,
    lowest_reading,
    minutes_between,
    record_facts,
    rems_blood_pressures,
    vitals_check,
    whole_minutes,
)
from kapdesk.domain.scales import ScaleResult
from kapdesk.export.pdf_html import REMS_MEDICINES, bp_text, esc, number, yes_no

if TYPE_CHECKING:
    from kapdesk.export.pdf_sections import Report

__all__ = ["RemsFields"]


class RemsFields:
    """The form's rows for one report. T0 is the marked dose time, else the first esketamine spray."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.record = report.record
        facts = report.facts
        # facts.doses are the current doses in time order: the first esketamine one is the first spray.
        self.doses: list[tuple[EntryInfo, Dose]] = [(e, d) for e, d in facts.doses if d.drug.casefold() == "esketamine"]
        first = self.doses[0][0].occurred_at if self.doses else None
        self.t0 = self.record.info.dose_at or first
        # The record's facts, read against the form's T0: the same rules (record_facts), a T0 the
        # form falls back to when the dose time was not marked.
        self.facts: RecordFacts = facts if self.t0 == facts.dose_at else record_facts(self.record.entries, self.t0)

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
            ["Serious adverse events", self.serious_adverse_events()],
            ["Ready to leave without the 2-hour rule", self.ready_without_2h()],
            ["Form due", self.due()],
        ]

    def medicines(self) -> str:
        preparations = self.record.of(Preparation)
        if not preparations:
            return "not recorded"
        meds = preparations[-1][1].medications
        return "; ".join(f"{esc(label)}: <b>{esc(yes_no(meds.get(key)))}</b>" for key, label in REMS_MEDICINES)

    def dose(self) -> str:
        if not self.doses:
            return "no esketamine dose recorded"
        total = sum(d.amount_mg for _, d in self.doses)  # the sitting's dose: every spray
        box = f"{number(total)} mg" if total in (56, 84) else f"other ({number(total)} mg)"
        lots = sorted({d.lot for _, d in self.doses if d.lot})
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
        check = vitals_check(self.facts, before=before, rules=self.report.rules)
        if check is None:
            return "no reading recorded"
        when = f"{self.report.time(check.timed.at)}: {esc(check.timed.reading.format())}"
        if check.acceptable:
            return f"yes — no alert threshold crossed ({when})"
        return f"<b>check</b> — {esc('; '.join(a.message for a in check.alerts))} ({when})"

    def blood_pressures(self) -> str:
        chosen = rems_blood_pressures(self.facts)
        if not chosen:
            return "none recorded"
        return "<br/>".join(f"{esc(label)}: {self.report.when(r.at)} <b>{esc(bp_text(r.reading))}</b>"
                            for label, r in chosen)

    def scale_results(self, keys: tuple[str, ...]) -> str:
        results = [e for e, result in self.record.of(ScaleResult) if result.scale_key in keys]
        if not results:
            return "not recorded"
        return "<br/>".join(f"{self.report.when(e.occurred_at)}: {esc(e.describe())}" for e in results)

    def oximetry(self) -> str:
        lowest = lowest_reading(self.facts.readings, "spo2")
        if lowest is None:
            return "not recorded"
        count = sum(1 for r in self.facts.readings if r.reading.spo2 is not None)
        spo2 = lowest.reading.spo2
        low = self.report.rules.spo2_low
        flag = f"; <b>below {number(low)}%</b>" if low is not None and spo2 is not None and spo2 < low else ""
        return f"{count} readings, lowest {spo2}% at {self.report.when(lowest.at)}{flag}"

    def _answers(self) -> RemsAnswers | None:
        answers = self.record.of(RemsAnswers)
        return answers[-1][1] if answers else None

    def serious_adverse_events(self) -> str:
        answers = self._answers()
        if answers is None or not answers.serious_adverse_events.strip():
            return "<b>not recorded</b>"
        return esc(answers.serious_adverse_events)

    def ready_without_2h(self) -> str:
        answers = self._answers()
        if answers is None or answers.ready_without_2h_minutes is None:
            return "<b>not recorded</b>"
        return f"{esc(answers.ready_without_2h_minutes)} min after the first spray"

    def due(self) -> str:
        start = self.t0 or self.record.info.arrival_at
        by = (self.report.local(start) + timedelta(days=7)).date().isoformat()
        return f"Submit the REMS patient monitoring form within 7 days: <b>by {by}</b>"
