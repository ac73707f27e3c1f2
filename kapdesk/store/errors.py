"""Store errors, importable without SQLAlchemy so the window can appear before the record opens."""


class StoreError(Exception):
    """A problem with the database that the user must act on. The message says what and where."""


class SchemaTooNewError(StoreError):
    pass


class DatabaseLockedError(StoreError):
    pass


class AppendOnlyError(StoreError):
    pass


class EntryError(StoreError):
    """An entry the store refuses; the message says which part is wrong."""


class ConstraintError(EntryError):
    """The database refused a row (a duplicate name, a changed entry): nothing was saved."""


class NoteLockedError(EntryError):
    """A signed integration note cannot change; later words go into a signed addendum."""


# What SQLite and the OS say, and what a clinician can do about it. Matched on the lower-cased text
# of the error, first match wins.
_READABLE = (
    ("disk is full", "the disk is full: nothing was saved. Free some space, then try again"),
    ("no space left", "the disk is full: nothing was saved. Free some space, then try again"),
    ("database is locked", "the record is busy (another program is writing to it): nothing was saved, try again"),
    ("readonly", "the record file is read-only: nothing was saved. Check the file's permissions"),
    ("read-only", "the record file is read-only: nothing was saved. Check the file's permissions"),
    ("disk i/o error", "the disk could not be written: nothing was saved. Check the drive"),
    ("not a database", "the record file is damaged or is not a KAPDesk record"),
    ("malformed", "the record file is damaged: restore it from a backup"),
    ("could not connect", "the clinic server cannot be reached: check the network and the server address"),
    ("password authentication failed", "the clinic server refused the user name or password in the URL"),
    ("no password supplied", "the clinic server wants a password: put it in the URL or in ~/.pgpass"),
    ("does not exist", "the clinic server has no such database or user: check the URL"),
    ("connection refused", "the clinic server is not accepting connections: is it running, and is the port right?"),
    ("is the server running", "the clinic server is not accepting connections: is it running, and is the port right?"),
    ("connection is bad", "the clinic server cannot be reached: check the network and the server address"),
    ("timeout expired", "the clinic server did not answer in time: check the network"),
    ("server closed the connection", "the clinic server closed the connection: it may have restarted, try again"),
)


def readable_error(exc: BaseException) -> str:
    """One line for a database or OS error, saying what happened and what to do (never a traceback)."""
    text = str(getattr(exc, "orig", None) or exc)
    lowered = text.lower()
    for needle, message in _READABLE:
        if needle in lowered:
            return message
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"the record could not be read or written: {first}"
