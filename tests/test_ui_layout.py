"""The shape of kapdesk/ui: shared helpers come from the kit, never from another feature pane, and
no module grows past ~500 lines without saying why in its docstring."""

import ast
from pathlib import Path

import kapdesk.ui

UI = Path(kapdesk.ui.__file__).parent
# The feature panes (and frames): none of them may serve another as a library. Their own helper
# modules (timeline_model, music_lists, chart_view, record/*) and the shared kit, theme and key
# map may be imported by anyone.
PANES = {"alerts_strip", "clock_band", "history_view", "main_window", "music_pane", "notes_pane", "outcomes_form",
         "sign_in", "lock_screen", "accounts_page",
         "discharge_pane", "preparation_pane", "record_pane", "session_view", "start_screen", "timeline", "vitals_chart",
         "passphrase_dialog"}
# The frames that compose panes.
COMPOSERS = {"main_window", "session_view", "record_pane"}
# "~500": a module a screenful past it is not worth splitting for the number alone.
MAX_LINES = 540
REASON = "why this module is long:"


def _ui_modules():
    return sorted(p for p in UI.rglob("*.py") if p.name != "__init__.py")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_feature_panes_borrow_nothing_from_each_other():
    borrowed = []
    for path in _ui_modules():
        for module in _imports(path):
            name = module.removeprefix("kapdesk.ui.")
            if module.startswith("kapdesk.ui.") and name in PANES and path.stem not in COMPOSERS:
                borrowed.append(f"{path.relative_to(UI)} imports {module}")
    assert borrowed == []


def test_every_ui_module_is_named_in_the_rule_above():
    top = {p.stem for p in UI.glob("*.py") if p.name != "__init__.py"}
    helpers = {"kit", "keymap", "theme", "timeline_model", "music_lists", "chart_view", "credential_forms", "idle_lock",
               "screen_fit"}
    assert top - PANES - helpers == set(), "a new module: is it a pane or a helper?"


def test_no_ui_module_is_long_without_saying_why():
    long = []
    for path in _ui_modules():
        text = path.read_text(encoding="utf-8")
        docstring = (ast.get_docstring(ast.parse(text)) or "").lower()
        if text.count("\n") > MAX_LINES and REASON not in docstring:
            long.append(f"{path.relative_to(UI)}: {text.count(chr(10))} lines")
    assert long == []
