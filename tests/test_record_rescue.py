"""The rescue-medication (Alt+M) and adverse-event (Alt+E) forms of the record pane, by keyboard only.

Every test types into the real widgets on a real SQLite file and checks what the store holds:
"saved" on screen must mean committed. The last test drives the real main window: a PRN
antiemetic and an adverse event recorded by keys, seen on the timeline, corrected with Ctrl+R.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kapdesk.domain.clinic import ClinicSettings
from kapdesk.domain.entries import Kind
from kapdesk.domain.rescue import (
    DEFAULT_RESCUE,
    AdverseEvent,
    DrugClass,
    EventType,
    Outcome,
    RescueList,
    RescueMedication,
    RescueRoute,
    RescueUnit,
    Severity,
)
from kapdesk.ui.record_pane import RecordPane
from kapdesk.ui.timeline_model import filter_group

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def open_pane(qtbot, live, settings: ClinicSettings | None = None) -> RecordPane:
    pane = RecordPane()
    qtbot.addWidget(pane)
    pane.set_session(live, settings or ClinicSettings())
    pane.resize(660, 900)
    pane.show()
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow)
    return pane


def stored(live, kind: str):
    return [e for e in live.store.entries(live.id) if e.kind == Kind(kind)]


def key(qtbot, k: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key to whatever has the cursor, as a user's keyboard would send it."""
    qtbot.keyClick(QApplication.focusWidget(), k, modifier)


def type_text(qtbot, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def test_a_prn_antiemetic_by_keys_is_committed_before_it_is_confirmed(qtbot, live, people):
    pane = open_pane(qtbot, live)
    qtbot.keyClick(pane, Qt.Key.Key_M, ALT)
    rescue = pane.rescue
    assert pane.lower.currentWidget() is rescue and QApplication.focusWidget() is rescue.drug
    assert rescue.drug.currentData() == "ondansetron" and rescue.amount.text() == ""  # no dose is suggested
    assert "examples (clinic.toml, not advice): 4 or 8 mg" in rescue.examples.text()
    key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is rescue.amount
    type_text(qtbot, "4 mg")
    key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is rescue.route
    key(qtbot, Qt.Key.Key_Down)  # PO → IV
    key(qtbot, Qt.Key.Key_Return)
    # No reason yet: said, the cursor goes there, the amount kept, nothing saved.
    assert "Why was it given?" in rescue.message.text() and rescue.message.property("role") == "message"
    assert QApplication.focusWidget() is rescue.reason and rescue.amount.text() == "4 mg"
    assert stored(live, "rescue_medication") == []
    type_text(qtbot, "nausea (synthetic)")
    key(qtbot, Qt.Key.Key_Return)
    [entry] = stored(live, "rescue_medication")
    assert entry.data == RescueMedication("ondansetron", DrugClass.ANTIEMETIC, 4.0, RescueUnit.MG,
                                          RescueRoute.INTRAVENOUS, "nausea (synthetic)", people[0].name)
    assert rescue.message.text().startswith("Saved ") and "PRN ondansetron 4 mg IV" in rescue.message.text()
    assert rescue.amount.text() == "" and rescue.reason.text() == ""


def test_a_wrong_unit_is_pointed_at_and_kept(qtbot, live):
    pane = open_pane(qtbot, live)
    pane.show_rescue()
    rescue = pane.rescue
    rescue.reason.setText("agitation")
    rescue.drug.setCurrentIndex(rescue.drug.findData("lorazepam"))
    rescue.amount.setFocus()
    type_text(qtbot, "500 mcg")
    key(qtbot, Qt.Key.Key_Return)
    assert "lorazepam is recorded in mg, not mcg" in rescue.message.text()
    assert rescue.amount.text() == "500 mcg" and rescue.amount.property("error") == "true"
    assert rescue.amount.selectedText() == "mcg"
    assert stored(live, "rescue_medication") == []


def test_oxygen_takes_a_device_and_the_clinics_maximum_holds(qtbot, live):
    oxygen = replace(DEFAULT_RESCUE.find("oxygen"), max_amount=6.0)
    pane = open_pane(qtbot, live, ClinicSettings(rescue=RescueList((oxygen,))))
    pane.show_rescue()
    rescue = pane.rescue
    assert rescue.device.isEnabled() and rescue.route.count() == 1
    rescue.reason.setText("SpO2 88 % (synthetic)")
    rescue.amount.setFocus()
    type_text(qtbot, "6.5 L/min")
    key(qtbot, Qt.Key.Key_Return)
    assert "above the clinic's maximum of 6 L/min" in rescue.message.text()
    assert rescue.amount.selectedText() == "6.5"
    rescue.amount.selectAll()
    type_text(qtbot, "6 L/min")  # exactly the maximum
    key(qtbot, Qt.Key.Key_Return)
    [entry] = stored(live, "rescue_medication")
    assert (entry.data.amount, entry.data.device) == (6.0, "nasal cannula")


def test_an_adverse_event_needs_its_severity_and_links_the_rescue_given(qtbot, live):
    pane = open_pane(qtbot, live)
    given = live.record(RescueMedication("labetalol", DrugClass.ANTIHYPERTENSIVE, 10.0, RescueUnit.MG,
                                         RescueRoute.INTRAVENOUS, "BP 200/125", "N (synthetic)"))
    qtbot.keyClick(pane, Qt.Key.Key_E, ALT)
    form = pane.adverse_event
    assert QApplication.focusWidget() is form.event and form.event.currentData() is None
    type_text(qtbot, "h")  # the first event starting with h
    assert form.event.currentData() is EventType.HYPERTENSIVE_CRISIS
    key(qtbot, Qt.Key.Key_Return)
    assert "How severe?" in form.message.text() and QApplication.focusWidget() is form.severity
    assert stored(live, "adverse_event") == []
    type_text(qtbot, "s")
    key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.outcome
    type_text(qtbot, "r")
    key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.treated_with and form.treated_with.count() == 2
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_Return)
    [entry] = stored(live, "adverse_event")
    assert entry.data == AdverseEvent(EventType.HYPERTENSIVE_CRISIS, Severity.SEVERE, Outcome.RESOLVED,
                                      rescue=given.id)
    assert form.message.text().startswith("Saved ") and form.event.currentData() is None


