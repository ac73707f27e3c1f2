"""Start-up: parse the command line, open the record, build the window.

``kapdesk``                      the app, on the default SQLite file (or --db / KAPDESK_DB)
``kapdesk demo --db PATH``       write a synthetic completed session, print its id
``kapdesk playlist check FILE``  check that every entry of a playlist can be played
``kapdesk export ID --format pdf|csv|fhir --out PATH``  the session's record, for the clinic
``kapdesk audit verify|list``   check the audit trail's hash chain, or print it as an audit report
"""

from __future__ import annotations

import argparse
import sys

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
    export = commands.add_parser("export", help="export a session: --format pdf|csv|fhir --out PATH", add_help=False)
    export.add_argument("rest", nargs=argparse.REMAINDER)
    audit = commands.add_parser("audit", help="audit trail: verify [--db] | list [--since] [--client] [--format csv]",
                                add_help=False)
    audit.add_argument("rest", nargs=argparse.REMAINDER)
    # A REMAINDER positional takes nothing when the next word looks like an option, so
    # `playlist check --help` or `export --format pdf ...` would leave the option unrecognised.
    # Those leading options come back as `extra`, in order, and are handed to the command's own
    # parser in front of the rest; anything else unrecognised is still an error here.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if not hasattr(args, "rest"):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.rest = [*extra, *args.rest]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    target = args.db or default_db()
    if args.command == "demo":
        return _demo(target)
    if args.command == "playlist":
        from kapdesk.playlists.check import main as check_main

        return check_main(args.rest)
    if args.command == "export":
        from kapdesk.export.cli import main as export_main

        rest = list(args.rest)
        if args.db and "--db" not in rest:  # `kapdesk --db X export ...` means the same as `export ... --db X`
            rest += ["--db", args.db]
        return export_main(rest)
    if args.command == "audit":
        from kapdesk.store.audit_cli import main as audit_main

        rest = list(args.rest)
        if args.db and "--db" not in rest and rest:  # `kapdesk --db X audit verify` as `audit verify --db X`
            rest += ["--db", args.db]
        return audit_main(rest)
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


def make_window(theme: str = "dark"):
    """The application and its window, without the record: cheap, so the window paints at once."""
    from PySide6.QtWidgets import QApplication

    from kapdesk.domain.clock import SystemClock
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.ui.main_window import MainWindow
    from kapdesk.ui.theme import THEMES, apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("KAPDesk")
    app.setApplicationVersion(__version__)
    apply_theme(app, THEMES[theme])
    protocols, errors = load_protocols(protocol_folders())
    return app, MainWindow(protocols, errors, SystemClock())


def build(target: str, theme: str = "dark"):
    """Window, lock and record, all at once (tests and tools). Raises ``StoreError``.

    Returns ``(app, window, lock)``; the lock must live as long as the window.
    """
    app, window = make_window(theme)
    lock = acquire_lock(target)
    window.attach_clinic(open_clinic(target, window))
    return app, window, lock


def acquire_lock(target: str):
    """The single-instance lock for an SQLite file (a server database needs none: it is shared by design)."""
    from kapdesk.instance import InstanceLock
    from kapdesk.store.location import check_sqlite_location, plain_sqlite_path

    path = plain_sqlite_path(target)
    if path is None:
        from kapdesk.store.engine import database_url, sqlite_path

        path = sqlite_path(database_url(target))
    if path is None:
        return None
    check_sqlite_location(path)  # a clear message for a bad path before the lock file is tried
    lock = InstanceLock(path)
    lock.acquire()
    return lock


def open_clinic(target: str, window):
    """The record at ``target``, opened (and migrated) on the window's clock, as the screens use it."""
    from kapdesk.session import Clinic
    from kapdesk.store import Store

    return Clinic(Store.open(target, now=window.clock.utcnow), window.clock)


def run_gui(target: str, theme: str) -> int:
    """Paint first, then open the record. A record that cannot be used is explained in the window
    (no modal box: a second KAPDesk started by mistake must not cover a session in progress)."""
    from PySide6.QtCore import QTimer

    from kapdesk.store.errors import StoreError

    app, window = make_window(theme)
    failure: list[str] = []
    lock = None
    try:
        lock = acquire_lock(target)
    except StoreError as exc:
        failure.append(str(exc))

    def open_record() -> None:
        if not failure:
            try:
                window.attach_clinic(open_clinic(target, window))
                return
            except (StoreError, OSError) as exc:
                failure.append(str(exc))
        print(f"kapdesk: {failure[0]}", file=sys.stderr)
        window.show_fatal(failure[0])
        if app.platformName() in ("offscreen", "minimal"):  # nobody can read the window
            app.exit(EXIT_STORE)

    # Open the record once the window is on screen, so the app answers the click at once.
    window.first_painted.connect(lambda: QTimer.singleShot(0, open_record))
    from kapdesk.ui.screen_fit import place_window

    place_window(window)  # maximized the first time, else where it was left, clamped to this screen
    code = app.exec()
    if window.clinic is not None:
        window.clinic.close()
    if lock is not None:
        lock.release()
    return EXIT_STORE if failure else code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
