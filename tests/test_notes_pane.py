"""The integration-notes pane: autosave, quotes, signing and the lock, addenda. Synthetic text only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from kapdesk.domain.entries import Kind, Observation, Preparation, of_type
from kapdesk.domain.notes import SECTION_KEYS
from kapdesk.session import LiveSession, NoteLockedError, StoreError
from kapdesk.ui.notes_pane import AUTOSAVE_MS, NotesPane, format_quote

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def session(store, people, protocols, clock):
    """A sitting with a preparation, two flagged quotes, one plain observation and one corrected quote."""
    clinician, client = people
    info = store.start_session(client.id, clinician.id, protocols["sublingual"])
    store.add_entry(info.id, Preparation(intention="Synthetic: to rest in what comes"), clinician.id)
    clock.advance(40 * 60)
    store.add_entry(info.id, Observation("It's like the ocean is breathing", quote=True), clinician.id)
    clock.advance(60)
    store.add_entry(info.id, Observation("Lying still (synthetic)", quote=False), clinician.id)
    clock.advance(60)
    typo = store.add_entry(info.id, Observation("I dont have to", quote=True), clinician.id)
    store.add_entry(info.id, Observation("I don't have to carry it all", quote=True),
                    clinician.id, occurred_at=typo.occurred_at, supersedes=typo.id)
    return info, clinician


def open_live(store, session, clock) -> LiveSession:
    info, clinician = session
    return LiveSession(store, info.id, clinician.id, clock)


@pytest.fixture
def pane(qtbot, store, session, clock):
    pane = NotesPane(open_live(store, session, clock))
    qtbot.addWidget(pane)
    pane.resize(1100, 800)
    pane.show()
    pane.activateWindow()  # focus events and shortcuts reach only the active window
    qtbot.waitUntil(pane.isActiveWindow)
    return pane


def type_into(qtbot, pane, key, text):
    editor = pane.editors[key]
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, text)
    return editor


# -- autosave -----------------------------------------------------------------------------------
def test_the_sections_and_the_prefilled_intention(pane, store, session):
    assert list(pane.editors) == list(SECTION_KEYS)
    assert pane.editors["intention"].toPlainText() == "Synthetic: to rest in what comes"
    assert store.note(session[0].id) is None  # pre-filling is not an edit: nothing saved yet
    assert not pane.dirty
    assert pane.autosave_timer.interval() == AUTOSAVE_MS


def test_typing_is_saved_after_the_debounce(qtbot, pane, store, session, clock):
    type_into(qtbot, pane, "described", "Synthetic: a wide")
    assert pane.dirty and pane.autosave_timer.isActive()
    assert store.note(session[0].id) is None  # not yet: the debounce is still running
    saves = []
    pane.saved.connect(saves.append)
    qtbot.keyClicks(pane.editors["described"], " calm sea")  # each keystroke restarts the timer
    assert pane.autosave_timer.isActive() and saves == []
    with qtbot.waitSignal(pane.saved) as saved:
        pane.autosave_timer.timeout.emit()  # the debounce ends (fired by hand: no sleeping)
    assert len(saves) == 1
    note = store.note(session[0].id)
    assert note.sections["described"] == "Synthetic: a wide calm sea"
    assert note.sections["intention"] == "Synthetic: to rest in what comes"  # saved with the first edit
    assert saved.args[0].saved_at == note.saved_at
    assert not pane.dirty and not pane.autosave_timer.isActive()
    assert pane.status.text() == f"Draft saved {clock.utcnow().astimezone().strftime('%H:%M:%S')}"


def test_the_real_timer_saves_without_help(qtbot, store, session, clock):
    info, clinician = session
    pane = NotesPane(open_live(store, session, clock), debounce_ms=10)
    qtbot.addWidget(pane)
    with qtbot.waitSignal(pane.saved, timeout=2000):
        pane.editors["themes"].setPlainText("Synthetic: being held")
    assert store.note(info.id).sections["themes"] == "Synthetic: being held"


def test_leaving_a_section_saves_at_once(qtbot, pane, store, session):
    type_into(qtbot, pane, "body", "Synthetic: shoulders eased")
    with qtbot.waitSignal(pane.saved):
        qtbot.keyClick(pane.editors["body"], Qt.Key.Key_Tab)  # Tab goes to the next section, saving this one
    assert pane.editors["emotions"].hasFocus()
    assert store.note(session[0].id).sections["body"] == "Synthetic: shoulders eased"


def test_hiding_the_pane_saves(qtbot, pane, store, session):
    pane.editors["support"].setPlainText("Synthetic: partner aware")
    with qtbot.waitSignal(pane.saved):
        pane.hide()
    assert store.note(session[0].id).sections["support"] == "Synthetic: partner aware"
    assert pane.flush()  # nothing left unsaved


def test_alt_digits_go_to_sections_and_ctrl_s_saves_now(qtbot, pane, store, session):
    pane.editors["intention"].setFocus()
    qtbot.keyClick(pane.editors["intention"], Qt.Key.Key_7, ALT)
    assert pane.editors["actions"].hasFocus()
    qtbot.keyClicks(pane.editors["actions"], "Synthetic: two short walks")
    with qtbot.waitSignal(pane.saved):
        qtbot.keyClick(pane.editors["actions"], Qt.Key.Key_S, CTRL)
    assert store.note(session[0].id).sections["actions"] == "Synthetic: two short walks"
    qtbot.keyClick(pane.editors["actions"], Qt.Key.Key_0, ALT)
    assert pane.editors["free_text"].hasFocus()


def test_a_failed_save_keeps_the_text_and_says_so(qtbot, pane, store, session, monkeypatch):
    real = store.save_note_draft

    def failing(*_args, **_kwargs):
        raise StoreError("disk full (synthetic)")

    monkeypatch.setattr(store, "save_note_draft", failing)
    pane.editors["themes"].setPlainText("Synthetic: letting go")
    assert pane.save() is False
    assert pane.dirty and "NOT saved" in pane.message.text() and pane.message.property("role") == "message"
    monkeypatch.setattr(store, "save_note_draft", real)
    with qtbot.waitSignal(pane.saved):
        pane.autosave_timer.timeout.emit()
    assert not pane.dirty and pane.message.text() == ""
    assert store.note(session[0].id).sections["themes"] == "Synthetic: letting go"


# -- quotes -------------------------------------------------------------------------------------
def test_only_current_flagged_quotes_are_offered(pane, store, session):
    quotes = [(e, o) for e, o in of_type(store.entries(session[0].id), Observation) if o.quote]
    expected = [f"{e.occurred_at.astimezone():%H:%M}  “{o.text}”" for e, o in quotes]
    assert [pane.quotes.item(i).text() for i in range(pane.quotes.count())] == expected
    assert len(expected) == 2 and "I dont have to" not in " ".join(expected)  # the corrected version only


def test_enter_on_a_quote_inserts_it_into_the_last_section(qtbot, pane, store, session):
    first = store.entries(session[0].id, kinds=[Kind.OBSERVATION])[0]
    type_into(qtbot, pane, "insights", "Synthetic:")
    pane.quotes.setFocus()
    pane.quotes.setCurrentRow(0)
    qtbot.keyClick(pane.quotes, Qt.Key.Key_Return)
    quote = format_quote(first.data.text, first.occurred_at)
    assert quote == f"“It's like the ocean is breathing” ({first.occurred_at.astimezone():%H:%M})"
    assert pane.editors["insights"].toPlainText() == f"Synthetic: {quote}"
    assert pane.editors["insights"].hasFocus()  # back to writing
    assert pane.dirty  # and the insertion is saved like typing


def test_ctrl_i_inserts_the_selected_quote_at_the_cursor(qtbot, pane):
    pane.quotes.setCurrentRow(1)
    editor = type_into(qtbot, pane, "described", "")
    qtbot.keyClick(editor, Qt.Key.Key_I, CTRL)
    assert editor.toPlainText().startswith("“I don't have to carry it all” (")
    qtbot.keyClick(pane, Qt.Key.Key_Q, CTRL_SHIFT)
    assert pane.quotes.hasFocus()


def test_new_quotes_appear_on_refresh(pane, store, session, clock):
    info, clinician = session
    clock.advance(60)
    store.add_entry(info.id, Observation("Warm light (synthetic)", quote=True), clinician.id)
    pane.refresh_quotes()
    assert pane.quotes.count() == 3


def test_a_quote_recorded_in_the_sitting_appears_at_once(pane, session, clock):
    """The pane follows ``live.changed``: a quote flagged in the record pane is offered without a refresh."""
    clock.advance(60)
    pane.live.record(Observation("Soft rain (synthetic)", quote=True))
    assert pane.quotes.count() == 3
    assert pane.quotes.item(2).text().endswith("“Soft rain (synthetic)”")
    pane.live.record(Observation("Not a quote (synthetic)"))
    assert pane.quotes.count() == 3


# -- signing ------------------------------------------------------------------------------------
def sign_by_keyboard(qtbot, pane):
    widget = pane.focusWidget() or pane
    qtbot.keyClick(widget, Qt.Key.Key_S, CTRL_SHIFT)
    qtbot.keyClick(widget, Qt.Key.Key_S, CTRL_SHIFT)


def test_signing_takes_two_presses_then_locks(qtbot, pane, store, session, clock):
    info, clinician = session
    type_into(qtbot, pane, "described", "Synthetic: carried by the sea")
    qtbot.keyClick(pane.editors["described"], Qt.Key.Key_S, CTRL_SHIFT)
    assert pane.sign_button.property("armed") == "true" and not pane.is_signed
    assert store.note(info.id) is None  # the first press only arms
    with qtbot.waitSignal(pane.signed) as signed:
        qtbot.keyClick(pane.editors["described"], Qt.Key.Key_S, CTRL_SHIFT)
    note = signed.args[0]
    assert note.signed and note.sections["described"] == "Synthetic: carried by the sea"  # typed text saved first
    assert pane.is_signed and all(e.isReadOnly() for e in pane.editors.values())
    when = note.signed_at.astimezone().strftime("%Y-%m-%d %H:%M")
    assert pane.signed_label.text() == f"Signed by {clinician.name} at {when} · hash {note.content_hash[:12]}… · locked"
    assert not pane.sign_button.isEnabled() and pane.signed_box.isVisible()

    # Read-only on screen, and refused by the store itself.
    qtbot.keyClicks(pane.editors["described"], "changed")
    assert pane.editors["described"].toPlainText() == "Synthetic: carried by the sea" and not pane.dirty
    with pytest.raises(NoteLockedError):
        store.save_note_draft(info.id, {"described": "changed"}, clinician.id)
    with qtbot.assertNotEmitted(pane.saved):
        pane.save(force=True)  # a signed pane does not even try


def test_the_armed_sign_button_disarms_itself(qtbot, pane, store, session):
    pane.editors["themes"].setPlainText("Synthetic theme")
    pane.sign()
    assert pane._armed.isActive()
    pane._armed.timeout.emit()  # five seconds pass (fired by hand)
    assert pane.sign_button.property("armed") == "false"
    pane.sign()  # arms again, does not sign
    assert not pane.is_signed


def test_an_empty_note_is_not_signed(qtbot, pane, store, session):
    pane.editors["intention"].setPlainText("")
    pane.sign()
    assert not pane._armed.isActive() and "empty" in pane.message.text()
    assert not pane.is_signed


def test_a_note_signed_elsewhere_keeps_our_words_for_an_addendum(qtbot, pane, store, session):
    info, clinician = session
    pane.editors["themes"].setPlainText("Synthetic: first theme")
    assert pane.save()
    store.sign_note(info.id, clinician.id)  # another window signs it
    pane.editors["themes"].setPlainText("Synthetic: first theme, and a second")
    assert pane.save() is False
    assert pane.is_signed and pane.editors["themes"].isReadOnly()
    assert pane.editors["themes"].toPlainText() == "Synthetic: first theme"  # what was signed
    assert pane.addendum.toPlainText() == "Themes:\nSynthetic: first theme, and a second"
    assert pane.message.property("role") == "message" and "signed in another window" in pane.message.text()
    assert store.addenda(info.id) == []  # kept, not signed on anyone's behalf


def test_addenda_after_signing(qtbot, pane, store, session):
    info, clinician = session
    pane.editors["follow_up"].setPlainText("Synthetic: integration in 3 days")
    sign_by_keyboard(qtbot, pane)
    assert pane.is_signed and pane.addenda_label.text() == "None yet."
    pane.addendum.setFocus()
    qtbot.keyClick(pane.addendum, Qt.Key.Key_S, CTRL_SHIFT)  # the sign key signs the addendum now; empty: refused
    assert "empty" in pane.message.text() and store.addenda(info.id) == []
    qtbot.keyClicks(pane.addendum, "Synthetic: client called, sleeping well")
    with qtbot.waitSignal(pane.addendum_added) as added:
        qtbot.keyClick(pane.addendum, Qt.Key.Key_S, CTRL_SHIFT)
    assert [a.text for a in store.addenda(info.id)] == ["Synthetic: client called, sleeping well"]
    assert added.args[0].text == "Synthetic: client called, sleeping well"
    assert "Synthetic: client called, sleeping well" in pane.addenda_label.text()
    assert added.args[0].content_hash[:12] in pane.addenda_label.text()
    assert pane.addendum.toPlainText() == ""


def test_a_signed_note_reopens_read_only(qtbot, store, session, clock):
    info, clinician = session
    store.save_note_draft(info.id, {"described": "Synthetic"}, clinician.id)
    clock.advance(timedelta(minutes=5).total_seconds())
    store.sign_note(info.id, clinician.id)
    store.add_addendum(info.id, "Synthetic addendum", clinician.id)
    pane = NotesPane(open_live(store, session, clock))
    qtbot.addWidget(pane)
    assert pane.is_signed and pane.editors["described"].isReadOnly()
    assert pane.editors["intention"].toPlainText() == ""  # the signed note, not the preparation
    assert "Synthetic addendum" in pane.addenda_label.text()
    pane.insert_quote()
    assert pane.message.property("role") == "message" and "addendum" in pane.message.text()
