"""Opening the history view on a record of 10,000 sessions: construction to the first painted page.

The record is a real SQLite file made by ``Store.open`` (migrated, WAL, the shipped schema) and
filled fast through SQLAlchemy Core bulk inserts with realistic rows: 1,250 synthetic clients of
eight weekly sessions each, 20 clinicians, the shipped protocols, and per session the entries a
sitting leaves (start, phase, baseline vitals, T0, dose, a later reading, MOAA/S, CADSS-6, end)
plus a PHQ-9 and a GAD-7 for every other session.

Ours: ``HistoryView(clinic)`` on an open record (a fresh engine each run, so the search query is
compiled cold, as on the first opening in a day) → ``show()`` → the first paint of the session
list, whose model then holds the newest page (PAGE_SIZE = 200; the search goes to the record).
The course of the first client is read on the selection timer, after the first paint, and is not
in this figure. Baseline, in the same run: a raw ``sqlite3`` SELECT of the same newest 200 rows
(joined to client and clinician) into a plain ``QTreeWidget``, shown and painted.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from common import PLATFORM, ROOT, Result, median

sys.path.insert(0, str(ROOT))

SESSIONS = 10_000
PER_CLIENT = 8
CLINICIANS = 20
RUNS = 7
TARGET_MS = 50.0  # issue 12
UTC = timezone.utc


def build_record(path: Path, sessions: int) -> None:
    """A migrated SQLite record holding ``sessions`` completed synthetic sittings."""
    from sqlalchemy import insert

    from kapdesk.domain.doses import parse_dose
    from kapdesk.domain.entries import DoseTime, PhaseEntered, SessionEnded, SessionStarted, Vitals, encode
    from kapdesk.domain.protocols import load_protocols, protocol_to_dict
    from kapdesk.domain.scales import SCALES, score
    from kapdesk.domain.vitals import parse_vitals
    from kapdesk.paths import protocol_folders
    from kapdesk.store import Store
    from kapdesk.store.models import Client, Clinician, Entry, OutcomeMeasure, Session

    protocols = load_protocols(protocol_folders())[0]
    store = Store.open(str(path))
    start = datetime(2022, 1, 3, 9, 0, tzinfo=UTC)
    clinicians = [{"id": uuid.uuid4(), "name": f"Bench Clinician {i:02d} (synthetic)", "role": "therapist",
                   "created_at": start} for i in range(CLINICIANS)]
    clients = [{"id": uuid.uuid4(), "label": f"BENCH-{i:05d} (synthetic)", "date_of_birth": date(1980, 1, 1) + timedelta(days=i),
                "created_at": start, "created_by": clinicians[i % CLINICIANS]["id"]} for i in range(sessions // PER_CLIENT + 1)]
    baseline = Vitals(parse_vitals("124/80 72 98 14"), baseline=True)
    moaas = score(SCALES["moaas"], {"responsiveness": 4})
    cadss = score(SCALES["cadss6"], dict(zip(SCALES["cadss6"].item_keys, (2, 3, 1, 2, 1, 0))))
    phq9 = {k: 1 for k in SCALES["phq9"].item_keys}
    gad7 = {k: 1 for k in SCALES["gad7"].item_keys}
    session_rows, entry_rows, outcome_rows = [], [], []
    for n in range(sessions):
        client = clients[n // PER_CLIENT]
        clinician = clinicians[n % CLINICIANS]
        protocol = protocols[n % len(protocols)]
        arrival = start + timedelta(hours=n * 3)  # spread over the years, never two at once
        dose_at, ended = arrival + timedelta(minutes=20), arrival + timedelta(minutes=180)
        sid = uuid.uuid4()
        session_rows.append({"id": sid, "client_id": client["id"], "clinician_id": clinician["id"],
                             "protocol_id": protocol.id, "protocol": protocol_to_dict(protocol), "status": "ended",
                             "arrival_at": arrival, "dose_at": dose_at, "ended_at": ended, "created_at": arrival})
        dose = parse_dose(f"{protocol.drug} {56 if protocol.drug == 'esketamine' else 100} mg {protocol.route}",
                          given_by=clinician["name"])
        peak = Vitals(parse_vitals(f"{130 + n % 30}/{84 + n % 10} 80 97 14"), baseline=False)
        for minutes, data in (
            (0, SessionStarted(protocol.id)), (0, PhaseEntered(0, "arrival", "Arrival")), (12, baseline),
            (20, DoseTime()), (20, dose), (60, peak), (70, moaas), (72, cadss), (180, SessionEnded()),
        ):
            kind, payload = encode(data)  # the one codec: the stored shape the app writes
            at = arrival + timedelta(minutes=minutes)
            entry_rows.append({"id": uuid.uuid4(), "session_id": sid, "kind": kind.value, "occurred_at": at, "recorded_at": at,
                               "author_id": clinician["id"], "supersedes_id": None, "payload": payload, "note": None})
        if n % 2 == 0:
            for measure, answers in (("phq9", phq9), ("gad7", gad7)):
                outcome_rows.append({"id": uuid.uuid4(), "client_id": client["id"], "session_id": sid, "measure": measure,
                                     "taken_on": arrival.date(), "answers": answers, "total": len(answers),
                                     "author_id": clinician["id"], "recorded_at": arrival})
    with store.engine.begin() as connection:
        for model, rows in ((Clinician, clinicians), (Client, clients), (Session, session_rows), (Entry, entry_rows),
                            (OutcomeMeasure, outcome_rows)):
            connection.execute(insert(model.__table__), rows)
    store.close()


def _paint_waiter(widget):
    """An event filter that notes the first paint of ``widget``."""
    from PySide6.QtCore import QEvent, QObject

    class Waiter(QObject):
        painted = False

        def eventFilter(self, watched, event):  # noqa: N802 (Qt name)
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

    waiter = Waiter()
    widget.installEventFilter(waiter)
    return waiter


def _until_painted(app, waiter, started: float) -> float:
    deadline = started + 30
    while not waiter.painted:
        app.processEvents()
        if time.perf_counter() > deadline:
            raise RuntimeError("the widget never painted")
    return (time.perf_counter() - started) * 1000


def _delete_now(widget) -> None:
    """Delete ``widget`` before the next opening: ``processEvents`` outside the event loop leaves a
    ``deleteLater`` pending, and a view left alive keeps its timers."""
    from PySide6.QtCore import QCoreApplication, QEvent

    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def open_ours(app, db: Path, page: int) -> float:
    from kapdesk.domain.clock import SystemClock
    from kapdesk.session import Clinic
    from kapdesk.store import Store
    from kapdesk.ui.history_view import HistoryView

    clock = SystemClock()
    clinic = Clinic(Store.open(str(db), now=clock.utcnow), clock)
    clinic.clinicians()  # the app has used its record before the history opens: connect outside the timing
    started = time.perf_counter()
    view = HistoryView(clinic)
    waiter = _paint_waiter(view.list.viewport())
    view.resize(1280, 800)
    view.show()
    elapsed = _until_painted(app, waiter, started)
    if view.model.rowCount() != page:
        raise RuntimeError(f"expected a page of {page}, got {view.model.rowCount()}")
    view.close()
    _delete_now(view)  # else its course timer fires inside the next opening's timing (a hidden view loading a course)
    clinic.close()
    return elapsed


def open_baseline(app, db: Path, page: int) -> float:
    from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

    connection = sqlite3.connect(db)
    started = time.perf_counter()
    rows = connection.execute(
        "SELECT s.arrival_at, c.label, s.protocol_id, s.status, k.name FROM session s"
        " JOIN client c ON c.id = s.client_id JOIN clinician k ON k.id = s.clinician_id"
        " ORDER BY s.arrival_at DESC LIMIT ?", (page,)).fetchall()
    tree = QTreeWidget()
    tree.setHeaderLabels(["Date", "Client", "Protocol", "Status", "Clinician"])
    tree.addTopLevelItems([QTreeWidgetItem([str(v) for v in row]) for row in rows])
    waiter = _paint_waiter(tree.viewport())
    tree.resize(1280, 800)
    tree.show()
    elapsed = _until_painted(app, waiter, started)
    tree.close()
    _delete_now(tree)
    connection.close()
    return elapsed


def run(quick: bool) -> list[Result]:
    from PySide6.QtWidgets import QApplication

    from kapdesk.ui.history_view import PAGE_SIZE
    from kapdesk.ui.theme import DARK, apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app, DARK)
    db = Path(tempfile.mkdtemp()) / "history-bench.sqlite3"
    build_record(db, SESSIONS)
    open_ours(app, db, PAGE_SIZE)  # warm the imports and the OS file cache for both sides alike
    open_baseline(app, db, PAGE_SIZE)
    ours, base = [], []
    for _ in range(3 if quick else RUNS):  # interleaved, so drift in the machine hits both
        base.append(open_baseline(app, db, PAGE_SIZE))
        ours.append(open_ours(app, db, PAGE_SIZE))
    o, b = median(ours), median(base)
    return [Result(f"history view open, {SESSIONS:,} sessions, first page of {PAGE_SIZE} ({PLATFORM}, median of {len(ours)})",
                   o, b, "ms", f"< {TARGET_MS:.0f} ms", o < TARGET_MS, "raw sqlite3 into a QTreeWidget")]


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        print(result.line())
