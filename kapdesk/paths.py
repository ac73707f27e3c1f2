"""One place for where things live. ``KAPDESK_DATA_DIR`` and ``KAPDESK_DB`` override for tests and clinics."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "KAPDesk"


def data_dir() -> Path:
    override = os.environ.get("KAPDESK_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path  # only when needed: it costs start-up time

    return user_data_path(APP_NAME, appauthor=False)


def default_db() -> str:
    return os.environ.get("KAPDESK_DB") or str(data_dir() / "kapdesk.sqlite3")


def _shipped(name: str) -> Path:
    """A folder shipped with the app: beside the package in a checkout, inside it when installed."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / name, package / "_data" / name):
        if candidate.is_dir():
            return candidate
    return package.parent / name


def resources_dir() -> Path:
    return _shipped("resources")


def shipped_playlists_dir() -> Path:
    return _shipped("playlists")


def protocol_folders() -> list[Path]:
    """Shipped protocols first; a clinic's own folder overrides them by id."""
    return [resources_dir() / "protocols", data_dir() / "protocols"]


def playlist_folders() -> list[Path]:
    return [shipped_playlists_dir(), data_dir() / "playlists"]
