"""The observation section: free text, the clinic's quick tags and the client-quote flag."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.observations import (
    EntryTimeError, Observation, ObservationError, parse_observation, split_time_suffix,
)
from kapdesk.ui import keymap
from kapdesk.ui.kit import clear_error, focus, make_label, mark_error, restyle, text_line
from kapdesk.ui.record.base import RecordContext, Section, suffix_span


class ObservationSection(Section):
    """Free text with the clinic's quick tags (Alt+1 … Alt+9) and a client-quote flag (Alt+Q)."""

    kinds = (Kind.OBSERVATION,)

    def __init__(self, parent: QWidget | None = None) -> None:
        quote = keymap.key("record.quote")
        super().__init__("Observation", f"{keymap.key('record.observation')} · "
                         f"{keymap.key('record.tag1')}…{keymap.key('record.tag9')[-1]} tags · {quote} quote", parent)
        self.line = text_line(f"What you notice; “quotes” or {quote} for the client's words; #tag", "observation line")
        self.line.returnPressed.connect(self.save)
        self.body.addWidget(self.line)
        self.tag_row = QWidget()
        self.tag_row.setProperty("plain", "true")
        self.tag_grid = QGridLayout(self.tag_row)
        self.tag_grid.setContentsMargins(0, 0, 0, 0)
        self.tag_grid.setSpacing(4)
        self.body.addWidget(self.tag_row)
        self.tag_buttons: list[QPushButton] = []
        self.quote_button = self._toggle(f"{quote}  quote")
        self.quote_button.setToolTip(f"The text is the client's own words ({quote})")
        self.extra_tags: tuple[str, ...] = ()  # tags of a corrected entry the clinic no longer lists
        self.extra_label = make_label("", "dim")
        self.extra_label.hide()
        self.body.addWidget(self.extra_label)
        self.finish_layout()

    @staticmethod
    def _toggle(text: str) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.setProperty("compact", "true")
        # A click must not pull the cursor out of the text line.
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.toggled.connect(lambda on, b=button: restyle(b, "armed", "true" if on else "false"))
        return button

    def bind(self, ctx: RecordContext) -> None:
        for button in self.tag_buttons:
            button.deleteLater()
        self.tag_buttons = []
        per_row = 5
        for index, tag in enumerate(ctx.settings.quick_tags):
            button = self._toggle(f"{index + 1} {tag}")
            button.setToolTip(f"Tag “{tag}” ({keymap.key(f'record.tag{index + 1}')})")
            self.tag_grid.addWidget(button, index // per_row, index % per_row)
            self.tag_buttons.append(button)
        self.tag_grid.removeWidget(self.quote_button)
        count = len(self.tag_buttons)
        self.tag_grid.addWidget(self.quote_button, count // per_row, count % per_row)
        super().bind(ctx)

    @property
    def known_tags(self) -> tuple[str, ...]:
        return self.ctx.settings.quick_tags if self.ctx is not None else ()

    def selected_tags(self) -> list[str]:
        chosen = [tag for tag, button in zip(self.known_tags, self.tag_buttons) if button.isChecked()]
        return [*chosen, *self.extra_tags]

    def toggle_tag(self, index: int) -> None:
        """Alt+<n>: toggle the n-th tag and put the cursor in the line, ready for Enter."""
        if 0 <= index < len(self.tag_buttons):
            self.tag_buttons[index].toggle()
            focus(self.line, Qt.FocusReason.ShortcutFocusReason)

    def focus_entry(self) -> None:
        focus(self.line, Qt.FocusReason.ShortcutFocusReason)

    def toggle_quote(self) -> None:
        self.quote_button.toggle()
        focus(self.line, Qt.FocusReason.ShortcutFocusReason)

    def clear_fields(self) -> None:
        self.line.clear()
        clear_error(self.line)
        for button in (*self.tag_buttons, self.quote_button):
            button.setChecked(False)
        self._set_extra(())

    def _set_extra(self, tags: tuple[str, ...]) -> None:
        self.extra_tags = tags
        self.extra_label.setText("Also tagged (no longer a quick tag): " + ", ".join(tags) if tags else "")
        self.extra_label.setVisible(bool(tags))

    def load(self, entry: EntryInfo) -> None:
        observation = entry.data
        if not isinstance(observation, Observation):
            raise TypeError("the stored observation cannot be read")
        self.clear_fields()
        self.line.setText(observation.text)
        keys = {t.casefold(): i for i, t in enumerate(self.known_tags)}
        extra = []
        for tag in observation.tags:
            if tag.casefold() in keys:
                self.tag_buttons[keys[tag.casefold()]].setChecked(True)
            else:
                extra.append(tag)
        self._set_extra(tuple(extra))
        self.quote_button.setChecked(observation.quote)

    def save(self) -> EntryInfo | None:
        assert self.ctx is not None
        text = self.line.text()
        try:
            body, when = split_time_suffix(text, self.ctx.now())
            observation = parse_observation(body, self.known_tags, tags=self.selected_tags(),
                                            quote=self.quote_button.isChecked())
        except (ObservationError, EntryTimeError) as exc:
            self.say(exc.message, error=True)
            mark_error(self.line, exc.span)
            return None
        entry = self.commit(observation, when)
        if entry is None:
            mark_error(self.line, suffix_span(text, body, when))
        else:
            self.clear_fields()
        return entry
