"""The presence section: who is in the room (a provider throughout) and any hand-off."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from kapdesk.ui import keymap
from kapdesk.ui.kit import clear_error, focus, make_label, mark_error, text_line
from kapdesk.ui.record.base import RecordContext, Section

if TYPE_CHECKING:
    from kapdesk.store import EntryInfo

class PresenceSection(Section):
    """Who is in the room (a provider must be present throughout) and any hand-off."""

    kinds = ("presence",)

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
        latest = self.ctx.latest("presence")
        names = latest.payload.get("present") if latest is not None else None
        self.present.setText(", ".join(names) if names else self.ctx.clinician_name)

    def clear_fields(self) -> None:
        for line in (self.handoff, self.note, self.time_field):
            line.clear()
        for line in (self.present, self.handoff, self.note, self.time_field):
            clear_error(line)
        self.reset_defaults()

    def load(self, entry: EntryInfo) -> None:
        payload = entry.payload
        self.clear_fields()
        self.present.setText(", ".join(str(n) for n in payload.get("present") or []))
        self.handoff.setText(str(payload.get("handoff_to") or ""))
        self.note.setText(str(payload.get("note") or ""))

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
        payload = {"present": names, "handoff_to": handoff, "note": self.note.text().strip()}
        entry = self.commit("presence", payload, when)
        if entry is not None:
            self.clear_fields()
        return entry
