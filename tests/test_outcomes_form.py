"""PHQ-9 / GAD-7 entry: typed as digits, totals and bands live, saved through the session. Synthetic answers."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt

from kapdesk.domain.scales import GAD7, PHQ9
from kapdesk.session import Clinic, LiveSession
from kapdesk.store import Store
from kapdesk.ui.outcomes_form import OutcomesForm

TODAY = date(2026, 1, 5)  # the FakeClock's day
DIGIT = {0: Qt.Key.Key_0, 1: Qt.Key.Key_1, 2: Qt.Key.Key_2, 3: Qt.Key.Key_3}


@pytest.fixture
def form(qtbot, store, people, protocols, clock):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    form = OutcomesForm(LiveSession(store, session.id, clinician.id, clock), today=lambda: TODAY)
    form.session = session  # for the assertions below
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    return form


def type_answers(qtbot, form, answers):
    form.rows[0].setFocus()
    for value in answers:
        qtbot.keyClick(form.focusWidget(), DIGIT[value])  # each digit answers and moves on


def test_phq9_typed_as_nine_digits_then_saved(qtbot, form, store, people):
    clinician, client = people
    assert [r.label.text() for r in form.rows][0] == "1. Little interest or pleasure"
    assert len(form.rows) == 9 and form.taken_on.date() == QDate(2026, 1, 5)
    type_answers(qtbot, form, [2, 2, 2, 2, 2, 2, 2, 2, 0])
    assert form.focusWidget() is form.save_button
    assert form.total.text() == "PHQ-9 total 16 · moderately severe"
    with qtbot.waitSignal(form.saved) as saved:
        qtbot.keyClick(form.save_button, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    outcome = saved.args[0]
    assert (outcome.measure, outcome.total, outcome.taken_on, outcome.session_id) == ("phq9", 16, TODAY, form.session.id)
    assert outcome.answers == {item.key: (0 if item.key == "self_harm" else 2) for item in PHQ9.items}
    assert [(o.measure, o.total) for o in store.outcomes(client.id)] == [("phq9", 16)]
    assert form.message.text() == "PHQ-9 16 (moderately severe) saved for 2026-01-05."
    assert all(r.value is None for r in form.rows)  # ready for the next one


def test_the_total_is_live_and_partial_totals_say_so(qtbot, form):
    type_answers(qtbot, form, [1, 1, 1])
    assert form.total.text() == "PHQ-9: 3 so far · 6 of 9 items to answer"
    qtbot.keyClick(form.rows[1], Qt.Key.Key_Backspace)
    assert form.rows[1].value is None
    assert form.total.text() == "PHQ-9: 2 so far · 7 of 9 items to answer"


@pytest.mark.parametrize("answers, expected", [
    ([0] * 9, "PHQ-9 total 0 · minimal"),
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], "PHQ-9 total 4 · minimal"),
    ([1, 1, 1, 1, 1, 0, 0, 0, 0], "PHQ-9 total 5 · mild"),
    ([2, 2, 2, 2, 2, 0, 0, 0, 0], "PHQ-9 total 10 · moderate"),
    ([3, 3, 3, 3, 3, 3, 2, 0, 0], "PHQ-9 total 20 · severe"),
])
def test_phq9_bands(form, answers, expected):
    for row, value in zip(form.rows, answers):
        row.set_value(value)
    form._update_total()
    assert form.total.text() == expected


def test_gad7(qtbot, form, store, people):
    form.measure.setCurrentIndex(form.measure.findData("gad7"))
    assert [r.key for r in form.rows] == list(GAD7.item_keys)
    type_answers(qtbot, form, [2, 2, 2, 2, 2, 1, 0])
    assert form.total.text() == "GAD-7 total 11 · moderate"
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    assert (saved.args[0].measure, saved.args[0].total) == ("gad7", 11)


def test_an_unanswered_item_saves_nothing(qtbot, form, store, people):
    type_answers(qtbot, form, [1, 1, 1, 1])
    with qtbot.assertNotEmitted(form.saved):
        form.save()
    assert form.message.property("role") == "message"
    assert form.message.text().startswith("Not saved: PHQ-9: no answer for items 5 ‘Appetite too low or too high’")
    assert form.rows[4].hasFocus()  # straight to the first missing item
    assert store.outcomes(people[1].id) == []


def test_item_nine_is_flagged(qtbot, form):
    type_answers(qtbot, form, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert form.total.property("role") == "message"
    form.save()
    assert "item 9" in form.message.text() and form.message.property("role") == "message"


def test_an_earlier_date_and_no_later_one(qtbot, form, store, people):
    assert form.taken_on.maximumDate() == QDate(2026, 1, 5)
    form.taken_on.setDate(QDate(2026, 1, 9))  # clamped: a score cannot be taken in the future
    assert form.taken_on.date() == QDate(2026, 1, 5)
    form.taken_on.setDate(QDate(2025, 12, 29))
    type_answers(qtbot, form, [1] * 9)
    form.save()
    assert store.outcomes(people[1].id)[0].taken_on == date(2025, 12, 29)


def test_without_a_session(qtbot, store, people, clock):
    clinician, client = people
    form = OutcomesForm(clinic=Clinic(store, clock), client_id=client.id, author_id=clinician.id, today=lambda: TODAY)
    qtbot.addWidget(form)
    for row in form.rows:
        row.set_value(0)
    form.save()
    assert store.outcomes(client.id)[0].session_id is None


def test_in_a_sitting_today_is_the_sitting_clocks_day(qtbot, store, people, protocols, clock):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    form = OutcomesForm(LiveSession(store, session.id, clinician.id, clock))
    qtbot.addWidget(form)
    day = clock.utcnow().astimezone().date()
    assert form.taken_on.date() == QDate(day.year, day.month, day.day)
    for row in form.rows:
        row.set_value(1)
    form.save()
    saved = store.outcomes(client.id)[0]
    assert (saved.session_id, saved.taken_on, saved.total) == (session.id, day, 9)


def test_without_a_sitting_a_client_and_an_author_are_needed(store, clock):
    with pytest.raises(TypeError):
        OutcomesForm(clinic=Clinic(store, clock))


def test_a_positive_item9_keeps_its_marker_in_the_saved_list(qtbot, form, store, people):
    """The issue's case: all 0 and item 9 = 3 is not just 'PHQ-9 3 (minimal)'."""
    type_answers(qtbot, form, [0, 0, 0, 0, 0, 0, 0, 0, 3])
    assert form.total.text() == "PHQ-9 total 3 · minimal · ⚑ item 9 = 3"
    form.save()
    assert form.message.text().startswith("PHQ-9 3 (minimal) · ⚑ item 9 = 3 saved for 2026-01-05.")
    # Another measure afterwards replaces the message, never the saved line.
    form.measure.setCurrentIndex(form.measure.findData("gad7"))
    type_answers(qtbot, form, [1, 1, 1, 1, 1, 1, 1])
    form.save()
    assert form.message.text() == "GAD-7 7 (mild) saved for 2026-01-05."
    assert form.recorded.text() == ("Saved in this sitting:\n2026-01-05  PHQ-9 3 (minimal) · ⚑ item 9 = 3\n"
                                    "2026-01-05  GAD-7 7 (mild)")
    assert form.recorded.property("role") == "message"


