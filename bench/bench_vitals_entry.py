"""Keypress-to-durable-commit latency of a vitals entry, against a raw sqlite3 INSERT + COMMIT.

Ours: a reading is typed into the real record pane's vitals line (typing is not timed), then the
clock starts at the Enter key event and stops when the store's ``add_entry`` returns — that is,
when the entry is committed and synced (WAL, ``synchronous=FULL``) on a real SQLite file, through
the parser, ``LiveSession.record`` and the store. Baseline: one ``INSERT`` of a row of the same
shape plus ``COMMIT`` with plain ``sqlite3`` and the same pragmas, on a file in the same folder,
interleaved one for one with ours so that a busy disk slows both alike. Targets (issue 12):
≤ 2× at the median, ≤ 2.5× at p99. Ours includes the audit chain's event for the entry, in the
same transaction (kapdesk/store/repository.py ``_append_direct``): one fsync either way. A third
line puts the median against the floor of the record's design, interleaved in the same rounds: the
same entry and audit event written by raw ``sqlite3`` on the record's own connection
(``common.SchemaFloor``): the first lines price the design and our code, the third our code alone.

The child also measures Enter → confirmation on screen (after the commit, the live session
re-reads its facts and every listener runs); it is printed to stderr for the record, not judged.

Run as ``python bench/run.py --only vitals``; the measuring happens in a child process
(``python bench/bench_vitals_entry.py --child N``) with a fresh interpreter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Result, SchemaFloor, median, percentile, run_child  # noqa: E402

TARGETS = {"median": 2.0, "p99": 2.5}


def run(quick: bool) -> list[Result]:
    count = 100 if quick else 1000
    out = run_child("bench/bench_vitals_entry.py", "--child", str(count), timeout=1800)
    data = json.loads(out.strip().splitlines()[-1])
    ours, base = data["commit"], data["baseline"]
    base_name = "sqlite3 INSERT+COMMIT, WAL+FULL"
    results = []
    for label, pick in (("median", median), ("p99", lambda v: percentile(v, 99))):
        o, b = pick(ours) * 1000, pick(base) * 1000
        target = TARGETS[label]
        results.append(Result(f"vitals entry Enter→commit {label} of {count}", o, b, "ms", f"≤ {target:g}×",
                              o <= target * b, base_name))
    o, floor = median(ours) * 1000, median(data["floor"]) * 1000
    results.append(Result(f"vitals entry Enter→commit against the same rows by raw sqlite3, median of {count}", o,
                          floor, "ms", "≤ 2×", o <= 2 * floor,
                          "sqlite3 INSERTs of the entry and its audit event + COMMIT on the record's own connection"))
    full = data["confirmed"]
    print(f"(info) Enter→confirmation on screen: median {median(full) * 1000:.3g} ms, "
          f"p99 {percentile(full, 99) * 1000:.3g} ms", file=sys.stderr)
    return results


# --------------------------------------------------------------------------------------------
# The child
# --------------------------------------------------------------------------------------------


def _child(count: int) -> None:
    import os
    import shutil
    import sqlite3
    import tempfile
    import time
    import uuid
    from datetime import datetime, timezone

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(tempfile.mkdtemp(prefix="kapdesk-bench-"))
    os.environ["KAPDESK_DATA_DIR"] = str(folder / "user-data")  # never the real one

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from kapdesk.domain.clinic import ClinicSettings
    from kapdesk.domain.clock import SystemClock
    from kapdesk.domain.entries import Vitals
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.domain.vitals import parse_vitals
    from kapdesk.session.live import LiveSession
    from kapdesk.paths import resources_dir
    from kapdesk.store import Store
    from kapdesk.ui.record_pane import RecordPane
    from kapdesk.ui.theme import DARK, apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_theme(app, DARK)
    clock = SystemClock()
    store = Store.open(str(folder / "ours.sqlite3"), now=clock.utcnow)
    protocols, _ = load_protocols([resources_dir() / "protocols"])
    protocol = next(p for p in protocols if p.id == "sublingual")
    clinician = store.add_clinician("Bench Clinician (synthetic)")
    client = store.add_client("BENCH-01 (synthetic)", clinician.id)
    session = store.start_session(client.id, clinician.id, protocol)
    live = LiveSession(store, session.id, clinician.id, clock)
    pane = RecordPane()
    pane.set_session(live, ClinicSettings())
    pane.show()
    line = pane.vitals.line

    committed: list[float] = []
    add_entry = store.add_entry

    def timed_add_entry(*args, **kwargs):
        entry = add_entry(*args, **kwargs)
        committed.append(time.perf_counter())  # the commit (and its fsync) has returned
        return entry

    store.add_entry = timed_add_entry  # type: ignore[method-assign]

    raw = sqlite3.connect(folder / "baseline.sqlite3")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE entry (id TEXT PRIMARY KEY, session_id TEXT, kind TEXT, occurred_at TEXT, "
                "recorded_at TEXT, author_id TEXT, payload TEXT, note TEXT)")
    raw.commit()
    raw_session, raw_author = str(uuid.uuid4()), str(uuid.uuid4())

    def baseline_once(payload: dict) -> float:
        now = datetime.now(timezone.utc).isoformat()
        start = time.perf_counter()
        raw.execute("INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (str(uuid.uuid4()), raw_session, "vitals", now, now, raw_author, json.dumps(payload), None))
        raw.commit()
        return time.perf_counter() - start

    ours: list[float] = []
    confirmed: list[float] = []
    base: list[float] = []
    floors: list[float] = []
    # The floor's rows go to a sitting of their own, so the pane's sitting holds only what was typed.
    other = store.start_session(store.add_client("BENCH-02 (synthetic)", clinician.id).id, clinician.id, protocol)
    floor = SchemaFloor(store, other.id, clinician.id, Vitals(parse_vitals("124/78 66 97 14"), True))
    warm_up = 10
    for i in range(count + warm_up):
        # Plausible, varied, never alarming: an alert would add a second commit to some entries.
        systolic, diastolic, hr = 118 + i % 17, 74 + i % 9, 64 + i % 13
        line.setText(f"{systolic}/{diastolic} {hr} {96 + i % 4} {12 + i % 5}")
        start = time.perf_counter()
        QTest.keyClick(line, Qt.Key.Key_Return)
        done = time.perf_counter()
        if not pane.vitals.message.text().startswith("Saved "):
            raise SystemExit(f"entry {i} not saved: {pane.vitals.message.text()}")
        payload = {"systolic": systolic, "diastolic": diastolic, "hr": hr, "spo2": 97, "rr": 14, "temp_c": None,
                   "baseline": True}
        b = baseline_once(payload)
        f = floor.once()
        if i >= warm_up:
            floors.append(f)
            ours.append(committed[-1] - start)
            confirmed.append(done - start)
            base.append(b)
    raw.close()
    store.close()
    pane.deleteLater()
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({"commit": ours, "confirmed": confirmed, "baseline": base, "floor": floors}))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
    else:
        for result in run("--quick" in sys.argv):
            print(result.line())
