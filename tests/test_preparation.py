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

from kapdesk.domain.alerts import AlertRules
from kapdesk.domain.entries import (
    EntryInfo, Kind, Payload, Preparation, ReminderDone, SafetyOverride, Vitals, decode, encode, kind_of,
)
from kapdesk.domain.preparation import (
    CHECKLIST,
    ESKETAMINE_CHECKLIST,
    MEDICATIONS,
    NO_PREDOSE_READING,
    NO_PREPARATION,
    SELF_HARM,
    GateItem,
    PreparationError,
    checklist_for,
    contraindications_for,
    current_preparation,
    dose_gate,
    item_label,
    make_override,
    make_preparation,
    preparation_weight,
    unanswered_safety_items,
)
from kapdesk.domain.protocols import LEGACY_CONTRAINDICATIONS
from kapdesk.domain.vitals import VitalsReading
from kapdesk.session.live import LiveSession

CTRL = Qt.KeyboardModifier.ControlModifier
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def sublingual(protocols):
    return protocols["sublingual"]


def safe_preparation(protocol, **changes: dict[str, bool | None]) -> Preparation:
    """A fully and safely answered preparation (synthetic) for ``protocol``, with ``changes`` applied per group."""
    screen = contraindications_for(protocol)
    preparation = make_preparation(
        "Synthetic intention: to rest in what comes",
        {i.key: True for i in CHECKLIST},
        {i.key: False for i in screen},
        {i.key: False for i in MEDICATIONS},
        70.0,
        screen=screen,
        self_harm_thoughts=False,
    )
    return replace(preparation, **{group: ({**getattr(preparation, group), **answers} if isinstance(answers, dict)
                                           else answers) for group, answers in changes.items()})


def without(preparation: Preparation, group: str, key: str) -> Preparation:
    """The preparation with one item's key missing altogether (not answered "no": absent)."""
    return replace(preparation, **{group: {k: v for k, v in getattr(preparation, group).items() if k != key}})


def texts(items: list[GateItem]) -> list[str]:
    return [i.text for i in items]


# -- pure rules ---------------------------------------------------------------------------------
def test_a_safely_answered_preparation_has_no_open_items(sublingual):
    assert unanswered_safety_items(safe_preparation(sublingual), sublingual) == []


def test_an_empty_preparation_lists_every_item_as_not_answered(sublingual):
    problems = unanswered_safety_items(Preparation(), sublingual)
    assert problems[:3] == ["Ride home arranged: not answered", "Consent signed: not answered",
                            f"{SELF_HARM.label}: not answered"]
    assert "Pregnancy or breastfeeding: not answered" in problems and "MAOIs: not answered" in problems
    assert len(problems) == 3 + len(sublingual.contraindications) + len(MEDICATIONS)


def test_which_answers_hold_the_gate(sublingual):
    preparation = safe_preparation(
        sublingual,
        checklist={"slept_well": False, "light_meal": None, "ride_home": False},
        contraindications={"unstable_cardiovascular": True},
        medications={"maois": None, "benzodiazepines": False},
    )
    assert unanswered_safety_items(preparation, sublingual) == [
        "Light meal a few hours before: not answered",  # unanswered checklist item
        "Ride home arranged: no",  # "no" holds only for the ride home and consent
        "Unstable cardiovascular disease, recent heart attack or stroke: yes",
        "MAOIs: not answered",
    ]  # slept_well "no" is the clinician's judgement, not a gate


@pytest.mark.parametrize(("answer", "open_item"), [
    (None, f"{SELF_HARM.label}: not answered"), (True, f"{SELF_HARM.label}: yes"), (False, None)])
def test_suicidality_yes_or_unanswered_holds_the_dose(sublingual, answer, open_item):
    problems = unanswered_safety_items(safe_preparation(sublingual, self_harm_thoughts=answer), sublingual)
    assert problems == ([open_item] if open_item else [])


