"""The esketamine REMS section: the monitoring-form answers the record cannot derive.

Two answers per sitting (serious adverse events, "ready without the 2-hour rule"), and two asked
once per client (:mod:`kapdesk.domain.rems`): the patient's REMS enrolment (with its ID or date)
and whether this is the client's first esketamine treatment. The latter two are shown as the
record already knows them — from this or an earlier sitting of the client, or derived from the
client's history — and asked only while they are not known; the answer is a ``rems_patient`` entry
that later sittings read.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from kapdesk.domain.entries import EntryInfo, Kind, RemsAnswers, RemsPatient
from kapdesk.domain.rems import PatientFacts, is_esketamine, patient_facts
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.kit import ChoiceRow, EnterFilter, clear_error, focus, make_label, mark_error, text_line
from kapdesk.ui.record.base import RecordContext, Section

# A REMS sitting is at least two hours; more than ten is a typo.
REMS_MAX_MINUTES = 600
_YES_NO = ((True, "Yes", Qt.Key.Key_Y), (False, "No", Qt.Key.Key_N))


class RemsSection(Section):
    """The REMS monitoring-form answers the record cannot derive by itself.

    Everything else on the form (medicines, dose and lot, vitals, sedation, dissociation, pulse
    oximetry, minutes of monitoring) comes from the session's own entries in the report.
    """

    kinds = (Kind.REMS,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("REMS", keymap.key("record.rems"), parent)
        self.facts: PatientFacts = patient_facts(None)
        self.adverse = text_line("serious adverse events, or “none” (left empty: not answered)",
                                 "serious adverse events")
        self.ready = text_line("minutes after the first spray (e.g. 75)", "ready to leave without the 2-hour rule")
        self.known = make_label("", "status", wrap=True)  # what the record already knows about the client
        self.enrolled = ChoiceRow("enrolled", "Patient enrolled in the REMS", _YES_NO, tooltips=("Y", "N"))
        self.enrolment = text_line("enrolment ID or date (required with yes)", "REMS enrolment ID or date")
        self.first = ChoiceRow("first_treatment", "First esketamine treatment", _YES_NO, tooltips=("Y", "N"))
        self.enrolment_label = make_label("Enrolment ID or date", "dim")
        grids = []
        for rows in ((("Serious adverse events", self.adverse), ("Ready without the 2-h rule at", self.ready)),
                     ((self.enrolment_label, self.enrolment),)):
            grid = QGridLayout()
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setHorizontalSpacing(6)
            grid.setVerticalSpacing(3)
            for row, (title, widget) in enumerate(rows):
                grid.addWidget(make_label(title, "dim") if isinstance(title, str) else title, row, 0)
                grid.addWidget(widget, row, 1)
                widget.returnPressed.connect(self.save)
            grids.append(grid)
        self.body.addLayout(grids[0])
        self.body.addWidget(self.known)
        self.body.addWidget(self.enrolled)
        self.body.addLayout(grids[1])
        self.body.addWidget(self.first)
        enter = EnterFilter(self.save, self)
        for row in (self.enrolled, self.first):
            row.installEventFilter(enter)
        for first, second in ((self.adverse, self.ready), (self.ready, self.enrolled), (self.enrolled, self.enrolment),
                              (self.enrolment, self.first)):
            QWidget.setTabOrder(first, second)
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        super().bind(ctx)
        self.show_known()

    def show_known(self) -> None:
        """Read the client's REMS answers (this and earlier sittings) and ask only what is not known."""
        live = self.ctx.live if self.ctx is not None else None
        if live is None or not is_esketamine(live.info.protocol.drug):
            self.facts = patient_facts(None)
            for widget in (self.known, self.enrolled, self.enrolment, self.enrolment_label, self.first):
                widget.hide()
            return
        try:
            self.facts = patient_facts(live.rems_history())
        except StoreError as exc:
            self.say(f"The client's earlier REMS answers cannot be read: {exc}.", error=True)
            return
        facts = self.facts
        lines = [f"First esketamine treatment: {_yes_no(facts.first_treatment)} — {facts.first_treatment_why}"]
        if facts.enrolled is not None and facts.enrolment_entry is not None:
            ref = f" ({facts.enrolment})" if facts.enrolment else ""
            when = facts.enrolment_entry.occurred_at.astimezone().date().isoformat()
            lines.append(f"REMS enrolment: {_yes_no(facts.enrolled)}{ref}, recorded {when}")
        self.known.setText("\n".join(lines))
        self.known.show()
        for widget in (self.enrolled, self.enrolment, self.enrolment_label):
            widget.setVisible(facts.ask_enrolment)
        self.first.setVisible(facts.ask_first)
        if facts.ask_first and facts.derived:
            self.first.label.setText("First esketamine treatment? Y confirms; N if treated before (e.g. elsewhere)")

    def focus_entry(self) -> None:
        focus(self.adverse, Qt.FocusReason.ShortcutFocusReason)

    def clear_fields(self) -> None:
        for line in (self.adverse, self.ready, self.enrolment):
            line.clear()
            clear_error(line)
        for row in (self.enrolled, self.first):
            row.set_value(None)

    def load(self, entry: EntryInfo) -> None:
        answers = entry.data
        if not isinstance(answers, RemsAnswers):
            raise TypeError("the stored REMS answers cannot be read")
        self.clear_fields()
        self.adverse.setText(answers.serious_adverse_events)
        minutes = answers.ready_without_2h_minutes
        self.ready.setText("" if minutes is None else str(minutes))

    def _patient(self) -> RemsPatient | None:
        """The once-per-client answers given now (None when none was asked or answered)."""
        enrolled = self.enrolled.value if self.enrolled.isVisibleTo(self) else None
        first = self.first.value if self.first.isVisibleTo(self) else None
        if enrolled is None and first is None:
            return None
        return RemsPatient(enrolled, " ".join(self.enrolment.text().split()) if enrolled else "", first)

    def save(self) -> EntryInfo | None:
        text = self.ready.text().strip()
        minutes: int | None = None
        if text:
            if not text.isdigit() or not 0 < int(text) <= REMS_MAX_MINUTES:
                self.say(f"“{text}” is not a number of minutes: type whole minutes after the first spray, "
                         f"1 to {REMS_MAX_MINUTES}.", error=True)
                focus(self.ready, Qt.FocusReason.OtherFocusReason)
                mark_error(self.ready, (0, len(text)))
                return None
            minutes = int(text)
        patient = self._patient()
        if patient is not None and patient.enrolled and not patient.enrolment:
            self.say("Enrolled: type the patient's REMS enrolment ID or the date of enrolment.", error=True)
            focus(self.enrolment, Qt.FocusReason.OtherFocusReason)
            mark_error(self.enrolment, None)
            return None
        answers = RemsAnswers(" ".join(self.adverse.text().split()), minutes)
        if patient is not None and answers == RemsAnswers() and self.correcting is None:
            entry = self.commit(patient, None)  # only the once-per-client answers were given
        else:
            if patient is not None and self._commit_patient(patient) is None:
                return None
            entry = self.commit(answers, None)
        if entry is not None:
            self.clear_fields()
            self.show_known()
        return entry

    def _commit_patient(self, patient: RemsPatient) -> EntryInfo | None:
        assert self.ctx is not None
        try:
            return self.ctx.live.record(patient)
        except StoreError as exc:
            self.say(f"Not saved: {exc}.", error=True)
            return None


def _yes_no(answer: bool | None) -> str:
    return "not known" if answer is None else ("yes" if answer else "no")
