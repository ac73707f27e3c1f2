"""The readable session report: an A4 PDF written by Qt's own PDF writer.

Content, top to bottom: the header (client pseudonym, clinicians, date, protocol, session times,
a DRAFT box when the note is unsigned or the session still running), preparation, doses, vitals
(table and chart), scales and outcome measures, observations (client quotes marked), presence
and hand-off, the music that played, alerts and their acknowledgements, for esketamine sessions
the REMS monitoring fields, and the integration note with its signature and addenda. Every entry
that was corrected shows its current value marked "corrected", the old value struck through.

Black-and-white friendly: nothing needs colour to be read. The chart tells its lines apart by
dash pattern and marker shape, phase bands are alternating light grey, and the PDF is written in
greyscale. The chart is drawn with QPainter straight into the PDF (vector, text selectable),
through a custom text object inside the flowing document, so it paginates with the text.

Layout: one ``QTextDocument`` from HTML, laid out on the writer's own device and painted page by
page, so every page can carry a footer (and a DRAFT watermark). A ``QGuiApplication`` must exist
(fonts need one); the CLI creates one, the app already has one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QPolygonF,
    QPyTextObject,
    QTextCharFormat,
    QTextDocument,
    QTextFormat,
)

from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules, evaluate, threshold_lines
from kapdesk.domain.clock import format_span
from kapdesk.domain.doses import Dose, DoseError
from kapdesk.domain.entries import describe_entry, kind_label
from kapdesk.domain.notes import SECTIONS
from kapdesk.domain.scales import SCALES
from kapdesk.domain.vitals import VitalsError, VitalsReading
from kapdesk.export import draft_reason, minutes_from_dose, previous_versions, utc_iso
from kapdesk.store.repository import EntryInfo, SessionRecord

__all__ = ["render_page", "write_pdf"]

# Kinds with a section of their own; anything else appears under "Other entries" (never hidden).
_SHOWN_KINDS = frozenset({
    "session_started", "phase", "phase_extended", "dose_time", "session_ended", "vitals", "dose", "scale",
    "observation", "presence", "alert", "alert_ack", "music", "preparation", "safety_override", "rems",
})
_REMS_MEDICINES = (("benzodiazepines", "Benzodiazepines"), ("sedative_hypnotics", "Other sedative hypnotics"),
                   ("psychostimulants", "Psychostimulants"), ("maois", "MAOIs"))
_ITEM_LABELS = {
    "slept_well": "Slept well", "no_stimulants": "No caffeine or stimulants today", "light_meal": "Light meal beforehand",
    "ride_home": "Ride home arranged", "consent": "Consent confirmed", "fasting": "Fasting as instructed",
    "pregnancy": "Pregnancy", "uncontrolled_hypertension": "Uncontrolled high blood pressure",
    "cardiac": "Cardiac condition", "substance_misuse": "Active substance misuse",
    **dict(_REMS_MEDICINES),
}
_CHART = QTextFormat.ObjectTypes.UserObject + 1
_CHART_MARKER = "@@KAPDESK-VITALS-CHART@@"
_MM_PER_INCH = 25.4
_RESOLUTION = 300  # device pixels per inch of the writer; layout and chart are computed in these

_CSS = """
body { font-size: 9pt; }
h1 { font-size: 15pt; margin: 0 0 2pt 0; }
h2 { font-size: 11.5pt; margin: 10pt 0 3pt 0; border-bottom: 1px solid black; }
h3 { font-size: 10pt; margin: 6pt 0 2pt 0; }
p { margin: 0 0 3pt 0; }
table.grid { border-collapse: collapse; }
table.grid th { background-color: #e4e4e4; font-weight: bold; text-align: left; border-bottom: 1px solid black; }
table.grid td { border-bottom: 1px solid #b4b4b4; }
.small { font-size: 7.5pt; }
.mono { font-family: 'DejaVu Sans Mono', 'Courier New', monospace; font-size: 7.5pt; }
.draft { font-size: 11pt; font-weight: bold; }
.muted { color: #555555; }
"""


def write_pdf(record: SessionRecord, path: Path | str, *, rules: AlertRules = DEFAULT_RULES,
              tz: tzinfo | None = None, generated_at: datetime | None = None) -> Path:
    """Write the A4 report of ``record`` to ``path`` and return the path.

    ``rules`` are the clinic's alert thresholds (drawn on the chart, used for the REMS "vitals
    acceptable" lines). Times print in ``tz`` (default: this computer's zone, named in the
    header). Needs a ``QGuiApplication``; raises ``RuntimeError`` without one and ``OSError``
    when the file cannot be written.
    """
    if not isinstance(QCoreApplication.instance(), QGuiApplication):
        raise RuntimeError("the PDF report needs a QGuiApplication (fonts and the PDF writer depend on it)")
    path = Path(path)
    generated_at = generated_at or datetime.now(timezone.utc)
    report = _Report(record, rules, tz, generated_at)

    writer = QPdfWriter(str(path))
    writer.setResolution(_RESOLUTION)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(16, 14, 16, 12), QPageLayout.Unit.Millimeter)
    writer.setTitle(f"KAPDesk session report — {record.client.label}")
    writer.setCreator("KAPDesk")
    if hasattr(writer, "setColorModel"):  # Qt 6.8+: a greyscale PDF prints the same everywhere
        writer.setColorModel(QPdfWriter.ColorModel.Grayscale)
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write the PDF {path}")
    try:
        _paint(report, writer, painter)
    finally:
        painter.end()
    return path


def render_page(pdf: Path | str, png: Path | str, *, page: int = 0, dpi: int = 100) -> Path:
    """Render one page of a PDF to a greyscale PNG on white (for the README, or a preview).

    Uses Qt's own PDF engine (QtPdf), which renders onto a transparent image; the page is laid on
    white so the PNG reads the same in every viewer. Raises ``OSError`` when the PDF cannot be
    read or the PNG cannot be written, ``IndexError`` for a page the PDF does not have.
    """
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument(None)
    if document.load(str(pdf)) != QPdfDocument.Error.None_:
        raise OSError(f"cannot read the PDF {pdf}")
    try:
        if not 0 <= page < document.pageCount():
            raise IndexError(f"{pdf} has no page {page + 1} (it has {document.pageCount()})")
        points = document.pagePointSize(page)
        rendered = document.render(page, QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72)))
    finally:
        document.close()
    sheet = QImage(rendered.size(), QImage.Format.Format_RGB32)
    sheet.fill(QColor("white"))
    painter = QPainter(sheet)
    painter.drawImage(0, 0, rendered)
    painter.end()
    if not sheet.convertToFormat(QImage.Format.Format_Grayscale8).save(str(png), "PNG", 0):
        raise OSError(f"cannot write the PNG {png}")
    return Path(png)


# ----------------------------------------------------------------------------------------------
# Page painting
# ----------------------------------------------------------------------------------------------


def _paint(report: _Report, writer: QPdfWriter, painter: QPainter) -> None:
    dpi = writer.resolution()
    width, height = float(writer.width()), float(writer.height())
    footer = 8 / _MM_PER_INCH * dpi
    body = height - footer

    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)
    document.setDocumentMargin(0)
    font = QFont()
    font.setPointSizeF(9)
    document.setDefaultFont(font)
    document.setDefaultStyleSheet(_CSS)
    document.setHtml(report.html())
    chart = _ChartObject(report.chart_data(), width, dpi)
    document.documentLayout().registerHandler(_CHART, chart)
    _place_chart(document)
    # The page size last: setting it lays the whole document out again. An edit after layout (the
    # chart's insertion) is laid out lazily, on a timer this function never gives a chance to
    # run, and the last paragraphs would silently be missing from the PDF.
    document.setPageSize(QSizeF(width, body))
    pages = document.pageCount()
    draft = draft_reason(report.record) is not None
    for page in range(pages):
        if page:
            writer.newPage()
        if draft:
            _watermark(painter, width, body)
        painter.save()
        painter.translate(0, -page * body)
        document.drawContents(painter, QRectF(0, page * body, width, body))
        painter.restore()
        _footer(painter, report, QRectF(0, body, width, footer), page + 1, pages, draft)


def _place_chart(document: QTextDocument) -> None:
    """Swap the marker paragraph's text for the chart object (HTML cannot name a custom object)."""
    cursor = document.find(_CHART_MARKER)
    if cursor.isNull():
        return
    fmt = QTextCharFormat()
    fmt.setObjectType(_CHART)
    cursor.insertText("\ufffc", fmt)


def _watermark(painter: QPainter, width: float, height: float) -> None:
    painter.save()
    font = QFont()
    font.setPointSizeF(96)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QPen(QColor(0, 0, 0, 40)))
    painter.translate(width / 2, height / 2)
    painter.rotate(-35)
    painter.drawText(QRectF(-width, -height / 4, 2 * width, height / 2), Qt.AlignmentFlag.AlignCenter, "DRAFT")
    painter.restore()


def _footer(painter: QPainter, report: _Report, rect: QRectF, page: int, pages: int, draft: bool) -> None:
    painter.save()
    font = QFont()
    font.setPointSizeF(7)
    painter.setFont(font)
    painter.setPen(QPen(Qt.GlobalColor.black, 0))
    painter.drawLine(rect.topLeft(), rect.topRight())
    left = f"KAPDesk session report · {report.record.client.label} · {report.date_text}"
    if draft:
        left = "DRAFT · " + left
    painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), left)
    painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"page {page} of {pages}")
    painter.restore()


