"""The single-instance guard: one running KAPDesk per database file.

Two instances on one file could each start a live session for the same room. We hold a
``QLockFile`` beside the database for the life of the app. After a crash or kill -9 the lock's
process is gone and Qt treats the file as stale, so a restart takes it over. Age alone never
makes it stale (``setStaleLockTime(0)``): Qt does not refresh lock files, so an age rule would
let a second instance steal the lock from a first one that has simply been open a while.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLockFile

from kapdesk.store.errors import DatabaseLockedError


class InstanceLock:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._lock = QLockFile(str(self.path))
        self._lock.setStaleLockTime(0)

    def acquire(self) -> None:
        if self._lock.tryLock(0):
            return
        if self._lock.error() == QLockFile.LockError.LockFailedError:
            pid, host, _app = self._lock.getLockInfo()
            holder = f" (process {pid} on {host or 'this computer'})" if pid else ""
            raise DatabaseLockedError(
                f"{self.path.with_suffix('')} is already open in another KAPDesk{holder}. "
                "Switch to that window: two copies must not run a session on the same record."
            )
        raise DatabaseLockedError(f"cannot create the lock file {self.path}: check the folder is writable")

    def release(self) -> None:
        self._lock.unlock()
