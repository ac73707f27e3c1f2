"""The keystroke path of an entry on an SQLite record (``Store._append_direct``, issue 10 and 12).

After a session's first entry its arrival and author are known facts, and later entries take a
plain DBAPI transaction instead of an ORM session. These tests hold that path to the same record
as the ORM path: the same rows and digests, one chain, nothing half-saved, the same one-line errors.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from kapdesk.domain.entries import Observation, Vitals
from kapdesk.domain.vitals import VitalsReading
from kapdesk.store import Store
from kapdesk.store.audit import verify
from kapdesk.store.errors import ConstraintError, EntryError, StoreError

READING = Vitals(VitalsReading(systolic=128, diastolic=82, heart_rate=72, spo2=98, resp_rate=14), False)


@pytest.fixture
def sitting(store, people, protocols):
    clinician, client = people
    return store.start_session(client.id, clinician.id, protocols["sublingual"]), clinician


def _spy_direct(store: Store, monkeypatch) -> list[str]:
    taken: list[str] = []
    direct = store._append_direct

    def spy(*args, **kwargs):
        taken.append("direct")
        return direct(*args, **kwargs)

    monkeypatch.setattr(store, "_append_direct", spy)
    return taken


def test_later_entries_take_the_direct_path_and_read_back_as_the_first(store, sitting, monkeypatch, clock):
    info, clinician = sitting
    taken = _spy_direct(store, monkeypatch)
    first = store.add_entry(info.id, READING, clinician.id)
    assert taken == []  # the first entry reads the session and author (the ORM path)
    clock.advance(60)
    second = store.add_entry(info.id, Observation("calm, eyes closed (synthetic)"), clinician.id)
    third = store.add_entry(info.id, READING, clinician.id)
    assert taken == ["direct", "direct"]
    stored = {e.id: e for e in store.entries(info.id)}
    for entry in (first, second, third):
        assert stored[entry.id] == entry  # what add_entry returned is what was stored
    assert verify(store.engine) == []  # one chain, every entry's digest in its event


def test_a_refused_event_leaves_no_entry_and_says_why_in_one_line(store, sitting, db_path, monkeypatch):
    info, clinician = sitting
    store.add_entry(info.id, READING, clinician.id)  # the facts are now cached: the direct path is next
    taken = _spy_direct(store, monkeypatch)
    before = len(store.entries(info.id))
    with sqlite3.connect(db_path) as db:  # the audit INSERT, after the entry's, is refused
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    with pytest.raises(ConstraintError) as refused:
        store.add_entry(info.id, READING, clinician.id)
    assert taken == ["direct"]
    assert str(refused.value) == "the disk is full: nothing was saved. Free some space, then try again"
    assert len(store.entries(info.id)) == before  # the entry's row went with the refused event
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TRIGGER refuse")
    store.add_entry(info.id, READING, clinician.id)  # the connection is usable again
    assert len(store.entries(info.id)) == before + 1
    assert verify(store.engine) == []


def test_a_busy_record_is_said_and_nothing_is_saved(store, sitting, db_path):
    info, clinician = sitting
    store.add_entry(info.id, READING, clinician.id)
    with store.engine.connect() as connection:  # the direct path's connection must wait at most briefly
        connection.exec_driver_sql("PRAGMA busy_timeout=0")
        connection.commit()
    before = len(store.entries(info.id))
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with pytest.raises(StoreError) as busy:
            store.add_entry(info.id, READING, clinician.id)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "busy" in str(busy.value) and "nothing was saved" in str(busy.value)
    assert len(store.entries(info.id)) == before


def test_time_checks_hold_on_the_direct_path(store, sitting, clock):
    info, clinician = sitting
    store.add_entry(info.id, READING, clinician.id)
    with pytest.raises(EntryError, match="in the future"):
        store.add_entry(info.id, READING, clinician.id, occurred_at=clock.utcnow() + timedelta(minutes=5))
    with pytest.raises(EntryError, match="before the client arrived"):
        store.add_entry(info.id, READING, clinician.id, occurred_at=clock.utcnow() - timedelta(hours=2))