def test_other_needs_words(qtbot, live):
    pane = open_pane(qtbot, live)
    pane.show_adverse_event()
    form = pane.adverse_event
    form.event.setCurrentIndex(form.event.findData(EventType.OTHER))
    form.severity.setCurrentIndex(form.severity.findData(Severity.MILD))
    form.outcome.setCurrentIndex(form.outcome.findData(Outcome.RESOLVED))
    form.note.setFocus()
    type_text(qtbot, "kept (synthetic)")
    key(qtbot, Qt.Key.Key_Return)
    assert "‘Other’ needs a word" in form.message.text() and QApplication.focusWidget() is form.detail
    assert form.note.text() == "kept (synthetic)" and stored(live, "adverse_event") == []


def test_both_kinds_can_be_corrected_and_the_original_stays(qtbot, live):
    pane = open_pane(qtbot, live)
    given = live.record(RescueMedication("midazolam", DrugClass.BENZODIAZEPINE, 2.0, RescueUnit.MG,
                                         RescueRoute.INTRAVENOUS, "emergence (synthetic)", "N (synthetic)", "SYN-3"))
    assert pane.correct(given)
    assert pane.lower.currentWidget() is pane.rescue and pane.rescue.amount.text() == "2 mg"
    assert pane.rescue.lot.text() == "SYN-3" and "Correcting the" in pane.rescue.banner.text()
    pane.rescue.amount.setFocus()
    pane.rescue.amount.selectAll()
    type_text(qtbot, "1 mg")
    key(qtbot, Qt.Key.Key_Return)
    old, new = live.store.entries(live.id, kinds=[Kind.RESCUE_MEDICATION])
    assert not old.current and new.supersedes_id == old.id and new.occurred_at == old.occurred_at
    assert (old.data.amount, new.data.amount) == (2.0, 1.0)

    event = live.record(AdverseEvent(EventType.EMERGENCE_REACTION, Severity.MODERATE, Outcome.RESOLVING,
                                     rescue=given.id))
    assert pane.correct(event)
    form = pane.adverse_event
    assert form.event.currentData() is EventType.EMERGENCE_REACTION and form.treated_with.currentData() == given.id
    form.outcome.setFocus()
    type_text(qtbot, "r")  # resolving → resolved: the search wraps to the next item starting with r
    key(qtbot, Qt.Key.Key_Return)
    first, second = live.store.entries(live.id, kinds=[Kind.ADVERSE_EVENT])
    assert first.data.outcome is Outcome.RESOLVING and second.data.outcome is Outcome.RESOLVED
    assert second.supersedes_id == first.id and not first.current


