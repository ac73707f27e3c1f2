"""A real KAPDesk process through a sitting with music, reporting every network socket it holds.

Usage: python network_app.py DB_PATH
Starts the app as ``kapdesk --db DB_PATH`` does, starts a session by keyboard, plays the music,
lets it run, then prints ``SOCKETS <json>``: the process's sockets that are TCP, UDP or raw
(IPv4 or IPv6), read from /proc. Unix-domain sockets are local and not listed.
"""

import json
import os
import sys

from driver_keys import CTRL, start_session_by_keyboard
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from kapdesk.app import build

NET_TABLES = ("tcp", "tcp6", "udp", "udp6", "raw", "raw6")


def network_sockets() -> list[str]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    found = []
    for table in NET_TABLES:
        with open(f"/proc/self/net/{table}") as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                if fields[9] in inodes:
                    found.append(f"{table} {fields[1]} -> {fields[2]}")
    return found


def drive(window, app) -> None:
    view = start_session_by_keyboard(window, "Net Clinician (synthetic)", "NET-01 (synthetic)")
    QTest.keyClick(view, Qt.Key.Key_P, CTRL)  # music: play

    def report() -> None:
        music = window._music
        state = music.player.state.name if music is not None else "NO MUSIC"
        print("STATE", state, flush=True)
        print("SOCKETS", json.dumps(network_sockets()), flush=True)
        app.exit(0)

    QTimer.singleShot(4000, report)


def main() -> int:
    app, window, lock = build(sys.argv[1])
    window.show()
    window.activateWindow()
    QTimer.singleShot(0, lambda: drive(window, app))
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
