"""The presence section: who is in the room (a provider throughout) and any hand-off."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from kapdesk.domain.entries import EntryInfo, Kind, Presence
from kapdesk.ui import keymap
from kapdesk.ui.kit import clear_error, focus, make_label, mark_error, text_line
from kapdesk.ui.record.base import RecordContext, Section


class PresenceSection(Section):
    """Who is in the room (a provider must be present throughout) and any hand-off."""

    kinds = (Kind.PRESENCE,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Presence", keymap.key("record.presence"), parent)
        self.present = text_line("names, separated by commas", "present")
        self.handoff = text_line("hand-off to (empty if none)", "hand-off to")
        self.note = text_line("note (optional)", "presence note")
        self.time_field = text_line("now", "presence time")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        for row, (title, widget) in enumerate((("Present", self.present), ("Hand-off", self.handoff),
                                               ("Note", self.note), ("Time", self.time_field))):
            grid.addWidget(make_label(title, "dim"), row, 0)
            grid.addWidget(widget, row, 1)
            widget.returnPressed.connect(self.save)
        self.body.addLayout(grid)
        self.finish_layout()

    def bind(self, ctx: RecordContext) -> None:
        super().bind(ctx)
        self.reset_defaults()

    def focus_entry(self) -> None:
        focus(self.present, Qt.FocusReason.ShortcutFocusReason)
        self.present.selectAll()

    def reset_defaults(self) -> None:
        if self.ctx is None:
            return
        latest = self.ctx.latest(Presence)
        names = latest[1].present if latest is not None else None
        self.present.setText(", ".join(names) if names else self.ctx.clinician_name)

    def clear_fields(self) -> None:
        for line in (self.handoff, self.note, self.time_field):
            line.clear()
        for line in (self.present, self.handoff, self.note, self.time_field):
            clear_error(line)
        self.reset_defaults()

    def load(self, entry: EntryInfo) -> None:
        presence = entry.data
        if not isinstance(presence, Presence):
            raise TypeError("the stored presence cannot be read")
        self.clear_fields()
        self.present.setText(", ".join(presence.present))
        self.handoff.setText(presence.handoff_to or "")
        self.note.setText(presence.note)

    def save(self) -> EntryInfo | None:
        names = [" ".join(n.split()) for n in re.split(r"[,;]", self.present.text()) if n.strip()]
        handoff = " ".join(self.handoff.text().split()) or None
        if not names:
            self.say("Who is present? Type the names, separated by commas.", error=True)
            focus(self.present, Qt.FocusReason.OtherFocusReason)
            mark_error(self.present, (0, len(self.present.text())))
            return None
        ok, when = self.entry_time(self.time_field)
        if not ok:
            return None
        entry = self.commit(Presence(tuple(names), handoff, self.note.text().strip()), when)
        if entry is not None:
            self.clear_fields()
        return entry