def test_a_missing_key_is_unanswered_never_no(sublingual):
    preparation = without(without(safe_preparation(sublingual), "checklist", "consent"), "medications", "psychostimulants")
    assert unanswered_safety_items(preparation, sublingual) == [
        "Consent signed: not answered", "Psychostimulants: not answered"]


def test_every_protocol_screens_the_general_cautions_and_esketamine_its_label(protocols):
    general = [c.key for c in protocols["sublingual"].contraindications]
    assert general == ["psychosis_mania_history", "raised_icp_iop", "unstable_cardiovascular",
                       "uncontrolled_hypertension", "pregnancy_breastfeeding", "substance_use_disorder",
                       "severe_liver_disease", "bladder_symptoms", "suicidal_intent"]
    for protocol in protocols.values():
        assert [c.key for c in protocol.contraindications][:len(general)] == general
    esketamine = [c.label for c in protocols["esketamine"].contraindications][len(general):]
    assert esketamine == [
        "Aneurysmal vascular disease (aorta, intracranial or peripheral arteries) or arteriovenous malformation",
        "History of intracerebral haemorrhage", "Hypersensitivity to esketamine, ketamine or an excipient"]
    # Each of the esketamine label's items answered "yes" holds the dose on its own.
    for key in ("aneurysmal_vascular_disease", "intracerebral_haemorrhage", "esketamine_hypersensitivity"):
        prep = safe_preparation(protocols["esketamine"], contraindications={key: True})
        assert unanswered_safety_items(prep, protocols["esketamine"]) == [f"{item_label(key, protocols['esketamine'])}: yes"]
    # The sublingual protocol does not ask the esketamine label's questions.
    assert unanswered_safety_items(safe_preparation(protocols["sublingual"]), protocols["sublingual"]) == []


def test_an_old_preparation_keeps_its_labels_and_its_yes_still_holds(sublingual):
    old = Preparation("Synthetic", {i.key: True for i in CHECKLIST},
                      {"pregnancy": False, "uncontrolled_hypertension": False, "cardiac": True, "substance_misuse": None},
                      {i.key: False for i in MEDICATIONS})
    assert [item_label(c.key) for c in LEGACY_CONTRAINDICATIONS] == [
        "Pregnancy", "Uncontrolled high blood pressure", "Cardiac condition", "Active substance misuse"]
    # A session whose snapshot predates the per-protocol screen asks the legacy four: read as then.
    legacy = replace(sublingual, contraindications=LEGACY_CONTRAINDICATIONS)
    assert unanswered_safety_items(old, legacy) == [f"{SELF_HARM.label}: not answered", "Cardiac condition: yes",
                                                    "Active substance misuse: not answered"]
    # Under today's screen the new questions are open; the old "yes" still holds; an old unanswered one is not asked.
    problems = unanswered_safety_items(old, sublingual)
    assert "Cardiac condition: yes" in problems and "Active substance misuse: not answered" not in problems
    assert "Pregnancy or breastfeeding: not answered" in problems
    # Old entries decode unchanged (no self_harm_thoughts key) and encode to the same stored shape.
    kind, stored = encode(old)
    assert "self_harm_thoughts" not in stored
    assert decode(kind, stored)[1] == old


def test_esketamine_asks_about_fasting_instead_of_a_light_meal(protocols):
    assert checklist_for("Esketamine") is ESKETAMINE_CHECKLIST
    assert checklist_for("ketamine") is CHECKLIST
    keys = [i.key for i in ESKETAMINE_CHECKLIST]
    assert "no_food_2h" in keys and "no_liquid_30min" in keys and "light_meal" not in keys
    preparation = make_preparation("", {k: True for k in keys} | {"no_liquid_30min": None}, {}, {})
    assert unanswered_safety_items(preparation, protocols["esketamine"])[0] == "No liquid in the 30 min before: not answered"


