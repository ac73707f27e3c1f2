"""An encrypted record's durable commit, and the time a sign-in takes (issue 10).

Encrypted commit. Ours: ``Store.add_entry`` of a vitals reading on an SQLCipher record (opened as
the app opens it: Argon2id key from a synthetic passphrase, raw key, WAL, ``synchronous=FULL``),
the entry and its audit-chain event in one transaction. Baseline, interleaved one for one: a raw
``sqlcipher3`` INSERT + COMMIT of a row of the same shape, on another file in the same folder with
the same key and pragmas. Target ≤ 2× at the median. A second line puts the same figure against
the floor of the record's design, interleaved in the same rounds: the same entry and audit event
written by raw ``sqlcipher3`` on the record's own connection (``common.SchemaFloor``: the indexes
and the sync queue's triggers they fire, ~12 pages to encrypt and write against the one-row
baseline's ~2). The first line prices the design and our code; the second, our code alone.

Sign-in. Ours: ``Accounts.sign_in`` with the shipped Argon2id parameters (read the account, verify,
audit the event). Baseline: the bare ``argon2`` verify of the same hash, which is the floor a
password check costs by design (~0.2 s is the point: it is what makes guessing slow). Target ≤ 1.2×.

Run as ``python bench/run.py --only encrypted``; measured in a child process with a fresh interpreter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Result, SchemaFloor, median, run_child  # noqa: E402

PASSPHRASE = "synthetic bench passphrase"  # synthetic: a throwaway record in a temp folder


def run(quick: bool) -> list[Result]:
    count = 60 if quick else 400
    out = run_child("bench/bench_encrypted.py", "--child", str(count), timeout=1800)
    data = json.loads(out.strip().splitlines()[-1])
    commit_o, commit_b = median(data["commit"]) * 1000, median(data["baseline"]) * 1000
    login_o, login_b = median(data["sign_in"]) * 1000, median(data["verify"]) * 1000
    floor = median(data["floor"]) * 1000
    return [
        Result(f"encrypted record: entry → durable commit, median of {count}", commit_o, commit_b, "ms", "≤ 2×",
               commit_o <= 2 * commit_b, "sqlcipher3 INSERT+COMMIT, same key, WAL+FULL"),
        Result(f"encrypted record: entry → durable commit against the same rows by raw sqlcipher3, median of {count}",
               commit_o, floor, "ms", "≤ 2×", commit_o <= 2 * floor,
               "sqlcipher3 INSERTs of the entry and its audit event + COMMIT on the record's own connection"),
        Result(f"sign-in with a password, median of {len(data['sign_in'])}", login_o, login_b, "ms", "≤ 1.2×",
               login_o <= 1.2 * login_b, "bare argon2 verify of the same hash (the designed cost)"),
    ]


def _child(count: int) -> None:
    import tempfile
    import time
    import uuid
    from datetime import datetime, timezone

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from kapdesk.domain.entries import Vitals
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.domain.vitals import VitalsReading
    from kapdesk.paths import protocol_folders
    from kapdesk.session.accounts import Accounts
    from kapdesk.session.credentials import SHIPPED
    from kapdesk.store import Store, crypto
    from kapdesk.store.encryption import encrypt_record

    folder = Path(tempfile.mkdtemp(prefix="kapdesk-bench-enc-"))
    db = folder / "record.sqlite3"
    store = Store.open(str(db))
    clinician = store.add_clinician("Bench Clinician (synthetic)")
    client = store.add_client("BENCH-ENC (synthetic)", clinician.id)
    protocol = {p.id: p for p in load_protocols(protocol_folders())[0]}["sublingual"]
    session = store.start_session(client.id, clinician.id, protocol)
    store.close()
    encrypt_record(db, PASSPHRASE)
    import os

    os.environ[crypto.PASSPHRASE_ENV] = PASSPHRASE  # as a script gives it; the app asks in a window
    store = Store.open(str(db))
    key = crypto.known_key(db)

    other = folder / "baseline.sqlite3"
    raw = crypto.connect(other, key)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE entry (id TEXT PRIMARY KEY, session_id TEXT, kind TEXT, occurred_at TEXT, "
                "recorded_at TEXT, author_id TEXT, payload TEXT)")
    reading = Vitals(VitalsReading(systolic=128, diastolic=82, heart_rate=72, spo2=98, resp_rate=14), False)
    payload = json.dumps({"systolic": 128, "diastolic": 82, "hr": 72, "spo2": 98, "rr": 14, "baseline": False})
    def baseline_once() -> float:
        now = datetime.now(timezone.utc).isoformat()
        start = time.perf_counter()
        raw.execute("BEGIN")
        raw.execute("INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (str(uuid.uuid4()), str(session.id), "vitals", now, now, str(clinician.id), payload))
        raw.execute("COMMIT")
        return time.perf_counter() - start

    floor = SchemaFloor(store, session.id, clinician.id, reading)
    commit, baseline, floors = [], [], []
    for _ in range(count):  # the three interleaved, one each per round
        start = time.perf_counter()
        store.add_entry(session.id, reading, clinician.id)
        commit.append(time.perf_counter() - start)
        baseline.append(baseline_once())
        floors.append(floor.once())
    raw.close()

    accounts = Accounts(store, hasher=SHIPPED)
    admin = accounts.create_first_admin("Bench Admin (synthetic)", PASSPHRASE)
    stored, _ = store.clinician_secrets(admin.id)
    sign_in, verify = [], []
    for _ in range(7):
        start = time.perf_counter()
        accounts.sign_in(admin.id, PASSPHRASE)
        sign_in.append(time.perf_counter() - start)
        start = time.perf_counter()
        SHIPPED.verify(stored, PASSPHRASE)
        verify.append(time.perf_counter() - start)
    store.close()
    print(json.dumps({"commit": commit, "baseline": baseline, "floor": floors, "sign_in": sign_in, "verify": verify}))



if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]))
    else:
        for result in run(quick="--quick" in sys.argv):
            print(result.line())
