"""The session view: the clock band with its controls, and the session's log below it.

Every control commits through ``LiveSession`` first and only then redraws, so what the screen
shows as done is saved. Mistakes (advancing past the last phase...) are said in a quiet line
under the controls; nothing here opens a dialog or takes keyboard focus by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from kapdesk.domain.clinic import ClinicSettings, load_clinic_settings_or_defaults
from kapdesk.domain.discharge import discharge_from, discharge_status, make_discharge_override
from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.preparation import PreparationError, dose_gate, make_override
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.clock_band import ClockBand
from kapdesk.ui.discharge_pane import DischargePane
from kapdesk.ui.kit import focus, titled
from kapdesk.ui.notes_pane import NotesPane
from kapdesk.ui.outcomes_form import OutcomesForm
from kapdesk.ui.preparation_pane import PreparationPane, SafetyOverridePanel
from kapdesk.ui.record_pane import RecordPane
from kapdesk.ui.timeline import Timeline
from kapdesk.ui.vitals_chart import VitalsChart

if TYPE_CHECKING:
    from kapdesk.session import LiveSession

# How long the end-session button waits for its second press before it disarms.
ARM_MS = 5000


class SessionView(QWidget):
    closed = Signal()  # the therapist went back to the start screen

    def __init__(self, live: LiveSession, settings: ClinicSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        settings = settings or load_clinic_settings_or_defaults()[0]
        self.band = ClockBand()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()  # an empty line would cost a laptop screen its height

        self.buttons: dict[str, QPushButton] = {}
        for name, text, action, slot in (
            ("dose", "Dose T0", "session.dose", self.mark_dose),
            ("next", "Next phase", "session.next_phase", self.advance_phase),
            ("extend5", "+5 min", "session.extend5", lambda: self.extend_phase(5)),
            ("extend15", "+15 min", "session.extend15", lambda: self.extend_phase(15)),
            ("reminder", "Vitals taken", "session.reading_taken", self.reminder_done),
            ("end", "End session", "session.end", self.end_session),
            ("back", "Start screen", "session.back", self.closed.emit),
        ):
            keys = keymap.key(action)
            button = QPushButton(f"{text}  {keys}")
            button.setProperty("compact", "true")
            button.setToolTip(f"{text} ({keys})")
            button.clicked.connect(slot)
            keymap.shortcuts(action, self, button.click)
            self.band.controls.addWidget(button)
            self.buttons[name] = button
        self.band.controls.addStretch(1)
        self._armed = QTimer(self, singleShot=True, interval=ARM_MS)
        self._armed.timeout.connect(self._disarm)

        # The body: pages on the left (record and chart, timeline, preparation, note), the music on
        # the right. Panes arrive through add_page / set_side so this view stays a frame.
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.pages: dict[str, QWidget] = {}
        self._focus_first: dict[str, Callable[[], None]] = {}
        self.side = QVBoxLayout()
        side = QWidget()
        side.setLayout(self.side)
        self.side.setContentsMargins(0, 0, 0, 0)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.addWidget(self.tabs)
        self.body.addWidget(side)
        self.body.setStretchFactor(0, 3)
        self.body.setStretchFactor(1, 1)
        self.alerts_slot = QVBoxLayout()

        self.chart = VitalsChart()
        self.chart.set_session(live)
        self.timeline = Timeline()
        self.timeline.set_session(live)
        self.settings = settings
        self.chart.set_rules(settings.alert_rules)
        self.record_pane = RecordPane()
        self.record_pane.set_session(live, settings)
        self.record_pane.install_keys(self)  # F2, F3, F4... from any page
        self.record_pane.page_requested.connect(lambda: self.show_page("record"))
        self.timeline.correction_requested.connect(self.record_pane.correct)
        self.set_alerts(self.record_pane.alerts_strip)  # under the clock, visible on every page
        self.record_area = QSplitter(Qt.Orientation.Horizontal)
        self.record_area.addWidget(self.record_pane)
        self.record_area.addWidget(titled("Vitals", self.chart))
        self.record_area.setStretchFactor(0, 2)
        self.record_area.setStretchFactor(1, 3)
        self.record_area.setChildrenCollapsible(False)
        # On a narrow window record and chart take turns (kapdesk.ui.screen_fit); this key switches.
        self.single = False
        self.showing_chart = False
        self._fitted_page = 0
        keymap.shortcuts("session.record_chart", self, self.toggle_record_chart)
        keymap.shortcuts("session.chart_vitals", self, self.chart.toggle_vitals)
        self.preparation = PreparationPane(live)
        self.preparation.saved.connect(lambda _entry: self.refresh())
        self.notes = NotesPane(live)  # it follows live.changed for new quotes itself
        self.outcomes = OutcomesForm(live)
        # Each page key shows its page and puts the cursor where typing is expected there.
        self.add_page("record", "Record", self.record_area, self.record_pane.vitals.focus_entry)
        self.add_page("timeline", "Timeline", titled("Timeline", self.timeline), self.timeline.focus_list)
        self.add_page("preparation", "Preparation", self.preparation, self.preparation.focus_first)
        self.add_page("notes", "Integration note", self.notes, self.notes.focus_first)
        self.add_page("outcomes", "PHQ-9 / GAD-7", self.outcomes, self.outcomes.focus_first)
        self.discharge = DischargePane(live, settings)
        self.add_page("discharge", "Discharge", self.discharge, self.discharge.focus_first)
        # Before the dose the therapist is preparing; afterwards the record matters most.
        self.tabs.setCurrentIndex(list(self.pages).index(
            "preparation" if live.info.dose_at is None and not live.ended else "notes" if live.ended else "record"))

        self.override = SafetyOverridePanel()
        self.override.confirmed.connect(self._dose_despite)
        self.override.cancelled.connect(lambda: self.say("Dose not marked."))
        # The discharge gate: ending with discharge items open asks for a reason, inline, like the dose.
        self.end_override = SafetyOverridePanel(
            heading="End the session with discharge items open?",
            placeholder="Reason for ending anyway (required, kept in the record)", confirm_text="End anyway",
            refused="Type the reason first: it goes into the record with the end of the session.", keys="end_override")
        self.end_override.confirmed.connect(self._end_despite)
        self.end_override.cancelled.connect(lambda: self.say("Session not ended."))
        live.changed.connect(self._record_changed)

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.band)
        layout.addWidget(self.message)
        layout.addWidget(self.override)
        layout.addWidget(self.end_override)
        self.panels = QVBoxLayout()  # inline panels the window adds (the hand-off line)
        self.handoff: QWidget | None = None
        layout.addLayout(self.panels)
        layout.addLayout(self.alerts_slot)
        layout.addWidget(self.body, 1)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.tick)
        self.refresh()
        if not live.ended:
            self.tick()

    # -- ticking ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Redraw from the injected clock, then wake just after the next whole second."""
        reading = self.live.reading()
        self.band.show_reading(reading)
        if not self.live.ended:
            millis = reading.now.microsecond // 1000
            self._timer.start(1000 - millis + 5)

    def stop(self) -> None:
        """The view is leaving: stop ticking and save any unsaved words of the note."""
        self._timer.stop()
        self.record_pane.stop()
        self.notes.flush()

    # -- actions ------------------------------------------------------------------------------
    def _act(self, action, done: str) -> None:
        try:
            action()
        except (StoreError, PreparationError) as exc:
            self.say(f"Not saved: {exc}.", error=True)
            return
        self.say(done)
        self.refresh()
        self.tick()

    def mark_dose(self) -> None:
        """Dosing with open safety items (the preparation, the pre-dose vitals) asks for an explicit,
        recorded override (inline, not a dialog)."""
        problems = dose_gate(self.live.entries(), self.live.info.protocol, rules=self.settings.alert_rules)
        if problems:
            self.override.ask(problems)
            self.say("Safety items are open: give a reason to dose anyway (Enter), or Esc.", error=True)
            return
        self._act(self.live.mark_dose, "Dose time T0 saved.")
        self._after_dose()

    def _after_dose(self) -> None:
        """Once T0 is saved the record matters most: show it (the therapist's own action, not a jump)."""
        if self.live.info.dose_at is not None:
            self.tabs.setCurrentIndex(list(self.pages).index("record"))

    def _dose_despite(self, reason: str) -> None:
        items = list(self.override.items)

        def record_and_dose() -> None:
            self.live.record(make_override(items, reason))
            self.live.mark_dose()

        self._act(record_and_dose, "Override and dose time T0 saved.")
        self._after_dose()

    def advance_phase(self) -> None:
        self._act(self.live.advance_phase, "Phase change saved.")

    def extend_phase(self, minutes: int) -> None:
        self._act(lambda: self.live.extend_phase(minutes), f"Phase extended by {minutes} min (saved).")

    def reminder_done(self) -> None:
        self._act(self.live.reminder_done, "Reading time saved.")

    def end_session(self) -> None:
        """Two presses within a few seconds: ending cannot be undone, and there is no dialog to confirm.

        With discharge items open (the domain's :func:`discharge_status`: the minimum observation
        from the first dose, the Aldrete, the discharge check) the first press lists them in an
        inline panel instead: ending anyway needs a typed reason, recorded with the items.
        """
        items = self.open_discharge_items()
        if items:
            self._disarm()
            self.end_override.ask(items)
            self.say("Discharge items are open: give a reason to end anyway (Enter), or Esc.", error=True)
            return
        self.end_override.hide()  # asked before, and everything has been closed since
        button = self.buttons["end"]
        if not self._armed.isActive():
            self._armed.start()
            button.setText(f"Press again to end  {keymap.key('session.end')}")
            button.setProperty("armed", "true")
            button.style().polish(button)
            self.say("Press End session again within 5 seconds to end the session.", error=True)
            return
        self._disarm()
        self._act(self.live.end, "Session ended and saved.")

    def open_discharge_items(self) -> list[str]:
        live = self.live
        return list(discharge_status(live.entries(), protocol=live.info.protocol, dose_at=live.info.dose_at,
                                     now=live.clock.utcnow(),
                                     aldrete_score=self.settings.aldrete_discharge_score).open_items)

    def _end_despite(self, reason: str) -> None:
        override = make_discharge_override(self.end_override.items, reason)  # the panel refuses an empty reason

        def record_and_end() -> None:
            self.live.record(override)
            self.live.end()

        self._act(record_and_end, "Override and end of session saved.")

    def _record_changed(self, entry: EntryInfo | None) -> None:
        """A dose (or T0, or a correction) moves the earliest discharge on the clock band."""
        if entry is None or entry.supersedes_id is not None or entry.kind in (Kind.DOSE, Kind.DOSE_TIME):
            self._show_discharge_from()

    def _show_discharge_from(self) -> None:
        live = self.live
        self.band.set_discharge_from(discharge_from(live.entries(), live.info.protocol, live.info.dose_at))

    def say(self, text: str, *, error: bool = False) -> None:
        """One quiet line under the controls: amber for what needs attention, dim for confirmations."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        role = "message" if error else "status"
        if self.message.property("role") != role:
            self.message.setProperty("role", role)
            self.message.style().polish(self.message)

    def _disarm(self) -> None:
        self._armed.stop()
        button = self.buttons["end"]
        button.setText(f"End session  {keymap.key('session.end')}")
        button.setProperty("armed", "false")
        button.style().polish(button)

    # -- display ------------------------------------------------------------------------------
    def refresh(self) -> None:
        live = self.live
        ended = live.ended
        dosed = live.info.dose_at is not None
        self.buttons["dose"].setEnabled(not ended and not dosed)
        for name in ("next", "extend5", "extend15", "reminder", "end"):
            self.buttons[name].setEnabled(not ended)
        self._show_discharge_from()
        if ended:
            self._timer.stop()

    # -- fitting the screen (kapdesk.ui.screen_fit) --------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self.fit_layout()

    def fit_layout(self) -> None:
        """Compact band on a short screen; record and chart in turn when the chart would be too narrow."""
        from kapdesk.ui.screen_fit import layout_for

        page = self.tabs.width() if self.tabs.isVisible() else self.width() * 3 // 4
        fit = layout_for(self.window().width(), self.height(), page, self.record_pane.minimumSizeHint().width(),
                         self.record_area.handleWidth())
        self.band.set_compact(fit.compact)
        margin = 6 if fit.compact else 12
        self._layout.setContentsMargins(margin, margin, margin, margin)
        self._layout.setSpacing(4 if fit.compact else -1)
        if fit.single != self.single:
            self.single = fit.single
            self._show_record_or_chart()
        if not fit.single and page != self._fitted_page:  # side by side: the chart gets what the record spares
            self._fitted_page = page
            record = max(self.record_pane.minimumSizeHint().width(), round(page * 0.42))
            self.record_area.setSizes([record, max(page - record - self.record_area.handleWidth(), 1)])

    def toggle_record_chart(self) -> None:
        """The record/chart key: on a narrow window, the chart in place of the record pane and back."""
        if not self.single:
            self.show_page("record")
            self.say("Record and chart are both shown at this window size.")
            return
        self.showing_chart = not self.showing_chart
        self.tabs.setCurrentIndex(list(self.pages).index("record"))
        self._show_record_or_chart()
        if self.showing_chart:
            self.tabs.currentWidget().setFocus(Qt.FocusReason.ShortcutFocusReason)  # the chart takes no focus
        else:
            self._focus_first["record"]()

    def _show_record_or_chart(self) -> None:
        chart = self.record_area.widget(1)
        self.record_pane.setVisible(not (self.single and self.showing_chart))
        chart.setVisible(not self.single or self.showing_chart)
        # The tab says where the hidden half is, so the therapist need not remember the key.
        other = ("record" if self.showing_chart else "chart") if self.single else ""
        title = f"Record  {keymap.key('page.record')}" + (f"  ·  {other} {keymap.key('session.record_chart')}"
                                                           if other else "")
        self.tabs.setTabText(list(self.pages).index("record"), title)

    # -- panes --------------------------------------------------------------------------------
    def add_page(self, key: str, title: str, widget: QWidget, focus_first: Callable[[], None] | None = None) -> None:
        """A page in the body's tabs, with its key (``page.<key>`` in the key map) that shows it and
        calls ``focus_first`` to put the cursor where typing starts (default: the first field)."""
        self.pages[key] = widget
        self._focus_first[key] = focus_first or (lambda: focus(widget, Qt.FocusReason.ShortcutFocusReason)
                                                 if widget.focusPolicy() != Qt.FocusPolicy.NoFocus
                                                 else widget.focusNextChild())
        # Pages scroll rather than push the window past a 1280x800 laptop screen.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        self.tabs.addTab(scroll, f"{title}  {keymap.key(f'page.{key}')}")
        keymap.shortcuts(f"page.{key}", self, lambda: self.show_page(key))

    def show_page(self, key: str) -> None:
        """Show a page and put the keyboard focus where typing is expected on it.

        Only ever on the user's request (a page key, an entry key, a correction, the dose): a page
        never takes the focus by itself.
        """
        if key == "record" and self.showing_chart:  # F5, F2...: typing is expected, so the record pane
            self.showing_chart = False
            self._show_record_or_chart()
        self.tabs.setCurrentIndex(list(self.pages).index(key))
        self._focus_first[key]()

    def set_side(self, widget: QWidget) -> None:
        self.side.addWidget(widget)

    def add_panel(self, widget: QWidget) -> None:
        """An inline panel under the controls (hidden until it asks), like the dose override."""
        self.panels.addWidget(widget)

    def set_alerts(self, widget: QWidget) -> None:
        self.alerts_slot.addWidget(widget)
