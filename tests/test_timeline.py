"""The session timeline on a real store and live session: order, filters, corrections, Ctrl+R."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from kapdesk.domain.entries import AlertRaised, MusicEvent, Observation, Vitals
from kapdesk.domain.vitals import parse_vitals
from kapdesk.session import LiveSession
from kapdesk.ui.theme import DARK
from kapdesk.ui.timeline import (
    AUTHOR,
    DETAIL,
    OFFSET,
    TIME,
    WHAT,
    Timeline,
    filter_group,
)


@pytest.fixture
def timeline(qtbot, live):
    timeline = Timeline(theme=DARK)
    qtbot.addWidget(timeline)
    timeline.resize(900, 500)
    timeline.set_session(live)
    return timeline


def vitals(text: str, *, baseline: bool = False) -> Vitals:
    return Vitals(parse_vitals(text), baseline)


def observation(text: str, *, quote: bool = False) -> Observation:
    return Observation(text, quote=quote)


def cell(timeline: Timeline, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return timeline.proxy.index(row, column).data(role)


def kinds(timeline: Timeline) -> list[str]:
    return [e.kind for e in timeline.visible_entries()]


def sitting(live: LiveSession, clock) -> dict:
    """A short synthetic sitting: baseline, dose, a corrected reading, a quote, music."""
    made = {}
    clock.advance(12 * 60)
    made["baseline"] = live.record(vitals("126/82 74 98 14", baseline=True))
    clock.advance(8 * 60)
    live.mark_dose()
    live.record(MusicEvent("track_start", title="Synthetic Drift", artist="Synthetic Ensemble"))
    clock.advance(45 * 60)
    made["wrong"] = live.record(vitals("155/96 96 97 14"))
    live.record(observation("It's like the ocean is breathing with me.", quote=True))
    clock.advance(60)
    made["fixed"] = live.record(vitals("155/96 86 97 14"), occurred_at=made["wrong"].occurred_at,
                                supersedes=made["wrong"].id, note="HR mistyped")
    clock.advance(4 * 60)
    made["later"] = live.record(observation("Resting, slow breathing"))
    return made


def test_every_entry_in_time_order_with_its_columns(timeline, live, clock):
    made = sitting(live, clock)
    shown = timeline.visible_entries()
    assert len(shown) == len(live.entries())
    non_corrections = [e for e in shown if e.supersedes_id is None]
    assert non_corrections == sorted(non_corrections, key=lambda e: (e.occurred_at, e.recorded_at))
    row = shown.index(next(e for e in shown if e.id == made["baseline"].id))
    assert cell(timeline, row, TIME) == made["baseline"].occurred_at.astimezone().strftime("%H:%M")
    assert cell(timeline, row, OFFSET) == "T-8"
    assert cell(timeline, row, WHAT) == "Vitals"
    assert cell(timeline, row, DETAIL) == made["baseline"].describe()
    assert cell(timeline, row, AUTHOR) == "Test Clinician (synthetic)"
    last = len(shown) - 1
    assert cell(timeline, last, OFFSET) == "T+50" and cell(timeline, last, WHAT) == "Observation"


def test_the_dose_mark_adds_its_entries_and_t_offsets_without_a_rebuild(timeline, live, clock, qtbot):
    resets = []
    timeline.model.modelReset.connect(lambda: resets.append(1))
    clock.advance(12 * 60)
    live.record(vitals("126/82 74 98"))
    assert cell(timeline, timeline.proxy.rowCount() - 1, OFFSET) == ""  # no T0 yet
    clock.advance(8 * 60)
    live.mark_dose()  # changed(None): dose_time and the dosing phase are synced in
    assert kinds(timeline)[-2:] == ["dose_time", "phase"]
    assert cell(timeline, 2, OFFSET) == "T-8"  # the reading now has its offset
    assert resets == []


def test_new_entries_are_inserted_not_rebuilt(timeline, live, clock):
    inserted, resets = [], []
    timeline.model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    timeline.model.modelReset.connect(lambda: resets.append(1))
    start = timeline.model.rowCount()
    clock.advance(60)
    live.record(observation("Eyes closed"))
    clock.advance(60)
    live.record(vitals("126/82 74 98"))
    assert inserted == [(start, start), (start + 1, start + 1)]
    assert resets == []


def test_a_back_dated_entry_lands_where_it_happened(timeline, live, clock):
    clock.advance(30 * 60)
    late = live.record(observation("Now"))
    early = live.record(vitals("126/82 74 98"), occurred_at=late.occurred_at - timedelta(minutes=20))
    ids = [e.id for e in timeline.visible_entries()]
    assert ids.index(early.id) == ids.index(late.id) - 1


def test_a_corrected_entry_is_struck_and_dimmed_with_its_correction_right_under_it(timeline, live, clock):
    made = sitting(live, clock)
    ids = [e.id for e in timeline.visible_entries()]
    row = ids.index(made["wrong"].id)
    assert ids[row + 1] == made["fixed"].id  # the quote recorded in between goes below the pair
    old = cell(timeline, row, 0, Qt.ItemDataRole.UserRole + 1)
    assert not old.current and old.superseded_by == made["fixed"].id
    font: QFont = cell(timeline, row, DETAIL, Qt.ItemDataRole.FontRole)
    assert font.strikeOut()
    assert QColor(cell(timeline, row, WHAT, Qt.ItemDataRole.ForegroundRole)) == DARK.color("dim_text")
    assert "HR 96" in cell(timeline, row, DETAIL)
    assert "corrected" in cell(timeline, row, DETAIL, Qt.ItemDataRole.AccessibleTextRole)
    detail = cell(timeline, row + 1, DETAIL)
    assert detail.startswith("↳") and "HR 86" in detail and "HR mistyped" in detail
    assert cell(timeline, row + 1, DETAIL, Qt.ItemDataRole.FontRole) is None  # the correction reads normally


def test_quotes_are_marked(timeline, live, clock):
    sitting(live, clock)
    row = kinds(timeline).index("observation")
    assert cell(timeline, row, WHAT) == "Quote"
    assert cell(timeline, row, DETAIL) == "“It's like the ocean is breathing with me.”"
    assert cell(timeline, row, DETAIL, Qt.ItemDataRole.FontRole).italic()
    plain = len(kinds(timeline)) - 1
    assert cell(timeline, plain, WHAT) == "Observation"


def test_filter_by_kind(timeline, live, clock):
    sitting(live, clock)
    timeline.set_kind_filter({"vitals"})
    assert set(kinds(timeline)) == {"vitals"} and len(kinds(timeline)) == 3
    assert not timeline.kind_buttons["music"].isChecked() and timeline.kind_buttons["vitals"].isChecked()
    timeline.set_kind_filter({"vitals", "notes"})
    assert set(kinds(timeline)) == {"vitals", "observation"}


def test_kind_buttons_toggle_by_keyboard(timeline, live, clock, qtbot):
    sitting(live, clock)
    music = timeline.kind_buttons["music"]
    assert music.focusPolicy() & Qt.FocusPolicy.TabFocus
    music.setFocus()
    qtbot.keyClick(music, Qt.Key.Key_Space)
    assert not music.isChecked()
    assert "music" not in kinds(timeline) and "vitals" in kinds(timeline)
    qtbot.keyClick(music, Qt.Key.Key_Space)
    assert "music" in kinds(timeline)


def test_filter_by_text_keeps_a_correction_with_what_it_corrects(timeline, live, clock):
    made = sitting(live, clock)
    timeline.set_text_filter("ocean")
    assert [e.kind for e in timeline.visible_entries()] == ["observation"]
    timeline.set_text_filter("mistyped")  # only the correction's note says this
    assert [e.id for e in timeline.visible_entries()] == [made["wrong"].id, made["fixed"].id]
    timeline.set_text_filter("hr  86")  # every word must match, in any field
    assert [e.id for e in timeline.visible_entries()] == [made["wrong"].id, made["fixed"].id]
    timeline.set_text_filter("quote")
    assert [e.kind for e in timeline.visible_entries()] == ["observation"]
    timeline.set_text_filter("")
    assert len(timeline.visible_entries()) == len(live.entries())


def test_text_and_kind_filters_combine_and_new_entries_respect_them(timeline, live, clock):
    sitting(live, clock)
    timeline.set_kind_filter({"notes"})
    timeline.set_text_filter("breathing")
    assert len(timeline.visible_entries()) == 2
    clock.advance(60)
    live.record(vitals("130/84 72 98"))  # filtered out as it arrives
    live.record(observation("Breathing deeper"))
    assert [e.data.text for e in timeline.visible_entries()][-1] == "Breathing deeper"
    assert len(timeline.visible_entries()) == 3


def test_ctrl_r_asks_for_a_correction_of_the_selected_entry(timeline, live, clock, qtbot):
    made = sitting(live, clock)
    assert timeline.select_entry(made["later"].id)
    timeline.view.setFocus()
    with qtbot.waitSignal(timeline.correction_requested, timeout=1000) as signal:
        qtbot.keyClick(timeline.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert signal.args[0].id == made["later"].id


def test_ctrl_r_on_a_superseded_entry_asks_for_its_newest_version(timeline, live, clock, qtbot):
    made = sitting(live, clock)
    timeline.select_entry(made["wrong"].id)
    with qtbot.waitSignal(timeline.correction_requested, timeout=1000) as signal:
        qtbot.keyClick(timeline.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert signal.args[0].id == made["fixed"].id


def test_ctrl_r_without_a_selection_asks_nothing(timeline, live, clock, qtbot):
    sitting(live, clock)
    timeline.view.clearSelection()
    with qtbot.assertNotEmitted(timeline.correction_requested):
        qtbot.keyClick(timeline.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_f_goes_to_the_filter_and_return_back_to_the_list(timeline, live, clock, qtbot):
    sitting(live, clock)
    timeline.show()
    timeline.activateWindow()  # shortcuts reach only the active window
    qtbot.waitUntil(timeline.isActiveWindow)
    timeline.view.setFocus()
    qtbot.keyClick(timeline.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert timeline.text_filter.hasFocus()
    qtbot.keyClicks(timeline.text_filter, "ocean")
    assert len(timeline.visible_entries()) == 1
    qtbot.keyClick(timeline.text_filter, Qt.Key.Key_Return)
    assert timeline.view.hasFocus() and timeline.selected_entry() is not None
    timeline.text_filter.setFocus()
    qtbot.keyClick(timeline.text_filter, Qt.Key.Key_Escape)
    assert timeline.text_filter.text() == ""


def test_alerts_take_their_severity_colour_and_word(timeline, live, clock):
    clock.advance(60)
    live.record(AlertRaised("spo2_low", "caution", "SpO₂ 90% is below 92%"))
    row = timeline.proxy.rowCount() - 1
    assert QColor(cell(timeline, row, DETAIL, Qt.ItemDataRole.ForegroundRole)) == DARK.color("attention")
    clock.advance(60)
    live.record(AlertRaised("spo2_low", "warning", "SpO₂ 80% is below 92%"))  # an older build's word: critical
    row = timeline.proxy.rowCount() - 1
    assert QColor(cell(timeline, row, DETAIL, Qt.ItemDataRole.ForegroundRole)) == DARK.color("critical")
    assert "‼ CRITICAL" in cell(timeline, row, WHAT, Qt.ItemDataRole.DisplayRole)


def test_the_list_follows_new_entries_only_while_at_the_bottom(timeline, live, clock, qtbot):
    timeline.resize(700, 240)
    timeline.show()
    qtbot.waitExposed(timeline)
    for n in range(30):
        clock.advance(60)
        live.record(observation(f"Synthetic note {n}"))
    bar = timeline.view.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    bar.setValue(0)  # the therapist scrolls back to read
    clock.advance(60)
    live.record(observation("One more"))
    assert bar.value() == 0


def test_unknown_kinds_fall_under_other():
    assert filter_group("rems") == "other"
    assert filter_group("some_future_kind") == "other"
    assert filter_group("reminder_done") == "vitals"
