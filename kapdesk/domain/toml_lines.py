"""Pointing at the line of a TOML file that holds a mistake.

``tomllib`` parses into plain dicts and forgets where each value stood; a clinician fixing a
protocol or clinic settings file needs the line. These helpers find it again in the text.
"""

from __future__ import annotations

import re
import tomllib

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?")


def decode_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The line of a TOML syntax error (Python 3.14 has ``lineno``; older ones only say it in the text)."""
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return int(lineno)
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None


class TomlLines:
    """Finds ``key =`` inside the ``index``-th ``[table]`` or ``[[table]]`` of a TOML text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line_of(self, table: str | None, key: str | None, index: int = 0) -> int | None:
        """1-based line of the key; the table's header when the key is absent; None if neither is found.

        ``table`` None or "" is the top level. A top-level ``key`` that is not a plain key but a
        table name (``[music]``) points at that table's header.
        """
        table = table or None
        key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=") if key else None
        current: str | None = None
        seen = -1
        table_line: int | None = None
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                current = header.group(1)
                if current == table:
                    seen += 1
                    if seen == index:
                        table_line = number
                continue
            in_target = current == table and (table is None or seen == index)
            if in_target and key_re is not None and key_re.match(line):
                return number
        if table is None and key:
            for number, line in enumerate(self.lines, start=1):
                header = _HEADER.match(line)
                if header and header.group(1).split(".")[0] == key:
                    return number
        return table_line
