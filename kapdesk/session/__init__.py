"""The one door from the screen to the record: the clinic, the live sitting, its music, exports.

``kapdesk.ui`` imports from here and from ``kapdesk.domain``, never from ``kapdesk.store`` or
SQLAlchemy. Names load lazily (PEP 562): the error classes are importable before SQLAlchemy is,
so the window can paint first.
"""

from importlib import import_module
from typing import Any

from kapdesk.store.errors import (
    AppendOnlyError, DatabaseLockedError, EntryError, NoteLockedError, SchemaTooNewError, StoreError,
)

_LAZY = {
    "Clinic": "kapdesk.session.clinic",
    "COURSE_KINDS": "kapdesk.session.clinic",
    "LiveSession": "kapdesk.session.live",
    "MusicSession": "kapdesk.session.music",
    "create_player": "kapdesk.session.music",
    "export_session": "kapdesk.session.exports",
    "default_file_name": "kapdesk.session.exports",
}

__all__ = [
    "AppendOnlyError", "DatabaseLockedError", "EntryError", "NoteLockedError", "SchemaTooNewError", "StoreError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(name)
