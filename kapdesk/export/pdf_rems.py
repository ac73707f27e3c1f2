"""The esketamine REMS patient monitoring form's fields, as the PDF report prints them.

The form's clinical answers are the record's facts (:mod:`kapdesk.domain.record`,
:mod:`kapdesk.domain.rems`): the dose time (``first_dose_at``: the earlier of T0 and the first
spray), which readings are "before dosing", "about 40 min after" (T+30 to T+50 only) and "at the
end" (``rems_blood_pressures``), whether the vitals were acceptable (``vitals_check``, measured
from the one baseline of ``find_baseline``, as the alert strip measures), the lowest SpO₂
(``lowest_reading``), whole minutes (``whole_minutes``), sedation and dissociation
(``sedation``, ``dissociation``), the serious adverse events recorded (``serious_adverse_events``,
beside the clinician's answer), first treatment and enrolment (``patient_facts``). A blank
answer reads "not answered", a reading that is not there "missing". This module only words them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import NOT_ANSWERED, EntryInfo, Preparation, RemsAnswers
from kapdesk.domain.record import (
    RecordFacts,
    first_dose_at,
    lowest_reading,
    minutes_between,
    record_facts,
    rems_blood_pressures,
    vitals_check,
    whole_minutes,
)
from kapdesk.domain.rems import (
    REMS_DRUG,
    Finding,
    dissociation,
    is_esketamine,
    patient_facts,
    sedation,
    serious_adverse_events,
)
from kapdesk.export.pdf_html import REMS_MEDICINES, bp_text, esc, number, yes_no

if TYPE_CHECKING:
    from kapdesk.export.pdf_sections import Report

__all__ = ["RemsFields"]


class RemsFields:
    """The form's rows for one report. T0 is the earlier of the marked dose time and the first spray."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.record = report.record
        facts = report.facts
        self.doses: list[tuple[EntryInfo, Dose]] = [(e, d) for e, d in facts.doses if is_esketamine(d.drug)]
        self.t0 = first_dose_at(facts, REMS_DRUG)
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
            ["First esketamine treatment", self.first_treatment()],
            ["Patient enrolled in the REMS", self.enrolment()],
            ["Sedation (MOAA/S 4 or below)", self.finding(sedation(self.record.entries, self.t0), "MOAA/S")],
            ["Dissociation (CADSS or rating above 0)",
             self.finding(dissociation(self.record.entries, self.t0), "dissociation rating")],
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
        return "<br/>".join(f"{esc(label)}: " + (f"{self.report.when(r.at)} <b>{esc(bp_text(r.reading))}</b>"
                                                 if r is not None else "<b>missing</b>")
                            for label, r in chosen)

    def finding(self, found: Finding, what: str) -> str:
        """Sedation or dissociation: yes/no from the record, with the time it was first seen."""
        if found.present is None:
            return f"<b>not recorded</b> — no {esc(what)} after the dose"
        if not found.present:
            plural = "s" if found.count != 1 else ""
            return f"<b>no</b> — {found.count} assessment{plural} after the dose, none positive"
        assert found.first is not None and found.worst is not None
        text = f"<b>yes</b> — first {self._result(found.first[0])}"
        if found.worst[0].id != found.first[0].id:
            text += f"; most marked {self._result(found.worst[0])}"
        return text

    def _result(self, entry: EntryInfo) -> str:
        return f"{self.report.when(entry.occurred_at)}: {esc(entry.describe())}"

    def first_treatment(self) -> str:
        facts = patient_facts(self.record.rems)
        return f"<b>{esc(yes_no(facts.first_treatment))}</b> — {esc(facts.first_treatment_why)}"

    def enrolment(self) -> str:
        facts = patient_facts(self.record.rems)
        if facts.enrolled is None or facts.enrolment_entry is None:
            return f"<b>{NOT_ANSWERED}</b>"
        entry = facts.enrolment_entry
        ref = f" ({esc(facts.enrolment)})" if facts.enrolment.strip() else ""
        return (f"<b>{esc(yes_no(facts.enrolled))}</b>{ref} — confirmed {self.report.stamp(entry.occurred_at)} "
                f"by {esc(entry.author_name)}")

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
        """The clinician's answer, and beside it the serious adverse events the record holds."""
        answers = self._answers()
        if answers is None or not answers.serious_adverse_events.strip():
            answer = f"<b>{NOT_ANSWERED}</b>"
        else:
            answer = esc(answers.serious_adverse_events)
        recorded = serious_adverse_events(self.record.entries)
        if not recorded:
            return f"{answer}<br/>Recorded in this session: no serious adverse event"
        events = "; ".join(f"<b>{esc(event.name)}</b> ({esc(event.severity.value)}, {esc(event.outcome.value)}) "
                           f"at {self.report.when(entry.occurred_at)}" for entry, event in recorded)
        return f"{answer}<br/>Recorded in this session as serious: {events}"

    def ready_without_2h(self) -> str:
        answers = self._answers()
        if answers is None or answers.ready_without_2h_minutes is None:
            return f"<b>{NOT_ANSWERED}</b>"
        return f"{esc(answers.ready_without_2h_minutes)} min after the first spray"

    def due(self) -> str:
        start = self.t0 or self.record.info.arrival_at
        by = (self.report.local(start) + timedelta(days=7)).date().isoformat()
        return f"Submit the REMS patient monitoring form within 7 days: <b>by {by}</b>"
