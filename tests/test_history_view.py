"""History: search through the clinic's record, keyboard navigation, the course table and chart. Synthetic record."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCharts import QChart, QLineSeries
from PySide6.QtCore import QDateTime, Qt

from kapdesk.domain.doses import parse_dose
from kapdesk.domain.scales import SCALES, score
from kapdesk.domain.entries import Vitals
from kapdesk.domain.vitals import parse_vitals
from kapdesk.session import Clinic
from kapdesk.ui.history_view import COURSE_COLUMNS, HistoryView
from kapdesk.ui.theme import DARK

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
DAY = 24 * 3600


def sitting(store, clock, client, clinician, protocol, *, dose_mg, bp, moaas, cadss, phq9=None, gad7=None):
    """One completed synthetic sitting, then a week passes."""
    info = store.start_session(client.id, clinician.id, protocol)
    store.add_entry(info.id, Vitals(parse_vitals("124/80 72 98 14"), baseline=True), clinician.id)
    clock.advance(600)
    store.mark_dose(info.id, clinician.id)
    store.add_entry(info.id, parse_dose(f"ketamine {dose_mg} mg SL", given_by="Nurse (synthetic)"), clinician.id)
    clock.advance(2400)
    store.add_entry(info.id, Vitals(parse_vitals(f"{bp} 80 97 14"), baseline=False), clinician.id)
    store.add_entry(info.id, score(SCALES["moaas"], {"responsiveness": moaas}), clinician.id)
    answers = dict(zip(SCALES["cadss6"].item_keys, cadss))
    store.add_entry(info.id, score(SCALES["cadss6"], answers), clinician.id)
    taken = clock.utcnow().astimezone().date()
    for key, each in (("phq9", phq9), ("gad7", gad7)):
        if each is not None:
            answers = {k: each for k in SCALES[key].item_keys}
            store.add_outcome(client.id, key, answers, int(score(SCALES[key], answers).total), clinician.id, taken, info.id)
    clock.advance(7200)
    store.end_session(info.id, clinician.id)
    clock.advance(7 * DAY - 10200)
    return info


@pytest.fixture
def record(store, clock, people, protocols):
    clinician, client = people
    nurse = store.add_clinician("Other Therapist (synthetic)")
    other = store.add_client("OTHER-02 (synthetic)", clinician.id)
    sub = protocols["sublingual"]
    a = sitting(store, clock, client, clinician, sub, dose_mg=100, bp="148/92", moaas=4, cadss=[2, 3, 1, 2, 1, 0], phq9=2, gad7=2)
    b = sitting(store, clock, other, nurse, protocols["intramuscular"], dose_mg=60, bp="132/84", moaas=5,
                cadss=[1, 1, 0, 0, 0, 0])
    c = sitting(store, clock, client, clinician, sub, dose_mg=125, bp="156/96", moaas=3, cadss=[3, 3, 2, 2, 2, 1], phq9=1)
    d = sitting(store, clock, client, clinician, sub, dose_mg=150, bp="140/88", moaas=4, cadss=[1, 2, 1, 1, 1, 0],
                phq9=1, gad7=0)
    return {"client": client, "other": other, "sessions": [a, b, c, d]}


@pytest.fixture
def view(qtbot, store, clock, record):
    view = HistoryView(Clinic(store, clock))
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    return view


def shown_ids(view):
    return [view.model.sessions[i].id for i in range(view.model.rowCount())]


def test_newest_first_and_the_first_row_selected(view, record):
    a, b, c, d = record["sessions"]
    assert shown_ids(view) == [d.id, c.id, b.id, a.id]
    assert view.selected_session_id() == d.id
    # Its PHQ-9 answered every item 1, item 9 too: the client is marked, in words.
    assert view.model.data(view.model.index(0, 1)) == "TEST-01 (synthetic)  ⚑ item 9 = 1"
    assert view.model.data(view.model.index(2, 1)) == "OTHER-02 (synthetic)"  # no PHQ-9: no marker
    assert view.count_label.text() == "4 sessions"


def test_search_goes_to_the_store_after_a_pause(qtbot, view, record):
    view.focus_search()
    qtbot.keyClicks(view.search, "other-02")
    assert view.search_timer.isActive() and view.model.rowCount() == 4  # not yet: still typing
    view.search_timer.timeout.emit()
    assert shown_ids(view) == [record["sessions"][1].id]
    assert view.count_label.text() == "1 session matching “other-02”"
    view.search.setText("Other Therapist")  # by clinician
    view.run_search()
    assert shown_ids(view) == [record["sessions"][1].id]
    view.search.setText("intramuscular")  # by protocol id
    view.run_search()
    assert view.model.rowCount() == 1
    view.search.setText("nobody")
    view.run_search()
    assert view.model.rowCount() == 0 and view.selected_session_id() is None


def test_the_page_is_limited(qtbot, store, clock, record):
    view = HistoryView(Clinic(store, clock), page_size=2)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 2
    assert "the newest; search to narrow" in view.count_label.text()


def test_keyboard_search_list_open_and_export(qtbot, view, record):
    a, b, c, d = record["sessions"]
    qtbot.keyClick(view, Qt.Key.Key_F, CTRL)
    assert view.search.hasFocus()
    qtbot.keyClicks(view.search, "TEST-01")
    qtbot.keyClick(view.search, Qt.Key.Key_Down)  # runs the pending search and goes to the list
    assert view.list.hasFocus() and shown_ids(view) == [d.id, c.id, a.id]
    qtbot.keyClick(view.list, Qt.Key.Key_Down)
    assert view.selected_session_id() == c.id
    with qtbot.waitSignal(view.open_session_requested) as opened:
        qtbot.keyClick(view.list, Qt.Key.Key_Return)
    assert opened.args == [c.id]
    for keys, fmt in ((Qt.Key.Key_P, "pdf"), (Qt.Key.Key_C, "csv"), (Qt.Key.Key_F, "fhir")):
        modifiers = CTRL if fmt == "pdf" else CTRL_SHIFT
        with qtbot.waitSignal(view.export_requested) as exported:
            qtbot.keyClick(view.list, keys, modifiers)
        assert exported.args == [c.id, fmt]
    view.search.setText("TEST-01")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)  # Enter also searches and goes to the list
    assert view.list.hasFocus()


def test_the_course_of_the_selected_client(qtbot, view, record):
    a, b, c, d = record["sessions"]
    with qtbot.waitSignal(view.course_shown) as shown:
        view.course_timer.timeout.emit()  # the selection settled (fired by hand)
    assert shown.args == [record["client"].id]
    assert view.course_title.text() == "Course: TEST-01 (synthetic) · 3 sessions"
    table = view.course_table
    rows = [[table.topLevelItem(r).text(col) for col in range(len(COURSE_COLUMNS))] for r in range(table.topLevelItemCount())]
    assert [row[2:] for row in rows] == [
        ["100 mg", "148/92", "4", "CADSS-6 9", "18 · ⚑ item 9 = 2", "14"],  # every item 2, item 9 too
        ["125 mg", "156/96", "3", "CADSS-6 13", "9 · ⚑ item 9 = 1", "—"],
        ["150 mg", "140/88", "4", "CADSS-6 6", "9 · ⚑ item 9 = 1", "0"],
    ]
    assert rows[0][0] == a.arrival_at.astimezone().strftime("%Y-%m-%d")
    assert table.topLevelItem(1).data(0, Qt.ItemDataRole.UserRole) == c.id
    with qtbot.waitSignal(view.open_session_requested) as opened:
        table.itemActivated.emit(table.topLevelItem(1), 0)
    assert opened.args == [c.id]

    chart = view.chart
    assert chart.animationOptions() == QChart.AnimationOption.NoAnimation
    series = {s.name(): s for s in chart.series()}
    assert set(series) == {"PHQ-9", "GAD-7"}
    phq = [(QDateTime.fromMSecsSinceEpoch(int(p.x())).date().toPython(), p.y()) for p in series["PHQ-9"].points()]
    days = [s.arrival_at.astimezone().date() for s in (a, c, d)]
    assert phq == [(days[0], 18), (days[1], 9), (days[2], 9)]
    assert [p.y() for p in series["GAD-7"].points()] == [14, 0]
    assert isinstance(series["PHQ-9"], QLineSeries)
    assert series["PHQ-9"].pen().color().name() == DARK.accent
    assert chart.backgroundBrush().color().name() == DARK.panel


def test_moving_to_another_client_reloads_the_course(qtbot, view, record):
    view.show_selected_course()
    view.list.setCurrentIndex(view.model.index(2, 0))  # OTHER-02's session
    assert view.course_timer.isActive()
    view.course_timer.timeout.emit()
    assert view.course_client == record["other"].id
    assert view.course_table.topLevelItemCount() == 1
    assert view.chart.series() == [] and "No PHQ-9 or GAD-7" in view.chart_note.text()


def test_export_without_a_selection_says_so(qtbot, store, view):
    view.search.setText("nobody")
    view.run_search()
    with qtbot.assertNotEmitted(view.export_requested):
        view.request_export("pdf")
    assert view.count_label.text() == "Select a session to export first."


def test_an_outcome_without_a_session_is_charted_by_date(qtbot, store, view, record, people):
    clinician, client = people
    answers = {k: 3 for k in SCALES["phq9"].item_keys}
    store.add_outcome(client.id, "phq9", answers, 27, clinician.id, date(2026, 1, 1))
    course = view.show_course(client.id)
    assert course.series("phq9")[0] == (date(2026, 1, 1), 27)


def test_an_empty_record_shows_a_dark_chart_not_a_white_one(qtbot, store, clock):
    view = HistoryView(Clinic(store, clock))
    qtbot.addWidget(view)
    assert view.model.rowCount() == 0 and view.course is None
    assert view.chart.backgroundBrush().color().name() == DARK.panel
    assert view.chart_view.backgroundBrush().color().name() == DARK.panel


def test_a_theme_switch_repaints_the_chart(qtbot, view):
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from kapdesk.ui.theme import LIGHT

    view.show_selected_course()
    app = QApplication.instance()
    before = app.property("kapdesk_theme")
    app.setProperty("kapdesk_theme", "light")  # what apply_theme does last, after the palette
    try:
        view.setPalette(QPalette(QColor(LIGHT.window)))  # the palette change apply_theme causes
        qtbot.waitUntil(lambda: view.chart.backgroundBrush().color().name() == LIGHT.panel)
        assert {s.name(): s.pen().color().name() for s in view.chart.series()}["PHQ-9"] == LIGHT.accent
    finally:
        app.setProperty("kapdesk_theme", before)


def test_item9_marks_the_session_in_the_list_and_the_course_in_words(qtbot, store, clock, people, protocols):
    """Only the positive sitting is marked; the course names every positive answer with its date."""
    clinician, client = people
    sub = protocols["sublingual"]
    zero = sitting(store, clock, client, clinician, sub, dose_mg=100, bp="140/88", moaas=4, cadss=[1] * 6, phq9=0)
    positive = sitting(store, clock, client, clinician, sub, dose_mg=100, bp="140/88", moaas=4, cadss=[1] * 6)
    answers = {k: 0 for k in SCALES["phq9"].item_keys} | {"self_harm": 2}
    day = positive.arrival_at.astimezone().date()
    store.add_outcome(client.id, "phq9", answers, 2, clinician.id, day, positive.id)
    view = HistoryView(Clinic(store, clock))
    qtbot.addWidget(view)
    labels = {view.model.sessions[r].id: view.model.data(view.model.index(r, 1)) for r in range(view.model.rowCount())}
    assert labels == {zero.id: "TEST-01 (synthetic)", positive.id: "TEST-01 (synthetic)  ⚑ item 9 = 2"}
    row = next(r for r in range(2) if view.model.sessions[r].id == positive.id)
    tip = view.model.data(view.model.index(row, 1), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(f"PHQ-9 item 9 = 2 on {day.isoformat()}: a suicide-risk assessment the same day")

    view.show_course(client.id)
    phq9 = COURSE_COLUMNS.index("PHQ-9")
    cells = [view.course_table.topLevelItem(r).text(phq9) for r in range(2)]
    assert cells == ["0", "2 · ⚑ item 9 = 2"]
    assert view.course_table.topLevelItem(1).font(phq9).bold()
    assert not view.course_item9.isHidden()
    assert view.course_item9.text().startswith(f"⚑ PHQ-9 item 9 above 0 — {day.isoformat()}: item 9 = 2.")


def test_no_positive_item9_no_course_line(qtbot, store, clock, people, protocols):
    clinician, client = people
    sitting(store, clock, client, clinician, protocols["sublingual"], dose_mg=100, bp="140/88", moaas=4,
            cadss=[1] * 6, phq9=0)
    view = HistoryView(Clinic(store, clock))
    qtbot.addWidget(view)
    view.show_course(client.id)
    assert view.course_item9.isHidden() and view.course_item9.text() == ""


def _contrast(fg: str, bg: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_item9_line_reads_in_both_themes(qtbot, view):
    """The course's item-9 line is a "message" label: the attention colour on the pane, WCAG AA (4.5:1) in both themes."""
    from kapdesk.ui.theme import LIGHT

    assert view.course_item9.property("role") == "message"
    for theme in (DARK, LIGHT):
        assert _contrast(theme.attention, theme.panel) >= 4.5, theme.name


