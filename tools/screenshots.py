"""Screenshots of every view for the README, taken from the real app on a real (Xvfb) screen.

Run: ``make screenshots`` (``xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tools/screenshots.py docs/``)
The session is driven through the same actions as the app, on a clock moved by hand, so the
pictures show a plausible mid-session moment without waiting an hour. All data is synthetic.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from kapdesk.demo import write_demo_session
from kapdesk.domain.clock import FakeClock
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import Preparation, Vitals
from kapdesk.domain.observations import Observation
from kapdesk.domain.preparation import contraindications_for, make_preparation
from kapdesk.domain.protocols import Protocol, load_protocols
from kapdesk.domain.scales import MOAAS, score
from kapdesk.domain.vitals import parse_vitals
from kapdesk.paths import protocol_folders
from kapdesk.session import Clinic
from kapdesk.store import Store
from kapdesk.ui.main_window import MainWindow
from kapdesk.ui.theme import DARK, LIGHT, apply_theme


def preparation(protocol: Protocol) -> Preparation:
    """A safely answered synthetic preparation for ``protocol``'s screen."""
    screen = contraindications_for(protocol)
    return make_preparation(
        "Synthetic intention: to meet the heaviness with curiosity.",
        {"slept_well": True, "no_stimulants": True, "light_meal": True, "ride_home": True, "consent": True},
        {item.key: False for item in screen},
        {"benzodiazepines": False, "sedative_hypnotics": False, "psychostimulants": False, "maois": False},
        70.0,
        screen=screen,
        self_harm_thoughts=False,
    )


def settle(app: QApplication) -> None:
    for _ in range(10):
        app.processEvents()


def shoot(app: QApplication, window, path: Path) -> None:
    settle(app)
    window.grab().save(str(path))


def main(out: Path, size_tag: str | None = None) -> None:
    """Every view at 1280×800; with ``size_tag`` (``KAPDESK_SHOT_SIZE``), only the mid-session view,
    filling whatever screen it runs on, as ``session-<size_tag>.png``."""
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    apply_theme(app, DARK)
    db = Path(tempfile.mkdtemp()) / "shots.sqlite3"
    write_demo_session(str(db))
    clock = FakeClock()
    clinic = Clinic(Store.open(str(db), now=clock.utcnow), clock)
    protocols, errors = load_protocols(protocol_folders())
    window = MainWindow(protocols, errors, clock, clinic)
    if size_tag:  # the whole screen, as the app opens on first run (maximized)
        window.setGeometry(app.primaryScreen().availableGeometry())
    else:
        window.resize(1280, 800)
    window.show()
    # The sign-in page of a record with accounts, then signed in as the demo's clinician (made its
    # first admin) with a synthetic password.
    password = "synthetic demo pass"
    admin = clinic.accounts.create_first_admin("Demo Clinician (synthetic)", password)
    window.show_sign_in()
    if not size_tag:  # the other sizes take only the mid-session view
        shoot(app, window, out / "sign-in.png")
    window.enter_as(clinic.accounts.sign_in(admin.id, password).clinician)
    window.idle.stop()  # the hand-moved clock jumps an hour with no keys pressed: that is not idleness
    screen = window.start_screen
    screen.client.setCurrentText("DEMO-02 (synthetic client)")
    screen.protocol.setCurrentIndex(screen.protocol.findData("sublingual"))
    window.history.show_selected_course()
    if not size_tag:
        shoot(app, window, out / "start-screen.png")

    screen.start_button.click()
    view = window.session_view
    live = view.live
    clock.advance(5 * 60)
    live.record(preparation(live.info.protocol))
    clock.advance(9 * 60)
    live.record(Vitals(parse_vitals("124/80 72 98 14"), baseline=True))
    clock.advance(6 * 60)
    view.mark_dose()
    live.record(parse_dose("ketamine 100 mg SL lot SYN-0002", given_by="Demo Clinician (synthetic)"))
    for minute, reading in ((15, "138/88 78 98 14"), (30, "152/96 84 97 14")):
        clock.advance(15 * 60 if minute == 15 else 14 * 60)
        if minute == 15:
            view.advance_phase()
        live.record(Vitals(parse_vitals(reading)))
    clock.advance(6 * 60)
    view.advance_phase()
    live.record(Observation("It feels like floating above a warm sea.", ("speaking",), quote=True))
    clock.advance(9 * 60)
    live.record(Vitals(parse_vitals("168/101 88 96 15")))
    clock.advance(3 * 60 + 37)
    view.record_pane.refresh_alerts()
    view.tick()
    view.show_page("record")
    view.record_pane.focus_vitals()
    view.record_pane.vitals.line.setText("128/94 76 9")  # mid-typing
    if size_tag:
        shoot(app, window, out / f"session-{size_tag}.png")
        window.close()
        clinic.close()
        return
    shoot(app, window, out / "session-dark.png")
    view.show_page("timeline")
    shoot(app, window, out / "timeline.png")
    view.show_page("notes")
    shoot(app, window, out / "session-notes.png")
    view.show_page("record")
    apply_theme(app, LIGHT)
    shoot(app, window, out / "session-light.png")
    apply_theme(app, DARK)
    window.lock("key")  # the locked window mid-session: the clock, the reminders' times, the music
    shoot(app, window, out / "locked.png")
    window.close()
    clinic.close()
    safety_shots(app, out)


