"""Preparation: the safety rules (pure), the pane by keyboard, the dose gate and the inline override.

All people, intentions and answers are synthetic.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from kapdesk.domain.entries import EntryInfo, Kind, Payload, Preparation, SafetyOverride, Vitals, kind_of
from kapdesk.domain.preparation import (
    CHECKLIST,
    CONTRAINDICATIONS,
    ESKETAMINE_CHECKLIST,
    MEDICATIONS,
    NO_PREPARATION,
    PreparationError,
    checklist_for,
    current_preparation,
    dose_gate,
    make_override,
    make_preparation,
    preparation_weight,
    unanswered_safety_items,
)
from kapdesk.domain.vitals import VitalsReading
from kapdesk.session.live import LiveSession

CTRL = Qt.KeyboardModifier.ControlModifier
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def safe_preparation(**changes: dict[str, bool | None]) -> Preparation:
    """A fully and safely answered preparation (synthetic), with ``changes`` applied per group."""
    preparation = make_preparation(
        "Synthetic intention: to rest in what comes",
        {i.key: True for i in CHECKLIST},
        {i.key: False for i in CONTRAINDICATIONS},
        {i.key: False for i in MEDICATIONS},
        70.0,
    )
    return replace(preparation, **{group: {**getattr(preparation, group), **answers}
                                   for group, answers in changes.items()})


def without(preparation: Preparation, group: str, key: str) -> Preparation:
    """The preparation with one item's key missing altogether (not answered "no": absent)."""
    return replace(preparation, **{group: {k: v for k, v in getattr(preparation, group).items() if k != key}})


# -- pure rules ---------------------------------------------------------------------------------
def test_a_safely_answered_preparation_has_no_open_items():
    assert unanswered_safety_items(safe_preparation()) == []


def test_an_empty_preparation_lists_every_item_as_not_answered():
    problems = unanswered_safety_items(Preparation())
    assert problems[:2] == ["Ride home arranged: not answered", "Consent signed: not answered"]
    assert "Pregnancy: not answered" in problems and "MAOIs: not answered" in problems
    assert len(problems) == 2 + len(CONTRAINDICATIONS) + len(MEDICATIONS)


def test_which_answers_hold_the_gate():
    preparation = safe_preparation(
        checklist={"slept_well": False, "light_meal": None, "ride_home": False},
        contraindications={"cardiac": True},
        medications={"maois": None, "benzodiazepines": False},
    )
    assert unanswered_safety_items(preparation) == [
        "Light meal a few hours before: not answered",  # unanswered checklist item
        "Ride home arranged: no",  # "no" holds only for the ride home and consent
        "Cardiac condition: yes",
        "MAOIs: not answered",
    ]  # slept_well "no" is the clinician's judgement, not a gate


def test_a_missing_key_is_unanswered_never_no():
    preparation = without(without(safe_preparation(), "checklist", "consent"), "medications", "psychostimulants")
    assert unanswered_safety_items(preparation) == ["Consent signed: not answered", "Psychostimulants: not answered"]


def test_esketamine_asks_about_fasting_instead_of_a_light_meal():
    assert checklist_for("Esketamine") is ESKETAMINE_CHECKLIST
    assert checklist_for("ketamine") is CHECKLIST
    keys = [i.key for i in ESKETAMINE_CHECKLIST]
    assert "no_food_2h" in keys and "no_liquid_30min" in keys and "light_meal" not in keys
    preparation = make_preparation("", {k: True for k in keys} | {"no_liquid_30min": None}, {}, {})
    assert unanswered_safety_items(preparation)[0] == "No liquid in the 30 min before: not answered"


def test_make_preparation_checks_what_it_is_given():
    preparation = make_preparation("  Synthetic  ", {"ride_home": True}, {"pregnancy": False}, {})
    assert preparation.intention == "Synthetic"
    assert preparation.contraindications == {"pregnancy": False, "uncontrolled_hypertension": None, "cardiac": None,
                                             "substance_misuse": None}
    assert preparation.weight_kg is None
    with pytest.raises(PreparationError, match="outside 20–350 kg") as caught:
        make_preparation("", {}, {}, {}, 700)
    assert caught.value.field == "weight_kg"
    with pytest.raises(PreparationError, match="Unknown checklist item"):
        make_preparation("", {"slept_badly": True}, {}, {})
    with pytest.raises(PreparationError, match="answer yes, no"):
        make_preparation("", {}, {"pregnancy": "no"}, {})  # type: ignore[dict-item]


def test_override_needs_a_reason_and_items():
    assert make_override(["Consent signed: no"], "  verbal consent, form to follow (synthetic) ") == SafetyOverride(
        ("Consent signed: no",), "verbal consent, form to follow (synthetic)")
    with pytest.raises(PreparationError, match="reason"):
        make_override(["Consent signed: no"], "   ")
    with pytest.raises(PreparationError, match="nothing"):
        make_override([], "reason")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(data: Payload, minutes: float, *, current: bool = True) -> EntryInfo:
    """An entry as the store hands it out; ``current=False`` marks it superseded by a correction."""
    return EntryInfo(uuid.uuid4(), uuid.uuid4(), kind_of(data), at(minutes), at(minutes), uuid.uuid4(),
                     "Nurse (synthetic)", data, superseded_by=None if current else uuid.uuid4())


