"""Every keyboard action of KAPDesk in one place: its id, default key, what it does, and where it is live.

Widgets never spell a key themselves: they ask this module (``keymap.key("session.dose")`` for
the text on a button, ``keymap.shortcuts("session.dose", parent, slot)`` for the QShortcut(s),
``keymap.matches(event, "timeline.correct")`` in a key handler). The README's key table is
generated from here (:func:`readme_table`, ``tools/keys_table.py``) and a test keeps the two
equal; another test fails when two actions share a key in contexts that are live together.

**Contexts** form a tree. A context is live while the keyboard focus is inside its widget, and
then its ancestors are live too; siblings never are (one page of the session at a time, and the
start screen and the session view are never on screen together). So two actions may share a key
only in contexts that are not on one branch: Ctrl+P exports a PDF from the history on the start
screen and plays or pauses the music in a session, and Ctrl+S saves whichever session page has
the focus. The one deliberate exception is declared (``overrides``): Enter in the history list
opens the selected session, where Enter anywhere else on the start screen resumes the session in
progress; the list selects the session in progress first, so Enter resumes it there too.

Keys are Qt's portable text (``QKeySequence.toString()``), so the same names serve buttons, the
README and ``QKeySequence(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

__all__ = [
    "ACTIONS",
    "CONTEXTS",
    "Action",
    "Context",
    "action",
    "clashes",
    "key",
    "key_text",
    "live_together",
    "matches",
    "mnemonic",
    "readme_table",
    "sequences",
    "shortcuts",
]


@dataclass(frozen=True)
class Context:
    """Where an action is live: a widget and everything inside it (see the module docstring)."""

    id: str
    title: str  # as the README names it
    parent: Context | None = None

    def chain(self) -> Iterator[Context]:
        """This context and its ancestors, innermost first."""
        context: Context | None = self
        while context is not None:
            yield context
            context = context.parent


APP = Context("app", "anywhere")
START = Context("start", "start screen", APP)
HISTORY = Context("history", "past sessions, on the start screen", START)
SESSION = Context("session", "session, any page", APP)
RECORD = Context("record", "record page", SESSION)
TIMELINE = Context("timeline", "timeline page", SESSION)
PREPARATION = Context("preparation", "preparation page", SESSION)
NOTES = Context("notes", "integration note page", SESSION)
OUTCOMES = Context("outcomes", "PHQ-9 / GAD-7 page", SESSION)
OVERRIDE = Context("override", "the dose-despite-open-items line", SESSION)
ALERT_REASON = Context("alert_reason", "the critical-alert reason line", SESSION)
DISCHARGE = Context("discharge", "discharge page", SESSION)
END_OVERRIDE = Context("end_override", "the end-despite-open-discharge-items line", SESSION)
# Issue 10: the sign-in page, the locked screen and the clinicians page are pages of the window of
# their own (siblings of the start screen and the session); the hand-off line is inside a session.
SIGN_IN = Context("sign_in", "sign-in page", APP)
LOCK = Context("lock", "locked screen", APP)
ACCOUNTS = Context("accounts", "clinicians page", APP)
HANDOFF = Context("handoff", "the hand-off line", SESSION)
CONTEXTS: tuple[Context, ...] = (APP, START, HISTORY, SESSION, RECORD, TIMELINE, PREPARATION, NOTES, OUTCOMES,
                                 OVERRIDE, ALERT_REASON, DISCHARGE, END_OVERRIDE, SIGN_IN, LOCK, ACCOUNTS, HANDOFF)


@dataclass(frozen=True)
class Action:
    id: str
    key: str  # the default key, QKeySequence portable text
    label: str  # what it does, in the clinic's words (tooltips and the README)
    context: Context
    also: tuple[str, ...] = ()  # more keys for the same action (keypad Enter, media keys)
    group: str = ""  # actions of one group share a README row (Alt+1 … Alt+9)
    overrides: str = ""  # the id of an action of an enclosing context this one deliberately shadows

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.also)


_GROUPS = {
    "record.tags": "toggle the clinic's quick tags 1–9 for the observation (cursor to its line)",
    "notes.sections": "go to the note's sections 1–10",
}


def _numbered(prefix: str, context: Context, group: str, count: int) -> tuple[Action, ...]:
    return tuple(Action(f"{prefix}{n}", f"Alt+{n % 10}", f"{_GROUPS[group]}: number {n}", context, group=group)
                 for n in range(1, count + 1))


ACTIONS: tuple[Action, ...] = (
    # -- anywhere --------------------------------------------------------------------------------
    Action("app.theme", "Ctrl+L", "light or dark theme", APP),
    Action("app.full_screen", "F11", "full screen", APP),
    Action("app.lock", "Ctrl+Shift+L", "lock the screen: only the clock, the reminders' times and the music stay "
           "(also after the clinic's idle minutes, and when the laptop wakes)", APP),
    # -- start screen ----------------------------------------------------------------------------
    Action("start.start", "Ctrl+Return", "start the session", START, also=("Ctrl+Enter",)),
    Action("start.resume", "Return", "resume the session in progress (after a restart), whatever has the focus",
           START, also=("Enter",)),
    Action("start.sign_out", "Ctrl+Shift+O", "sign out (back to the sign-in page)", START),
    Action("start.accounts", "Ctrl+Shift+U", "clinicians (an admin's page), your own PIN and password", START),
    Action("start.client", "Alt+L", "to the client's pseudonym", START),
    Action("start.protocol", "Alt+P", "to the protocol", START),
    Action("history.search", "Ctrl+F", "search past sessions (Down: to the list)", HISTORY),
    Action("history.open", "Return", "open the session selected in the list", HISTORY, also=("Enter",),
           overrides="start.resume"),
    Action("history.pdf", "Ctrl+P", "export the selected session as PDF", HISTORY),
    Action("history.csv", "Ctrl+Shift+C", "export the selected session as CSV", HISTORY),
    Action("history.fhir", "Ctrl+Shift+F", "export the selected session as FHIR R4", HISTORY),
    # -- a session, from any page ----------------------------------------------------------------
    Action("session.dose", "Ctrl+D", "mark the dose, T0 (with open safety items: type a reason, Enter; Esc cancels)",
           SESSION),
    Action("session.next_phase", "Ctrl+N", "next phase", SESSION),
    Action("session.extend5", "Ctrl+E", "extend the current phase by 5 minutes", SESSION),
    Action("session.extend15", "Ctrl+Shift+E", "extend the current phase by 15 minutes", SESSION),
    Action("session.reading_taken", "Ctrl+K", "a due reading was taken outside KAPDesk", SESSION),
    Action("session.end", "Ctrl+Shift+W", "end the session: press twice (two presses instead of a dialog); with "
           "discharge items open, type a reason, Enter (Esc cancels)", SESSION),
    Action("session.back", "Ctrl+Backspace", "back to the start screen", SESSION),
    Action("session.handoff", "Ctrl+Shift+H", "hand-off: another clinician signs in over you with their password or "
           "PIN (Enter; Esc cancels); what follows is theirs", SESSION),
    Action("page.record", "F5", "page: record and chart (cursor in the vitals line)", SESSION),
    Action("page.timeline", "F6", "page: timeline (cursor in the list)", SESSION),
    Action("page.preparation", "F7", "page: preparation (cursor in the intention)", SESSION),
    Action("page.notes", "F8", "page: integration note (cursor in the section last written in)", SESSION),
    Action("session.record_chart", "F12", "on a narrow window: the vitals chart in place of the record pane, "
           "and back (at wider sizes both are shown)", SESSION),
    Action("session.chart_vitals", "Ctrl+G", "vitals chart: blood pressure, heart rate and SpO₂, or respiratory "
           "rate and temperature", SESSION),
    Action("page.outcomes", "F9", "page: PHQ-9 and GAD-7 (cursor on item 1: type the digits, Enter saves)",
           SESSION),
    Action("record.vitals", "F2", "vitals line: `128/84 72 98 14` or `bp 128/84 hr 72 spo2 98 rr 14 t 36.8`, "
           "`@10:35` or `-5m` for an earlier time", SESSION),
    Action("record.vitals_fields", "Shift+F2", "vitals as separate fields (and back)", SESSION),
    Action("record.observation", "F3", "observation line", SESSION),
    Action("record.scale", "F4", "scales: MOAA/S with its anchors, CADSS-6 or 0–10 dissociation, BPRS+, nausea, "
           "modified Aldrete (digits score, Enter saves)", SESSION),
    Action("record.dose", "Alt+D", "dose form", SESSION),
    Action("record.presence", "Alt+P", "presence and hand-off", SESSION),
    Action("record.rems", "Alt+R", "esketamine REMS answers", SESSION),
    Action("record.rescue", "Alt+M", "rescue (PRN) medication: the clinic's list, amount with its unit, route, "
           "reason (Enter saves)", SESSION),
    Action("record.adverse_event", "Alt+E", "adverse event: event, severity, outcome, the rescue medication that "
           "treated it (Enter saves)", SESSION),
    Action("record.acknowledge", "Ctrl+Shift+A", "acknowledge the top alert (who and when are recorded; a critical "
           "one asks for a short reason)", SESSION),
    Action("music.play", "Ctrl+P", "music: play / pause (fades)", SESSION,
           also=("Toggle Media Play/Pause", "Media Play", "Media Pause")),
    Action("music.previous", "Alt+Left", "music: previous track (restarts the track when > 5 s in)", SESSION,
           also=("Media Previous",)),
    Action("music.next", "Alt+Right", "music: next track", SESSION, also=("Media Next",)),
    Action("music.section", "Alt+PgDown", "music: next section of the arc", SESSION),
    Action("music.talk", "Ctrl+T", "music: down to talk level, and back up", SESSION),
    Action("music.volume_up", "Ctrl+Shift+Up", "music: volume up (always ramps, never jumps)", SESSION),
    Action("music.volume_down", "Ctrl+Shift+Down", "music: volume down (always ramps)", SESSION),
    # -- one page or panel of the session --------------------------------------------------------
    Action("record.quote", "Alt+Q", "the observation is the client's own words (a quote)", RECORD),
    *_numbered("record.tag", RECORD, "record.tags", 9),
    Action("timeline.filter", "Ctrl+F", "filter the timeline (Enter: back to the list, Esc clears)", TIMELINE),
    Action("timeline.correct", "Ctrl+R", "correct the selected entry: the correction supersedes it, both stay in "
           "the record", TIMELINE),
    Action("preparation.save", "Ctrl+S", "save the preparation (Y / N answer the item with the focus)", PREPARATION),
    Action("notes.save", "Ctrl+S", "save the integration note now (it also saves itself)", NOTES),
    Action("notes.sign", "Ctrl+Shift+S", "sign the note: press twice; once it is signed, sign the addendum", NOTES),
    Action("notes.insert_quote", "Ctrl+I", "put the selected client quote into the section being written", NOTES),
    Action("notes.quotes", "Ctrl+Shift+Q", "to the list of client quotes", NOTES),
    *_numbered("notes.section", NOTES, "notes.sections", 10),
    Action("outcomes.save", "Ctrl+S", "save the PHQ-9 or GAD-7", OUTCOMES, also=("Return", "Enter")),
    Action("override.confirm", "Ctrl+Return", "dose despite the open safety items, with the reason typed", OVERRIDE,
           also=("Ctrl+Enter",)),
    Action("override.cancel", "Esc", "do not dose", OVERRIDE),
    Action("alerts.reason_confirm", "Return", "acknowledge the critical alert with the reason typed", ALERT_REASON,
           also=("Enter",)),
    Action("alerts.reason_cancel", "Esc", "leave the critical alert unacknowledged", ALERT_REASON),
    # -- discharge (issue 9) -------------------------------------------------------------------------
    Action("page.discharge", "F10", "page: discharge check (cursor on the first item: Y / N answer it)", SESSION),
    Action("discharge.save", "Ctrl+S", "save the discharge check (Y / N answer the item with the focus)", DISCHARGE),
    Action("end_override.confirm", "Ctrl+Return", "end the session despite the open discharge items, with the reason "
           "typed", END_OVERRIDE, also=("Ctrl+Enter",)),
    Action("end_override.cancel", "Esc", "do not end the session", END_OVERRIDE),
    # -- accounts, the lock and the hand-off (issue 10) ----------------------------------------------
    Action("sign_in.emergency", "Ctrl+Shift+B", "emergency access (break glass): the clinic's code and a reason",
           SIGN_IN),
    Action("lock.emergency", "Ctrl+Shift+B", "emergency access (break glass): the clinic's code and a reason", LOCK),
    Action("lock.play", "Ctrl+P", "music: play / pause (fades), while locked", LOCK,
           also=("Toggle Media Play/Pause", "Media Play", "Media Pause")),
    Action("lock.next", "Alt+Right", "music: next track, while locked", LOCK, also=("Media Next",)),
    Action("lock.volume_up", "Ctrl+Shift+Up", "music: volume up, while locked (ramps)", LOCK),
    Action("lock.volume_down", "Ctrl+Shift+Down", "music: volume down, while locked (ramps)", LOCK),
    Action("accounts.back", "Ctrl+Backspace", "back to the start screen", ACCOUNTS),
    Action("handoff.cancel", "Esc", "no hand-off", HANDOFF),
)

_BY_ID = {a.id: a for a in ACTIONS}


def action(action_id: str) -> Action:
    """The action called ``action_id``; KeyError names it when there is none."""
    try:
        return _BY_ID[action_id]
    except KeyError:
        raise KeyError(f"no action {action_id!r} in the key map") from None


def key(action_id: str) -> str:
    """The action's key as shown on buttons and in tooltips (``Ctrl+D``)."""
    return key_text(action(action_id).key)