# ----------------------------------------------------------------------------------------------
# The report's text
# ----------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=False)


def _yes_no(value: Any) -> str:
    """A checklist answer: True/False/None read "yes", "no", "not answered"; anything else as is."""
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _label(key: str) -> str:
    return _ITEM_LABELS.get(key, key.replace("_", " ").capitalize())


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int] | None = None) -> str:
    """An HTML grid; cells are already-escaped HTML. A header row repeats on every page."""
    rows = list(rows)
    if not rows:
        return "<p class='muted'>None recorded.</p>"
    head = "".join(
        f"<th{f' width={widths[i]}%' if widths else ''}>{_e(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (f"<table class='grid' width='100%' border='0' cellspacing='0' cellpadding='2'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


@dataclass(frozen=True)
class _Series:
    label: str
    points: tuple[tuple[float, float], ...]  # (minutes, value)
    dash: Qt.PenStyle
    marker: str  # "down", "up", "circle", "square"
    filled: bool


@dataclass(frozen=True)
class _ChartData:
    x_label: str
    from_dose: bool  # x is minutes from T0 (else from arrival, when T0 was never marked)
    pressure: tuple[_Series, ...]  # mmHg and bpm share the upper panel
    saturation: tuple[_Series, ...]
    phases: tuple[tuple[float, float, str], ...]  # (start, end, name)
    doses: tuple[tuple[float, str], ...]  # (minutes, label)
    thresholds: tuple[tuple[str, float, str], ...]  # (panel, value, label)
    x_range: tuple[float, float]


class _Report:
    """Turns a record into the report's HTML and chart data; holds the display zone."""

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
        minutes = minutes_from_dose(self.record, moment)
        if minutes is None:
            return ""
        whole = round(minutes)
        return "T0" if whole == 0 else (f"T+{whole}" if whole > 0 else f"T−{-whole}")

    def current(self, kind: str) -> list[EntryInfo]:
        return self.record.current(kind)

    def corrected(self, entry: EntryInfo, describe: Callable[[EntryInfo], str] | None = None) -> str:
        """For a correction: 'corrected' with every earlier version struck through; else ''."""
        older = previous_versions(entry, self.record.entries)
        if not older:
            return ""
        describe = describe or (lambda e: describe_entry(e.kind, e.payload))
        why = f" ({_e(entry.note)})" if entry.note else ""
        was = "; ".join(f"<s>{_e(describe(e))}</s>" for e in older)
        return (f"<br/><span class='small'><b>corrected</b> {self.time(entry.recorded_at)} by "
                f"{_e(entry.author_name)}{why}; was: {was}</span>")

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
            ("Client (pseudonym)", _e(record.client.label)),
            ("Date", _e(self.date_text)),
            ("Protocol", f"{_e(info.protocol.name)} <span class='muted'>({_e(info.protocol.drug)}, "
                         f"{_e(info.protocol.route)})</span>"),
            ("Clinicians", _e(", ".join(clinicians))),
            ("Arrival", self.time(info.arrival_at)),
            ("Dose time (T0)", self.time(info.dose_at) if info.dose_at else "not marked"),
            ("End", self.time(info.ended_at) if info.ended_at else "session still in progress"),
        ]
        if info.ended_at:
            rows.append(("Length", f"{format_span(info.ended_at - info.arrival_at)} from arrival"
                                   + (f", {round((info.ended_at - info.dose_at).total_seconds() / 60)} min from T0"
                                      if info.dose_at else "")))
        phases = [f"{_e(e.payload.get('name', '?'))} {self.time(e.occurred_at)}" for e in self.current("phase")]
        if phases:
            rows.append(("Phases", " → ".join(phases)))
        rows.append(("Session id", f"<span class='mono'>{_e(info.id)}</span>"))
        table = "".join(f"<tr><td width='22%'><b>{_e(k)}</b></td><td>{v}</td></tr>" for k, v in rows)
        reason = draft_reason(record)
        draft = (f"<table width='100%' border='1.5' cellpadding='5' cellspacing='0'><tr><td class='draft'>"
                 f"DRAFT — {_e(reason)}. This report is not the final record.</td></tr></table>") if reason else ""
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
            out.append(f"<p><b>Intention:</b> {_e(p.get('intention') or '—')}"
                       f" <span class='small muted'>({self.time(entry.occurred_at)}, {_e(entry.author_name)})</span>"
                       f"{self.corrected(entry)}</p>")
            groups = (("Checklist", p.get("checklist")), ("Contraindications", p.get("contraindications")),
                      ("Concomitant medicines", p.get("medications")))
            rows = [[_e(title), "; ".join(f"{_e(_label(k))}: <b>{_e(_yes_no(v))}</b>" for k, v in items.items())]
                    for title, items in groups if isinstance(items, dict) and items]
            if p.get("weight_kg") is not None:
                rows.append(["Weight", f"{_e(p['weight_kg'])} kg"])
            out.append(_table(("", "Answers"), rows, (22, 78)))
        for entry in self.current("safety_override"):
            p = entry.payload
            out.append(f"<p><b>Safety override</b> at {self.time(entry.occurred_at)} by {_e(entry.author_name)}: "
                       f"dosed with unanswered items {_e(', '.join(_label(i) for i in p.get('items') or []))}. "
                       f"Reason: {_e(p.get('reason', ''))}{self.corrected(entry)}</p>")
        return "".join(out)

    def doses(self) -> str:
        rows = []
        for entry in self.current("dose"):
            p = entry.payload
            notes = [_e(w) for w in p.get("warnings") or []]
            if p.get("booster"):
                notes.insert(0, "booster")
            if p.get("mg_per_kg") is not None:
                notes.insert(0, _e(f"{p['mg_per_kg']} mg/kg × {p.get('weight_kg')} kg"))
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), _e(p.get("drug", "?")),
                         f"{_e(_number(p.get('amount_mg')))} mg", _e(p.get("route", "")),
                         f"<span style='white-space: nowrap'>lot {_e(p['lot'])}</span>" if p.get("lot")
                         else "no lot recorded", _e(p.get("given_by", "")),
                         "; ".join(notes) + self.corrected(entry, _dose_text)])
        return "<h2>Doses</h2>" + _table(("Time", "T+", "Drug", "Amount", "Route", "Lot", "Given by", "Notes"), rows,
                                         (7, 6, 11, 10, 11, 19, 17, 19))

    def vitals(self) -> str:
        rows = []
        for entry in self.current("vitals"):
            p = entry.payload
            bp = f"{_e(p['systolic'])}/{_e(p.get('diastolic') or '–')}" if p.get("systolic") is not None else ""
            temp = f"{p['temp_c']:.1f}" if isinstance(p.get("temp_c"), (int, float)) else ""
            notes = ("baseline" if p.get("baseline") else "") + self.corrected(entry, _vitals_text)
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), bp, _e(p.get("hr") or ""),
                         _e(p.get("spo2") or ""), _e(p.get("rr") or ""), temp, _e(entry.author_name), notes])
        chart = f"<p align='center'>{_CHART_MARKER}</p>" if rows else ""
        return ("<h2>Vital signs</h2>" + chart
                + _table(("Time", "T+", "BP mmHg", "HR", "SpO₂ %", "RR", "Temp °C", "By", "Notes"), rows,
                         (8, 7, 11, 7, 8, 6, 8, 18, 27)))

    def scales(self) -> str:
        rows = []
        for entry in self.current("scale"):
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         _e(describe_entry("scale", entry.payload)), _e(entry.author_name),
                         "; ".join(_e(f) for f in entry.payload.get("flags") or []) + self.corrected(entry)])
        out = "<h2>Scales</h2>" + _table(("Time", "T+", "Result", "By", "Notes"), rows, (8, 7, 50, 18, 17))
        if self.record.outcomes:
            outcome_rows = [[_e(o.taken_on.isoformat()), _e(SCALES[o.measure].name if o.measure in SCALES else o.measure),
                             _e(o.total), _e(o.author)] for o in self.record.outcomes]
            out += "<h3>Outcome measures</h3>" + _table(("Date", "Measure", "Total", "By"), outcome_rows, (20, 30, 15, 35))
        return out

    def observations(self) -> str:
        rows = []
        for entry in self.current("observation"):
            p = entry.payload
            text = _e(p.get("text", "")).replace("\n", "<br/>")
            if p.get("quote"):
                text = f"<i>“{text}”</i> <span class='small'>[client quote]</span>"
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), text + self.corrected(entry),
                         _e(", ".join(p.get("tags") or [])), _e(entry.author_name)])
        return "<h2>Observations</h2>" + _table(("Time", "T+", "Observation", "Tags", "By"), rows, (8, 7, 55, 12, 18))

    def presence(self) -> str:
        rows = []
        for entry in self.current("presence"):
            p = entry.payload
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         _e(", ".join(p.get("present") or [])), _e(p.get("handoff_to") or ""),
                         _e(p.get("note") or "") + self.corrected(entry), _e(entry.author_name)])
        return "<h2>Presence and hand-off</h2>" + _table(("Time", "T+", "Present", "Handed off to", "Note", "By"), rows,
                                                         (8, 7, 27, 18, 25, 15))

    def music(self) -> str:
        rows = []
        for entry in self.current("music"):
            p = entry.payload
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at),
                         _e(str(p.get("event", "")).replace("_", " ")), _e(p.get("title") or ""),
                         _e(p.get("artist") or ""), _e(p.get("section") or "")])
        return "<h2>Music played</h2>" + _table(("Time", "T+", "Event", "Title", "Artist", "Section"), rows,
                                                (8, 7, 13, 28, 28, 16))

    def alerts(self) -> str:
        acks: dict[str, EntryInfo] = {}
        for ack in self.current("alert_ack"):
            acks.setdefault(str(ack.payload.get("alert")), ack)
        rows = []
        for entry in self.current("alert"):
            p = entry.payload
            ack = acks.get(str(entry.id))
            ack_text = f"{self.time(ack.occurred_at)} by {_e(ack.author_name)}" if ack else "<b>not acknowledged</b>"
            rows.append([self.time(entry.occurred_at), self.t_plus(entry.occurred_at), _e(p.get("severity", "")),
                         _e(p.get("message", p.get("key", ""))), ack_text])
        return "<h2>Alerts</h2>" + _table(("Time", "T+", "Severity", "Alert", "Acknowledged"), rows, (8, 7, 11, 49, 25))

    def rems(self) -> str:
        return "<h2>REMS monitoring (esketamine)</h2>" + _table(("Field", "From the record"), _RemsFields(self).rows(),
                                                               (32, 68))

    def note(self) -> str:
        note = self.record.note
        out = ["<h2>Integration note</h2>"]
        if note is None:
            return out[0] + "<p class='draft'>DRAFT — no integration note has been written yet.</p>"
        if not note.signed:
            out.append(f"<p class='draft'>DRAFT — not signed. Last saved {self.stamp(note.saved_at)} by "
                       f"{_e(note.saved_by)}.</p>")
        for section in SECTIONS:
            body = note.sections.get(section.key, "").strip()
            if body:
                out.append(f"<h3>{_e(section.title)}</h3><p>{_e(body).replace(chr(10), '<br/>')}</p>")
        if note.signed_at is not None:
            out.append(f"<p><b>Signed</b> by {_e(note.signed_by)} on {self.stamp(note.signed_at)} "
                       f"<span class='small muted'>({_e(utc_iso(note.signed_at))})</span><br/>"
                       f"<span class='mono'>SHA-256 {_e(note.content_hash)}</span><br/>"
                       f"<span class='small muted'>The note is locked; later words are addenda.</span></p>")
        for addendum in self.record.addenda:
            out.append(f"<h3>Addendum — {self.stamp(addendum.signed_at)}, {_e(addendum.author)}</h3>"
                       f"<p>{_e(addendum.text).replace(chr(10), '<br/>')}<br/>"
                       f"<span class='mono'>SHA-256 {_e(addendum.content_hash)}</span></p>")
        return "".join(out)

    def other_entries(self) -> str:
        rows = [[self.time(e.occurred_at), self.t_plus(e.occurred_at), _e(kind_label(e.kind)),
                 _e(describe_entry(e.kind, e.payload)) + self.corrected(e), _e(e.author_name)]
                for e in self.record.entries if e.current and e.kind not in _SHOWN_KINDS]
        if not rows:
            return ""
        return "<h2>Other entries</h2>" + _table(("Time", "T+", "Kind", "Entry", "By"), rows, (8, 7, 15, 52, 18))

    # -- chart data ----------------------------------------------------------------------------
    def chart_data(self) -> _ChartData:
        record = self.record
        origin = record.info.dose_at or record.info.arrival_at

        def x(moment: datetime) -> float:
            return (moment - origin).total_seconds() / 60.0

        readings = [(x(e.occurred_at), e.payload) for e in self.current("vitals")]

        def series(key: str) -> tuple[tuple[float, float], ...]:
            return tuple((m, float(p[key])) for m, p in readings if isinstance(p.get(key), (int, float)))

        pressure = (
            _Series("Systolic", series("systolic"), Qt.PenStyle.SolidLine, "down", True),
            _Series("Diastolic", series("diastolic"), Qt.PenStyle.DashLine, "up", False),
            _Series("Heart rate", series("hr"), Qt.PenStyle.DotLine, "circle", True),
        )
        saturation = (_Series("SpO₂", series("spo2"), Qt.PenStyle.SolidLine, "square", False),)
        end = record.info.ended_at or max([e.occurred_at for e in record.entries], default=record.info.arrival_at)
        marks = [(x(e.occurred_at), str(e.payload.get("name", ""))) for e in self.current("phase")]
        phases = tuple((start, marks[i + 1][0] if i + 1 < len(marks) else x(end), name)
                       for i, (start, name) in enumerate(marks))
        doses = tuple((x(e.occurred_at), f"{_number(e.payload.get('amount_mg'))} mg") for e in self.current("dose"))
        baseline = _baseline(record)
        names = {"systolic": ("pressure", "SBP"), "diastolic": ("pressure", "DBP"), "heart_rate": ("pressure", "HR"),
                 "spo2": ("saturation", "SpO₂")}
        rises: dict[tuple[str, float], float] = {}  # baseline-relative lines say so in their label
        if baseline is not None:
            for vital, level, rise in (("systolic", baseline.systolic, self.rules.systolic_rise),
                                       ("diastolic", baseline.diastolic, self.rules.diastolic_rise)):
                if level is not None and rise is not None:
                    rises[(vital, float(level + rise))] = rise
        thresholds = tuple(
            (names[vital][0], value, f"{names[vital][1]} {_number(value)}"
             + (f" (+{_number(rises[(vital, value)])})" if (vital, value) in rises else ""))
            for vital, values in threshold_lines(self.rules, baseline=baseline).items()
            if vital in names for value in values
        )
        xs = [m for m, _ in readings] + [0.0, x(end)] + [start for start, _, _ in phases]
        return _ChartData(
            x_label="minutes from the dose time (T0)" if record.info.dose_at else "minutes from arrival",
            from_dose=record.info.dose_at is not None,
            pressure=pressure, saturation=saturation, phases=phases, doses=doses, thresholds=thresholds,
            x_range=(min(xs), max(xs)),
        )


