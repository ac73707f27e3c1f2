"""The audit trail is a hash chain that covers entries, outcome measures and signed notes.

Tampering is done as an attacker would: with plain sqlite3 on the file, the app's triggers dropped
first. `kapdesk audit verify` must then exit 1 naming the first broken event.
"""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import uuid
from datetime import date
from pathlib import Path

import pytest

from kapdesk.domain.entries import Observation
from kapdesk.store import Store
from kapdesk.store.audit import trail, verify
from kapdesk.store.audit_cli import main as audit_main

FIXTURE = Path(__file__).parent / "fixtures" / "release-0.1" / "record.sqlite3"


def _cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = audit_main(list(argv), out, err)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def record(store, live, db_path):
    """A sitting with entries, an outcome measure and a signed note, all written by the app."""
    live.record(Observation("Synthetic observation: resting"))
    live.add_outcome("phq9", {"self_harm": 0, "mood": 1}, 1, store.now().date())
    store.end_session(live.id, live.clinician_id)
    store.save_note_draft(live.id, {"themes": "Synthetic theme"}, live.clinician_id)
    store.sign_note(live.id, live.clinician_id)
    store.add_addendum(live.id, "Synthetic addendum", live.clinician_id)
    store.close()
    return db_path


def _tamper(path: Path, *sql: str) -> None:
    with sqlite3.connect(path) as db:
        for name in [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]:
            db.execute(f"DROP TRIGGER {name}")
        for statement in sql:
            db.execute(statement)


def test_an_untouched_record_verifies(record):
    assert verify(Store.open(str(record)).engine) == []
    code, text = _cli("verify", "--db", str(record))
    assert code == 0 and "intact" in text


def test_every_entry_outcome_and_signature_has_its_link(record):
    store = Store.open(str(record))
    events = store.audit_events()
    kinds = {(e.action, e.object_type) for e in events}
    assert {("created", "entry"), ("created", "outcome_measure"), ("signed", "integration_note"),
            ("signed", "note_addendum"), ("created", "clinician")} <= kinds
    with sqlite3.connect(record) as db:
        entries = db.execute("SELECT count(*) FROM entry").fetchone()[0]
        seqs = [r[0] for r in db.execute("SELECT seq FROM audit_event ORDER BY seq")]
    assert sum(1 for e in events if e.object_type == "entry") == entries
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_changed_entry_is_named(record):
    _tamper(record, "UPDATE entry SET payload = json_set(payload, '$.text', 'rewritten') WHERE kind = 'observation'")
    problems = verify(Store.open(str(record)).engine)
    assert problems and "entry" in str(problems[0]) and "was changed after event #" in str(problems[0])
    code, text = _cli("verify", "--db", str(record))
    assert code == 1 and text.startswith("audit trail broken: event #")


def test_a_removed_event_breaks_the_chain_at_the_next(record):
    _tamper(record, "DELETE FROM audit_event WHERE seq = 3")
    first = verify(Store.open(str(record)).engine)[0]
    assert first.seq == 4 and "jumps from #2 to #4" in first.message


def test_a_changed_event_is_named(record):
    _tamper(record, "UPDATE audit_event SET action = 'viewed' WHERE seq = 5")
    first = verify(Store.open(str(record)).engine)[0]
    assert first.seq == 5 and "changed after it was written" in first.message


def test_a_rehashed_event_still_breaks_the_link_to_the_next(record):
    """Rewriting an event's own hash to match its new content leaves the next event pointing at the old one."""
    _tamper(record, "UPDATE audit_event SET hash = (CASE WHEN hash LIKE 'f%' THEN '0' ELSE 'f' END) || substr(hash, 2) "
                    "WHERE seq = 5")
    problems = verify(Store.open(str(record)).engine)
    assert [p.seq for p in problems[:2]] == [5, 6] and "does not follow event #5" in problems[1].message


def test_a_row_written_outside_the_app_has_no_event(record):
    with sqlite3.connect(record) as db:
        session_id, author = db.execute("SELECT session_id, author_id FROM entry LIMIT 1").fetchone()
    _tamper(record, "INSERT INTO entry (id, session_id, kind, occurred_at, recorded_at, author_id, payload) VALUES "
                    f"('{uuid.uuid4().hex}', '{session_id}', 'observation', '2026-01-01 10:00:00.000000', "
                    f"'2026-01-01 10:00:00.000000', '{author}', '{{\"text\": \"forged (synthetic)\"}}')")
    problems = verify(Store.open(str(record)).engine)
    assert any("has no audit event" in str(p) for p in problems)