def key_text(keys: str) -> str:
    """A key sequence in the platform's own words (``Ctrl+D``; ``⌘D`` on a Mac)."""
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def sequences(action_id: str) -> list[QKeySequence]:
    """Every key sequence of the action, its default first."""
    return [QKeySequence(k) for k in action(action_id).keys]


def shortcuts(action_id: str, parent: QWidget, slot: Callable[[], object],
              context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut) -> list[QShortcut]:
    """One QShortcut on ``parent`` per key of the action, each calling ``slot``."""
    made = []
    for sequence in sequences(action_id):
        shortcut = QShortcut(sequence, parent)
        shortcut.setContext(context)
        shortcut.activated.connect(slot)
        made.append(shortcut)
    return made


def matches(event: QKeyEvent, action_id: str) -> bool:
    """True when the key event is one of the action's keys (for widgets that read keys themselves)."""
    pressed = QKeySequence(event.keyCombination())
    return any(pressed == sequence for sequence in sequences(action_id))


def mnemonic(text: str, action_id: str) -> str:
    """``text`` with ``&`` before the letter of an Alt+letter key, so Qt underlines it (a form label)."""
    keys = action(action_id).key
    letter = keys.removeprefix("Alt+") if keys.startswith("Alt+") and len(keys) == 5 else ""
    index = text.casefold().find(letter.casefold()) if letter else -1
    return text if index < 0 else f"{text[:index]}&{text[index:]}"