class _RemsFields:
    """The esketamine REMS patient monitoring form's fields, derived from the record."""

    def __init__(self, report: _Report) -> None:
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
        return "; ".join(f"{_e(label)}: <b>{_e(_yes_no(meds.get(key)))}</b>" for key, label in _REMS_MEDICINES)

    def dose(self) -> str:
        if not self.doses:
            return "no esketamine dose recorded"
        total = sum(float(e.payload.get("amount_mg") or 0) for e in self.doses)
        box = f"{_number(total)} mg" if total in (56, 84) else f"other ({_number(total)} mg)"
        lots = sorted({str(e.payload["lot"]) for e in self.doses if e.payload.get("lot")})
        lot_text = f"lot {_e(', '.join(lots))}" if lots else "<b>no lot recorded</b>"
        return f"<b>{_e(box)}</b>, {lot_text}"

    def monitoring_minutes(self) -> str:
        end = self.record.info.ended_at
        if self.t0 is None:
            return "no first spray recorded"
        if end is None:
            return "monitoring has not ended"
        minutes = round((end - self.t0).total_seconds() / 60)
        minimum = self.record.info.protocol.min_observation_minutes
        short = f" — <b>less than the {minimum} min minimum</b>" if minimum and minutes < minimum else ""
        return f"{minutes} min ({self.report.time(self.t0)} to {self.report.time(end)}){short}"

    def _readings(self) -> list[tuple[EntryInfo, VitalsReading]]:
        out = []
        for entry in self.report.current("vitals"):
            try:
                out.append((entry, VitalsReading.from_payload(entry.payload)))
            except VitalsError:
                continue
        return out

    def acceptable(self, *, before: bool) -> str:
        if self.t0 is None:
            return "no dose time recorded"
        readings = [(e, r) for e, r in self._readings() if (e.occurred_at <= self.t0) == before]
        if not readings:
            return "no reading recorded"
        entry, reading = readings[-1]
        alerts = evaluate(reading, baseline=_baseline(self.record), pre_dose=before, rules=self.report.rules)
        when = f"{self.report.time(entry.occurred_at)}: {_e(reading.format())}"
        if not alerts:
            return f"yes — no alert threshold crossed ({when})"
        return f"<b>check</b> — {_e('; '.join(a.message for a in alerts))} ({when})"

    def blood_pressures(self) -> str:
        with_bp = [(e, r) for e, r in self._readings() if r.systolic is not None]
        if not with_bp:
            return "none recorded"
        t0 = self.t0
        chosen: list[tuple[str, EntryInfo, VitalsReading]] = []
        before = [(e, r) for e, r in with_bp if t0 is None or e.occurred_at <= t0]
        after = [(e, r) for e, r in with_bp if t0 is not None and e.occurred_at > t0]
        if before:
            chosen.append(("before dosing", *before[-1]))
        if after and t0 is not None:
            peak = min(after, key=lambda er: abs((er[0].occurred_at - t0).total_seconds() - 40 * 60))
            chosen.append(("about 40 min after", *peak))
            if after[-1][0].id != peak[0].id:
                chosen.append(("at the end", *after[-1]))
        return "<br/>".join(f"{_e(label)}: {self.report.time(e.occurred_at)} {self.report.t_plus(e.occurred_at)} "
                            f"<b>{r.systolic}/{r.diastolic if r.diastolic is not None else '–'}</b>"
                            for label, e, r in chosen)

    def scale_results(self, keys: tuple[str, ...]) -> str:
        results = [e for e in self.report.current("scale") if e.payload.get("scale") in keys]
        if not results:
            return "not recorded"
        return "<br/>".join(f"{self.report.time(e.occurred_at)} {self.report.t_plus(e.occurred_at)}: "
                            f"{_e(describe_entry('scale', e.payload))}" for e in results)

    def oximetry(self) -> str:
        values = [(e, r.spo2) for e, r in self._readings() if r.spo2 is not None]
        if not values:
            return "not recorded"
        entry, lowest = min(values, key=lambda er: er[1])
        low = self.report.rules.spo2_low
        flag = f"; <b>below {_number(low)}%</b>" if low is not None and lowest < low else ""
        return (f"{len(values)} readings, lowest {lowest}% at {self.report.time(entry.occurred_at)} "
                f"{self.report.t_plus(entry.occurred_at)}{flag}")

    def rems_answer(self, key: str) -> str:
        answers = self.report.current("rems")
        if not answers or answers[-1].payload.get(key) in (None, ""):
            return "<b>not recorded</b>"
        value = answers[-1].payload[key]
        return f"{_e(value)} min after the first spray" if key == "ready_without_2h_minutes" else _e(value)

    def due(self) -> str:
        start = self.t0 or self.record.info.arrival_at
        by = (self.report.local(start) + timedelta(days=7)).date().isoformat()
        return f"Submit the REMS patient monitoring form within 7 days: <b>by {by}</b>"