def test_dose_gate_without_preparation():
    assert dose_gate([]) == [NO_PREPARATION]
    assert dose_gate([entry(Vitals(VitalsReading(systolic=128, diastolic=84)), 1)]) == [NO_PREPARATION]


def test_dose_gate_reads_the_current_preparation_only():
    good = entry(safe_preparation(), 1, current=False)  # corrected later
    worse = entry(safe_preparation(contraindications={"pregnancy": None}), 2)
    assert dose_gate([good, worse]) == ["Pregnancy: not answered"]
    assert current_preparation([good, worse]) == (worse, worse.data)
    assert dose_gate([entry(safe_preparation(), 1)]) == []


def test_an_override_after_the_preparation_covers_its_items_only():
    prep = entry(safe_preparation(checklist={"consent": False}, medications={"maois": None}), 1)
    partial = entry(SafetyOverride(("Consent signed: no",), "synthetic"), 3)
    assert dose_gate([prep, partial]) == ["MAOIs: not answered"]
    full = entry(SafetyOverride(("Consent signed: no", "MAOIs: not answered"), "s"), 4)
    assert dose_gate([prep, partial, full]) == []
    # A newer preparation is a new question: an older override does not answer it.
    newer = entry(prep.data, 5)
    prep = replace(prep, superseded_by=newer.id)
    assert dose_gate([prep, full, newer]) == ["Consent signed: no", "MAOIs: not answered"]


def test_preparation_weight():
    assert preparation_weight([entry(safe_preparation(), 1)]) == 70.0
    assert preparation_weight([]) is None


# -- the pane -----------------------------------------------------------------------------------
# The pane tests import kapdesk.ui where they use it, so the rules above run while kapdesk/ui is being
# converted to typed entries.
@pytest.fixture
def pane(qtbot, live):
    from kapdesk.ui.preparation_pane import PreparationPane

    pane = PreparationPane(live)
    qtbot.addWidget(pane)
    pane.show()
    pane.activateWindow()  # shortcuts and focus reach only the active window
    qtbot.waitUntil(pane.isActiveWindow)
    return pane


def tab(qtbot, pane) -> QWidget:
    qtbot.keyClick(pane.focusWidget(), Qt.Key.Key_Tab)
    return pane.focusWidget()


def test_every_control_is_reached_by_tab_and_answered_by_keys(qtbot, pane, live, store):
    pane.intention.setFocus()
    qtbot.keyClicks(pane.intention, "Synthetic: to meet the heaviness with curiosity")
    rows = [*pane.rows["checklist"].values(), *pane.rows["contraindications"].values(), *pane.rows["medications"].values()]
    for row in rows:
        assert tab(qtbot, pane) is row
        safe = row.key in pane.rows["checklist"]
        qtbot.keyClick(row, Qt.Key.Key_Y if safe else Qt.Key.Key_N)
    assert tab(qtbot, pane) is pane.weight
    qtbot.keyClicks(pane.weight, "68,5 kg")
    assert tab(qtbot, pane) is pane.save_button
    assert pane.open_items.text() == "Every safety item is answered."

    with qtbot.waitSignal(pane.saved) as saved:
        qtbot.keyClick(pane.save_button, Qt.Key.Key_S, CTRL)
    entry = saved.args[0]
    assert entry.kind == "preparation"
    assert entry.data.intention == "Synthetic: to meet the heaviness with curiosity"
    assert entry.data.checklist == {i.key: True for i in CHECKLIST}
    assert entry.data.weight_kg == 68.5
    assert entry.data == pane.preparation()  # what the form says is what was saved
    assert dose_gate(live.entries()) == []
    assert pane.message.text().startswith("Preparation saved")


def test_backspace_clears_and_open_items_update_live(qtbot, pane):
    row = pane.rows["contraindications"]["pregnancy"]
    row.setFocus()
    qtbot.keyClick(row, Qt.Key.Key_Y)
    assert row.value is True and row.buttons[0].isChecked() and row.buttons[0].text() == "✓ Yes"
    assert "Pregnancy: yes" in pane.open_list.text()
    assert pane.open_items.property("role") == "message"
    assert pane.open_items.text() == "13 safety items open before dosing:"  # 5 checklist + 4 + 4, none answered safely
    qtbot.keyClick(row, Qt.Key.Key_Backspace)
    assert row.value is None and not any(b.isChecked() for b in row.buttons)
    assert [b.text() for b in row.buttons] == ["Yes", "No"]
    assert "Pregnancy: not answered" in pane.open_list.text()
    qtbot.keyClick(row, Qt.Key.Key_Right)  # arrows step through the choices too
    assert row.value is True