def test_a_changed_signed_note_is_named(record):
    _tamper(record, "UPDATE integration_note SET sections = json_set(sections, '$.themes', 'rewritten')")
    problems = verify(Store.open(str(record)).engine)
    changed = next(p for p in problems if "changed after it was signed" in str(p))
    assert changed.seq is not None  # named by the event that signed it


def test_a_changed_outcome_is_named(record):
    _tamper(record, "UPDATE outcome_measure SET answers = json_set(answers, '$.self_harm', 3)")
    problems = verify(Store.open(str(record)).engine)
    assert any("outcome measure" in str(p) and "was changed" in str(p) for p in problems)


def test_a_record_from_release_0_1_gets_its_chain_on_upgrade(tmp_path):
    copy = tmp_path / "old.sqlite3"
    shutil.copyfile(FIXTURE, copy)
    store = Store.open(str(copy))
    assert verify(store.engine) == []
    assert any(e.detail.get("backfilled") for e in store.audit_events() if e.object_type == "entry")
    code, _ = _cli("verify", "--db", str(copy))
    assert code == 0


def test_the_chain_never_forks(record):
    """seq is unique: a second event claiming the same place is refused by the database."""
    with sqlite3.connect(record) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO audit_event (id, seq, prev_hash, hash, at, action, object_type, object_id, detail) "
                   "SELECT 'x', seq, prev_hash, hash, at, action, object_type, object_id, detail FROM audit_event "
                   "WHERE seq = 1")


def test_the_report_names_time_user_action_patient_and_data(record):
    store = Store.open(str(record))
    rows = trail(store.engine)
    clinician = store.clinicians()[0].name
    signed = next(r for r in rows if r.action == "signed" and r.category == "integration note")
    assert signed.user == clinician and "synthetic" in signed.patient.casefold()
    assert any(r.category == "session record: Observation" for r in rows)
    assert any(r.category == "outcome measure: phq9" for r in rows)
    code, text = _cli("list", "--db", str(record), "--format", "csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert code == 0 and list(table[0]) == ["seq", "time", "user", "action", "patient", "data", "object"]
    assert len(table) == len(rows)


def test_the_report_filters_by_client_and_date(record, capsys):
    engine = Store.open(str(record)).engine
    everyone = trail(engine)
    label = next(r.patient for r in everyone if r.patient)
    assert {r.patient for r in trail(engine, client=label.upper())} == {label}
    assert trail(engine, client="NOBODY (synthetic)") == []
    assert trail(engine, since=date(2999, 1, 1)) == []
    code, _ = _cli("list", "--db", str(record), "--since", "yesterday")
    assert code == 2 and "is not a date like 2026-12-01" in capsys.readouterr().err


def test_a_reordered_event_is_named(record):
    """Two events swapped in the chain (their places exchanged) no longer follow one another."""
    _tamper(record, "UPDATE audit_event SET seq = -1 WHERE seq = 4",
            "UPDATE audit_event SET seq = 4 WHERE seq = 5",
            "UPDATE audit_event SET seq = 5 WHERE seq = -1")
    problems = verify(Store.open(str(record)).engine)
    assert problems and problems[0].seq == 4
    code, text = _cli("verify", "--db", str(record))
    assert code == 1 and "event #4" in text


def test_the_start_screen_says_when_the_newest_links_are_broken(record, qtbot, clock):
    """Opening a record whose audit trail was edited outside KAPDesk says so, in one line, and goes on."""
    from conftest import open_main_window

    _tamper(record, "UPDATE audit_event SET action = 'viewed' WHERE seq = (SELECT max(seq) - 1 FROM audit_event)")
    store = Store.open(str(record), now=clock.utcnow)
    window = open_main_window(qtbot, store, clock)
    text = window.start_screen.message.text()
    assert "audit trail is broken" in text and "kapdesk audit verify" in text and "changed after it was written" in text


def test_an_intact_record_opens_without_a_warning(record, qtbot, clock):
    from conftest import open_main_window

    window = open_main_window(qtbot, Store.open(str(record), now=clock.utcnow), clock)
    assert "audit trail" not in window.start_screen.message.text()