def _baseline(record: SessionRecord) -> VitalsReading | None:
    """The reading marked baseline, else the first one before T0: what rises are measured from."""
    candidates = [e for e in record.current("vitals") if e.payload.get("baseline")]
    if not candidates and record.info.dose_at is not None:
        candidates = [e for e in record.current("vitals") if e.occurred_at <= record.info.dose_at]
    for entry in candidates:
        try:
            return VitalsReading.from_payload(entry.payload)
        except VitalsError:
            continue
    return None


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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


# ----------------------------------------------------------------------------------------------
# The chart: a custom text object painted with QPainter
# ----------------------------------------------------------------------------------------------


class _ChartObject(QPyTextObject):
    """Draws the vitals chart where the document holds its object character.

    Two panels share the time axis: blood pressure and heart rate above, SpO₂ below. Lines are
    told apart by dash pattern and marker (systolic solid ▼, diastolic dashed △, heart rate dotted
    ●, SpO₂ solid □), never by colour; thresholds are thin dotted lines labelled at the right.
    """

    def __init__(self, data: _ChartData, width: float, dpi: int) -> None:
        super().__init__()
        self.data = data
        self.width = width
        self.dpi = dpi
        self.pt = dpi / 72.0  # one typographic point in device pixels

    def intrinsicSize(self, doc: QTextDocument, pos: int, fmt: QTextFormat) -> QSizeF:  # noqa: N802 (Qt API)
        return QSizeF(self.width * 0.98, 98 / _MM_PER_INCH * self.dpi)

    def drawObject(self, painter: QPainter, rect: QRectF, doc: QTextDocument, pos: int,  # noqa: N802 (Qt API)
                   fmt: QTextFormat) -> None:
        painter.save()
        try:
            _ChartPainter(painter, rect, self.data, self.pt).draw()
        finally:
            painter.restore()


