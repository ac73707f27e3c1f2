"""The PDF report's text: the record as HTML sections, for ``pdf_report`` to lay out and paint.

Sections, top to bottom: the header (client pseudonym, clinicians, date, protocol, session times,
a DRAFT box when the note is unsigned or the session still running), preparation, doses, vitals
(baseline, peak, chart and table), scales and outcome measures, observations (client quotes
marked), presence and hand-off, the music that played, alerts and their acknowledgements, rescue
medication and adverse events (``pdf_rescue``), for esketamine sessions the REMS monitoring fields (``pdf_rems``), and the integration note with its
signature and addenda. Every entry that was corrected shows its current value marked
"corrected", the old value struck through.

The report computes no clinical fact of its own: the baseline, the peak reading, the rise, the
T+ labels and the durations are the record's facts (:attr:`SessionRecord.facts`, the functions
of :mod:`kapdesk.domain.record`) and the chart's data is ``series.chart_data``, the same ones
the screen uses, so paper and screen say the same thing about the same moment. Entries are read
by their payload type (:meth:`SessionRecord.of`) and worded by ``entry.describe()``.

No painting here: the sections are HTML, and the chart is a marker paragraph that ``pdf_report``
swaps for the chart ``pdf_chart`` draws from :meth:`Report.chart`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import cached_property

from kapdesk.domain.alerts import AlertRules, severity_label
from kapdesk.domain.clock import format_span, reminders_at
from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import (
    AlertAck,
    AlertRaised,
    DoseTime,
    EntryInfo,
    HANDOFF_BY,
    Handoff,
    Kind,
    MusicEvent,
    PhaseEntered,
    PhaseExtended,
    Preparation,
    Presence,
    DISCHARGE_GATE,
    DOSE_GATE,
    DischargeCheck,
    RemsAnswers,
    RemsPatient,
    SafetyOverride,
    SessionEnded,
    SessionStarted,
    Vitals,
)
from kapdesk.domain.alerting import raised_at
from kapdesk.domain.infusions import InfusionChange, InfusionPeriod, InfusionStart
from kapdesk.domain.weight import format_weight
from kapdesk.domain.info import SessionRecord
from kapdesk.domain.notes import SECTIONS
from kapdesk.domain.observations import Observation
from kapdesk.domain.preparation import SELF_HARM
from kapdesk.domain.preparation import item_label as item_label_of
from kapdesk.domain.record import (
    BaselineReading,
    first_dose_at,
    minutes_between,
    phase_segments,
    session_facts,
    whole_minutes,
)
from kapdesk.domain.rescue import AdverseEvent, RescueMedication
from kapdesk.domain.scales import ScaleResult
from kapdesk.domain.suicidality import ITEM9_ADVICE, outcome_summary, positive_item9s
from kapdesk.domain.discharge import earliest_discharge
from kapdesk.domain.series import ChartData, chart_data, chart_thresholds
from kapdesk.export import draft_reason, previous_versions, utc_iso
from kapdesk.export.pdf_chart import PdfChart
from kapdesk.export.pdf_html import bp_text, esc, number, table, yes_no
from kapdesk.export.pdf_rems import RemsFields
from kapdesk.export.pdf_rescue import rescue_section

__all__ = ["CHART_MARKER", "Report"]

# The paragraph text ``pdf_report`` replaces with the chart (HTML cannot name a custom object).
CHART_MARKER = "@@KAPDESK-VITALS-CHART@@"

# Payload types with a section of their own (or told by the header); anything else — a reading
# taken outside KAPDesk, a payload this build cannot read — appears under "Other entries" (never hidden).
_SHOWN_TYPES = (
    SessionStarted, PhaseEntered, PhaseExtended, DoseTime, SessionEnded, Vitals, Dose, ScaleResult, Observation,
    Presence, AlertRaised, AlertAck, MusicEvent, Preparation, SafetyOverride, RemsAnswers, DischargeCheck, RemsPatient,
)
_SHOWN_TYPES = (*_SHOWN_TYPES, RescueMedication, AdverseEvent)  # in "Rescue medication and adverse events"
_SHOWN_TYPES += (InfusionStart, InfusionChange)  # the doses section names each infusion period
_SHOWN_TYPES += (Handoff,)  # in "Presence and hand-off"


class Report:
    """Turns a record into the report's HTML and chart; holds the display zone.

    The record's derived facts are the record's own (:attr:`SessionRecord.facts`, computed once by
    :mod:`kapdesk.domain.record`); every section reads them from there.
    """

    def __init__(self, record: SessionRecord, rules: AlertRules, zone: tzinfo | None, generated_at: datetime) -> None:
        self.record = record
        self.rules = rules
        self.zone = zone  # None: this computer's zone, with its daylight-saving rules at each moment
        self.generated_at = generated_at
        self.info = record.info
        self.facts = record.facts
        self.date_text = self.local(record.info.arrival_at).date().isoformat()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone) if self.zone is not None else moment.astimezone()

    # -- small formatters ----------------------------------------------------------------------
    def time(self, moment: datetime | None) -> str:
        return "—" if moment is None else self.local(moment).strftime("%H:%M")

    def stamp(self, moment: datetime | None) -> str:
        return "—" if moment is None else self.local(moment).strftime("%Y-%m-%d %H:%M")

    def t_plus(self, moment: datetime) -> str:
        """The screen's label for ``moment`` (``T+45``, ``T-8``; see ``record.offset_label``), or
        '' before T0 is marked."""
        return self.facts.t_plus(moment) or ""

    def when(self, moment: datetime) -> str:
        """``10:05 T+45``: the clock time and, once T0 is marked, its T+ label."""
        return f"{self.time(moment)} {self.t_plus(moment)}".rstrip()

    # -- facts, from the domain ------------------------------------------------------------------
    @cached_property
    def chart_data(self) -> ChartData:
        """The live chart's data for this record (``series.chart_data``): points, baseline, doses,
        phases. The phases are the clock's segments at the end of the session, or at the last
        entry of one still in progress: the paper shows what the record holds, not the wall clock
        at printing time (a stale draft would otherwise stretch the time axis by days)."""
        record, info = self.record, self.info
        at = info.ended_at or max([info.arrival_at, *(e.occurred_at for e in record.entries)])
        facts = session_facts(record.entries, arrival=info.arrival_at, dose_at=info.dose_at, ended_at=info.ended_at)
        try:
            segments = phase_segments(info.protocol, facts, at)
        except (IndexError, KeyError, TypeError):
            segments = ()  # phase marks this protocol cannot place (an edited protocol): no bands, still a report
        return chart_data(record.entries, arrival=info.arrival_at, dose_at=info.dose_at, segments=segments,
                          facts=self.facts)

    def chart(self) -> PdfChart:
        data = self.chart_data
        return PdfChart(data, chart_thresholds(data, self.rules), data.x_range())

    @property
    def baseline(self) -> BaselineReading | None:
        """The record's baseline (``record.find_baseline``, the one rule the screen and the chart use)."""
        return self.facts.baseline

    def corrected(self, entry: EntryInfo, describe: Callable[[EntryInfo], str] | None = None) -> str:
        """For a correction: 'corrected' with every earlier version struck through; else ''."""
        older = previous_versions(entry, self.record.entries)
        if not older:
            return ""
        describe = describe or EntryInfo.describe
        why = f" ({esc(entry.note)})" if entry.note else ""
        was = "; ".join(f"<s>{esc(describe(e))}</s>" for e in older)
        return (f"<br/><span class='small'><b>corrected</b> {self.time(entry.recorded_at)} by "
                f"{esc(entry.author_name)}{why}; was: {was}</span>")

    # -- the document --------------------------------------------------------------------------
    def html(self) -> str:
        parts = [self.header(), self.item9(), self.preparation(), self.doses(), self.vitals(), self.scales(), self.observations(),
                 self.presence(), self.music(), self.alerts()]
        parts.append(rescue_section(self))
        parts.append(self.discharge())
        if self.info.protocol.drug.casefold() == "esketamine":
            parts.append(self.rems())
        parts += [self.note(), self.other_entries()]
        return "<html><body>" + "".join(parts) + "</body></html>"

    def header(self) -> str:
        info, record = self.info, self.record
        clinicians = [info.clinician_name]
        clinicians += sorted({e.author_name for e in record.entries} - {info.clinician_name})
        offset = self.local(info.arrival_at).strftime("%z")
        zone_name = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
        rows = [
            ("Client (pseudonym)", esc(record.client.label)),
            ("Date", esc(self.date_text)),
            ("Protocol", f"{esc(info.protocol.name)} <span class='muted'>({esc(info.protocol.drug)}, "
                         f"{esc(info.protocol.route)})</span>"),
            ("Clinicians", esc(", ".join(clinicians))),
            ("Arrival", self.time(info.arrival_at)),
            ("Dose time (T0)", self.time(info.dose_at) if info.dose_at else "not marked"),
            ("End", self.time(info.ended_at) if info.ended_at else "session still in progress"),
        ]
        if info.ended_at:
            rows.append(("Length", f"{format_span(info.ended_at - info.arrival_at)} from arrival"
                                   + (f", {whole_minutes(minutes_between(info.dose_at, info.ended_at))} min from T0"
                                      if info.dose_at else "")))
        phases = [f"{esc(phase.name)} {self.time(e.occurred_at)}" for e, phase in self.record.of(PhaseEntered)]
        if phases:
            rows.append(("Phases", " → ".join(phases)))
        rows.append(("Session id", f"<span class='mono'>{esc(info.id)}</span>"))
        table = "".join(f"<tr><td width='22%'><b>{esc(k)}</b></td><td>{v}</td></tr>" for k, v in rows)
        reason = draft_reason(record)
        draft = (f"<table width='100%' border='1.5' cellpadding='5' cellspacing='0'><tr><td class='draft'>"
                 f"DRAFT — {esc(reason)}. This report is not the final record.</td></tr></table>") if reason else ""
        return (f"<h1>KAPDesk session report</h1>{draft}"
                f"<table width='100%' cellspacing='0' cellpadding='1'>{table}</table>"
                f"<p class='small muted'>Times are local ({zone_name}); T+n is minutes after the dose time T0. "
                f"Generated {self.stamp(self.generated_at)}. Every name and value is as recorded in KAPDesk.</p>")

    def preparation(self) -> str:
        out = ["<h2>Preparation</h2>"]
        preparations = self.record.of(Preparation)
        if not preparations:
            out.append("<p class='muted'>No preparation recorded.</p>")
        for entry, p in preparations:
            out.append(f"<p><b>Intention:</b> {esc(p.intention.strip() or '—')}"
                       f" <span class='small muted'>({self.time(entry.occurred_at)}, {esc(entry.author_name)})</span>"
                       f"{self.corrected(entry)}</p>")
            groups = (("Checklist", p.checklist), ("Contraindications", p.contraindications),
                      ("Concomitant medicines", p.medications))
            rows = [[esc(title), "; ".join(f"{esc(self.item_label(k))}: <b>{esc(yes_no(v))}</b>"
                                           for k, v in items.items())]
                    for title, items in groups if items]
            if p.self_harm_thoughts is not None:
                rows.insert(1, ["Since the last visit",
                                f"{esc(SELF_HARM.label)}: <b>{esc(yes_no(p.self_harm_thoughts))}</b>"])
            if p.weight_kg is not None:
                rows.append(["Weight", esc(format_weight(p.weight_kg))])
            out.append(table(("", "Answers"), rows, (22, 78)))
        for entry, override in self.record.of(SafetyOverride):
            if override.gate != DOSE_GATE:
                continue  # the discharge section tells the others
            # Items recorded as words (an early build stored bare item keys: those read as labels).
            items = ", ".join(self.item_label(i) if i.isidentifier() else i for i in override.items)
            out.append(f"<p><b>Safety override</b> at {self.time(entry.occurred_at)} by {esc(entry.author_name)}: "
                       f"dosed despite open items: {esc(items)}. "
                       f"Reason: {esc(override.reason)}{self.corrected(entry)}</p>")
        return "".join(out)

    def doses(self) -> str:
        rows = []
        for entry, dose in self.record.of(Dose):
            notes = [esc(w) for w in dose.warnings]
            notes += [esc(f"confirmed at entry: {question}") for question in dose.confirmed]
            if dose.booster:
                notes.insert(0, "booster")
            if dose.mg_per_kg is not None:
                weight = "?" if dose.weight_kg is None else number(dose.weight_kg)
                notes.insert(0, esc(f"{number(dose.mg_per_kg)} mg/kg × {weight} kg"))
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), esc(dose.drug),
                         f"{esc(number(dose.amount_mg))} mg", esc(dose.route.value),
                         f"<span style='white-space: nowrap'>lot {esc(dose.lot)}</span>" if dose.lot
                         else "no lot recorded", esc(dose.given_by),
                         "; ".join(notes) + self.corrected(entry, _dose_text)])
        return "<h2>Doses</h2>" + table(("Time", "T+", "Drug", "Amount", "Route", "Lot", "Given by", "Notes"), rows,
                                         (7, 6, 11, 10, 11, 19, 17, 19)) + self.infusions()

    def infusions(self) -> str:
        """Each IV infusion as its period: start–end, duration, the rates, pauses, delivered total
        (``domain/infusions.py``: the same total the screen, the CSV and FHIR read)."""
        out = []
        for period in self.facts.infusions:
            out.append(f"<h3>Infusion {esc(period.start.drug)} IV, {esc(self.infusion_span(period))}</h3>")
            rows = [["Delivered", f"<b>{esc(number(period.delivered_mg))} mg</b>"
                     + (esc(f" of {number(period.start.planned_mg)} mg planned over "
                            f"{number(period.start.planned_minutes or 0)} min") if period.start.planned_mg else "")]]
            rows.append(["Rates", "<br/>".join(f"{esc(rate.format())} from {self.when(at)}" for at, rate in period.rates)])
            if period.pauses:
                rows.append(["Paused", "; ".join(f"{self.time(a)}–{self.time(b) if b else 'end'}"
                                                 for a, b in period.pauses)])
            details = [f"started by {period.start.given_by}"]
            if period.start.lot:
                details.append(f"lot {period.start.lot}")
            details += [f"confirmed at entry: {q}" for q in period.start.confirmed]
            rows.append(["Notes", esc("; ".join(details))])
            out.append(table(("", "Infusion"), rows, (18, 82)))
        return "".join(out)

    def infusion_span(self, period: InfusionPeriod) -> str:
        """``10:05–10:47, 42 min (completed)``; a period not stopped in the record says so."""
        end = period.ended_at
        minutes = whole_minutes(period.minutes)
        status = period.status()
        if end is None:
            status += f", not stopped in the record; counted to {self.time(period.as_of)}"
        return f"{self.time(period.started_at)}–{self.time(end or period.as_of)}, {minutes} min ({status})"

    def vitals(self) -> str:
        rows = []
        for entry, vitals in self.record.of(Vitals):
            r = vitals.reading
            bp = esc(bp_text(r)) if r.systolic is not None else ""
            temp = f"{r.temperature_c:.1f}" if r.temperature_c is not None else ""
            notes = self.baseline_note(entry) + self.corrected(entry, _vitals_text)
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), bp, esc(_blank(r.heart_rate)),
                         esc(_blank(r.spo2)), esc(_blank(r.resp_rate)), temp, esc(entry.author_name), notes])
        chart = f"<p align='center'>{CHART_MARKER}</p>" if rows else ""
        return ("<h2>Vital signs</h2>" + self.vitals_summary() + self.vitals_schedule() + chart
                + table(("Time", "T+", "BP mmHg", "HR", "SpO₂ %", "RR", "Temp °C", "By", "Notes"), rows,
                         (8, 7, 11, 7, 8, 6, 8, 18, 27)))

    def baseline_note(self, entry: EntryInfo) -> str:
        if self.baseline is None or self.baseline.entry_id != entry.id:
            return ""
        return "baseline" if self.baseline.flagged else "baseline (last pre-dose)"

    def vitals_summary(self) -> str:
        """The baseline and the peak blood pressure (one real reading, ``record.peak_bp``) with its
        rise from the baseline (``BaselineReading.rise``)."""
        base = self.baseline
        if base is None:
            return ""
        why = ("marked baseline" if base.flagged else
               "the last reading before T0" if self.info.dose_at else "the latest reading; T0 not marked")
        out = (f"<p><b>Baseline</b> {esc(bp_text(base.reading))} at {self.when(base.at)} ({why}); "
               f"rises are measured from it.")
        peak = self.facts.peak
        if peak is not None and peak.id != base.entry_id:
            rises = ", ".join(f"{vital} {value:+d}" for vital in ("systolic", "diastolic")
                              if (value := base.rise(peak.reading, vital)) is not None)
            out += (f" <b>Peak BP</b> {esc(bp_text(peak.reading))} at {self.when(peak.at)}"
                    + (f": {rises} mmHg from baseline." if rises else "."))
        return out + "</p>"

    def item_label(self, key: str) -> str:
        """A preparation item's key in the session protocol's words (``preparation.item_label``)."""
        return item_label_of(key, self.info.protocol)

    def vitals_schedule(self) -> str:
        """The protocol's planned readings with what became of each (``clock.reminders_at``): taken
        (and when), missed — a gap the live clock also shows —, or not taken yet."""
        info, record = self.info, self.record
        at = info.ended_at or max([info.arrival_at, *(e.occurred_at for e in record.entries)])
        facts = session_facts(record.entries, arrival=info.arrival_at, dose_at=info.dose_at, ended_at=info.ended_at)
        try:
            reminders = reminders_at(info.protocol, facts, at)
        except (IndexError, KeyError, TypeError):
            return ""  # phase marks this protocol cannot place (an edited protocol)
        if not reminders:
            return ""
        words = []
        for r in reminders:
            if r.done_at is not None:
                words.append(f"{esc(r.label)} taken {self.time(r.done_at)}")
            else:
                words.append(f"<b>{esc(r.describe())}</b>")
        return f"<p><b>Vitals schedule</b> (due by {self.time(at)}): {'; '.join(words)}.</p>"

    def scales(self) -> str:
        rows = []
        for entry, result in self.record.of(ScaleResult):
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         esc(entry.describe()), esc(entry.author_name),
                         "; ".join(esc(f) for f in result.flags) + self.corrected(entry)])
        out = "<h2>Scales</h2>" + table(("Time", "T+", "Result", "By", "Notes"), rows, (8, 7, 50, 18, 17))
        if self.record.outcomes:
            outcome_rows = [[esc(o.taken_on.isoformat()), esc(outcome_summary(o)), esc(o.author)]
                            for o in self.record.outcomes]
            out += "<h3>Outcome measures</h3>" + table(("Date", "Result", "By"), outcome_rows, (20, 50, 30))
        return out

    def item9(self) -> str:
        """Each PHQ-9 of the session whose item 9 is above 0, boxed under the header: a line of its
        own with value and date, never only a cell of the outcomes table (black on white, no colour)."""
        answers = positive_item9s(self.record.outcomes)
        if not answers:
            return ""
        lines = "<br/>".join(f"<b>{esc(a.describe())}</b> — thoughts of death or self-harm endorsed; "
                             f"calls for {esc(ITEM9_ADVICE)}." for a in answers)
        return (f"<p></p><table width='100%' border='1.5' cellpadding='5' cellspacing='0'><tr><td>{lines}</td></tr>"
                f"</table>")

    def observations(self) -> str:
        rows = []
        for entry, observation in self.record.of(Observation):
            text = esc(observation.text).replace("\n", "<br/>")
            if observation.quote:
                text = f"<i>“{text}”</i> <span class='small'>[client quote]</span>"
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), text + self.corrected(entry),
                         esc(", ".join(observation.tags)), esc(entry.author_name)])
        return "<h2>Observations</h2>" + table(("Time", "T+", "Observation", "Tags", "By"), rows, (8, 7, 55, 12, 18))

    def presence(self) -> str:
        rows = []
        both = [*self.record.of(Presence), *self.record.of(Handoff)]
        for entry, data in sorted(both, key=lambda pair: pair[0].occurred_at):
            if isinstance(data, Handoff):  # a signed-in hand-off (the quick switch or an unlock)
                rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), "", esc(data.to_name),
                             esc(f"from {data.from_name}, signed in with {HANDOFF_BY.get(data.by, data.by)}"),
                             esc(entry.author_name)])
                continue
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         esc(", ".join(data.present)), esc(data.handoff_to or ""),
                         esc(data.note) + self.corrected(entry), esc(entry.author_name)])
        return "<h2>Presence and hand-off</h2>" + table(("Time", "T+", "Present", "Handed off to", "Note", "By"), rows,
                                                         (8, 7, 27, 18, 25, 15))

    def music(self) -> str:
        rows = []
        for entry, music in self.record.of(MusicEvent):
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         esc(music.event.replace("_", " ")), esc(music.title or ""),
                         esc(music.artist or ""), esc(music.section or "")])
        return "<h2>Music played</h2>" + table(("Time", "T+", "Event", "Title", "Artist", "Section"), rows,
                                                (8, 7, 13, 28, 28, 16))

    def alerts(self) -> str:
        acks: dict[uuid.UUID, EntryInfo] = {}
        for ack_entry, ack in self.record.of(AlertAck):
            acks.setdefault(ack.alert, ack_entry)
        rows = []
        for entry, alert in self.record.of(AlertRaised):
            acked = acks.get(entry.id)
            ack_text = (f"{self.time(acked.occurred_at)} by {esc(acked.author_name)}" if acked
                        else "<b>not acknowledged</b>")
            if acked is not None and isinstance(acked.data, AlertAck) and acked.data.reason:
                ack_text += f": {esc(acked.data.reason)}"  # required for a critical alert
            began = raised_at(entry, alert, self.facts)  # the strip's time: the reading's
            # The severity as a symbol and a word, so black-and-white print tells them apart.
            severity = esc(severity_label(alert.severity))
            if alert.severity == "critical":
                severity = f"<b>{severity}</b>"
            rows.append([self.time(began), self.t_plus(began), severity, esc(entry.describe()), ack_text])
        return "<h2>Alerts</h2>" + table(("Time", "T+", "Severity", "Alert", "Acknowledged"), rows, (8, 7, 11, 49, 25))

    def discharge(self) -> str:
        """When the client could leave, the discharge check as answered, and any override of the gate."""
        facts = self.facts
        protocol = self.info.protocol
        first = first_dose_at(facts, protocol.drug)
        earliest = earliest_discharge(first, protocol.min_observation_minutes)
        rows: list[list[str]] = []
        if earliest is not None and first is not None:
            rows.append(["Earliest discharge", f"{self.when(earliest)} ({protocol.min_observation_minutes} min after "
                                               f"the first dose at {self.when(first)})"])
        for entry, check in self.record.of(DischargeCheck):
            rows.append([f"Discharge check {self.when(entry.occurred_at)}",
                         esc(check.describe()) + f" <span class='small muted'>({esc(entry.author_name)})</span>"
                         + self.corrected(entry)])
        for entry, override in self.record.of(SafetyOverride):
            if override.gate == DISCHARGE_GATE:
                rows.append([f"<b>Discharge override</b> {self.when(entry.occurred_at)}",
                             f"ended by {esc(entry.author_name)} with open items: {esc('; '.join(override.items))}. "
                             f"<b>Reason:</b> {esc(override.reason)}{self.corrected(entry)}"])
        if not rows:
            return ""
        return "<h2>Discharge</h2>" + table(("", "From the record"), rows, (28, 72))

    def rems(self) -> str:
        return "<h2>REMS monitoring (esketamine)</h2>" + table(("Field", "From the record"), RemsFields(self).rows(),
                                                               (32, 68))

    def note(self) -> str:
        note = self.record.note
        out = ["<h2>Integration note</h2>"]
        if note is None:
            return out[0] + "<p class='draft'>DRAFT — no integration note has been written yet.</p>"
        if not note.signed:
            out.append(f"<p class='draft'>DRAFT — not signed. Last saved {self.stamp(note.saved_at)} by "
                       f"{esc(note.saved_by)}.</p>")
        for section in SECTIONS:
            body = note.sections.get(section.key, "").strip()
            if body:
                out.append(f"<h3>{esc(section.title)}</h3><p>{esc(body).replace(chr(10), '<br/>')}</p>")
        if note.signed_at is not None:
            out.append(f"<p><b>Signed</b> by {esc(note.signed_by)} on {self.stamp(note.signed_at)} "
                       f"<span class='small muted'>({esc(utc_iso(note.signed_at))})</span><br/>"
                       f"<span class='mono'>SHA-256 {esc(note.content_hash)}</span><br/>"
                       f"<span class='small muted'>The note is locked; later words are addenda.</span></p>")
        for addendum in self.record.addenda:
            out.append(f"<h3>Addendum — {self.stamp(addendum.signed_at)}, {esc(addendum.author)}</h3>"
                       f"<p>{esc(addendum.text).replace(chr(10), '<br/>')}<br/>"
                       f"<span class='mono'>SHA-256 {esc(addendum.content_hash)}</span></p>")
        return "".join(out)

    def other_entries(self) -> str:
        rows = [[self.time(e.occurred_at), self.t_plus(e.occurred_at), esc(_kind_text(e)),
                 esc(e.describe()) + self.corrected(e), esc(e.author_name)]
                for e in self.record.entries if e.current and not isinstance(e.data, _SHOWN_TYPES)]
        if not rows:
            return ""
        return "<h2>Other entries</h2>" + table(("Time", "T+", "Kind", "Entry", "By"), rows, (8, 7, 15, 52, 18))

    # -- chart data ----------------------------------------------------------------------------


def _blank(value: object) -> object:
    return "" if value is None else value


def _kind_text(entry: EntryInfo) -> str:
    """The kind's label; a kind from a newer build by its stored name (``Unknown`` says nothing)."""
    return entry.stored_kind if entry.kind is Kind.UNKNOWN else entry.kind.label


def _dose_text(entry: EntryInfo) -> str:
    """An earlier version of a dose, struck through: the dose itself (who gave it is its own column)."""
    return entry.data.format() if isinstance(entry.data, Dose) else entry.describe()


def _vitals_text(entry: EntryInfo) -> str:
    """An earlier version of a reading, struck through: the reading (the baseline flag is in Notes)."""
    return entry.data.reading.format() if isinstance(entry.data, Vitals) else entry.describe()


