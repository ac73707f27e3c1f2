"""The shape of kapdesk/ui: shared helpers come from the kit, never from another feature pane."""

import ast
from pathlib import Path

import kapdesk.ui

UI = Path(kapdesk.ui.__file__).parent
SHARED = {"kapdesk.ui.kit", "kapdesk.ui.theme", "kapdesk.ui.keymap"}
# The frames that compose panes may import them; nothing else may import a feature pane.
COMPOSERS = {"main_window", "session_view", "record_pane"}


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
        package = "kapdesk.ui." + ".".join(path.relative_to(UI).with_suffix("").parts[:-1])
        for module in _imports(path):
            if not module.startswith("kapdesk.ui.") or module in SHARED:
                continue
            if path.stem in COMPOSERS or module.startswith(package.rstrip(".") + "."):
                continue  # a frame composing panes, or a module of the same package
            borrowed.append(f"{path.relative_to(UI)} imports {module}")
    assert borrowed == []