def test_item9_zero_is_saved_without_a_marker(qtbot, form):
    type_answers(qtbot, form, [1, 1, 1, 0, 0, 0, 0, 0, 0])
    form.save()
    assert form.recorded.text() == "Saved in this sitting:\n2026-01-05  PHQ-9 3 (minimal)"
    assert form.recorded.property("role") == "status" and "⚑" not in form.message.text()


def test_a_resumed_sitting_lists_what_it_already_saved(qtbot, store, people, protocols, clock):
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    answers = {key: 0 for key in PHQ9.item_keys} | {"self_harm": 2}
    store.add_outcome(client.id, "phq9", answers, 2, clinician.id, TODAY, session.id)
    store.add_outcome(client.id, "phq9", answers, 2, clinician.id, TODAY)  # not this sitting's
    form = OutcomesForm(LiveSession(store, session.id, clinician.id, clock), today=lambda: TODAY)
    qtbot.addWidget(form)
    assert form.recorded.text() == "Saved in this sitting:\n2026-01-05  PHQ-9 2 (minimal) · ⚑ item 9 = 2"


def test_all_nine_answers_round_trip_through_the_store(qtbot, form, store, people, db_path):
    """Item by item, in the definition's keys: nothing folds into the total on the way."""
    typed = [3, 2, 1, 0, 1, 2, 3, 0, 2]
    type_answers(qtbot, form, typed)
    with qtbot.waitSignal(form.saved) as saved:
        form.save()
    expected = dict(zip(PHQ9.item_keys, typed))
    assert saved.args[0].answers == expected
    (stored,) = store.outcomes(people[1].id)
    assert stored.answers == expected and list(stored.answers) == list(PHQ9.item_keys)
    assert stored.total == sum(typed)
    assert store.session_record(form.session.id).outcomes[0].answers == expected
    reopened = Store.open(str(db_path))  # from the file, not from anything held in memory
    try:
        assert reopened.outcomes(people[1].id)[0].answers == expected
    finally:
        reopened.close()
