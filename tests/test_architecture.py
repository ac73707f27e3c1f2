"""The house rules that keep one truth: decoding in one place, one door from the screen to the record.

* A stored payload is read or written only by the codec (``kapdesk/domain/entries.py``) and the
  store's row decoding: no other module touches ``.payload``, calls ``from_payload``/``to_payload``,
  or reads a payload dict with ``payload.get``/``payload[...]``.
* ``kapdesk/ui`` imports nothing from ``kapdesk.store`` or SQLAlchemy: it goes through
  ``kapdesk.session`` and reads ``kapdesk.domain``.
* ``kapdesk/domain`` imports no Qt and no store.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kapdesk"
# The codec, and the one repository function that turns a row into an entry.
DECODERS = {PACKAGE / "domain" / "entries.py", PACKAGE / "store" / "repository.py", PACKAGE / "store" / "models.py",
            # hashes stored payloads as bytes for the audit chain; never interprets them
            PACKAGE / "store" / "audit.py", *(PACKAGE / "store" / "migrations" / "versions").glob("*.py")}
# VitalsReading, Dose, ScaleResult and Observation carry their own codec methods; only the codec
# above calls them (a ``def`` of one is not a call).
CODEC_CALL = re.compile(r"(?<!def )\b(from_payload|to_payload)\(")
RAW_READ = re.compile(r"\bpayload(\.get\(|\[)|\.payload\b")


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def _code_lines(path: Path) -> list[tuple[int, str]]:
    """Source lines that are code, with their numbers: docstrings, comments and the bodies of the
    payload types' own codec methods (``from_payload``/``to_payload``) left out."""
    text = path.read_text(encoding="utf-8")
    skip: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            skip.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif isinstance(node, ast.FunctionDef) and node.name in ("from_payload", "to_payload"):
            skip.update(range(node.lineno + 1, (node.end_lineno or node.lineno) + 1))
    return [(n, line.split("#", 1)[0]) for n, line in enumerate(text.splitlines(), 1) if n not in skip]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_raw_payload_reads_outside_the_decoding_layer() -> None:
    found = []
    for path in _modules(PACKAGE):
        if path in DECODERS:
            continue
        for number, line in _code_lines(path):
            if RAW_READ.search(line) or CODEC_CALL.search(line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not found, "payloads read outside kapdesk/domain/entries.py:\n" + "\n".join(found)


def test_the_screen_reaches_the_record_only_through_the_session_package() -> None:
    found = []
    for path in _modules(PACKAGE / "ui"):
        for name in _imports(path):
            if name == "kapdesk.store" or name.startswith(("kapdesk.store.", "sqlalchemy", "alembic")):
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not found, "\n".join(found)


def test_the_domain_is_plain_python() -> None:
    found = []
    for path in _modules(PACKAGE / "domain"):
        for name in _imports(path):
            if name.startswith(("PySide6", "sqlalchemy", "kapdesk.store", "kapdesk.ui", "kapdesk.session")):
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not found, "\n".join(found)


def test_the_rule_catches_a_raw_read() -> None:
    """The grep above is not vacuous: it sees the shapes of reads the old code was full of."""
    for line in ('x = entry.payload.get("hr")', 'x = payload["systolic"]', "y = e.payload", "Dose.from_payload(p)"):
        assert RAW_READ.search(line) or CODEC_CALL.search(line), line
    assert not CODEC_CALL.search("    def from_payload(cls, payload):")