def test_the_timeline_groups_both_kinds_under_rescue():
    assert filter_group("rescue_medication") == filter_group("adverse_event") == "rescue"


def test_in_the_window_a_prn_antiemetic_and_an_adverse_event_reach_the_timeline(qtbot, window):
    screen = window.start_screen
    screen.client.setCurrentText("RESC-01 (synthetic)")
    screen.choose_protocol("sublingual")
    qtbot.keyClick(screen.client, Qt.Key.Key_Return, CTRL)
    view = window.session_view
    assert view is not None, screen.message.text()
    live, pane = view.live, view.record_pane

    qtbot.keyClick(view, Qt.Key.Key_M, ALT)  # from the preparation page: the record page comes up
    assert view.tabs.currentIndex() == list(view.pages).index("record")
    assert QApplication.focusWidget() is pane.rescue.drug
    assert pane.rescue.drug.currentData() == "ondansetron"  # the first of the clinic's list
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "4 mg")
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Tab)  # route: PO as offered
    type_text(qtbot, "nausea (synthetic)")
    key(qtbot, Qt.Key.Key_Return)
    [given] = stored(live, "rescue_medication")
    assert (given.data.drug, given.data.amount, given.data.route) == ("ondansetron", 4.0, RescueRoute.ORAL)

    qtbot.keyClick(view, Qt.Key.Key_E, ALT)
    assert QApplication.focusWidget() is pane.adverse_event.event
    type_text(qtbot, "v")  # vomiting / aspiration
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Tab)  # detail left empty
    type_text(qtbot, "m")  # mild / moderate: the first is mild
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "r")
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Down)  # treated with the ondansetron just given
    key(qtbot, Qt.Key.Key_Return)
    [event] = stored(live, "adverse_event")
    assert event.data == AdverseEvent(EventType.VOMITING_ASPIRATION, Severity.MILD, Outcome.RESOLVED,
                                      rescue=given.id)

    qtbot.keyClick(view, Qt.Key.Key_F6)
    timeline = view.timeline
    assert view.tabs.currentIndex() == list(view.pages).index("timeline")
    shown = {e.id: e for e in timeline.visible_entries()}
    assert given.id in shown and event.id in shown
    timeline.set_kind_filter({"rescue"})
    assert [e.kind for e in timeline.visible_entries()] == [Kind.RESCUE_MEDICATION, Kind.ADVERSE_EVENT]
    rows = [timeline.model.row_of(i) for i in (given.id, event.id)]
    texts = [timeline.model.index(r, 3).data() for r in rows]
    assert "PRN ondansetron 4 mg PO" in texts[0] and "vomiting / aspiration · mild · resolved" in texts[1]
    assert timeline.model.index(rows[1], 2).data() == "Adverse event"

    # Ctrl+R on the newest row (the adverse event) loads it into its form on the record page.
    timeline.focus_list()
    key(qtbot, Qt.Key.Key_R, CTRL)
    assert view.tabs.currentIndex() == list(view.pages).index("record")
    assert pane.adverse_event.correcting is not None and pane.adverse_event.correcting.id == event.id
    assert QApplication.focusWidget() is pane.adverse_event.event