def safety_shots(app: QApplication, out: Path) -> None:
    """Issue 9's two views: the three alert severities side by side, and the dose gate listing a
    pre-dose reading beyond the do-not-dose bounds."""
    db = Path(tempfile.mkdtemp()) / "safety.sqlite3"
    clock = FakeClock()
    clinic = Clinic(Store.open(str(db), now=clock.utcnow), clock)
    protocols, errors = load_protocols(protocol_folders())
    window = MainWindow(protocols, errors, clock, clinic)
    window.resize(1280, 800)
    window.show()
    password = "synthetic demo pass"
    admin = clinic.accounts.create_first_admin("Demo Clinician (synthetic)", password)
    window.enter_as(clinic.accounts.sign_in(admin.id, password).clinician)
    window.idle.stop()
    screen = window.start_screen
    screen.client.setCurrentText("DEMO-03 (synthetic client)")
    screen.protocol.setCurrentIndex(screen.protocol.findData("iv-infusion"))
    screen.start_button.click()
    view = window.session_view
    live = view.live
    clock.advance(8 * 60)
    live.record(preparation(live.info.protocol))
    clock.advance(4 * 60)
    live.record(Vitals(parse_vitals("200/124 96 97 16")))
    view.record_pane.refresh_alerts()
    view.mark_dose()  # the gate lists the reading: the override line waits for a reason
    view.override.reason.setText("Synthetic: repeat in 5 min after rest")
    shoot(app, window, out / "dose-gate.png")
    view.override.cancel()

    live.record(Vitals(parse_vitals("128/84 74 98 14"), baseline=True))
    view.mark_dose()
    view.override.reason.setText("Synthetic: repeated reading normal")
    view.override.confirm()
    for alert in view.record_pane.refresh_alerts().active:  # the crisis was seen: acknowledged with its reason
        live.record(alert.acknowledgement("Synthetic: repeated after 5 min rest, 128/84"))
    clock.advance(10 * 60)
    live.record(Vitals(parse_vitals("132/86 80 84 12")))  # SpO2 84 %: critical
    clock.advance(60)
    live.record(score(MOAAS, {"responsiveness": 2}))  # deeper than intended: caution
    clock.advance(15 * 60)  # the T+20 reading is now overdue: a reminder
    view.tick()
    view.record_pane.refresh_alerts()
    view.show_page("record")
    shoot(app, window, out / "alerts-dark.png")
    window.close()
    clinic.close()


if __name__ == "__main__":
    import os

    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"), os.environ.get("KAPDESK_SHOT_SIZE"))
