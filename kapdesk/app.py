"""Start-up: parse the command line, open the record, build the window.

``kapdesk``                      the app, on the default SQLite file (or --db / KAPDESK_DB)
``kapdesk demo --db PATH``       write a synthetic completed session, print its id
``kapdesk playlist check FILE``  check that every entry of a playlist can be played
``kapdesk export ID --format pdf|csv|fhir --out PATH``  the session's record, for the clinic
``kapdesk audit verify|list``   check the audit trail's hash chain, or print it as an audit report
``kapdesk db encrypt|rekey``    encrypt a plain record, or change an encrypted record's passphrase

An encrypted record asks for its passphrase: the window before it opens; every command at the
terminal, from standard input, or from ``KAPDESK_PASSPHRASE`` (never as an argument).
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
    parser.add_argument("--server", default=None, metavar="URL",
                        help="the clinic's PostgreSQL server this room sends its record to "
                             "(default: clinic.toml [server] url; none: nothing is sent)")
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
    db = commands.add_parser("db", help="the record file: backup PATH | restore PATH | check | encrypt | rekey", add_help=False)
    db.add_argument("rest", nargs=argparse.REMAINDER)
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
    if args.command in ("demo", "export", "audit"):
        from kapdesk.store import crypto
        from kapdesk.store.db_cli import ask_passphrase

        crypto.set_passphrase_provider(ask_passphrase)  # an encrypted record asks at the terminal
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
    if args.command == "db":
        from kapdesk.store.db_cli import main as db_main

        rest = list(args.rest)
        if args.db and "--db" not in rest and rest:
            rest += ["--db", args.db]
        return db_main(rest)
    return run_gui(target, args.theme, args.server)


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


def build(target: str, theme: str = "dark", server: str | None = None):
    """Window, lock and record, all at once (tests and tools). Raises ``StoreError``.

    Returns ``(app, window, lock)``; the lock must live as long as the window.
    """
    app, window = make_window(theme)
    lock = acquire_lock(target)
    window.attach_clinic(open_clinic(target, window, server))
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


def open_clinic(target: str, window, server: str | None = None):
    """The record at ``target``, opened (and migrated) on the window's clock, as the screens use it.

    A room's record (SQLite) gets its link to the clinic server when ``server`` (``--server``) or
    clinic.toml's ``[server] url`` names one; the link starts with the window (no socket before).
    A server address that cannot be used is said in the status bar; the room works on regardless.
    """
    from kapdesk.session import Clinic
    from kapdesk.store import Store
    from kapdesk.store.errors import StoreError

    store = Store.open(target, now=window.clock.utcnow)
    clinic = Clinic(store, window.clock)
    try:
        clinic.server = _server_link(store, server, window.clock.utcnow)
    except StoreError as exc:
        clinic.server_problem = str(exc)
    return clinic


def unlock_record(target: str, ask) -> bool:
    """Before the window: an encrypted record's passphrase, from ``ask(path) -> bool`` (the dialog, which
    tries until one opens the record or the user quits). False: the user quit. A plain record, a
    key already known and ``KAPDESK_PASSPHRASE`` need no question. Raises ``StoreError`` for a record
    that cannot be opened either way (a plain file beside a key file, a key file without its record).
    """
    import os

    from kapdesk.store.location import is_plain_record, plain_sqlite_path

    path = plain_sqlite_path(target)
    if path is None or is_plain_record(path):
        return True
    from kapdesk.store import crypto

    if not crypto.is_encrypted(path) or crypto.known_key(path) is not None:
        return True
    return bool(os.environ.get(crypto.PASSPHRASE_ENV)) or ask(path)


def ask_in_window(path) -> bool:
    """The passphrase dialog (keyboard only); True once a passphrase opened the record (key remembered)."""
    from kapdesk.store import crypto
    from kapdesk.ui.passphrase_dialog import PassphraseDialog

    dialog = PassphraseDialog(str(path), lambda passphrase: crypto.try_unlock(path, passphrase))
    return dialog.exec() == PassphraseDialog.DialogCode.Accepted


def show_preview(window, target: str) -> None:
    """The sign-in page from a first look at a plain SQLite record (sqlite3 alone), so it paints with
    its names before SQLAlchemy is imported; nothing where the look cannot be sure."""
    from kapdesk.store.location import plain_sqlite_path
    from kapdesk.store.peek import peek_sign_in

    preview = peek_sign_in(plain_sqlite_path(target))
    if preview is not None:
        window.show_preview(preview)


def _server_link(store, url: str | None, now):
    if store.engine.dialect.name != "sqlite":
        return None  # the record is the server itself (the office view)
    import socket

    from kapdesk.domain.clinic import load_clinic_settings_or_defaults

    configured = load_clinic_settings_or_defaults()[0].server
    url = url or (configured.url if configured else None)
    if not url:
        return None
    from kapdesk.session.server_link import ServerLink

    room = (configured.room if configured else None) or socket.gethostname()  # uname: no socket
    interval = configured.push_interval_seconds if configured else 10
    return ServerLink(store.engine.url.render_as_string(hide_password=False), url, room=room, interval_s=interval,
                      now=now)


def run_gui(target: str, theme: str, server: str | None = None) -> int:
    """Paint first, then open the record. A record that cannot be used is explained in the window
    (no modal box: a second KAPDesk started by mistake must not cover a session in progress).

    The one question before the window is an encrypted record's passphrase, asked only once this
    process holds the record's lock: a second KAPDesk never gets that far, so it covers nothing."""
    from PySide6.QtCore import QTimer

    from kapdesk.store.errors import StoreError

    app, window = make_window(theme)
    failure: list[str] = []
    lock = None
    try:
        lock = acquire_lock(target)
        if not unlock_record(target, ask_in_window):  # a question before the window: no session runs yet
            print("kapdesk: no passphrase given: the record was not opened", file=sys.stderr)
            lock.release()
            return EXIT_STORE
    except StoreError as exc:
        failure.append(str(exc))
    if not failure:
        show_preview(window, target)

    def open_record() -> None:
        if not failure:
            try:
                window.attach_clinic(open_clinic(target, window, server))
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
