"""The readable session report: an A4 PDF written by Qt's own PDF writer.

This module lays the report out and paints it; the parts live beside it:

=================  ==========================================================================
module             what it holds
=================  ==========================================================================
``pdf_sections``   the record as HTML sections (header, preparation, doses, vitals, scales …)
``pdf_rems``       the esketamine REMS monitoring form's rows
``pdf_rescue``     the rescue medication and adverse events section
``pdf_chart``      the vitals chart, drawn with QPainter from ``series.chart_data`` (the live
                   chart's data)
``pdf_html``       small HTML helpers the sections share
=================  ==========================================================================

The report derives no clinical fact itself: baseline, peak, rises, T+ labels, durations and the
REMS checks are the record's facts (:attr:`SessionRecord.facts`, :mod:`kapdesk.domain.record`),
the alerts and the chart's data come from :mod:`kapdesk.domain.alerts` and
:mod:`kapdesk.domain.series`: the same functions the screen uses.

Black-and-white friendly: nothing needs colour to be read, and the PDF is written in greyscale.
The chart is drawn straight into the PDF (vector, text selectable), through a custom text object
inside the flowing document, so it paginates with the text.

Layout: one ``QTextDocument`` from HTML, laid out on the writer's own device and painted page by
page, so every page can carry a footer (and a DRAFT watermark). A ``QGuiApplication`` must exist
(fonts need one); the CLI creates one, the app already has one.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextCharFormat,
    QTextDocument,
    QTextFormat,
)

from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules
from kapdesk.domain.info import SessionRecord
from kapdesk.export import draft_reason
from kapdesk.export.pdf_chart import ChartObject
from kapdesk.export.pdf_sections import CHART_MARKER, Report

__all__ = ["render_page", "write_pdf"]

_CHART = QTextFormat.ObjectTypes.UserObject + 1
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
    report = Report(record, rules, tz, generated_at)

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


def _paint(report: Report, writer: QPdfWriter, painter: QPainter) -> None:
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
    chart = ChartObject(report.chart(), width, dpi)
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
    cursor = document.find(CHART_MARKER)
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


def _footer(painter: QPainter, report: Report, rect: QRectF, page: int, pages: int, draft: bool) -> None:
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