class _ChartPainter:
    def __init__(self, painter: QPainter, rect: QRectF, data: _ChartData, pt: float) -> None:
        self.p = painter
        self.data = data
        self.pt = pt
        font = QFont()
        font.setPointSizeF(6.5)
        self.font = font
        self.metrics = QFontMetricsF(font, painter.device())
        line = self.metrics.height()
        labels = [self.metrics.horizontalAdvance(label) for _, _, label in data.thresholds]
        left, right = 7.5 * line, max([3 * line, *labels]) + 0.6 * line  # room for the axis and threshold labels
        top = rect.top() + 1.6 * line  # the legend
        bottom = rect.bottom() - 2.4 * line  # the x axis labels and title
        gap = 1.0 * line
        usable = bottom - top - gap
        self.upper = QRectF(rect.left() + left, top, rect.width() - left - right, usable * 0.68)
        self.lower = QRectF(self.upper.left(), self.upper.bottom() + gap, self.upper.width(), usable * 0.32)
        lo, hi = data.x_range
        span = max(hi - lo, 30.0)
        self.x0, self.x1 = math.floor(lo / 15) * 15, math.ceil((lo + span) / 15) * 15
        pressure_values = [v for s in data.pressure for _, v in s.points]
        self.upper_range = (min([40.0, *pressure_values]) // 20 * 20,
                            math.ceil(max([200.0, *pressure_values]) / 20) * 20)
        sat_values = [v for s in data.saturation for _, v in s.points]
        self.lower_range = (min([85.0, *sat_values]) // 5 * 5, 100.0)

    # -- coordinates ---------------------------------------------------------------------------
    def x(self, minutes: float) -> float:
        return self.upper.left() + (minutes - self.x0) / (self.x1 - self.x0) * self.upper.width()

    def y(self, panel: QRectF, value_range: tuple[float, float], value: float) -> float:
        lo, hi = value_range
        return panel.bottom() - (value - lo) / (hi - lo) * panel.height()

    def pen(self, width_pt: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine, grey: int = 0) -> QPen:
        pen = QPen(QColor(grey, grey, grey), width_pt * self.pt, style)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    # -- drawing -------------------------------------------------------------------------------
    def draw(self) -> None:
        self.p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.p.setFont(self.font)
        for panel in (self.upper, self.lower):
            self.phase_bands(panel)
        self.grid(self.upper, self.upper_range, 20, "mmHg · bpm")
        self.grid(self.lower, self.lower_range, 5, "SpO₂ %")
        self.thresholds()
        self.dose_markers()
        for series in self.data.pressure:
            self.series(series, self.upper, self.upper_range)
        for series in self.data.saturation:
            self.series(series, self.lower, self.lower_range)
        self.x_axis()
        self.legend()

    def phase_bands(self, panel: QRectF) -> None:
        line = self.metrics.height()
        for index, (start, end, name) in enumerate(self.data.phases):
            left, right = max(self.x(start), panel.left()), min(self.x(end), panel.right())
            if right <= left:
                continue
            band = QRectF(left, panel.top(), right - left, panel.height())
            if index % 2:
                self.p.fillRect(band, QColor(236, 236, 236))
            if panel is self.upper:
                self.p.setPen(self.pen(0.3, grey=90))
                label = self.metrics.elidedText(name, Qt.TextElideMode.ElideRight, band.width() - 0.3 * line)
                self.p.drawText(QRectF(band.left() + 0.15 * line, band.top(), band.width(), line),
                                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), label)

    def grid(self, panel: QRectF, value_range: tuple[float, float], step: float, title: str) -> None:
        lo, hi = value_range
        line = self.metrics.height()
        value = lo
        while value <= hi + 1e-9:
            y = self.y(panel, value_range, value)
            self.p.setPen(self.pen(0.2, grey=190))
            self.p.drawLine(QPointF(panel.left(), y), QPointF(panel.right(), y))
            self.p.setPen(self.pen(0.3))
            self.p.drawText(QRectF(panel.left() - 3 * line, y - line / 2, 2.7 * line, line),
                            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), _number(value))
            value += step
        self.p.setPen(self.pen(0.6))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        self.p.drawRect(panel)
        self.p.save()
        self.p.translate(panel.left() - 3.4 * line, panel.center().y())
        self.p.rotate(-90)
        self.p.drawText(QRectF(-panel.height() / 2, -line, panel.height(), line), int(Qt.AlignmentFlag.AlignCenter),
                        title)
        self.p.restore()

    def thresholds(self) -> None:
        line = self.metrics.height()
        for panel_name, value, label in self.data.thresholds:
            panel, value_range = ((self.upper, self.upper_range) if panel_name == "pressure"
                                  else (self.lower, self.lower_range))
            if not value_range[0] <= value <= value_range[1]:
                continue
            y = self.y(panel, value_range, value)
            self.p.setPen(self.pen(0.5, Qt.PenStyle.DotLine, grey=60))
            self.p.drawLine(QPointF(panel.left(), y), QPointF(panel.right(), y))
            self.p.setPen(self.pen(0.3))
            self.p.drawText(QRectF(panel.right() + 0.2 * line, y - line / 2, self.metrics.horizontalAdvance(label) + line,
                                   line), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), label)

    def dose_markers(self) -> None:
        line = self.metrics.height()
        for minutes, label in self.data.doses:
            x = self.x(minutes)
            if not self.upper.left() <= x <= self.upper.right():
                continue
            self.p.setPen(self.pen(0.9))
            self.p.drawLine(QPointF(x, self.upper.top()), QPointF(x, self.lower.bottom()))
            self.p.setBrush(QBrush(Qt.GlobalColor.black))
            size = 0.35 * line
            self.p.drawPolygon(QPolygonF([QPointF(x - size, self.upper.top() - 1.2 * size),
                                          QPointF(x + size, self.upper.top() - 1.2 * size),
                                          QPointF(x, self.upper.top())]))
            self.p.setBrush(Qt.BrushStyle.NoBrush)
            self.p.drawText(QRectF(x + 0.2 * line, self.upper.top() + line, 6 * line, line),
                            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), f"dose {label}")

    def series(self, series: _Series, panel: QRectF, value_range: tuple[float, float]) -> None:
        points = [QPointF(self.x(m), self.y(panel, value_range, v)) for m, v in sorted(series.points)]
        if not points:
            return
        self.p.setPen(self.pen(0.9, series.dash))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        if len(points) > 1:
            path = QPainterPath(points[0])
            for point in points[1:]:
                path.lineTo(point)
            self.p.drawPath(path)
        for point in points:
            self.marker(point, series.marker, series.filled)

    def marker(self, at: QPointF, shape: str, filled: bool) -> None:
        size = 1.6 * self.pt
        self.p.setPen(self.pen(0.6))
        self.p.setBrush(QBrush(Qt.GlobalColor.black) if filled else QBrush(Qt.GlobalColor.white))
        if shape == "circle":
            self.p.drawEllipse(at, size * 0.8, size * 0.8)
        elif shape == "square":
            self.p.drawRect(QRectF(at.x() - size * 0.75, at.y() - size * 0.75, size * 1.5, size * 1.5))
        else:
            tip = 1 if shape == "down" else -1
            self.p.drawPolygon(QPolygonF([QPointF(at.x() - size, at.y() - tip * size),
                                          QPointF(at.x() + size, at.y() - tip * size),
                                          QPointF(at.x(), at.y() + tip * size)]))

    def x_axis(self) -> None:
        line = self.metrics.height()
        step = 15 if self.x1 - self.x0 <= 240 else 30
        self.p.setPen(self.pen(0.3))
        minute = self.x0
        while minute <= self.x1:
            x = self.x(minute)
            self.p.drawLine(QPointF(x, self.lower.bottom()), QPointF(x, self.lower.bottom() + 0.3 * line))
            zero = "T0" if self.data.from_dose else "0"
            text = zero if minute == 0 else (f"+{minute:g}" if minute > 0 else f"−{-minute:g}")
            self.p.drawText(QRectF(x - 2 * line, self.lower.bottom() + 0.3 * line, 4 * line, line),
                            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), text)
            minute += step
        self.p.drawText(QRectF(self.lower.left(), self.lower.bottom() + 1.3 * line, self.lower.width(), line),
                        int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), self.data.x_label)

    def legend(self) -> None:
        line = self.metrics.height()
        x = self.upper.left()
        y = self.upper.top() - 1.25 * line
        for series in (*self.data.pressure, *self.data.saturation):
            self.p.setPen(self.pen(0.9, series.dash))
            self.p.drawLine(QPointF(x, y + line / 2), QPointF(x + 2.4 * line, y + line / 2))
            self.marker(QPointF(x + 1.2 * line, y + line / 2), series.marker, series.filled)
            self.p.setPen(self.pen(0.3))
            width = self.metrics.horizontalAdvance(series.label)
            self.p.drawText(QRectF(x + 2.7 * line, y, width + line, line),
                            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), series.label)
            x += 3.6 * line + width
        self.p.setPen(self.pen(0.5, Qt.PenStyle.DotLine, grey=60))
        self.p.drawLine(QPointF(x, y + line / 2), QPointF(x + 2.4 * line, y + line / 2))
        self.p.setPen(self.pen(0.3))
        self.p.drawText(QRectF(x + 2.7 * line, y, 12 * line, line),
                        int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), "alert threshold")
