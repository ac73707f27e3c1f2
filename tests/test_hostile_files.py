"""Corrupt and hostile record files (tests/hostile.py makes them): one line, exit ≠ 0, nothing overwritten.

Each case is made for real in a fresh folder; every file of the folder is hashed before and after.
The command line runs as a real process (``python -m kapdesk demo|db check --db …``); the window
runs in this process through ``kapdesk.app.run_gui`` — as ``kapdesk --db …`` does — so the test can
read the fatal message the window itself shows. ``make reliability`` runs every case every way as
real processes; here the command line runs the cases the others do not cover. An SQLite header followed by garbage under ``kapdesk demo`` is in
tests/test_bad_targets.py and not repeated here.
"""

from __future__ import annotations

import contextlib
import sys

import pytest
from hostile import CASES, changed_files, judge, read_only_folder, run_way, snapshot
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.slow


def _params(how: str, skip: tuple[str, ...] = ()):
    return [pytest.param(case, id=case.replace(" ", "-")) for case in CASES if case not in skip]


@pytest.mark.parametrize("case", _params("demo", skip=("garbage after header",)))
def test_a_writing_command_refuses_with_one_line_and_overwrites_nothing(tmp_path, case):
    result = run_way(case, "demo", tmp_path)
    assert result.ok, result.why


# The short version: db check on the two cases the writing command above does not cover here.
@pytest.mark.parametrize("case", _params("db check", skip=("truncated", "read-only folder")))
def test_db_check_refuses_with_one_line_and_overwrites_nothing(tmp_path, case):
    result = run_way(case, "db check", tmp_path)
    assert result.ok, result.why


@pytest.mark.parametrize("case", _params("window"))
def test_the_window_shows_the_fatal_message_and_overwrites_nothing(qapp, tmp_path, monkeypatch, capfd, case):
    from kapdesk.app import EXIT_STORE, run_gui
    from kapdesk.ui.main_window import MainWindow

    folder = tmp_path / "room"
    folder.mkdir()
    record = CASES[case](folder, {})
    shown: list[tuple[str, str]] = []
    windows: list[MainWindow] = []
    original = MainWindow.show_fatal

    def show_fatal(window, message):
        original(window, message)
        shown.append((message, window.start_screen.message.text()))
        windows.append(window)

    def attach_clinic(window, clinic):  # the record opened as if sound: stop here, the test will fail
        original_attach(window, clinic)
        windows.append(window)
        QTimer.singleShot(0, lambda: QApplication.instance().exit(99))

    original_attach = MainWindow.attach_clinic
    monkeypatch.setattr(MainWindow, "show_fatal", show_fatal)
    monkeypatch.setattr(MainWindow, "attach_clinic", attach_clinic)
    with contextlib.ExitStack() as stack:
        if case == "read-only folder":
            why = stack.enter_context(read_only_folder(folder))
            if why is not None:
                pytest.skip(why)
        before = snapshot(folder)
        # A window that opened the record would run until closed: end it, so the test fails instead.
        # A timer we stop afterwards: app.exit() ends every running event loop, a later test's too.
        guard = QTimer(singleShot=True, interval=20_000)
        guard.timeout.connect(lambda: QApplication.instance().exit(99))
        guard.start()
        try:
            code = run_gui(str(record), "dark")
        finally:
            guard.stop()
        after = snapshot(folder)
        for window in windows:  # gone before the next test, which may need its own window active
            window.close()
            window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    stderr = capfd.readouterr().err
    result = judge(case, "window", code, stderr, changed_files(before, after))
    assert result.ok, result.why
    assert code == EXIT_STORE
    [(message, on_screen)] = shown
    assert on_screen == f"KAPDesk cannot open the record: {message}"
    assert str(record.name) in message and "\n" not in message


def test_the_judge_fails_what_it_must(tmp_path):
    """The verdict itself can fail: a traceback, exit 0, two lines, or a changed file each fail it."""
    ok = judge("c", "demo", 2, "kapdesk: the record file is damaged\n", [])
    assert ok.ok
    assert not judge("c", "demo", 1, "Traceback (most recent call last):\nboom\n", []).ok
    assert not judge("c", "demo", 0, "", []).ok
    assert not judge("c", "demo", 2, "kapdesk: one\nkapdesk: two\n", []).ok
    assert not judge("c", "demo", 2, "kapdesk: damaged\n", ["record.sqlite3"]).ok
    (tmp_path / "a").write_bytes(b"1")
    before = snapshot(tmp_path)
    (tmp_path / "a").write_bytes(b"2")
    (tmp_path / "a.lock").write_bytes(b"")
    assert changed_files(before, snapshot(tmp_path)) == ["a"]
    assert sys.executable  # the command-line cases run this interpreter
