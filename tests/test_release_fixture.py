"""A record written by the release before typed entries still opens and exports the same.

``tests/fixtures/release-0.1`` holds a database written by that release (its ``kapdesk demo``
sitting plus an esketamine sitting with the kinds the demo lacks) and the CSV and FHIR files that
release exported from it. Today's build must open a copy, migrate it if needed, rewrite none of
its entries, and export the same CSV rows and the same FHIR resources (ids aside: FHIR ids may be
minted afresh, so every id is replaced by its order of first appearance before comparing).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from kapdesk.export.cli import export_session
from kapdesk.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "release-0.1"
SESSIONS = {
    "demo": "a4e6b65d-b023-49f8-8bdf-16b8fed4fcf0",
    "esketamine": "3c2ecec3-a0fc-4cb5-b7b9-dcae0c4e3784",
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def old_record(tmp_path: Path) -> Path:
    copy = tmp_path / "release-0.1.sqlite3"
    shutil.copyfile(FIXTURE / "record.sqlite3", copy)
    return copy


def _entry_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT * FROM entry ORDER BY id").fetchall()


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _ids_aside(bundle: dict) -> object:
    """The bundle with its own id, timestamp and meta dropped and every UUID numbered by first use."""
    bundle = {k: v for k, v in bundle.items() if k not in ("id", "timestamp", "meta")}
    seen: dict[str, str] = {}
    text = json.dumps(bundle, sort_keys=True)
    return json.loads(_UUID.sub(lambda m: seen.setdefault(m.group(0), f"id-{len(seen)}"), text))


def test_the_old_record_opens_and_no_entry_is_rewritten(old_record: Path) -> None:
    before = _entry_rows(old_record)
    store = Store.open(str(old_record))
    try:
        sessions = {str(s.id) for s in store.sessions()}
        assert set(SESSIONS.values()) <= sessions
        for session_id in SESSIONS.values():
            assert store.entries(uuid.UUID(session_id)), session_id
    finally:
        store.close()
    assert _entry_rows(old_record) == before


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_the_old_record_exports_the_same_csv_rows(old_record: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.csv"
    store = Store.open(str(old_record))
    try:
        export_session(store, SESSIONS[name], "csv", out)
    finally:
        store.close()
    expected = _csv_rows((FIXTURE / f"{name}.csv").read_text(encoding="utf-8"))
    exported = _csv_rows(out.read_text(encoding="utf-8"))
    # Columns are only ever appended (csv_export.COLUMNS): the release's columns are the same, in
    # the same order, and the columns added since are empty for the kinds that release knew.
    old = list(expected[0])
    assert list(exported[0])[:len(old)] == old
    assert [{k: row[k] for k in old} for row in exported] == expected
    assert all(value == "" for row in exported for key, value in row.items() if key not in old)


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_the_old_record_exports_the_same_fhir_resources(old_record: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.fhir.json"
    store = Store.open(str(old_record))
    try:
        export_session(store, SESSIONS[name], "fhir", out)
    finally:
        store.close()
    expected = json.loads((FIXTURE / f"{name}.fhir.json").read_text(encoding="utf-8"))
    assert _ids_aside(json.loads(out.read_text(encoding="utf-8"))) == _ids_aside(expected)
