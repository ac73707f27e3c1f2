"""The room's link to the clinic server, as the window sees it: a status line that changes.

The replication itself (kapdesk.sync) runs on its own thread with its own engines; this QObject
only turns its status into the status bar's words and hands them to the GUI thread as a Qt
signal (queued: the replicator's thread never touches a widget). Nothing here exists, and no
socket is opened, unless the clinic configured a server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from kapdesk.sync.status import SyncStatus, status_line


class ServerLink(QObject):
    changed = Signal(str)  # the status bar's words, e.g. "server: 3 waiting"

    def __init__(self, local: str, url: str, *, room: str, interval_s: float, now: Callable[[], datetime]) -> None:
        super().__init__()
        from kapdesk.sync.replicator import Replicator
        from kapdesk.sync.worker import ReplicatorThread

        self.room = room
        self.replicator = Replicator(local, url, room=room, now=now)
        self.worker = ReplicatorThread(self.replicator, interval_s=interval_s, on_status=self._report)
        self.text = status_line(self.replicator.status)
        self._started = False

    @property
    def status(self) -> SyncStatus:
        return self.replicator.status

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.worker.start()

    def kick(self, *_: object) -> None:
        """Send soon (after an entry was committed) rather than at the next interval."""
        self.worker.kick()

    def stop(self) -> None:
        if self._started:
            self.worker.stop()
        else:
            self.replicator.close()

    def _report(self, status: SyncStatus) -> None:  # on the replicator's thread
        self.text = status_line(status)
        self.changed.emit(self.text)