def live_together(a: Context, b: Context) -> bool:
    """Whether keys of ``a`` and ``b`` can both be live at one moment (one contains the other)."""
    return a in b.chain() or b in a.chain()


def clashes(actions: Iterable[Action] = ACTIONS) -> list[tuple[Action, Action, str]]:
    """Pairs of actions sharing a key in contexts live together, other than a declared override."""
    found = []
    for a, b in combinations(actions, 2):
        if not live_together(a.context, b.context):
            continue
        shared = {QKeySequence(k).toString() for k in a.keys} & {QKeySequence(k).toString() for k in b.keys}
        if not shared:
            continue
        declared = (a.overrides == b.id and b.context in a.context.chain()) or \
                   (b.overrides == a.id and a.context in b.context.chain())
        if not declared:
            found.extend((a, b, k) for k in sorted(shared))
    return found


def _keys_cell(a: Action) -> str:
    media = [k for k in a.also if k.startswith(("Media", "Toggle Media"))]
    plain = [k for k in a.keys if k not in media]
    return " or ".join(plain) + (" (and the media key)" if media else "")


def readme_table() -> str:
    """The README's "In the room: keys" table, made from :data:`ACTIONS` (one row per action or group)."""
    rows = ["| key | what it does | where |", "| --- | --- | --- |"]
    index = 0
    while index < len(ACTIONS):
        a = ACTIONS[index]
        if a.group:
            members = [m for m in ACTIONS[index:] if m.group == a.group]
            index += len(members)
            rows.append(f"| {members[0].key} … {members[-1].key} | {_GROUPS[a.group]} | {a.context.title} |")
            continue
        index += 1
        rows.append(f"| {_keys_cell(a)} | {a.label} | {a.context.title} |")
    return "\n".join(rows) + "\n"
