"""Start-up: parse the command line, open the store, build the window.

``kapdesk``                      the app, on the default SQLite file (or --db / KAPDESK_DB)
``kapdesk demo --db PATH``       write a synthetic completed session, print its id
``kapdesk playlist check FILE``  check that every entry of a playlist can be played
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kapdesk import __version__
from kapdesk.paths import default_db, protocol_folders

EXIT_STORE = 2  # the database cannot be used; the message says why


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kapdesk", description="A quiet companion for KAP sittings.")
    parser.add_argument("--version", action="version", version=f"kapdesk {__version__}")
    db_help = "database file or SQLAlchemy URL (default: KAPDESK_DB or the user data folder)"
    parser.add_argument("--db", default=None, help=db_help)
    parser.add_argument("--theme", choices=("dark", "light"), default="dark")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="write a synthetic completed session and print its id")
    demo.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    playlist = commands.add_parser("playlist", help="playlist tools")
    playlist_commands = playlist.add_subparsers(dest="playlist_command", required=True)
    check = playlist_commands.add_parser("check", help="say for each entry whether it can be played", add_help=False)
    check.add_argument("rest", nargs=argparse.REMAINDER)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    target = args.db or default_db()
    if args.command == "demo":
        return _demo(target)
    if args.command == "playlist":
        from kapdesk.playlists.check import main as check_main

        return check_main(args.rest)
    return run_gui(target, args.theme)


def _demo(target: str) -> int:
    from kapdesk.demo import write_demo_session
    from kapdesk.store import StoreError

    try:
        session_id = write_demo_session(target)
    except StoreError as exc:
        print(f"kapdesk: {exc}", file=sys.stderr)
        return EXIT_STORE
    print(session_id)
    return 0


def build(target: str, theme: str = "dark"):
    """Open everything the window needs; raise ``StoreError`` with a message the user can act on.

    Returns ``(app, window, lock)``: the lock must live as long as the window.
    """
    from PySide6.QtWidgets import QApplication

    from kapdesk.domain.clock import SystemClock
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.instance import InstanceLock
    from kapdesk.store import Store
    from kapdesk.store.engine import check_sqlite_location, database_url, sqlite_path
    from kapdesk.ui.main_window import MainWindow
    from kapdesk.ui.theme import THEMES, apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("KAPDesk")
    app.setApplicationVersion(__version__)
    apply_theme(app, THEMES[theme])
    lock = None
    path = sqlite_path(database_url(target))
    if path is not None:
        check_sqlite_location(path)  # a clear message for a bad path before the lock file is tried
        lock = InstanceLock(path)
        lock.acquire()
    clock = SystemClock()
    store = Store.open(target, now=clock.utcnow)
    protocols, errors = load_protocols(protocol_folders())
    window = MainWindow(store, protocols, errors, clock)
    return app, window, lock


def run_gui(target: str, theme: str) -> int:
    from kapdesk.store import StoreError

    try:
        app, window, lock = build(target, theme)
    except (StoreError, OSError) as exc:
        _startup_error(str(exc))
        return EXIT_STORE
    window.show()
    try:
        return app.exec()
    finally:
        window.store.close()
        if lock is not None:
            lock.release()


def _startup_error(message: str) -> None:
    """Say it on stderr, and in a window when there is a screen to show one (not in headless runs)."""
    print(f"kapdesk: {message}", file=sys.stderr)
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal") or not sys.stdout:
        return
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication([sys.argv[0]])
    QMessageBox.critical(None, "KAPDesk cannot start", message)
    del app


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