def test_a_second_save_supersedes_the_first(qtbot, pane, live, store, clock):
    pane.intention.setPlainText("Synthetic intention, first words")
    pane.rows["checklist"]["ride_home"].set_value(False)
    with qtbot.waitSignal(pane.saved) as first:
        pane.save()
    clock.advance(120)
    pane.rows["checklist"]["ride_home"].set_value(True)
    pane.intention.setPlainText("Synthetic intention, corrected")
    with qtbot.waitSignal(pane.saved) as second:
        pane.save()
    assert second.args[0].supersedes_id == first.args[0].id
    assert "correction" in pane.message.text()
    versions = store.entries(live.id, kinds=("preparation",))
    assert [(e.data.intention, e.current) for e in versions] == [
        ("Synthetic intention, first words", False), ("Synthetic intention, corrected", True)]

    pane.save()  # nothing changed: no third version
    assert len(store.entries(live.id, kinds=("preparation",))) == 2
    assert pane.message.text() == "Nothing changed since the last save."

    from kapdesk.ui.preparation_pane import PreparationPane

    reopened = PreparationPane(live)  # a new pane shows the current version
    qtbot.addWidget(reopened)
    assert reopened.intention.toPlainText() == "Synthetic intention, corrected"
    assert reopened.rows["checklist"]["ride_home"].value is True


def test_a_bad_weight_saves_nothing(qtbot, pane, live, store):
    pane.weight.setText("150")  # kg or pounds? asked, never guessed
    pane.save()
    assert "150 what? Type 150 kg or 150 lb" in pane.message.text() and pane.message.property("role") == "message"
    assert pane.weight.text() == "150"
    pane.weight.setText("700 kg")
    pane.save()
    assert "outside 20–350 kg" in pane.message.text()
    assert store.entries(live.id, kinds=("preparation",)) == []
    pane.weight.setText("154 lb")
    assert pane.weight_shown.text() == "kept as 69.85 kg (154 lb)"
    pane.save()
    [entry] = store.entries(live.id, kinds=("preparation",))
    assert entry.data.weight_kg == 69.85


def test_esketamine_pane_shows_the_fasting_items(qtbot, store, people, protocols, clock):
    from kapdesk.ui.preparation_pane import PreparationPane

    clinician, client = people
    info = store.start_session(client.id, clinician.id, protocols["esketamine"])
    pane = PreparationPane(LiveSession(store, info.id, clinician.id, clock))
    qtbot.addWidget(pane)
    assert list(pane.rows["checklist"]) == [i.key for i in ESKETAMINE_CHECKLIST]


# -- the override panel, and the flow the session view will run --------------------------------
def test_override_panel_refuses_an_empty_reason_then_confirms(qtbot):
    from kapdesk.ui.preparation_pane import SafetyOverridePanel

    host = QWidget()
    qtbot.addWidget(host)
    panel = SafetyOverridePanel(host)
    host.show()
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow)
    assert panel.isHidden()
    panel.ask(["Consent signed: no", "MAOIs: not answered"])
    assert panel.isVisible() and panel.reason.hasFocus()
    assert "• MAOIs: not answered" in panel.list_label.text()
    with qtbot.assertNotEmitted(panel.confirmed):
        qtbot.keyClick(panel.reason, Qt.Key.Key_Return, CTRL)
    assert "reason first" in panel.message.text() and panel.isVisible()
    qtbot.keyClicks(panel.reason, "Synthetic: verbal consent witnessed")
    with qtbot.waitSignal(panel.confirmed) as confirmed:
        qtbot.keyClick(panel.reason, Qt.Key.Key_Return, CTRL)
    assert confirmed.args == ["Synthetic: verbal consent witnessed"]
    assert panel.isHidden()

    panel.ask(["Consent signed: no"])
    assert panel.reason.text() == ""
    with qtbot.waitSignal(panel.cancelled):
        qtbot.keyClick(panel.reason, Qt.Key.Key_Escape)
    assert panel.isHidden()


def test_gate_override_then_dose(qtbot, live, store):
    """What SessionView.mark_dose will do: gate, ask, record the override, then mark T0."""
    from kapdesk.ui.preparation_pane import SafetyOverridePanel

    live.record(safe_preparation(checklist={"consent": None}))
    problems = dose_gate(live.entries())
    assert problems == ["Consent signed: not answered"]
    panel = SafetyOverridePanel()
    qtbot.addWidget(panel)
    panel.confirmed.connect(lambda reason: live.record(make_override(panel.items, reason)))
    panel.ask(problems)
    panel.reason.setText("Synthetic: consent form signed on paper, to scan")
    with qtbot.waitSignal(panel.confirmed):
        panel.confirm()
    assert dose_gate(live.entries()) == []
    live.mark_dose()
    override = store.entries(live.id, kinds=[Kind.SAFETY_OVERRIDE])[0]
    assert override.data == SafetyOverride(("Consent signed: not answered",),
                                           "Synthetic: consent form signed on paper, to scan")
    assert live.info.dose_at is not None
