"""What the replicator tells the room, and the one line the status bar shows for it. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class SyncState(Enum):
    STARTING = "starting"
    UP_TO_DATE = "up to date"
    WAITING = "waiting"          # reachable, with changes still queued (more than one batch, or new ones)
    OFFLINE = "offline"          # the server cannot be reached; the queue grows, nothing is lost
    NEWER_SCHEMA = "newer schema"  # the server was upgraded by a newer KAPDesk: this room works locally
    REFUSED = "refused"          # the server answered but refused what was sent (the reason is kept)


@dataclass(frozen=True)
class SyncStatus:
    state: SyncState
    waiting: int = 0  # changes of this room's record not yet on the server
    offline_since: datetime | None = None  # aware UTC: the first failed attempt of this outage
    problem: str = ""  # one readable line (offline or refused)
    conflicts: int = 0  # labels two rooms both created offline, kept apart for an admin to link


def status_line(status: SyncStatus) -> str:
    """The status bar's words: quiet, short, the same wherever shown."""
    waiting = f" · {status.waiting} waiting" if status.waiting else ""
    # Labels two rooms created offline, kept apart on the server: said until an admin links them.
    linked = (f" · {status.conflicts} client label{'s' if status.conflicts > 1 else ''} to link (admin)"
              if status.conflicts else "")
    if status.state is SyncState.UP_TO_DATE:
        return f"server: up to date{linked}"
    if status.state is SyncState.WAITING:
        return f"server: {status.waiting} waiting{linked}"
    if status.state is SyncState.OFFLINE:
        since = status.offline_since.astimezone().strftime("%H:%M") if status.offline_since else "now"
        return f"server: offline since {since}{waiting}"
    if status.state is SyncState.NEWER_SCHEMA:
        return "server: newer schema — working locally"
    if status.state is SyncState.REFUSED:
        return f"server: not sending ({status.problem}){waiting}"
    return "server: connecting…"