def test_make_preparation_checks_what_it_is_given(sublingual):
    screen = contraindications_for(sublingual)
    preparation = make_preparation("  Synthetic  ", {"ride_home": True}, {"bladder_symptoms": False}, {}, screen=screen)
    assert preparation.intention == "Synthetic"
    assert preparation.contraindications == {c.key: (False if c.key == "bladder_symptoms" else None) for c in screen}
    assert preparation.weight_kg is None and preparation.self_harm_thoughts is None
    with pytest.raises(PreparationError, match="outside 20–350 kg") as caught:
        make_preparation("", {}, {}, {}, 700)
    assert caught.value.field == "weight_kg"
    with pytest.raises(PreparationError, match="Unknown checklist item"):
        make_preparation("", {"slept_badly": True}, {}, {})
    with pytest.raises(PreparationError, match="Unknown contraindications item 'cardiac'"):
        make_preparation("", {}, {"cardiac": False}, {}, screen=screen)  # the legacy key is not asked any more
    with pytest.raises(PreparationError, match="answer yes, no"):
        make_preparation("", {}, {"pregnancy": "no"}, {})  # type: ignore[dict-item]
    with pytest.raises(PreparationError, match="Thoughts of suicide"):
        make_preparation("", {}, {}, {}, self_harm_thoughts="no")  # type: ignore[arg-type]


def test_override_needs_a_reason_and_items():
    assert make_override(["Consent signed: no"], "  verbal consent, form to follow (synthetic) ") == SafetyOverride(
        ("Consent signed: no",), "verbal consent, form to follow (synthetic)")
    item = GateItem("predose_reading.x.systolic_high", "Pre-dose reading 09:02: Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017)")
    override = make_override([item], "synthetic reason")
    assert override.items == (item.text,) and override.keys == (item.key,)
    kind, stored = encode(override)
    assert stored["keys"] == [item.key] and decode(kind, stored)[1] == override
    assert "keys" not in encode(SafetyOverride(("a",), "b"))[1]  # older shape kept when there are no keys
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


def reading(text_bp: str, minutes: float, *, current: bool = True, **vitals) -> EntryInfo:
    systolic, diastolic = (int(v) for v in text_bp.split("/"))
    return entry(Vitals(VitalsReading(systolic=systolic, diastolic=diastolic, **vitals)), minutes, current=current)


def local(minutes: float) -> str:
    return at(minutes).astimezone().strftime("%H:%M")


def test_dose_gate_without_preparation(sublingual):
    assert texts(dose_gate([], sublingual)) == [NO_PREPARATION, NO_PREDOSE_READING]
    assert texts(dose_gate([reading("128/84", 1)], sublingual)) == [NO_PREPARATION]


def test_dose_gate_reads_the_current_preparation_only(sublingual):
    good = entry(safe_preparation(sublingual), 1, current=False)  # corrected later
    worse = entry(safe_preparation(sublingual, contraindications={"pregnancy_breastfeeding": None}), 2)
    normal = reading("128/84", 3)
    assert texts(dose_gate([good, worse, normal], sublingual)) == ["Pregnancy or breastfeeding: not answered"]
    assert current_preparation([good, worse]) == (worse, worse.data)
    assert dose_gate([entry(safe_preparation(sublingual), 1), normal], sublingual) == []


def test_dose_gate_asks_for_a_pre_dose_reading(sublingual):
    prep = entry(safe_preparation(sublingual), 1)
    assert dose_gate([prep], sublingual) == [GateItem("predose_reading_missing", NO_PREDOSE_READING)]
    # A corrected-away reading is no reading; "Vitals taken" on a monitor is one.
    assert texts(dose_gate([prep, reading("128/84", 3, current=False)], sublingual)) == [NO_PREDOSE_READING]
    assert dose_gate([prep, entry(ReminderDone("Pre-dose vitals"), 3)], sublingual) == []
    # A protocol that plans no pre-dose reading does not ask for one.
    assert dose_gate([prep], replace(sublingual, vitals=replace(sublingual.vitals, before_dose=False))) == []


