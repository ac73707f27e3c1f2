"""The music: a widget-free ``Player`` over a swappable audio backend.

``Player`` owns the queue, the fades and the record; ``VlcBackend`` plays files through libvlc and
``NullBackend`` plays nothing, deterministically, for tests. Importing this package never loads
libvlc: ``probe_vlc`` / ``create_vlc_backend`` do, and report instead of raising when it is missing.
"""

from kapdesk.player.availability import VlcAvailability, VlcUnavailableError, install_hint, probe_vlc
from kapdesk.player.backends import NullBackend, PlaybackBackend, VlcBackend, create_vlc_backend
from kapdesk.player.player import (
    EventKind,
    PlaybackState,
    Player,
    PlayerSettings,
    SectionChangeMode,
    SectionEnd,
)


__all__ = [
    "EventKind",
    "NullBackend",
    "PlaybackBackend",
    "PlaybackState",
    "Player",
    "PlayerSettings",
    "SectionChangeMode",
    "SectionEnd",
    "VlcAvailability",
    "VlcBackend",
    "VlcUnavailableError",
    "create_vlc_backend",
    "install_hint",
    "probe_vlc",
]
