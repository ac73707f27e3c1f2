"""The store on real SQLite files: migrations, pragmas, append-only entries, errors that leave files untouched."""

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from kapdesk.domain.entries import Kind, Observation, PhaseEntered, Vitals
from kapdesk.domain.protocols import protocol_to_dict
from kapdesk.domain.vitals import VitalsReading
from kapdesk.store import AppendOnlyError, EntryError, SchemaTooNewError, Store, StoreError
from kapdesk.store.engine import open_engine
from kapdesk.store.migrate import current_revision, head_revision, migrate
from kapdesk.store.models import Entry


def test_a_fresh_database_reaches_head(db_path, store):
    assert current_revision(store.engine) == head_revision()
    tables = {r[0] for r in sqlite3.connect(db_path).execute("select name from sqlite_master where type='table'")}
    assert {"clinician", "client", "session", "entry", "alembic_version"} <= tables


def test_the_schema_head_constant_matches_the_migrations():
    from kapdesk.store.models import SCHEMA_HEAD

    assert SCHEMA_HEAD == head_revision()


def test_pragmas_are_in_effect_on_the_stores_connections(store):
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_an_older_database_is_backed_up_and_upgraded_with_its_data(db_path, protocols):
    engine = open_engine(str(db_path))
    migrate(engine, target="0001")
    assert current_revision(engine) == "0001"
    engine.dispose()
    # Rows as a 0001-era KAPDesk wrote them (plain SQL: today's code writes today's schema).
    ids = {name: uuid.uuid4().hex for name in ("clinician", "client", "session", "entry")}
    stamp = "2026-01-05 09:00:00.000000"
    con = sqlite3.connect(db_path)
    con.execute("insert into clinician values (?, 'Old Clinician (synthetic)', 'therapist', ?)", (ids["clinician"], stamp))
    con.execute("insert into client values (?, 'OLD-01 (synthetic)', null, ?, ?)", (ids["client"], stamp, ids["clinician"]))
    con.execute("insert into session values (?, ?, ?, 'sublingual', ?, 'in progress', ?, null, null, ?)",
                (ids["session"], ids["client"], ids["clinician"], json.dumps(protocol_to_dict(protocols["sublingual"])), stamp, stamp))
    con.execute("insert into entry values (?, ?, 'phase', ?, ?, ?, null, ?, null)",
                (ids["entry"], ids["session"], stamp, stamp, ids["clinician"], json.dumps({"index": 0})))
    con.commit()
    con.close()

    store = Store.open(str(db_path))
    assert current_revision(store.engine) == head_revision()
    [session] = store.sessions()
    assert session.id == uuid.UUID(ids["session"]) and session.client_label == "OLD-01 (synthetic)"
    [phase] = store.entries(session.id)
    assert phase.kind == "phase" and phase.data == PhaseEntered(0, "", "?")  # read, with what it lacks
    backups = list(db_path.parent.glob(f"{db_path.name}.schema-0001-*.bak"))
    assert len(backups) == 1
    restored = sqlite3.connect(backups[0])
    assert restored.execute("select version_num from alembic_version").fetchone() == ("0001",)
    assert restored.execute("select count(*) from session").fetchone() == (1,)
    # The upgraded database enforces what the newer schema promises.
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sqlite3.connect(db_path).execute("delete from entry")
    store.close()