@pytest.mark.parametrize(("bp", "hr", "held"), [
    ("180/100", 72, []),  # exactly the bound: "> 180" is strict
    ("181/100", 72, ["Hypertensive crisis: BP 181/100 is above 180/120 (ACC/AHA 2017)"]),
    ("90/60", 72, []),
    ("89/60", 72, ["Systolic 89 mmHg is below 90"]),
    ("120/80", 49, ["Heart rate 49 bpm is below 50"]),
    ("200/120", 151, ["Heart rate 151 bpm is above 150", "Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017)"]),
    ("150/95", 72, []),  # above 140/90: a caution to weigh a delay, not a do-not-dose bound
])
def test_dose_gate_lists_each_pre_dose_reading_beyond_the_do_not_dose_bounds(sublingual, bp, hr, held):
    prep = entry(safe_preparation(sublingual), 1)
    vitals = reading(bp, 2, heart_rate=hr)
    items = dose_gate([prep, vitals], sublingual)
    assert [i.text for i in items] == [f"Pre-dose reading {local(2)}: {m}" for m in held]
    assert all(i.key.startswith(f"predose_reading.{vitals.id}.") for i in items)


def test_every_pre_dose_reading_counts_and_the_clinic_rules_apply(sublingual):
    prep = entry(safe_preparation(sublingual), 1)
    high, normal = reading("200/120", 2), reading("130/80", 6)
    assert texts(dose_gate([prep, high, normal], sublingual)) == [f"Pre-dose reading {local(2)}: Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017)"]
    # A corrected reading is read as corrected.
    assert dose_gate([prep, replace(high, superseded_by=normal.id), normal], sublingual) == []
    # The clinic's own bound (clinic.toml [alerts]) is the one the gate uses.
    raised = AlertRules(systolic_high=210, crisis_systolic=210)
    assert dose_gate([prep, reading("200/100", 2)], sublingual, rules=raised) == []
    assert dose_gate([prep, reading("200/100", 2)], sublingual) != []


def test_the_gate_lists_every_open_item_together(sublingual):
    prep = entry(safe_preparation(sublingual, self_harm_thoughts=True, contraindications={"bladder_symptoms": True}), 1)
    assert texts(dose_gate([prep, reading("200/120", 2)], sublingual)) == [
        f"{SELF_HARM.label}: yes", "Bladder symptoms (ketamine cystitis): yes",
        f"Pre-dose reading {local(2)}: Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017)"]


def test_an_override_after_the_preparation_covers_its_items_only(sublingual):
    normal = reading("128/84", 2)
    prep = entry(safe_preparation(sublingual, checklist={"consent": False}, medications={"maois": None}), 1)
    partial = entry(SafetyOverride(("Consent signed: no",), "synthetic"), 3)  # an older override: words only
    assert texts(dose_gate([prep, normal, partial], sublingual)) == ["MAOIs: not answered"]
    full = entry(make_override(dose_gate([prep, normal], sublingual), "s"), 4)
    assert dose_gate([prep, normal, partial, full], sublingual) == []
    # A newer preparation is a new question: an older override does not answer it.
    newer = entry(prep.data, 5)
    prep = replace(prep, superseded_by=newer.id)
    assert texts(dose_gate([prep, normal, full, newer], sublingual)) == ["Consent signed: no", "MAOIs: not answered"]


def test_an_override_covers_the_reading_it_named_not_a_new_one(sublingual):
    prep, high = entry(safe_preparation(sublingual), 1), reading("200/120", 2)
    override = entry(make_override(dose_gate([prep, high], sublingual), "synthetic: repeat planned"), 3)
    assert dose_gate([prep, high, override], sublingual) == []
    again = reading("200/120", 2)  # same minute, same values, another reading
    assert texts(dose_gate([prep, high, override, again], sublingual)) == [
        f"Pre-dose reading {local(2)}: Hypertensive crisis: BP 200/120 is above 180/120 (ACC/AHA 2017)"]


def test_preparation_weight(sublingual):
    assert preparation_weight([entry(safe_preparation(sublingual), 1)]) == 70.0
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
    rows = [*pane.rows["checklist"].values(), pane.self_harm, *pane.rows["contraindications"].values(),
            *pane.rows["medications"].values()]
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
    assert entry.data.self_harm_thoughts is False
    assert entry.data.contraindications == {c.key: False for c in live.info.protocol.contraindications}
    assert entry.data == pane.preparation()  # what the form says is what was saved
    assert texts(dose_gate(live.entries(), live.info.protocol)) == [NO_PREDOSE_READING]
    assert pane.message.text().startswith("Preparation saved")


