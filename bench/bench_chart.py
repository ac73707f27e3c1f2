"""Vitals chart update cost in a six-hour sitting (360 readings, one a minute), against a plain repaint.

Each update is the app's real path: a reading is recorded on a ``LiveSession`` (real SQLite
file), the chart's ``on_change`` listener updates the series, then the chart is repainted
synchronously (``QWidget.repaint``). "ours" is the chart's share: its listener plus the repaint,
timed by listeners registered just before and just after the chart's own. The baseline is a
repaint of the same chart, same size, with nothing changed; a second line reports the whole
record → repainted time, SQLite commit (synchronous=FULL) included, for context.

Runs in-process (no child): it measures steady-state work, not start-up.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import PLATFORM, Result, median

READINGS = 360  # six hours at one a minute
UPDATES = 100
WARM_UP = 5
ABOVE_MS = 5.0  # issue 12: at most this much above the bare repaint of the same chart


def run(quick: bool) -> list[Result]:
    from PySide6.QtWidgets import QApplication

    from kapdesk.domain.clock import FakeClock
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.domain.entries import Vitals
    from kapdesk.session.live import LiveSession
    from kapdesk.paths import protocol_folders
    from kapdesk.store import Store
    from kapdesk.ui.theme import DARK, apply_theme
    from kapdesk.ui.vitals_chart import VitalsChart

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app, DARK)
    clock = FakeClock()
    folder = Path(tempfile.mkdtemp())
    store = Store.open(str(folder / "bench.sqlite3"), now=clock.utcnow)
    try:
        protocol = {p.id: p for p in load_protocols(protocol_folders())[0]}["sublingual"]
        clinician = store.add_clinician("Bench Clinician (synthetic)")
        client = store.add_client("BENCH-01 (synthetic)", clinician.id)
        session = store.start_session(client.id, clinician.id, protocol)
        clock.advance(12 * 60)
        store.add_entry(session.id, Vitals(_reading(0), baseline=True), clinician.id)
        clock.advance(8 * 60)
        store.mark_dose(session.id, clinician.id)
        for minute in range(1, READINGS + 1):
            clock.advance(60)
            store.add_entry(session.id, Vitals(_reading(minute)), clinician.id)
        live = LiveSession(store, session.id, clinician.id, clock)

        marks: dict[str, float] = {}
        live.changed.connect(lambda _entry: marks.__setitem__("start", time.perf_counter()))
        chart = VitalsChart(theme=DARK)
        chart.resize(900, 460)
        chart.show()
        chart.set_session(live)
        live.changed.connect(lambda _entry: marks.__setitem__("end", time.perf_counter()))
        app.processEvents()

        updates, totals, idle = [], [], []
        count = 30 if quick else UPDATES
        for n in range(WARM_UP + count):
            clock.advance(60)
            began = time.perf_counter()
            live.record(Vitals(_reading(READINGS + n + 1)))
            chart.repaint()
            done = time.perf_counter()
            if n >= WARM_UP:
                updates.append((marks["end"] - marks["start"]) + (done - marks["end"]))
                totals.append(done - began)
            app.processEvents()  # let queued work settle so the next update starts clean
            still = time.perf_counter()
            chart.repaint()
            if n >= WARM_UP:
                idle.append(time.perf_counter() - still)
        assert len(chart.points("systolic")) == READINGS + 1 + WARM_UP + count
        chart.close()
        chart.deleteLater()
        app.processEvents()
    finally:
        store.close()

    ours, base, total = (median(v) * 1000 for v in (updates, idle, totals))
    label = f"{READINGS} readings, median of {len(updates)}, {PLATFORM}"
    return [
        Result(f"vitals chart: add a reading + repaint ({label})", ours, base, "ms", f"< bare + {ABOVE_MS:g} ms",
               ours - base < ABOVE_MS, "repaint, no change"),
        Result(f"vitals chart: record (SQLite commit) → repainted ({label})", total, base, "ms", "report only",
               True, "repaint, no change"),
    ]


def _reading(minute: int):
    """A synthetic, plausible reading that wanders a little with the minute."""
    from kapdesk.domain.vitals import VitalsReading

    return VitalsReading(systolic=120 + minute % 30, diastolic=78 + minute % 12, heart_rate=68 + minute % 17,
                         spo2=95 + minute % 5, resp_rate=14)
