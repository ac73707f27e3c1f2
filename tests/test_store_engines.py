"""The same record rules on SQLite and on the clinic's PostgreSQL server (a real cluster).

The append-only entries, the locked signed note, clinicians never deleted and the audit chain
are enforced by each database itself, whatever program writes to it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kapdesk.domain.entries import Kind, Observation, Vitals
from kapdesk.domain.vitals import VitalsReading
from kapdesk.store.audit import verify


@pytest.fixture
def sitting(any_store, protocols):
    store = any_store
    clinician = store.add_clinician("Engine Clinician (synthetic)")
    client = store.add_client("ENGINE-01 (synthetic)", clinician.id)
    session = store.start_session(client.id, clinician.id, protocols["esketamine"])
    return store, session, clinician


def _refused(store, sql: str) -> str:
    with pytest.raises(DBAPIError) as caught, store.engine.begin() as connection:
        connection.execute(text(sql))
    return str(caught.value.orig)


def test_entries_round_trip_typed_with_corrections(sitting):
    store, session, clinician = sitting
    reading = store.add_entry(session.id, Vitals(VitalsReading(systolic=130, diastolic=82, heart_rate=70), True),
                              clinician.id)
    store.add_entry(session.id, Vitals(VitalsReading(systolic=131, diastolic=82, heart_rate=70), True), clinician.id,
                    supersedes=reading.id)
    store.add_entry(session.id, Observation("Résumé: calm, «quiet» (synthetic)"), clinician.id)
    entries = store.entries(session.id)
    vitals = [e for e in entries if e.kind is Kind.VITALS]
    assert [e.data.reading.systolic for e in vitals] == [130, 131] and not vitals[0].current
    assert any(isinstance(e.data, Observation) and "«quiet»" in e.data.text for e in entries)


def test_entries_are_append_only_in_the_database(sitting):
    store, session, _ = sitting
    assert "append-only" in _refused(store, "UPDATE entry SET note = 'x'")
    assert "append-only" in _refused(store, "DELETE FROM entry")


def test_a_signed_note_is_locked_by_the_database(sitting):
    store, session, clinician = sitting
    store.end_session(session.id, clinician.id)
    store.save_note_draft(session.id, {"themes": "Synthetic"}, clinician.id)
    store.sign_note(session.id, clinician.id)
    assert "locked" in _refused(store, "UPDATE integration_note SET sections = '{}'")
    assert "locked" in _refused(store, "DELETE FROM integration_note")


def test_audit_events_and_clinicians_cannot_be_removed(sitting):
    store, _, _ = sitting
    assert "append-only" in _refused(store, "DELETE FROM audit_event")
    assert "never deleted" in _refused(store, "DELETE FROM clinician")


def test_the_audit_chain_verifies_on_both_engines(sitting):
    store, session, clinician = sitting
    store.add_entry(session.id, Observation("Synthetic"), clinician.id)
    store.mark_dose(session.id, clinician.id)
    assert verify(store.engine) == []


def test_no_two_events_share_a_place_in_the_chain(sitting):
    store, _, _ = sitting
    message = _refused(store, "INSERT INTO audit_event (id, seq, prev_hash, hash, at, action, object_type, object_id, "
                              "detail) SELECT '00000000-0000-0000-0000-000000000001', seq, prev_hash, hash, at, "
                              "action, object_type, object_id, detail FROM audit_event WHERE seq = 1")
    assert "unique" in message.casefold()
