"""The replicator's own thread: cycles off the GUI thread, so a slow or dead server never blocks the window.

The worker owns its engines (the replicator opens its own connection to the room's file and to
the server); the GUI thread only reads the latest :class:`SyncStatus` it is handed through
``on_status``, which is called on this thread — the session layer forwards it as a queued Qt signal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kapdesk.sync.replicator import Replicator
from kapdesk.sync.status import SyncStatus

DEFAULT_INTERVAL_S = 10.0


class ReplicatorThread:
    def __init__(self, replicator: Replicator, *, interval_s: float = DEFAULT_INTERVAL_S,
                 on_status: Callable[[SyncStatus], None] | None = None) -> None:
        self.replicator = replicator
        self.interval_s = interval_s
        self.on_status = on_status or (lambda _status: None)
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="kapdesk-sync", daemon=True)

    @property
    def status(self) -> SyncStatus:
        return self.replicator.status

    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        """Run a cycle now (after a commit, say) rather than at the next interval."""
        self._wake.set()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Finish the cycle under way (bounded), then close the engines. Whatever was not sent stays
        queued in the room's record for the next start: nothing depends on this running to the end."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self.replicator.close()

    def _run(self) -> None:
        while not self._stopping:
            self.on_status(self.replicator.cycle())
            self._wake.wait(self.interval_s)
            self._wake.clear()
