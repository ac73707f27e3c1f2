"""The PDF report's text: the record as HTML sections, for ``pdf_report`` to lay out and paint.

Sections, top to bottom: the header (client pseudonym, clinicians, date, protocol, session times,
a DRAFT box when the note is unsigned or the session still running), preparation, doses, vitals
(baseline, peak, chart and table), scales and outcome measures, observations (client quotes
marked), presence and hand-off, the music that played, alerts and their acknowledgements, for
esketamine sessions the REMS monitoring fields (``pdf_rems``), and the integration note with its
signature and addenda. Every entry that was corrected shows its current value marked
"corrected", the old value struck through.

The report computes no clinical fact of its own: the baseline, the peak reading, the rise, the
T+ labels and the chart's data come from :mod:`kapdesk.domain.series`, the same functions the
screen uses, so paper and screen say the same thing about the same moment. No painting here: the
sections are HTML, and the chart is a marker paragraph that ``pdf_report`` swaps for the chart
``pdf_chart`` draws from :meth:`Report.chart`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import cached_property

from kapdesk.domain.alerts import AlertRules
from kapdesk.domain.clock import format_span
from kapdesk.domain.doses import Dose, DoseError
from kapdesk.domain.entries import describe_entry, kind_label
from kapdesk.domain.notes import SECTIONS
from kapdesk.domain.scales import SCALES
from kapdesk.domain.series import (
    ChartData,
    bp_rise,
    chart_data,
    chart_thresholds,
    minutes_between,
    offset_label,
    peak_reading,
    phase_segments,
    session_facts,
    whole_minutes,
)
from kapdesk.domain.vitals import VitalsError, VitalsReading
from kapdesk.export import draft_reason, previous_versions, utc_iso
from kapdesk.export.pdf_chart import PdfChart
from kapdesk.export.pdf_html import bp_text, esc, item_label, number, table, yes_no
from kapdesk.export.pdf_rems import RemsFields
from kapdesk.store.repository import EntryInfo, SessionRecord

__all__ = ["CHART_MARKER", "Report"]

# The paragraph text ``pdf_report`` replaces with the chart (HTML cannot name a custom object).
CHART_MARKER = "@@KAPDESK-VITALS-CHART@@"

# Kinds with a section of their own; anything else appears under "Other entries" (never hidden).
_SHOWN_KINDS = frozenset({
    "session_started", "phase", "phase_extended", "dose_time", "session_ended", "vitals", "dose", "scale",
    "observation", "presence", "alert", "alert_ack", "music", "preparation", "safety_override", "rems",
})


class Report:
    """Turns a record into the report's HTML and chart; holds the display zone.

    The record's derived facts are computed once here, by the domain's functions, and every
    section reads them from this object.
    """

    def __init__(self, record: SessionRecord, rules: AlertRules, zone: tzinfo | None, generated_at: datetime) -> None:
        self.record = record
        self.rules = rules
        self.zone = zone  # None: this computer's zone, with its daylight-saving rules at each moment
        self.generated_at = generated_at
        self.info = record.info
        self.date_text = self.local(record.info.arrival_at).date().isoformat()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone) if self.zone is not None else moment.astimezone()

    # -- small formatters ----------------------------------------------------------------------
    def time(self, moment: datetime | None) -> str:
        return "—" if moment is None else self.local(moment).strftime("%H:%M")

    def stamp(self, moment: datetime | None) -> str:
        return "—" if moment is None else self.local(moment).strftime("%Y-%m-%d %H:%M")

    def t_plus(self, moment: datetime) -> str:
        """The screen's label for ``moment`` (``T+45``, ``T-8``; see ``series.offset_label``), or
        '' before T0 is marked."""
        dose_at = self.info.dose_at
        return "" if dose_at is None else offset_label(minutes_between(dose_at, moment))

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
        return chart_data(record.entries, arrival=info.arrival_at, dose_at=info.dose_at, segments=segments)

    def chart(self) -> PdfChart:
        data = self.chart_data
        return PdfChart(data, chart_thresholds(data, self.rules), data.x_range())

    @cached_property
    def baseline(self) -> tuple[EntryInfo, VitalsReading, bool] | None:
        """``(entry, reading, flagged)``: the chart's baseline (``series.find_baseline``, the one rule
        the screen uses), with its entry for the time and author."""
        base = self.chart_data.baseline
        if base is None:
            return None
        entry = next(e for e in self.record.entries if e.id == base.entry_id)
        return entry, base.reading, base.flagged

    def current(self, kind: str) -> list[EntryInfo]:
        return self.record.current(kind)

    def corrected(self, entry: EntryInfo, describe: Callable[[EntryInfo], str] | None = None) -> str:
        """For a correction: 'corrected' with every earlier version struck through; else ''."""
        older = previous_versions(entry, self.record.entries)
        if not older:
            return ""
        describe = describe or (lambda e: describe_entry(e.kind, e.payload))
        why = f" ({esc(entry.note)})" if entry.note else ""
        was = "; ".join(f"<s>{esc(describe(e))}</s>" for e in older)
        return (f"<br/><span class='small'><b>corrected</b> {self.time(entry.recorded_at)} by "
                f"{esc(entry.author_name)}{why}; was: {was}</span>")

    # -- the document --------------------------------------------------------------------------
    def html(self) -> str:
        parts = [self.header(), self.preparation(), self.doses(), self.vitals(), self.scales(), self.observations(),
                 self.presence(), self.music(), self.alerts()]
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
        phases = [f"{esc(e.payload.get('name', '?'))} {self.time(e.occurred_at)}" for e in self.current("phase")]
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
        preparations = self.current("preparation")
        if not preparations:
            out.append("<p class='muted'>No preparation recorded.</p>")
        for entry in preparations:
            p = entry.payload
            out.append(f"<p><b>Intention:</b> {esc(p.get('intention') or '—')}"
                       f" <span class='small muted'>({self.time(entry.occurred_at)}, {esc(entry.author_name)})</span>"
                       f"{self.corrected(entry)}</p>")
            groups = (("Checklist", p.get("checklist")), ("Contraindications", p.get("contraindications")),
                      ("Concomitant medicines", p.get("medications")))
            rows = [[esc(title), "; ".join(f"{esc(item_label(k))}: <b>{esc(yes_no(v))}</b>" for k, v in items.items())]
                    for title, items in groups if isinstance(items, dict) and items]
            if p.get("weight_kg") is not None:
                rows.append(["Weight", f"{esc(p['weight_kg'])} kg"])
            out.append(table(("", "Answers"), rows, (22, 78)))
        for entry in self.current("safety_override"):
            p = entry.payload
            out.append(f"<p><b>Safety override</b> at {self.time(entry.occurred_at)} by {esc(entry.author_name)}: "
                       f"dosed with unanswered items {esc(', '.join(item_label(i) for i in p.get('items') or []))}. "
                       f"Reason: {esc(p.get('reason', ''))}{self.corrected(entry)}</p>")
        return "".join(out)

    def doses(self) -> str:
        rows = []
        for entry in self.current("dose"):
            p = entry.payload
            notes = [esc(w) for w in p.get("warnings") or []]
            if p.get("booster"):
                notes.insert(0, "booster")
            if p.get("mg_per_kg") is not None:
                notes.insert(0, esc(f"{p['mg_per_kg']} mg/kg × {p.get('weight_kg')} kg"))
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), esc(p.get("drug", "?")),
                         f"{esc(number(p.get('amount_mg')))} mg", esc(p.get("route", "")),
                         f"<span style='white-space: nowrap'>lot {esc(p['lot'])}</span>" if p.get("lot")
                         else "no lot recorded", esc(p.get("given_by", "")),
                         "; ".join(notes) + self.corrected(entry, _dose_text)])
        return "<h2>Doses</h2>" + table(("Time", "T+", "Drug", "Amount", "Route", "Lot", "Given by", "Notes"), rows,
                                         (7, 6, 11, 10, 11, 19, 17, 19))

    def vitals(self) -> str:
        rows = []
        for entry in self.current("vitals"):
            p = entry.payload
            bp = f"{esc(p['systolic'])}/{esc(p.get('diastolic') or '–')}" if p.get("systolic") is not None else ""
            temp = f"{p['temp_c']:.1f}" if isinstance(p.get("temp_c"), (int, float)) else ""
            notes = self.baseline_note(entry) + self.corrected(entry, _vitals_text)
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), bp, esc(p.get("hr") or ""),
                         esc(p.get("spo2") or ""), esc(p.get("rr") or ""), temp, esc(entry.author_name), notes])
        chart = f"<p align='center'>{CHART_MARKER}</p>" if rows else ""
        return ("<h2>Vital signs</h2>" + self.vitals_summary() + chart
                + table(("Time", "T+", "BP mmHg", "HR", "SpO₂ %", "RR", "Temp °C", "By", "Notes"), rows,
                         (8, 7, 11, 7, 8, 6, 8, 18, 27)))

    def baseline_note(self, entry: EntryInfo) -> str:
        if self.baseline is None or self.baseline[0].id != entry.id:
            return ""
        return "baseline" if self.baseline[2] else "baseline (last pre-dose)"

    def vitals_summary(self) -> str:
        """The baseline and the peak blood pressure (one real reading) with its rise from baseline."""
        if self.baseline is None:
            return ""
        entry, reading, flagged = self.baseline
        why = ("marked baseline" if flagged else
               "the last reading before T0" if self.info.dose_at else "the latest reading; T0 not marked")
        out = (f"<p><b>Baseline</b> {esc(bp_text(reading))} at {self.when(entry.occurred_at)} ({why}); "
               f"rises are measured from it.")
        peak = peak_reading(self.record.entries)
        if peak is not None and peak[0].id != entry.id:
            systolic, diastolic = bp_rise(peak[1], reading)
            rises = ", ".join(f"{name} {value:+d}" for name, value in (("systolic", systolic), ("diastolic", diastolic))
                              if value is not None)
            out += (f" <b>Peak BP</b> {esc(bp_text(peak[1]))} at {self.when(peak[0].occurred_at)}"
                    + (f": {rises} mmHg from baseline." if rises else "."))
        return out + "</p>"

    def scales(self) -> str:
        rows = []
        for entry in self.current("scale"):
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         esc(describe_entry("scale", entry.payload)), esc(entry.author_name),
                         "; ".join(esc(f) for f in entry.payload.get("flags") or []) + self.corrected(entry)])
        out = "<h2>Scales</h2>" + table(("Time", "T+", "Result", "By", "Notes"), rows, (8, 7, 50, 18, 17))
        if self.record.outcomes:
            outcome_rows = [[esc(o.taken_on.isoformat()), esc(SCALES[o.measure].name if o.measure in SCALES else o.measure),
                             esc(o.total), esc(o.author)] for o in self.record.outcomes]
            out += "<h3>Outcome measures</h3>" + table(("Date", "Measure", "Total", "By"), outcome_rows, (20, 30, 15, 35))
        return out

    def observations(self) -> str:
        rows = []
        for entry in self.current("observation"):
            p = entry.payload
            text = esc(p.get("text", "")).replace("\n", "<br/>")
            if p.get("quote"):
                text = f"<i>“{text}”</i> <span class='small'>[client quote]</span>"
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), text + self.corrected(entry),
                         esc(", ".join(p.get("tags") or [])), esc(entry.author_name)])
        return "<h2>Observations</h2>" + table(("Time", "T+", "Observation", "Tags", "By"), rows, (8, 7, 55, 12, 18))

    def presence(self) -> str:
        rows = []
        for entry in self.current("presence"):
            p = entry.payload
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         esc(", ".join(p.get("present") or [])), esc(p.get("handoff_to") or ""),
                         esc(p.get("note") or "") + self.corrected(entry), esc(entry.author_name)])
        return "<h2>Presence and hand-off</h2>" + table(("Time", "T+", "Present", "Handed off to", "Note", "By"), rows,
                                                         (8, 7, 27, 18, 25, 15))

    def music(self) -> str:
        rows = []
        for entry in self.current("music"):
            p = entry.payload
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         esc(str(p.get("event", "")).replace("_", " ")), esc(p.get("title") or ""),
                         esc(p.get("artist") or ""), esc(p.get("section") or "")])
        return "<h2>Music played</h2>" + table(("Time", "T+", "Event", "Title", "Artist", "Section"), rows,
                                                (8, 7, 13, 28, 28, 16))

    def alerts(self) -> str:
        acks: dict[str, EntryInfo] = {}
        for ack in self.current("alert_ack"):
            acks.setdefault(str(ack.payload.get("alert")), ack)
        rows = []
        for entry in self.current("alert"):
            p = entry.payload
            ack = acks.get(str(entry.id))
            ack_text = f"{self.time(ack.occurred_at)} by {esc(ack.author_name)}" if ack else "<b>not acknowledged</b>"
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), esc(p.get("severity", "")),
                         esc(p.get("message", p.get("key", ""))), ack_text])
        return "<h2>Alerts</h2>" + table(("Time", "T+", "Severity", "Alert", "Acknowledged"), rows, (8, 7, 11, 49, 25))

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
        rows = [[self.time(e.occurred_at), self.t_plus(e.occurred_at), esc(kind_label(e.kind)),
                 esc(describe_entry(e.kind, e.payload)) + self.corrected(e), esc(e.author_name)]
                for e in self.record.entries if e.current and e.kind not in _SHOWN_KINDS]
        if not rows:
            return ""
        return "<h2>Other entries</h2>" + table(("Time", "T+", "Kind", "Entry", "By"), rows, (8, 7, 15, 52, 18))

    # -- chart data ----------------------------------------------------------------------------


def _dose_text(entry: EntryInfo) -> str:
    try:
        return Dose.from_payload(entry.payload).format()
    except DoseError:
        return describe_entry(entry.kind, entry.payload)


def _vitals_text(entry: EntryInfo) -> str:
    try:
        return VitalsReading.from_payload(entry.payload).format()
    except VitalsError:
        return describe_entry(entry.kind, entry.payload)


