"""Integration notes, addenda, outcome measures, history and the audit trail, on a real SQLite file."""

import sqlite3
from datetime import date

import pytest

from kapdesk.domain.notes import content_hash
from kapdesk.store import EntryError, NoteLockedError


@pytest.fixture
def ended(store, people, protocols, clock):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    clock.advance(3 * 3600)
    store.end_session(session.id, clinician.id)
    return session, clinician, client


def test_draft_autosaves_in_place_then_signing_locks_it(store, ended, clock, db_path):
    session, clinician, _ = ended
    store.save_note_draft(session.id, {"described": "Synthetic: a wide calm sea"}, clinician.id)
    clock.advance(5)
    draft = store.save_note_draft(session.id, {"described": "Synthetic: a wide calm sea, then light"}, clinician.id)
    assert draft.sections["described"].endswith("then light") and not draft.signed
    clock.advance(60)
    signed = store.sign_note(session.id, clinician.id)
    assert signed.signed and signed.signed_by == clinician.name
    assert signed.content_hash == content_hash(str(session.id), signed.sections, clinician.name, signed.signed_at)
    with pytest.raises(NoteLockedError):
        store.save_note_draft(session.id, {"described": "changed"}, clinician.id)
    with pytest.raises(NoteLockedError):
        store.sign_note(session.id, clinician.id)
    # Locked in the database itself, not only in our code.
    con = sqlite3.connect(db_path)
    for statement in ("update integration_note set sections = '{}'", "delete from integration_note"):
        with pytest.raises(sqlite3.IntegrityError, match="locked"):
            con.execute(statement)
    assert store.note(session.id).sections["described"].endswith("then light")


def test_addenda_follow_a_signed_note_and_are_append_only(store, ended, db_path):
    session, clinician, _ = ended
    with pytest.raises(EntryError, match="signed note"):
        store.add_addendum(session.id, "too early", clinician.id)
    store.save_note_draft(session.id, {"themes": "Synthetic theme"}, clinician.id)
    store.sign_note(session.id, clinician.id)
    added = store.add_addendum(session.id, "Synthetic: client called, sleeping well", clinician.id)
    assert [a.text for a in store.addenda(session.id)] == [added.text]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sqlite3.connect(db_path).execute("update note_addendum set text = 'x'")


@pytest.mark.both_engines
def test_an_empty_note_cannot_be_signed(store, ended):
    session, clinician, _ = ended
    store.save_note_draft(session.id, {"themes": "   "}, clinician.id)
    with pytest.raises(EntryError, match="empty"):
        store.sign_note(session.id, clinician.id)


@pytest.mark.both_engines
def test_outcomes_and_course(store, ended, clock):
    session, clinician, client = ended
    store.add_outcome(client.id, "PHQ-9", {"q1": 2}, 14, clinician.id, date(2026, 1, 1), session.id)
    store.add_outcome(client.id, "GAD-7", {"q1": 1}, 9, clinician.id, date(2026, 1, 2))
    assert [(o.measure, o.total) for o in store.outcomes(client.id)] == [("PHQ-9", 14), ("GAD-7", 9)]
    with pytest.raises(EntryError, match="future"):
        store.add_outcome(client.id, "PHQ-9", {}, 3, clinician.id, date(2999, 1, 1))
    record = store.session_record(session.id)
    assert [o.measure for o in record.outcomes] == ["PHQ-9"]


@pytest.mark.both_engines
def test_search_sessions(store, ended, people, protocols):
    session, clinician, client = ended
    other = store.add_client("OTHER-99 (synthetic)", clinician.id)
    store.start_session(other.id, clinician.id, protocols["esketamine"])
    assert [s.client_label for s in store.search_sessions("other")] == ["OTHER-99 (synthetic)"]
    assert [s.protocol.id for s in store.search_sessions("esket")] == ["esketamine"]
    assert len(store.search_sessions("")) == 2


@pytest.mark.both_engines
def test_the_audit_trail_says_who_did_what(store, ended):
    session, clinician, _ = ended
    store.save_note_draft(session.id, {"themes": "Synthetic"}, clinician.id)
    note = store.sign_note(session.id, clinician.id)
    store.record_export(session.id, clinician.id, "pdf", "/tmp/x.pdf")
    actions = [(a.action, a.object_type, a.actor) for a in store.audit_events()]
    assert ("created", "session", clinician.name) in actions
    assert ("ended", "session", clinician.name) in actions
    assert ("signed", "integration_note", clinician.name) in actions
    assert ("exported", "session", clinician.name) in actions
    assert store.audit_events(note.id)[-1].detail["hash"] == note.content_hash
