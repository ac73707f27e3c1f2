"""The esketamine REMS section: the two monitoring-form answers the record cannot derive."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from kapdesk.domain.entries import EntryInfo, Kind, RemsAnswers
from kapdesk.ui import keymap
from kapdesk.ui.kit import clear_error, focus, make_label, mark_error, text_line
from kapdesk.ui.record.base import Section

# A REMS sitting is at least two hours; more than ten is a typo.
REMS_MAX_MINUTES = 600


class RemsSection(Section):
    """The two REMS monitoring-form answers the record cannot derive by itself.

    Everything else on the form (medicines, dose and lot, vitals, sedation, dissociation, pulse
    oximetry, minutes of monitoring) comes from the session's own entries in the report.
    """

    kinds = (Kind.REMS,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("REMS", keymap.key("record.rems"), parent)
        self.adverse = text_line("serious adverse events (empty if none)", "serious adverse events")
        self.ready = text_line("minutes after the first spray (e.g. 75)", "ready to leave without the 2-hour rule")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        for row, (title, widget) in enumerate((("Serious adverse events", self.adverse),
                                               ("Ready without the 2-h rule at", self.ready))):
            grid.addWidget(make_label(title, "dim"), row, 0)
            grid.addWidget(widget, row, 1)
            widget.returnPressed.connect(self.save)
        self.body.addLayout(grid)
        self.finish_layout()

    def focus_entry(self) -> None:
        focus(self.adverse, Qt.FocusReason.ShortcutFocusReason)

    def clear_fields(self) -> None:
        for line in (self.adverse, self.ready):
            line.clear()
            clear_error(line)

    def load(self, entry: EntryInfo) -> None:
        answers = entry.data
        if not isinstance(answers, RemsAnswers):
            raise TypeError("the stored REMS answers cannot be read")
        self.clear_fields()
        self.adverse.setText(answers.serious_adverse_events)
        minutes = answers.ready_without_2h_minutes
        self.ready.setText("" if minutes is None else str(minutes))

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
        entry = self.commit(RemsAnswers(" ".join(self.adverse.text().split()), minutes), None)
        if entry is not None:
            self.clear_fields()
        return entry
