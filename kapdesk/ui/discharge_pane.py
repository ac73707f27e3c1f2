"""The discharge page: when the client may leave, and the checks before they do.

It shows the earliest discharge (the first dose plus the protocol's minimum observation), the
latest modified Aldrete (scored with F4, like every scale) against the clinic's score, and asks the
discharge check — steady gait, oriented, dissociation resolved, told not to drive or operate
machinery until the next day after sleep, and the escort home by name — saved as one
``discharge_check`` entry (Ctrl+S); saving again records a correction that supersedes it.
What is still open is listed from :func:`kapdesk.domain.discharge.discharge_status`, the rule
the end-session gate applies.

Every control is reached with Tab; a yes/no item takes Y, N and Backspace. Nothing here opens a
dialog or takes the focus by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kapdesk.domain.clinic import ClinicSettings
from kapdesk.domain.discharge import DISCHARGE_QUESTIONS, DischargeStatus, discharge_status
from kapdesk.domain.entries import DischargeCheck, EntryInfo, of_type
from kapdesk.domain.scales import CADSS6, DISSOCIATION_RATING, ScaleResult
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.kit import ChoiceRow, focus, make_label, set_role, text_line

if TYPE_CHECKING:
    from kapdesk.session import LiveSession

_YES_NO = ((True, "Yes", Qt.Key.Key_Y), (False, "No", Qt.Key.Key_N))


def _local(moment) -> str:
    return moment.astimezone().strftime("%H:%M")


class DischargePane(QFrame):
    """The discharge check of one session; each save commits a ``discharge_check`` entry."""

    saved = Signal(object)  # EntryInfo of the committed discharge check

    def __init__(self, live: LiveSession, settings: ClinicSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pane")
        self.live = live
        self.settings = settings
        title = make_label("Discharge", "title")
        hint = make_label(f"Tab moves between items · Y yes · N no · Backspace clears · "
                          f"{keymap.key('discharge.save')} saves · {keymap.key('record.scale')} scores the "
                          f"modified Aldrete", "dim", wrap=True)
        self.earliest = make_label("", wrap=True)
        self.aldrete = make_label("", wrap=True)
        self.dissociation = make_label("", "status", wrap=True)
        self.rows: dict[str, ChoiceRow] = {}
        for question in DISCHARGE_QUESTIONS:
            row = ChoiceRow(question.key, question.label, _YES_NO, tooltips=("Y", "N"))
            row.changed.connect(self._show_open)
            self.rows[question.key] = row
        self.escort: QLineEdit = text_line("name of the person taking the client home (required)", "escort")
        self.escort.textEdited.connect(self._show_open)
        self._entries: list[EntryInfo] = []
        self.escort.returnPressed.connect(self.save)
        self.save_button = QPushButton(f"Save discharge check  {keymap.key('discharge.save')}")
        self.save_button.clicked.connect(self.save)
        keymap.shortcuts("discharge.save", self, self.save)
        self.open_items = make_label("")
        self.open_list = make_label("", "status", wrap=True)
        self.message = make_label("", "status", wrap=True)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.earliest)
        layout.addWidget(self.aldrete)
        for row in self.rows.values():
            layout.addWidget(row)
        layout.addWidget(self.dissociation)
        escort_label = QLabel("Escort home")
        escort_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(escort_label)
        layout.addWidget(self.escort)
        layout.addWidget(self.open_items)
        layout.addWidget(self.open_list)
        layout.addWidget(self.save_button)
        layout.addWidget(self.message)
        layout.addStretch(1)
        chain: list[QWidget] = [*self.rows.values(), self.escort, self.save_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        self._stale = False
        live.changed.connect(self._on_change)  # Qt disconnects it when the pane goes away
        self.load()

    def focus_first(self) -> None:
        """The cursor on the first unanswered item (the escort line when every item is answered)."""
        self.refresh()
        target = next((row for row in self.rows.values() if row.value is not True), None)
        focus(target or self.escort, Qt.FocusReason.ShortcutFocusReason)

    # -- reading and writing ------------------------------------------------------------------
    def status(self, answers: DischargeCheck | None = None) -> DischargeStatus:
        """The domain's discharge facts now, from the cached entries; ``answers`` judges the form as typed."""
        return discharge_status(self._entries, protocol=self.live.info.protocol, dose_at=self.live.info.dose_at,
                                now=self.live.clock.utcnow(), aldrete_score=self.settings.aldrete_discharge_score,
                                answers=answers)

    def load(self) -> None:
        """Fill the form from the session's latest discharge check (if there is one)."""
        self._entries = self.live.entries()
        status = self.status()
        check = status.check[1] if status.check is not None else DischargeCheck()
        for key, row in self.rows.items():
            row.set_value(getattr(check, key))
        self.escort.setText(check.escort)
        self.refresh()

    def check(self) -> DischargeCheck:
        """The form as a :class:`DischargeCheck` (the escort's name with its spaces tidied)."""
        return DischargeCheck(**{key: row.value for key, row in self.rows.items()},
                              escort=" ".join(self.escort.text().split()))

    def save(self) -> EntryInfo | None:
        """Commit the form as a new entry (a correction of the previous one); on a refusal the form stays."""
        check = self.check()
        try:
            self._entries = self.live.entries()
            previous = self.status().check
            if previous is not None and previous[1] == check:
                self._say("Nothing changed since the last save.")
                return None
            entry = self.live.record(check, supersedes=previous[0].id if previous is not None else None)
        except StoreError as exc:
            self._say(f"Not saved: {exc}.", error=True)
            return None
        self._say(f"Discharge check saved {_local(entry.recorded_at)}"
                  + (" (a correction of the earlier one)." if previous is not None else "."))
        self.saved.emit(entry)
        return entry

    # -- display ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the record (after any change, or when the page is shown) and redraw the facts."""
        self._entries = self.live.entries()
        status = self.status()
        protocol = self.live.info.protocol
        if status.first_dose is None:
            self.earliest.setText("Nothing dosed yet: the discharge check applies once a dose is given.")
        elif status.earliest is None:
            self.earliest.setText(f"First dose {_local(status.first_dose)}; this protocol sets no minimum observation.")
        else:
            self.earliest.setText(f"Earliest discharge <b>{_local(status.earliest)}</b>: "
                                  f"{protocol.min_observation_minutes} min after the first dose at "
                                  f"{_local(status.first_dose)}.")
        needed = f"≥ {self.settings.aldrete_discharge_score} needed"
        if status.aldrete is None:
            self.aldrete.setText(f"Modified Aldrete: not recorded since the dose ({needed}; "
                                 f"{keymap.key('record.scale')} to score it).")
        else:
            entry, result = status.aldrete
            score = result.total if result.complete else "incomplete"
            self.aldrete.setText(f"Modified Aldrete: {score} at {_local(entry.occurred_at)} ({needed}).")
        latest = [e for e, r in of_type(self._entries, ScaleResult) if r.scale_key in (CADSS6.key, DISSOCIATION_RATING.key)]
        latest.sort(key=lambda e: e.occurred_at)
        self.dissociation.setText(f"Latest dissociation rating: {latest[-1].describe()} at "
                                  f"{_local(latest[-1].occurred_at)}" if latest else "No dissociation rating yet.")
        self._show_open()

    def _on_change(self, _entry: object = None) -> None:
        """Another pane committed something: redraw now if the page is on screen, else when it is shown
        (the music and the record write often; a hidden page need not read the record each time)."""
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def _show_open(self, _value: object = None) -> None:
        items = self.status(self.check()).open_items
        if items:
            count = len(items)
            self.open_items.setText(f"{count} discharge item{'s' if count != 1 else ''} open:")
            self.open_list.setText("\n".join(f"• {item}" for item in items))
            set_role(self.open_items, "message")
        else:
            self.open_items.setText("Nothing open: the client may leave.")
            self.open_list.setText("")
            set_role(self.open_items, "status")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "message" if error else "status")
