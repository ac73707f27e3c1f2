"""Where a room learns of its clinic server: clinic.toml [server] or --server; and the status line it shows.

Without a server nothing changes and no socket is opened (tests/test_no_network.py); with one,
the replicator runs on its own thread and the window's status line follows it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kapdesk.domain.clinic import ClinicSettingsError, ServerSettings, load_clinic_settings
from kapdesk.paths import data_dir, resources_dir


def clinic_file(text: str) -> Path:
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_server_is_configured_by_default() -> None:
    assert load_clinic_settings().server is None


def test_the_server_table_is_read() -> None:
    clinic_file('[server]\nurl = "postgresql://kapdesk@clinic-server/kapdesk"\nroom = "Room 2"\n'
                "push_interval_seconds = 30\n")
    settings = load_clinic_settings([resources_dir() / "clinic.toml", data_dir() / "clinic.toml"])
    assert settings.server == ServerSettings("postgresql://kapdesk@clinic-server/kapdesk", "Room 2", 30)


@pytest.mark.parametrize("text, line, field", [
    ('[server]\nurl = "mysql://clinic/kapdesk"\n', 2, "server.url"),
    ('[server]\nroom = "Room 2"\n', None, "server.url"),
    ('[server]\nurl = "postgresql://h/db"\nroom = ""\n', 3, "server.room"),
    ('[server]\nurl = "postgresql://h/db"\npush_interval_seconds = 0\n', 3, "server.push_interval_seconds"),
    ('[server]\nurl = "postgresql://h/db"\npush_interval = 5\n', 3, "server.push_interval"),
])
def test_a_bad_server_setting_names_file_line_and_field(text: str, line: int | None, field: str) -> None:
    path = clinic_file(text)
    with pytest.raises(ClinicSettingsError) as caught:
        load_clinic_settings([path])
    assert caught.value.field == field and caught.value.source == path
    if line is not None:
        assert caught.value.line == line and str(caught.value).startswith(f"{path}:{line}: {field}: ")


def _build(db: Path, server: str | None = None):
    from kapdesk.app import build

    return build(str(db), server=server)


def _close(window, lock) -> None:
    window.clinic.close()
    lock.release()
    window.close()


def test_without_a_server_the_room_has_no_link(qtbot, tmp_path) -> None:
    _app, window, lock = _build(tmp_path / "room.sqlite3")
    try:
        assert window.clinic.server is None and window.server_status.text() == ""
    finally:
        _close(window, lock)


def test_the_status_line_follows_the_server_named_by_clinic_toml(qtbot, tmp_path, pg_cluster) -> None:
    url = pg_cluster.database()
    clinic_file(f'[server]\nurl = "{url.replace("postgresql+psycopg", "postgresql")}"\nroom = "Room 9"\n')
    _app, window, lock = _build(tmp_path / "room.sqlite3")
    try:
        link = window.clinic.server
        assert link is not None and link.room == "Room 9"
        qtbot.waitUntil(lambda: window.server_status.text() == "server: up to date", timeout=20_000)
    finally:
        _close(window, lock)


def test_server_on_the_command_line_and_an_unusable_one_said_quietly(qtbot, tmp_path, pg_cluster) -> None:
    _app, window, lock = _build(tmp_path / "room.sqlite3", server="mysql://clinic/kapdesk")
    try:
        assert window.clinic.server is None
        assert window.server_status.text().startswith("server: not used (") and "PostgreSQL" in window.server_status.text()
        assert window.start_screen.isEnabled()  # the room works on, locally
    finally:
        _close(window, lock)
    _app, window, lock = _build(tmp_path / "room2.sqlite3", server=pg_cluster.database())
    try:
        qtbot.waitUntil(lambda: window.server_status.text() == "server: up to date", timeout=20_000)
    finally:
        _close(window, lock)
