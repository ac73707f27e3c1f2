"""Local-first rooms replicating to the clinic's PostgreSQL server (a real cluster, tests/pgcluster.py).

Each room is a real SQLite file written through the store, as the app writes it; the replicator
(kapdesk.sync) runs its cycles here on the test's thread so each step can be looked at. The
server faults (stopped, killed, a room killed mid-push) are in tests/test_sync_faults.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kapdesk.domain.entries import Kind, Observation, Vitals
from kapdesk.domain.status import SessionStatus
from kapdesk.domain.vitals import VitalsReading
from kapdesk.store import Store
from kapdesk.store.audit import verify
from kapdesk.store.models import AuditEvent
from kapdesk.sync.replicator import Replicator
from kapdesk.sync.status import SyncState, SyncStatus, status_line

COUNTED = ("clinician", "client", "session", "entry", "integration_note", "note_addendum", "outcome_measure",
           "audit_event")


@pytest.fixture
def server(pg_cluster):
    return pg_cluster.database()


class Room:
    """One treatment room: its own SQLite record and its replicator to ``server``."""

    def __init__(self, folder: Path, name: str, server: str, clock, **options) -> None:
        self.path = folder / f"{name.replace(' ', '-')}.sqlite3"
        self.store = Store.open(str(self.path), now=clock.utcnow)
        self.sync = Replicator(str(self.path), server, room=name, now=clock.utcnow, **options)

    def close(self) -> None:
        self.sync.close()
        self.store.close()


@pytest.fixture
def rooms(tmp_path, server, clock):
    made: list[Room] = []

    def make(name: str, **options) -> Room:
        made.append(Room(tmp_path, name, server, clock, **options))
        return made[-1]

    yield make
    for room in made:
        room.close()


@pytest.fixture
def office(server, clock):
    store = Store.open(server, now=clock.utcnow)
    yield store
    store.close()


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in COUNTED}


def sitting(store: Store, clock, protocols, *, label: str = "SYNC-01 (synthetic)", clinician: str = "Sync Clinician (synthetic)",
            end: bool = True):
    """A sitting with a reading corrected twice, a dose, an outcome, and (ended) a signed note and addendum."""
    doc = next((c for c in store.clinicians() if c.name == clinician), None) or store.add_clinician(clinician)
    client = next((c for c in store.clients() if c.label == label), None) or store.add_client(label, doc.id)
    session = store.start_session(client.id, doc.id, protocols["sublingual"])
    clock.advance(5 * 60)
    first = store.add_entry(session.id, Vitals(VitalsReading(systolic=128, diastolic=80, heart_rate=72), True), doc.id)
    clock.advance(1 * 60)
    second = store.add_entry(session.id, Vitals(VitalsReading(systolic=182, diastolic=80, heart_rate=72), True), doc.id,
                             occurred_at=first.occurred_at, supersedes=first.id, note="typo")
    clock.advance(1 * 60)
    store.add_entry(session.id, Vitals(VitalsReading(systolic=132, diastolic=80, heart_rate=72), True), doc.id,
                    occurred_at=first.occurred_at, supersedes=second.id, note="typo again")
    store.mark_dose(session.id, doc.id)
    clock.advance(20 * 60)
    store.add_entry(session.id, Observation("Resting, slow breathing (synthetic)"), doc.id)
    store.add_outcome(client.id, "phq9", {"self_harm": 0, "mood": 2}, 9, doc.id, clock.utcnow().date(), session.id)
    if end:
        clock.advance(90 * 60)
        store.end_session(session.id, doc.id)
        store.save_note_draft(session.id, {"themes": "Being carried (synthetic)"}, doc.id)
        store.sign_note(session.id, doc.id)
        store.add_addendum(session.id, "Called next day: sleeping well (synthetic)", doc.id)
    return session, doc, client


def test_status_lines_are_the_status_bar_words(clock):
    assert status_line(SyncStatus(SyncState.UP_TO_DATE)) == "server: up to date"
    assert status_line(SyncStatus(SyncState.WAITING, 3)) == "server: 3 waiting"
    since = clock.utcnow()
    assert status_line(SyncStatus(SyncState.OFFLINE, 0, since)) == \
        f"server: offline since {since.astimezone():%H:%M}"
    assert status_line(SyncStatus(SyncState.OFFLINE, 4, since)).endswith(" · 4 waiting")
    assert status_line(SyncStatus(SyncState.NEWER_SCHEMA, 2)) == "server: newer schema — working locally"
    assert status_line(SyncStatus(SyncState.UP_TO_DATE, conflicts=1)) == \
        "server: up to date · 1 client label to link (admin)"


def test_a_push_sends_everything_and_pushing_again_changes_nothing(rooms, office, clock, protocols):
    room = rooms("Room 1")
    session, _, _ = sitting(room.store, clock, protocols)
    assert room.sync.waiting() > 0
    assert room.sync.cycle().state is SyncState.UP_TO_DATE and room.sync.waiting() == 0
    once = counts(office)
    local = counts(room.store)
    assert {t: once[t] for t in COUNTED} == {t: local[t] for t in COUNTED}
    assert verify(office.engine) == []

    # A kill -9 after the server's commit but before the queue was emptied: everything is sent again.
    with sqlite3.connect(room.path) as db:
        for table in COUNTED:
            db.execute(f"INSERT INTO sync_outbox (table_name, row_id) SELECT '{table}', id FROM {table}")
    assert room.sync.waiting() > 0
    assert room.sync.cycle().state is SyncState.UP_TO_DATE
    assert counts(office) == once
    assert verify(office.engine) == []
    assert [e.id for e in office.entries(session.id)] == [e.id for e in room.store.entries(session.id)]
    assert office.note(session.id).content_hash == room.store.note(session.id).content_hash


def test_events_join_the_servers_own_chain_with_their_room(rooms, office, clock, protocols):
    room = rooms("Room 1")
    sitting(room.store, clock, protocols)
    office.add_clinician("Office Prescriber (synthetic)")  # the server's chain starts with the office's event
    room.sync.cycle()
    with office.engine.connect() as connection:
        rows = connection.execute(text("SELECT seq, id, detail FROM audit_event ORDER BY seq")).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    pushed = {str(r.id): r.detail for r in rows[1:]}
    local = _events(room.store)
    assert set(pushed) == set(local)
    assert all(detail["room"] == "Room 1" for detail in pushed.values())
    assert all({k: v for k, v in pushed[i].items() if k != "room"} == local[i] for i in local)
    assert verify(office.engine) == [] and verify(room.store.engine) == []


def _events(store: Store) -> dict[str, dict]:
    """The audit events of ``store`` by id, with their detail, in chain order."""
    table = AuditEvent.__table__
    with store.engine.connect() as connection:
        return {str(r.id): r.detail for r in connection.execute(select(table).order_by(table.c.seq))}


def test_corrections_arrive_in_order_even_one_row_per_push(rooms, office, clock, protocols):
    room = rooms("Room 1", batch=1)  # every queue row its own server transaction
    session, _, _ = sitting(room.store, clock, protocols)
    assert room.sync.cycle().state is SyncState.UP_TO_DATE
    vitals = [e for e in office.entries(session.id) if e.kind is Kind.VITALS]
    assert [e.data.reading.systolic for e in vitals] == [128, 182, 132]
    assert vitals[1].supersedes_id == vitals[0].id and vitals[2].supersedes_id == vitals[1].id
    assert [e.current for e in vitals] == [False, False, True]
    assert verify(office.engine) == []


def test_a_sessions_changed_columns_follow_it(rooms, office, clock, protocols):
    room = rooms("Room 1")
    session, doc, _ = sitting(room.store, clock, protocols, end=False)
    room.sync.cycle()
    on_server = office.session(session.id)
    assert on_server.status == SessionStatus.IN_PROGRESS and on_server.dose_at is not None and on_server.ended_at is None
    room.store.save_note_draft(session.id, {"themes": "draft one"}, doc.id)
    room.sync.cycle()
    assert office.note(session.id).sections["themes"] == "draft one"
    clock.advance(30 * 60)
    room.store.end_session(session.id, doc.id)
    room.store.save_note_draft(session.id, {"themes": "draft two"}, doc.id)
    room.store.sign_note(session.id, doc.id)
    room.sync.cycle()
    assert office.session(session.id).ended_at == room.store.session(session.id).ended_at
    assert office.note(session.id).sections["themes"] == "draft two" and office.note(session.id).signed_at
    assert verify(office.engine) == []


def test_a_second_room_pulls_people_and_ended_sittings_for_its_history(rooms, clock, protocols):
    one, two = rooms("Room 1"), rooms("Room 2")
    ended, _, client = sitting(one.store, clock, protocols)
    running, _, _ = sitting(one.store, clock, protocols, label="SYNC-02 (synthetic)", end=False)
    one.sync.cycle()
    assert two.sync.cycle().state is SyncState.UP_TO_DATE
    assert {c.label for c in two.store.clients()} == {"SYNC-01 (synthetic)", "SYNC-02 (synthetic)"}
    assert [c.name for c in two.store.clinicians()] == ["Sync Clinician (synthetic)"]
    assert [s.id for s in two.store.sessions()] == [ended.id]  # never a sitting another room is running
    record = two.store.session_record(ended.id)
    assert [e.id for e in record.entries] == [e.id for e in one.store.entries(ended.id)]
    assert record.note.signed_at and len(record.addenda) == 1 and len(record.outcomes) == 1
    assert two.store.outcomes(client.id)[0].total == 9
    assert verify(two.store.engine) == []
    # Nothing pulled is sent back, and the room's own chain still verifies after its own work.
    assert two.sync.waiting() == 0
    # The running sitting arrives once it has ended in its room.
    one.store.end_session(running.id, one.store.clinicians()[0].id)
    one.sync.cycle()
    two.sync.cycle()
    assert {s.id for s in two.store.sessions()} == {ended.id, running.id}
    assert verify(two.store.engine) == []


def test_two_rooms_creating_one_label_offline_are_both_kept_and_flagged(rooms, office, clock, protocols):
    one, two = rooms("Room 1"), rooms("Room 2")
    first, _, a = sitting(one.store, clock, protocols, label="ANNA-7 (synthetic)")
    second, _, b = sitting(two.store, clock, protocols, label="ANNA-7 (synthetic)", clinician="Other Clinician (synthetic)")
    assert a.id != b.id
    one.sync.cycle()
    status = two.sync.cycle()
    assert status.state is SyncState.UP_TO_DATE and status.conflicts == 1
    assert status_line(status).endswith("· 1 client label to link (admin)")  # said in the room, quietly
    labels = {c.id: c.label for c in office.clients()}
    assert labels == {a.id: "ANNA-7 (synthetic)", b.id: "ANNA-7 (synthetic) (Room 2)"}
    with office.engine.connect() as connection:
        [flag] = connection.execute(text("SELECT object_id, other_id, label, stored_as, room FROM sync_conflict")).all()
    assert (flag.object_id, flag.other_id, flag.label, flag.room) == (b.id, a.id, "ANNA-7 (synthetic)", "Room 2")
    # Each sitting stays with its own client: nothing merged.
    assert office.session(first.id).client_id == a.id and office.session(second.id).client_id == b.id
    one.sync.cycle()
    assert {c.label for c in one.store.clients()} == {"ANNA-7 (synthetic)", "ANNA-7 (synthetic) (Room 2)"}
    assert {c.label for c in two.store.clients()} == {"ANNA-7 (synthetic)", "ANNA-7 (synthetic) (Room 1)"}
    assert verify(office.engine) == [] and verify(one.store.engine) == [] and verify(two.store.engine) == []


def test_a_server_with_a_newer_schema_leaves_the_room_working_locally(rooms, office, clock, protocols):
    room = rooms("Room 1")
    room.sync.cycle()
    with office.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    room.sync._drop_server()  # as after a restart of the app
    session, doc, _ = sitting(room.store, clock, protocols, end=False)
    status = room.sync.cycle()
    assert status.state is SyncState.NEWER_SCHEMA and status.waiting > 0
    assert status_line(status) == "server: newer schema — working locally"
    room.store.add_entry(session.id, Observation("Still saved locally (synthetic)"), doc.id)
    assert room.sync.cycle().state is SyncState.NEWER_SCHEMA
    assert counts(office)["entry"] == 0
    assert any(e.kind is Kind.OBSERVATION for e in room.store.entries(session.id))


def test_an_empty_server_database_gets_the_schema_from_the_first_room(rooms, server, clock, protocols):
    room = rooms("Room 1")
    sitting(room.store, clock, protocols)
    assert room.sync.cycle().state is SyncState.UP_TO_DATE
    store = Store.open(server)
    try:
        assert counts(store) == counts(room.store)
    finally:
        store.close()


def test_the_office_view_refuses_a_live_sitting(office, clock, protocols, rooms):
    from kapdesk.session import Clinic, StoreError

    room = rooms("Room 1")
    running, doc, _ = sitting(room.store, clock, protocols, end=False)
    room.sync.cycle()
    clinic = Clinic(office, clock)
    assert clinic.is_server and not Clinic(room.store, clock).is_server
    client = office.add_client("OFFICE-01 (synthetic)", doc.id)
    with pytest.raises(StoreError, match="treatment room"):
        clinic.start_session(client.id, doc.id, protocols["sublingual"])
    with pytest.raises(StoreError, match="treatment room"):
        clinic.open_session(running.id, doc.id)
    assert office.sessions(client_id=client.id) == []


def test_the_office_window_says_to_use_a_room(qtbot, office, clock, protocols):
    from conftest import open_main_window

    window = open_main_window(qtbot, office, clock, signed_in="Office Prescriber (synthetic)", role="prescriber")
    assert "office view" in window.server_status.text()
    window.start_screen.client.setCurrentText("OFFICE-02 (synthetic)")
    window.start_screen.choose_protocol("sublingual")
    window.start_screen.start_button.click()
    assert "treatment room" in window.start_screen.message.text()
    assert window.session_view is None and office.sessions() == []


def test_the_demo_writes_its_sitting_to_the_server(server):
    from kapdesk.app import main

    assert main(["demo", "--db", server]) == 0
    store = Store.open(server)
    try:
        [session] = store.sessions()
        assert session.status == SessionStatus.ENDED and store.note(session.id).signed_at is not None
        assert verify(store.engine) == []
    finally:
        store.close()
