"""A real room process that records entries and pushes them, for the kill -9 test of the replicator.

Usage: python sync_push_app.py DB_PATH SERVER_URL ROUNDS [ROOM]

ROOM (default "Kill Room") names the room and its synthetic client and clinician, so two rooms can
run at once against one server.

Each round records a few entries through the store (one commit each, as the entry line does) and
prints ``SAVED <entry id>`` for each once committed, then prints ``PUSH <n>`` and pushes at once
(``Replicator.push``, the same call the room's thread makes). The test kills this process with
SIGKILL after a random ``PUSH`` line, so the kill lands during a push, before or after the server's
commit, or while the queue is being emptied.
"""

import sys

from kapdesk.domain.entries import Observation, Vitals
from kapdesk.domain.protocols import load_protocols
from kapdesk.domain.vitals import VitalsReading
from kapdesk.paths import protocol_folders
from kapdesk.store import Store
from kapdesk.sync.replicator import Replicator


def main(db_path: str, server: str, rounds: int, room: str = "Kill Room") -> None:
    store = Store.open(db_path)
    doc = next(iter(store.clinicians()), None) or store.add_clinician(f"{room} Clinician (synthetic)")
    label = "KILL-01 (synthetic)" if room == "Kill Room" else f"{room.upper()}-01 (synthetic)"
    client = next(iter(store.clients()), None) or store.add_client(label, doc.id)
    running = store.sessions(status="in progress", limit=1)
    protocols = {p.id: p for p in load_protocols(protocol_folders())[0]}
    session = running[0] if running else store.start_session(client.id, doc.id, protocols["sublingual"])
    replicator = Replicator(db_path, server, room=room)
    server_engine = replicator._connect()
    for n in range(rounds):
        for i in range(5):
            if i == 2:
                entry = store.add_entry(session.id, Observation(f"round {n} note {i} (synthetic)"), doc.id)
            else:
                entry = store.add_entry(session.id, Vitals(VitalsReading(systolic=120 + i, diastolic=80, heart_rate=70 + n % 30),
                                                           True), doc.id)
            print(f"SAVED {entry.id}", flush=True)
        print(f"PUSH {n}", flush=True)
        replicator.push(server_engine)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