def test_a_database_from_a_newer_build_is_refused_untouched(db_path, store):
    store.close()
    con = sqlite3.connect(db_path)
    con.execute("update alembic_version set version_num = '9999'")
    con.commit()
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNewError, match="newer KAPDesk"):
        Store.open(str(db_path))
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_left_alone(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_text("my shopping list")
    with pytest.raises(StoreError, match="not a KAPDesk database"):
        Store.open(str(path))
    assert path.read_text() == "my shopping list"


def test_a_foreign_sqlite_database_is_left_alone(tmp_path):
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("create table patients (name text)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="no KAPDesk schema"):
        Store.open(str(path))
    assert sqlite3.connect(path).execute("select name from sqlite_master").fetchall() == [("patients",)]


def test_an_unwritable_location_names_the_path(tmp_path):
    """Root ignores folder permissions, so as root we aim at /proc, which nobody can write."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        target = locked if not _can_write(locked) else Path("/proc/kapdesk-test")
        with pytest.raises(StoreError, match=str(target)):
            Store.open(str(target / "record.sqlite3"))
    finally:
        locked.chmod(0o700)


def _can_write(folder) -> bool:
    try:
        (folder / ".w").write_text("")
        (folder / ".w").unlink()
        return True
    except OSError:
        return False


def test_a_path_under_a_file_names_the_path(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store.open(str(blocker / "sub" / "record.sqlite3"))


@pytest.mark.both_engines
def test_entries_are_append_only_through_the_orm(store, people, protocols):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    with store._sessions() as orm, pytest.raises(AppendOnlyError):
        entry = orm.query(Entry).filter_by(session_id=session.id).first()
        entry.payload = {"changed": True}
        orm.commit()
    with store._sessions() as orm, pytest.raises(AppendOnlyError):
        orm.delete(orm.query(Entry).first())
        orm.flush()


def test_entries_are_append_only_in_the_database_itself(db_path, store, people, protocols):
    clinician, client = people
    store.start_session(client.id, clinician.id, protocols["sublingual"])
    con = sqlite3.connect(db_path)
    for statement in ("update entry set kind = 'x'", "delete from entry"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(statement)
    assert con.execute("select count(*) from entry").fetchone()[0] == 2


@pytest.mark.both_engines
def test_a_correction_supersedes_and_both_are_kept(store, people, protocols, clock):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    clock.advance(60)
    first = store.add_entry(session.id, Vitals(VitalsReading(systolic=182)), clinician.id)
    clock.advance(60)
    fixed = store.add_entry(session.id, Vitals(VitalsReading(systolic=128)), clinician.id,
                            occurred_at=first.occurred_at, supersedes=first.id, note="typo")
    vitals = store.entries(session.id, kinds=[Kind.VITALS])
    assert [(v.data.reading.systolic, v.current) for v in vitals] == [(182, False), (128, True)]
    assert vitals[0].superseded_by == fixed.id and vitals[1].supersedes_id == first.id
    assert vitals[1].recorded_at > vitals[1].occurred_at
    with pytest.raises(EntryError, match="already corrected"):
        store.add_entry(session.id, Vitals(VitalsReading(systolic=130)), clinician.id, supersedes=first.id)


@pytest.mark.both_engines
def test_bad_entries_change_nothing(store, people, protocols, clock):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    before = store.entries(session.id)
    reading = Vitals(VitalsReading(systolic=128, diastolic=84))
    with pytest.raises(EntryError, match="in the future"):
        store.add_entry(session.id, reading, clinician.id, occurred_at=clock.utcnow() + timedelta(minutes=10))
    with pytest.raises(EntryError, match="before the client arrived"):
        store.add_entry(session.id, reading, clinician.id, occurred_at=clock.utcnow() - timedelta(hours=1))
    with pytest.raises(EntryError, match="no session"):
        store.add_entry(uuid.uuid4(), reading, clinician.id)
    with pytest.raises(EntryError, match="does not belong"):
        store.add_entry(session.id, reading, clinician.id, supersedes=uuid.uuid4())
    assert store.entries(session.id) == before


@pytest.mark.both_engines
def test_a_correction_keeps_the_kind_of_the_entry_it_replaces(store, people, protocols):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    reading = store.add_entry(session.id, Vitals(VitalsReading(systolic=128, diastolic=84)), clinician.id)
    before = store.entries(session.id)
    with pytest.raises(EntryError):
        store.add_entry(session.id, Observation("a note typed into the wrong field (synthetic)"), clinician.id,
                        supersedes=reading.id)
    assert store.entries(session.id) == before and before[-1].current


@pytest.mark.both_engines
def test_entries_come_back_typed_and_filtered_by_kind(store, people, protocols):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    reading = Vitals(VitalsReading(systolic=128, diastolic=84, heart_rate=72), baseline=True)
    note = Observation("resting (synthetic)", ("resting",))
    added = [store.add_entry(session.id, data, clinician.id) for data in (reading, note)]
    assert [(e.kind, e.data) for e in added] == [(Kind.VITALS, reading), (Kind.OBSERVATION, note)]
    assert store.entries(session.id, kinds=[Kind.VITALS, Kind.OBSERVATION]) == added
    assert [e.data for e in store.entries(session.id, kinds=[Kind.OBSERVATION])] == [note]


@pytest.mark.both_engines
def test_session_actions_record_entries_and_update_the_row(store, people, protocols, clock):
    clinician, client = people
    protocol = protocols["sublingual"]
    session = store.start_session(client.id, clinician.id, protocol)
    clock.advance(600)
    store.mark_dose(session.id, clinician.id)
    with pytest.raises(EntryError, match="already marked"):
        store.mark_dose(session.id, clinician.id)
    clock.advance(600)
    assert store.advance_phase(session.id, clinician.id) == 2
    store.extend_phase(session.id, clinician.id, 15)
    with pytest.raises(EntryError, match="not possible"):
        store.extend_phase(session.id, clinician.id, 0)
    for _ in range(3):
        store.advance_phase(session.id, clinician.id)
    with pytest.raises(EntryError, match="last phase"):
        store.advance_phase(session.id, clinician.id)
    ended = store.end_session(session.id, clinician.id)
    assert ended.status == "ended" and ended.ended_at == clock.utcnow()
    with pytest.raises(EntryError, match="has ended"):
        store.advance_phase(session.id, clinician.id)
    kinds = [e.kind for e in store.entries(session.id)]
    assert kinds == ["session_started", "phase", "dose_time", "phase", "phase", "phase_extended",
                     "phase", "phase", "phase", "session_ended"]
    facts = store.facts(session.id)
    assert [m.index for m in facts.phase_marks] == [0, 1, 2, 3, 4, 5]
    assert facts.extensions[0].minutes == 15


@pytest.mark.both_engines
def test_one_live_session_per_client(store, people, protocols):
    clinician, client = people
    store.start_session(client.id, clinician.id, protocols["sublingual"])
    with pytest.raises(EntryError, match="already has a session in progress"):
        store.start_session(client.id, clinician.id, protocols["sublingual"])


@pytest.mark.both_engines
def test_names_must_be_unique_and_non_empty(store, people):
    clinician, client = people
    with pytest.raises(EntryError, match="already exists"):
        store.add_client(client.label, clinician.id)
    with pytest.raises(EntryError, match="empty"):
        store.add_client("   ", clinician.id)
    with pytest.raises(EntryError, match="already exists"):
        store.add_clinician(clinician.name)


@pytest.mark.both_engines
def test_the_session_keeps_its_protocol_snapshot(store, people, protocols):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["esketamine"])
    assert store.session(session.id).protocol.phases == protocols["esketamine"].phases
