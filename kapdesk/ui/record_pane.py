"""The in-session record pane: vitals, observations, scales, doses, presence, and the alerts strip.

What the clinician types during the sitting goes here, by keyboard, one-handed. Its keys are the
``record.*`` actions of :mod:`kapdesk.ui.keymap`: F2 vitals line (Shift+F2 six fields), F3
observation, F4 scales, Alt+D dose, Alt+P presence, Alt+R REMS, Alt+M rescue medication, Alt+E adverse
event, Ctrl+Shift+A acknowledge the top alert; inside the pane Alt+1 … Alt+9 toggle the clinic's quick tags and Alt+Q marks a client quote
(both put the cursor in the observation line); Enter / Esc save / cancel a correction.

The window-wide ones (``WINDOW_ACTIONS``) are ``Qt.WindowShortcut`` on the pane, or on the widget
given to :meth:`RecordPane.install_keys` (the session view, so that F2 works from any of its tabs;
the pane then emits :attr:`RecordPane.page_requested` so the view can show the page holding it).
The key map's clash test keeps them apart from the session view's, the music's and the pages'
keys. Alt+digits stay inside the pane because the notes pane uses them for its sections.

**Alerts.** After every committed change (``LiveSession.changed``) and every few seconds (for a
reading that becomes overdue), the pane asks :func:`kapdesk.domain.alerting.alert_board` what is
active, from its cached copy of the entries and the clock: the timer reads no database. A new
alert is written once as an ``alert`` entry (so the record shows what the clinician was told,
and when) on the next turn of the event loop, not inside another pane's change notification.
Nothing about an alert moves focus, raises the window, opens anything or makes a sound. The
PHQ-9 outcomes of the sitting are read once and again after one is saved
(``LiveSession.outcome_saved``), for the item-9 alert. Acknowledging a critical alert asks for a
short reason in the strip's reason line (:meth:`AlertsStrip.ask_reason`): the only time the
strip takes the cursor, because the clinician asked.

**Corrections.** :meth:`RecordPane.correct` loads an entry into its section; saving records a new
entry that supersedes it. The timeline's ``correction_requested(EntryInfo)`` connects here.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget
from shiboken6 import isValid

from kapdesk.domain.alerting import ActiveAlert, AlertBoard, alert_board
from kapdesk.domain.clinic import ClinicSettings
from kapdesk.domain.entries import EntryInfo
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.alerts_strip import AlertsStrip
from kapdesk.ui.record import (
    DoseSection, ObservationSection, PresenceSection, RecordContext, RemsSection, ScaleSection, Section, VitalsSection,
)
from kapdesk.ui.record import AdverseEventSection, RescueSection

if TYPE_CHECKING:
    from kapdesk.session import LiveSession

__all__ = ["ALERT_CHECK_MS", "AUTO_ALERT_NOTE", "WINDOW_ACTIONS", "RecordPane"]

# How often a reading that has become overdue is looked for. Coarse on purpose: the clock band
# already turns amber at once; the strip adds the alert minutes later (clinic setting).
ALERT_CHECK_MS = 5000
AUTO_ALERT_NOTE = "raised by KAPDesk in the alert strip"

# Window-wide actions of the key map (see the module docstring); record.quote and record.tag1 …
# record.tag9 work inside the pane.
WINDOW_ACTIONS = ("record.vitals", "record.vitals_fields", "record.observation", "record.scale", "record.dose",
                  "record.presence", "record.rems", "record.acknowledge", "record.rescue", "record.adverse_event")


class RecordPane(QFrame):
    """The pane of the Record page: the alerts strip, then vitals, observation, and a stack of scale,
    dose and presence forms.

    Use: ``pane.set_session(live, settings)``; optionally ``pane.install_keys(view)`` with
    ``pane.page_requested`` connected to whatever shows the pane, and ``view.set_alerts(
    pane.alerts_strip)`` to show the strip outside the pane. ``focus_vitals()`` and ``correct(entry)``
    are the entry points for other widgets. Call ``stop()`` when the view closes.
    """

    entry_saved = Signal(object)  # EntryInfo the user saved (incl. corrections and acknowledgements), committed
    alerts_changed = Signal(int)  # number of active (unacknowledged) alerts, whenever it changes
    page_requested = Signal()  # a key or a correction needs the pane on screen (it is hidden): show its page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.live: LiveSession | None = None
        self.settings = ClinicSettings()
        self._entries: list[EntryInfo] = []
        self._board = AlertBoard()
        self._outcomes: list[object] = []  # the sitting's outcome measures (PHQ-9 item 9)
        self._asked: ActiveAlert | None = None  # the critical alert the reason line is open for
        self._record_scheduled = False
        self._recording = False

        title = QLabel("Record")
        title.setProperty("role", "title")
        keys = QLabel(" · ".join(f"{keymap.key(f'record.{name}')} {word}" for name, word in (
            ("vitals", "vitals"), ("observation", "note"), ("scale", "scale"), ("dose", "dose"), ("presence", "presence"))))
        keys.setProperty("role", "dim")
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(keys, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.message = QLabel("")
        self.message.setProperty("role", "message")
        self.message.setWordWrap(True)
        self.message.hide()

        self.alerts_strip = AlertsStrip()
        self.alerts_strip.acknowledge_clicked.connect(self.acknowledge_top_alert)
        self.alerts_strip.reason_entered.connect(self._acknowledge_with_reason)
        self.alerts_strip.reason_cancelled.connect(self._cancel_reason)
        self.vitals = VitalsSection()
        self.observation = ObservationSection()
        self.scales = ScaleSection()
        self.dose = DoseSection()
        self.presence = PresenceSection()
        self.rems = RemsSection()
        self.rescue = RescueSection()
        self.adverse_event = AdverseEventSection()
        self.sections: tuple[Section, ...] = (self.vitals, self.observation, self.scales, self.dose, self.presence,
                                              self.rems, self.rescue, self.adverse_event)
        for section in self.sections:
            section.saved.connect(self.entry_saved)
        self.lower = QStackedWidget()
        self.lower.setProperty("plain", "true")
        for section in (self.scales, self.dose, self.presence, self.rems, self.rescue, self.adverse_event):
            section.heading.hide()  # the row of F4 / Alt+D / Alt+P names above the stack says it
            self.lower.addWidget(section)
        self.lower_tabs = QLabel("")
        self.lower_tabs.setProperty("role", "dim")
        self.lower_tabs.setTextFormat(Qt.TextFormat.RichText)

        # The theme paints every QWidget with the window colour; the pane's containers should show
        # the pane's own ground instead of dark boxes within it.
        self.setStyleSheet('*[plain="true"], QFrame#alerts { background: transparent; }')
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addWidget(self.alerts_strip)
        layout.addWidget(self.vitals)
        layout.addWidget(self.observation)
        layout.addWidget(self.lower_tabs)
        layout.addWidget(self.lower)
        layout.addStretch(1)
        self._show_lower(self.scales)

        self._window_keys: list[QShortcut] = []
        self._pane_keys: list[QShortcut] = []
        for name, slot in (
            ("record.quote", self.observation.toggle_quote),
            *((f"record.tag{n}", lambda n=n: self.observation.toggle_tag(n - 1)) for n in range(1, 10)),
        ):
            # Inside the pane only: the notes pane has its own Alt+digits.
            for shortcut in keymap.shortcuts(name, self, slot):
                shortcut.setEnabled(False)
                self._pane_keys.append(shortcut)
        self.install_keys(self)

        self._alert_timer = QTimer(self)
        self._alert_timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._alert_timer.setInterval(ALERT_CHECK_MS)
        self._alert_timer.timeout.connect(self.refresh_alerts)

    # -- session --------------------------------------------------------------------------------
    def set_session(self, live: LiveSession, settings: ClinicSettings | None = None) -> None:
        """Attach the pane to a sitting. Reads the entries once; afterwards only changes are merged."""
        if self.live is not None and self.live is not live:
            self.live.changed.disconnect(self._on_change)
            self.live.outcome_saved.disconnect(self._on_outcome)
        previous = self.live
        self.live = live
        self.settings = settings or ClinicSettings()
        self._entries = list(live.entries())
        self._outcomes = list(live.session_outcomes())
        self._board = AlertBoard()
        name = next((c.name for c in live.store.clinicians() if c.id == live.clinician_id), live.info.clinician_name)
        ctx = RecordContext(live=live, settings=self.settings, clinician_name=name, entries=lambda: self._entries)
        for section in self.sections:
            section.bind(ctx)
        if previous is not live:
            live.changed.connect(self._on_change)  # Qt disconnects it when the pane goes away
            live.outcome_saved.connect(self._on_outcome)
        for shortcut in (*self._window_keys, *self._pane_keys):
            shortcut.setEnabled(True)
        self.alerts_strip.show_status("")
        self.refresh_alerts()
        if not live.ended:
            self._alert_timer.start()

    def stop(self) -> None:
        """Stop looking for overdue readings (the view is closing)."""
        self._alert_timer.stop()

    def entries(self) -> list[EntryInfo]:
        """The pane's copy of the session's entries, in time order (no query)."""
        return list(self._entries)

    def _on_change(self, entry: EntryInfo | None) -> None:
        if entry is None or self.live is None:
            self._entries = list(self.live.entries()) if self.live is not None else []
        else:
            self._merge(entry)
        if self.live is not None and self.live.ended:
            self._alert_timer.stop()
        self.refresh_alerts()

    def _on_outcome(self, _outcome: object) -> None:
        if self.live is not None:
            self._outcomes = list(self.live.session_outcomes())
            self.refresh_alerts()

    def _merge(self, entry: EntryInfo) -> None:
        """Add one committed entry to the cache, marking the entry it corrects as superseded."""
        entries = self._entries
        if entry.supersedes_id is not None:
            entries = [replace(e, superseded_by=entry.id) if e.id == entry.supersedes_id else e for e in entries]
        keys = [(e.occurred_at, e.recorded_at) for e in entries]
        entries.insert(bisect_right(keys, (entry.occurred_at, entry.recorded_at)), entry)
        self._entries = entries

    # -- keys -----------------------------------------------------------------------------------
    def install_keys(self, scope: QWidget) -> None:
        """Put the window-wide keys (F2, F3, F4, Alt+D, Alt+P, Ctrl+Shift+A) on ``scope``.

        A window shortcut only fires while its parent widget is visible. On the pane itself (the
        default) the keys work while the pane is on screen; on the session view they work from any
        tab, and the pane emits :attr:`page_requested` before moving the cursor so the view can
        show the pane's page first.
        """
        for old in self._window_keys:
            old.setEnabled(False)
            old.deleteLater()
        self._window_keys = []
        slots = (self.focus_vitals, self.toggle_vitals_form, self.focus_observation, self.show_scales, self.show_dose,
                 self.show_presence, self.show_rems, self.acknowledge_top_alert, self.show_rescue,
                 self.show_adverse_event)
        for name, slot in zip(WINDOW_ACTIONS, slots, strict=True):
            for shortcut in keymap.shortcuts(name, scope, slot, Qt.ShortcutContext.WindowShortcut):
                shortcut.setEnabled(self.live is not None)
                self._window_keys.append(shortcut)

    def _on_screen(self) -> None:
        if not self.isVisible():
            self.page_requested.emit()

    def toggle_vitals_form(self) -> None:
        self._on_screen()
        self.vitals.toggle_form()

    def focus_vitals(self) -> None:
        self._on_screen()
        self.vitals.focus_entry()

    def focus_observation(self) -> None:
        self._on_screen()
        self.observation.focus_entry()

    def show_scales(self) -> None:
        self._on_screen()
        self._show_lower(self.scales)
        self.scales.focus_entry()

    def show_dose(self) -> None:
        self._on_screen()
        self._show_lower(self.dose)
        self.dose.focus_entry()

    def show_presence(self) -> None:
        self._on_screen()
        self._show_lower(self.presence)
        self.presence.focus_entry()

    def show_rems(self) -> None:
        """Esketamine's REMS answers (Alt+R); other drugs have no REMS form."""
        self._on_screen()
        self._show_lower(self.rems)
        self.rems.focus_entry()

    def show_rescue(self) -> None:
        """A PRN rescue medication (Alt+M)."""
        self._on_screen()
        self._show_lower(self.rescue)
        self.rescue.focus_entry()

    def show_adverse_event(self) -> None:
        """An adverse event (Alt+E)."""
        self._on_screen()
        self._show_lower(self.adverse_event)
        self.adverse_event.focus_entry()

    def _show_lower(self, section: Section) -> None:
        self.lower.setCurrentWidget(section)
        names = []
        pages = [(self.scales, f"{keymap.key('record.scale')} Scale"), (self.dose, f"{keymap.key('record.dose')} Dose"),
                 (self.presence, f"{keymap.key('record.presence')} Presence")]
        if self.live is not None and self.live.info.protocol.drug == "esketamine":
            pages.append((self.rems, f"{keymap.key('record.rems')} REMS"))
        pages += [(self.rescue, f"{keymap.key('record.rescue')} Rescue"),
                  (self.adverse_event, f"{keymap.key('record.adverse_event')} Adverse event")]
        for page, text in pages:
            names.append(f"<b>[{text}]</b>" if page is section else text)
        self.lower_tabs.setText("  ·  ".join(names))

    # -- corrections ----------------------------------------------------------------------------
    def correct(self, entry: EntryInfo) -> bool:
        """Load ``entry`` into its form for correction; saving supersedes it (nothing is overwritten).

        Returns False, with a quiet message, for kinds this pane does not enter (phases, music…).
        """
        self.message.hide()
        section = next((s for s in self.sections if entry.kind in s.kinds), None)
        if section is None or self.live is None:
            self.message.setText(f"{entry.kind.label} entries are not corrected in the record pane.")
            self.message.show()
            return False
        self._on_screen()
        if section in (self.scales, self.dose, self.presence, self.rescue, self.adverse_event):
            self._show_lower(section)
        if not section.begin_correction(entry):
            return False
        section.focus_entry()
        return True

    # -- alerts ---------------------------------------------------------------------------------
    @property
    def board(self) -> AlertBoard:
        return self._board

    def refresh_alerts(self) -> AlertBoard:
        """Recompute the active alerts from the cached entries and the clock (no query), show them,
        and schedule writing any new one into the record."""
        live = self.live
        if live is None:
            return self._board
        if live.ended:
            # A finished sitting has nothing left to alert about; its alerts are in the timeline.
            board = AlertBoard()
        else:
            reading = live.reading()
            board = alert_board(
                self._entries,
                rules=self.settings.alert_rules,
                dose_at=live.info.dose_at,
                reminder=reading.next_reminder,
                now=reading.now,
                overdue_after=self.settings.overdue_alert_after,
                outcomes=self._outcomes,
            )
        changed = board.active != self._board.active
        self._board = board
        if changed:
            self.alerts_strip.show_alerts(board.active)
            self.alerts_changed.emit(len(board))
        if board.unrecorded and not live.ended and not self._recording and not self._record_scheduled:
            # Not now: we may be inside another listener's change notification.
            self._record_scheduled = True
            QTimer.singleShot(0, self._record_new_alerts)
        return board

    def _record_new_alerts(self) -> None:
        self._record_scheduled = False
        live = self.live
        if live is None or live.ended or not isValid(self):
            return
        self._recording = True
        try:
            for alert in self.refresh_alerts().unrecorded:
                if self._record_alert(alert) is None:
                    break
        finally:
            self._recording = False
        self.refresh_alerts()

    def _record_alert(self, alert: ActiveAlert) -> EntryInfo | None:
        assert self.live is not None
        try:
            return self.live.record(alert.as_entry(), note=AUTO_ALERT_NOTE)
        except StoreError as exc:
            self.alerts_strip.show_status(f"Alert shown but not yet in the record: {exc}.")
            return None

    def acknowledge_top_alert(self, reason: str | None = None) -> EntryInfo | None:
        """Ctrl+Shift+A: record an ``alert_ack`` for the top alert, by the acting clinician, now.

        A critical alert needs a reason: without ``reason`` the strip's reason line opens for it
        (Enter there comes back through :meth:`_acknowledge_with_reason`) and nothing is recorded yet.
        """
        if self.live is None:
            return None
        top = self.refresh_alerts().top
        if top is None:
            self.alerts_strip.show_status("No alert to acknowledge.")
            return None
        if top.needs_reason and not (reason or "").strip():
            if reason is None:
                self._asked = top
                self.alerts_strip.ask_reason(top)
            else:
                self.alerts_strip.refuse_reason()
            return None
        return self._acknowledge(top, (reason or "").strip())

    def _acknowledge_with_reason(self, text: str) -> None:
        """Enter in the reason line: an empty reason is refused in place; otherwise the alert the
        line was opened for is acknowledged with it (if it is still active)."""
        if not text.strip():
            self.alerts_strip.refuse_reason()
            return
        asked = self._asked
        current = next((a for a in self.refresh_alerts().active if asked is not None and _same(a, asked)), None)
        if current is None:
            self._cancel_reason()
            self.alerts_strip.show_status("That alert is no longer active: nothing recorded.")
            return
        if self._acknowledge(current, text.strip()) is not None:
            self._cancel_reason()

    def _cancel_reason(self) -> None:
        self._asked = None
        self.alerts_strip.close_reason()

    def _acknowledge(self, top: ActiveAlert, reason: str) -> EntryInfo | None:
        assert self.live is not None
        if not top.recorded:
            self._recording = True
            try:
                recorded = self._record_alert(top)
            finally:
                self._recording = False
            if recorded is None:
                return None
            top = replace(top, entry_id=recorded.id)
        try:
            ack = self.live.record(top.acknowledgement(reason))
        except StoreError as exc:
            self.alerts_strip.show_status(f"Not acknowledged: {exc}.")
            return None
        when = ack.occurred_at.astimezone().strftime("%H:%M")
        why = f" ({reason})" if reason else ""
        self.alerts_strip.show_status(f"Acknowledged {when} by {ack.author_name}: {top.message}{why}")
        self.entry_saved.emit(ack)
        return ack


def _same(a: ActiveAlert, b: ActiveAlert) -> bool:
    """The same alert (rule, source, showing), recorded since or not."""
    return (a.key, a.reading_id, a.repeats) == (b.key, b.reading_id, b.repeats)
