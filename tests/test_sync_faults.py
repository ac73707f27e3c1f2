"""The clinic server goes away, and a room is killed mid-push: nothing is lost or doubled.

These tests stop, kill and restart a real PostgreSQL server, so they use a cluster of their own
(the session's shared cluster stays up for every other test). The room never waits on the server:
every entry is committed to its SQLite file first, whatever the server is doing.

``KAPDESK_SYNC_KILL_CYCLES`` sets how many kill -9 cycles to run (``make reliability``: 1,000).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from kapdesk.domain.entries import Observation, Vitals
from kapdesk.domain.vitals import VitalsReading
from kapdesk.store import Store
from kapdesk.store.audit import verify
from kapdesk.sync.replicator import Replicator
from kapdesk.sync.status import SyncState, status_line

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "tests" / "drivers" / "sync_push_app.py"
KILL_CYCLES = int(os.environ.get("KAPDESK_SYNC_KILL_CYCLES", "3"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    from pgcluster import PgCluster, server_bin

    if server_bin() is None:
        pytest.fail("PostgreSQL's server programs are missing: `make test` installs them (tools/system-libs.sh)")
    own = PgCluster()
    own.port += 500  # beside the session's shared cluster, never on its port
    own.init()
    yield own
    own.destroy()


@pytest.fixture
def server(cluster):
    return cluster.database()


def restart(cluster) -> None:
    """Start again; after a SIGKILL the old server's backends may take a moment to notice and exit."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.start()
            return
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # waiting for the dead server's processes to go, not for the code under test