def test_backspace_clears_and_open_items_update_live(qtbot, pane):
    row = pane.rows["contraindications"]["pregnancy_breastfeeding"]
    row.setFocus()
    qtbot.keyClick(row, Qt.Key.Key_Y)
    assert row.value is True and row.buttons[0].isChecked() and row.buttons[0].text() == "✓ Yes"
    assert "Pregnancy or breastfeeding: yes" in pane.open_list.text()
    assert pane.open_items.property("role") == "message"
    # 5 checklist + suicidality + 9 general cautions + 4 medicines, none answered safely
    assert pane.open_items.text() == "19 safety items open before dosing:"
    qtbot.keyClick(row, Qt.Key.Key_Backspace)
    assert row.value is None and not any(b.isChecked() for b in row.buttons)
    assert [b.text() for b in row.buttons] == ["Yes", "No"]
    assert "Pregnancy or breastfeeding: not answered" in pane.open_list.text()
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
    # The esketamine label's own contraindications follow the general cautions.
    assert list(pane.rows["contraindications"]) == [c.key for c in protocols["esketamine"].contraindications]
    assert "intracerebral_haemorrhage" in pane.rows["contraindications"]


def test_the_pane_shows_the_last_phq9_item9_with_its_date(qtbot, store, live):
    from datetime import date

    from kapdesk.ui.preparation_pane import PreparationPane

    pane = PreparationPane(live)
    qtbot.addWidget(pane)
    assert pane.last_item9.text() == "Last PHQ-9 item 9: no PHQ-9 recorded"
    live.add_outcome("phq9", {**_phq9_answers(0), "self_harm": 2}, 2, date(2026, 1, 3))
    live.add_outcome("phq9", {**_phq9_answers(1), "self_harm": 0}, 8, date(2025, 12, 20))  # older
    pane.show()  # shown again (its page key): read afresh
    qtbot.waitExposed(pane)
    assert pane.last_item9.text() == "Last PHQ-9 item 9 = 2 on 2026-01-03"
    assert pane.last_item9.property("role") == "message"  # above 0: amber
    # Answering the question by keys: "yes" holds the dose like an open safety item.
    pane.self_harm.setFocus()
    qtbot.keyClick(pane.self_harm, Qt.Key.Key_Y)
    assert f"{SELF_HARM.label}: yes" in pane.open_list.text()
    qtbot.keyClick(pane.self_harm, Qt.Key.Key_N)
    assert SELF_HARM.label not in pane.open_list.text()


def _phq9_answers(value: int) -> dict[str, int]:
    from kapdesk.domain.scales import SCALES

    return {item.key: value for item in SCALES["phq9"].items if item.key != "self_harm"}


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

    live.record(safe_preparation(live.info.protocol, checklist={"consent": None}))
    live.record(Vitals(VitalsReading(systolic=128, diastolic=84)))
    problems = dose_gate(live.entries(), live.info.protocol)
    assert texts(problems) == ["Consent signed: not answered"]
    panel = SafetyOverridePanel()
    qtbot.addWidget(panel)
    panel.confirmed.connect(lambda reason: live.record(make_override(panel.items, reason)))
    panel.ask(problems)
    panel.reason.setText("Synthetic: consent form signed on paper, to scan")
    with qtbot.waitSignal(panel.confirmed):
        panel.confirm()
    assert dose_gate(live.entries(), live.info.protocol) == []
    live.mark_dose()
    override = store.entries(live.id, kinds=[Kind.SAFETY_OVERRIDE])[0]
    assert override.data == SafetyOverride(("Consent signed: not answered",),
                                           "Synthetic: consent form signed on paper, to scan", ("checklist.consent",))
    assert live.info.dose_at is not None