def test_item9_by_session_reads_every_client_of_the_page(store, clock, people, protocols):
    """Two clients, a positive answer each way (tied to the sitting, and on its day without one), one zero."""
    clinician, client = people
    other = store.add_client("OTHER-03 (synthetic)", clinician.id)
    sub = protocols["sublingual"]
    tied = sitting(store, clock, client, clinician, sub, dose_mg=100, bp="140/88", moaas=4, cadss=[1] * 6)
    same_day = sitting(store, clock, other, clinician, sub, dose_mg=100, bp="140/88", moaas=4, cadss=[1] * 6)
    zero = sitting(store, clock, client, clinician, sub, dose_mg=100, bp="140/88", moaas=4, cadss=[1] * 6, phq9=0)
    answers = {k: 0 for k in SCALES["phq9"].item_keys}
    for info, value, linked in ((tied, 1, True), (same_day, 3, False)):
        day = info.arrival_at.astimezone().date()
        store.add_outcome(info.client_id, "phq9", answers | {"self_harm": value}, value, clinician.id, day,
                          info.id if linked else None)
    clinic = Clinic(store, clock)
    found = clinic.item9_by_session(clinic.search_sessions())
    assert {sid: a.value for sid, a in found.items()} == {tied.id: 1, same_day.id: 3}
    assert zero.id not in found and clinic.item9_by_session([]) == {}


def test_the_course_chart_appears_only_with_a_score_to_draw(qtbot, store, clock, people, protocols):
    """An empty chart says nothing (and costs the first page its paint): the note says why instead."""
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    store.end_session(session.id, clinician.id)
    view = HistoryView(Clinic(store, clock))
    qtbot.addWidget(view)
    view.show()
    assert not view.chart_view.isVisible()
    view.show_course(client.id)
    assert not view.chart_view.isVisible() and "No PHQ-9 or GAD-7" in view.chart_note.text()
    store.add_outcome(client.id, "phq9", {k: 1 for k in SCALES["phq9"].item_keys}, 9, clinician.id,
                      clock.utcnow().date(), session.id)
    view.course_client = None
    view.show_course(client.id)
    assert view.chart_view.isVisible()