def entry_ids(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return sorted(str(r[0]) for r in connection.execute(text("SELECT id FROM entry")))


def entry_events(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return [r[0] for r in connection.execute(
            text("SELECT object_id FROM audit_event WHERE object_type = 'entry' AND action IN ('created', 'corrected')"))]


def assert_server_holds_the_room(server: str, room: Store) -> None:
    """Every entry of the room is on the server, once, and the server's audit chain verifies."""
    server_store = Store.open(server)
    try:
        assert entry_ids(server_store) == _normal(entry_ids(room))
        assert verify(server_store.engine) == []
    finally:
        server_store.close()


def driver_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a real room process (tests/drivers/sync_push_app.py)."""
    return {**os.environ, "KAPDESK_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}


def _normal(ids: list[str]) -> list[str]:
    import uuid

    return sorted(str(uuid.UUID(i)) for i in ids)


@pytest.fixture
def room(tmp_path, server, clock, protocols):
    store = Store.open(str(tmp_path / "room.sqlite3"), now=clock.utcnow)
    doc = store.add_clinician("Fault Clinician (synthetic)")
    client = store.add_client("FAULT-01 (synthetic)", doc.id)
    session = store.start_session(client.id, doc.id, protocols["sublingual"])
    sync = Replicator(str(tmp_path / "room.sqlite3"), server, room="Room 3", now=clock.utcnow)
    yield store, sync, session, doc
    sync.close()
    store.close()


def record(store, session, doc, clock, n: int) -> None:
    for i in range(n):
        clock.advance(60)
        store.add_entry(session.id, Vitals(VitalsReading(systolic=120 + i, diastolic=80, heart_rate=70), True), doc.id)


def test_server_stopped_mid_session_the_queue_grows_then_drains(cluster, server, room, clock):
    store, sync, session, doc = room
    record(store, session, doc, clock, 3)
    assert sync.cycle().state is SyncState.UP_TO_DATE
    cluster.stop()
    try:
        record(store, session, doc, clock, 4)  # the room carries on: each entry committed locally
        first = sync.cycle()
        assert first.state is SyncState.OFFLINE and first.waiting == 4
        went = first.offline_since
        assert status_line(first) == f"server: offline since {went.astimezone():%H:%M} · 4 waiting"
        clock.advance(600)
        record(store, session, doc, clock, 2)
        store.add_entry(session.id, Observation("Eyes closed, calm (synthetic)"), doc.id)
        second = sync.cycle()
        assert second.state is SyncState.OFFLINE and second.waiting == 7 and second.offline_since == went
    finally:
        restart(cluster)
    assert sync.cycle().state is SyncState.UP_TO_DATE
    assert_server_holds_the_room(server, store)


def test_server_down_at_start_then_killed_mid_session(cluster, server, room, clock):
    store, sync, session, doc = room
    cluster.stop()
    try:
        record(store, session, doc, clock, 2)
        assert sync.cycle().state is SyncState.OFFLINE
    finally:
        restart(cluster)
    assert sync.cycle().state is SyncState.UP_TO_DATE
    record(store, session, doc, clock, 3)
    cluster.kill()  # a crash, not a shutdown: the replicator's pooled connections are now dead
    try:
        record(store, session, doc, clock, 3)
        status = sync.cycle()
        assert status.state is SyncState.OFFLINE and status.waiting == 6
    finally:
        restart(cluster)
    assert sync.cycle().state is SyncState.UP_TO_DATE
    assert_server_holds_the_room(server, store)


def test_kill_9_of_the_room_during_a_push_loses_and_doubles_nothing(tmp_path, server):
    db = tmp_path / "room.sqlite3"
    env = driver_env(tmp_path)
    chance = random.Random()
    saved: set[str] = set()
    for cycle in range(KILL_CYCLES):
        process = subprocess.Popen([sys.executable, str(DRIVER), str(db), server, "50"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)
        pushes_before_kill = chance.randint(0, 3)
        try:
            for line in process.stdout:
                word, _, value = line.strip().partition(" ")
                if word == "SAVED":
                    saved.add(value)
                elif word == "PUSH" and int(value) >= pushes_before_kill:
                    break
            else:
                raise AssertionError(f"the driver stopped early (cycle {cycle}): {process.stderr.read()}")
        finally:
            process.send_signal(signal.SIGKILL)  # during the push the driver began right after printing
        assert process.wait() == -signal.SIGKILL
    room = Store.open(str(db))
    sync = Replicator(str(db), server, room="Kill Room")
    server_store = Store.open(server)
    try:
        local = entry_ids(room)
        assert saved <= set(_normal(local)), "an entry acknowledged by the room is missing from its own record"
        assert sync.cycle().state is SyncState.UP_TO_DATE
        on_server = entry_ids(server_store)
        assert on_server == _normal(local)  # every entry, once (ids are the primary key)
        events = entry_events(server_store)
        assert len(events) == len(set(events)) == len(on_server)  # and each recorded once in the chain
        assert verify(server_store.engine) == []
    finally:
        server_store.close()
        sync.close()
        room.close()
    print(f"sync kill -9: {KILL_CYCLES} cycles, {len(on_server)} entries on the server, 0 lost, 0 duplicated")


def test_two_rooms_in_two_processes_push_to_one_server_at_once(tmp_path, server):
    """Two real room processes record and push at the same time: every entry of both is on the
    server exactly once, and the server's one audit chain (both rooms take turns on it) verifies."""
    env = driver_env(tmp_path)
    rooms = {"Room A": tmp_path / "a.sqlite3", "Room B": tmp_path / "b.sqlite3"}
    processes = [subprocess.Popen([sys.executable, str(DRIVER), str(db), server, "12", room], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env) for room, db in rooms.items()]
    outputs = [process.communicate(timeout=240) for process in processes]
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0 and out.rstrip().endswith("DONE"), err
    server_store = Store.open(server)
    try:
        expected: set = set()
        for room, db in rooms.items():
            sync = Replicator(str(db), server, room=room)
            local = Store.open(str(db))
            try:
                assert sync.cycle().state is SyncState.UP_TO_DATE
                expected |= set(_normal(entry_ids(local)))
            finally:
                local.close()
                sync.close()
        on_server = set(entry_ids(server_store))
        assert expected <= on_server and len(expected) >= 2 * 12 * 5
        events = entry_events(server_store)
        assert len(events) == len(set(events))  # each entry recorded once in the server's chain
        assert verify(server_store.engine) == []
    finally:
        server_store.close()
