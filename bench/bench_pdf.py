"""PDF session report time for a 3-hour session, against Qt's PDF writer printing the same text plainly.

Ours: ``write_pdf`` on the demo sitting (a ~3-hour sublingual session with readings every 15 min,
scales, quotes, music and a signed note), read from a real SQLite file once; the median of
several runs in one warm process. Baseline: the same record's CSV text laid out by a
QTextDocument and printed through QPdfWriter, i.e. the floor cost of Qt's PDF writer for that
much text. Target: < 1 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from common import Result


def run(quick: bool) -> list[Result]:
    from PySide6.QtGui import QGuiApplication, QPageSize, QPdfWriter, QTextDocument

    from kapdesk.demo import write_demo_session
    from kapdesk.export.csv_export import write_csv
    from kapdesk.export.pdf_report import write_pdf
    from kapdesk.store import Store

    app = QGuiApplication.instance() or QGuiApplication([])
    folder = Path(tempfile.mkdtemp())
    db = folder / "bench.sqlite3"
    session_id = write_demo_session(str(db))
    store = Store.open(str(db))
    record = store.session_record(session_id)
    text = write_csv(record, folder / "r.csv").read_text(encoding="utf-8")
    runs = 3 if quick else 10

    def ours() -> float:
        start = time.perf_counter()
        write_pdf(record, folder / "report.pdf")
        return time.perf_counter() - start

    def baseline() -> float:
        start = time.perf_counter()
        writer = QPdfWriter(str(folder / "plain.pdf"))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        document = QTextDocument()
        document.setPlainText(text)
        document.print_(writer)
        del writer
        return time.perf_counter() - start

    ours(), baseline()  # first-run costs (fonts) paid by both before measuring
    o = statistics.median(ours() for _ in range(runs)) * 1000
    b = statistics.median(baseline() for _ in range(runs)) * 1000
    store.close()
    del app
    return [Result(f"PDF report, 3-hour demo session (median of {runs})", o, b, "ms", "< 1000 ms", o < 1000,
                   "same record as plain text through QPdfWriter")]
