"""A sitting at accelerated time: the real window for hours of injected time, watched for slow decay.

:func:`run_soak` builds the real main window on a real SQLite file with a ``FakeClock``, opens a
sitting through the ``Clinic`` and ``window.show_session`` (as the start screen does), marks the
dose through its key and the safety override, and then, for each simulated minute: moves the clock
on in four 15-second steps (ticking the session view each time, as its timer would), types a
reading into the vitals line (every 5 minutes an observation into the observation line too),
redraws the chart and the timeline (``grab()`` paints them even when their page is hidden), and
lets the event loop run briefly. Music loops through libvlc with ``--aout=afile`` into a WAV file
in the work folder (a real player decoding real audio, in real time, whatever the fake clock says).

It measures:

* resident memory (``/proc/self/statm``) after the first 10 simulated minutes and at the end;
* every Qt warning, critical and fatal message (a Qt message handler records them), except the
  offscreen platform's "does not support propagateSizeHints()" note: it has no window manager to
  pass the size hints to, so it says so for every window shown; a laptop never prints it;
* the live QObjects — the window's QObject tree, ``QApplication.allWidgets()`` and the Python-held
  QObject wrappers — after minute 10 and at the end;
* clock drift: after every tick, the session's reading is compared with the injected time
  (``reading.now``, time since arrival and since the dose) and the clock band's text with the
  same spans formatted.
"""

from __future__ import annotations

import gc
import math
import os
import struct
import wave
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

WARMUP_MINUTES = 10
OFFSCREEN_NOTE = "does not support propagateSizeHints()"


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class ObjectCounts:
    tree: int  # QObjects in the window's tree (C++ children, wrapped or not)
    widgets: int  # QApplication.allWidgets()
    wrappers: int  # Python-held QObject wrappers (gc)

    def growth(self, later: ObjectCounts) -> ObjectCounts:
        return ObjectCounts(later.tree - self.tree, later.widgets - self.widgets, later.wrappers - self.wrappers)

    def __str__(self) -> str:
        return f"tree {self.tree:+d}, widgets {self.widgets:+d}, wrappers {self.wrappers:+d}"


def count_objects(window) -> ObjectCounts:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    # findChildren and allWidgets make a Python wrapper for each object they return, and Qt's parent
    # keeps it: so they run before the wrappers are counted, or the count would measure itself.
    tree, widgets = len(window.findChildren(QObject)), len(QApplication.allWidgets())
    gc.collect()
    return ObjectCounts(tree, widgets, sum(1 for o in gc.get_objects() if isinstance(o, QObject)))


@dataclass
class SoakResult:
    minutes: int
    readings: int = 0
    observations: int = 0
    rss_after_warmup: int = 0
    rss_end: int = 0
    rss_peak: int = 0
    qt_warnings: list[str] = field(default_factory=list)
    objects_after_warmup: ObjectCounts | None = None
    objects_end: ObjectCounts | None = None
    ticks: int = 0
    drift_ticks: int = 0  # ticks where the reading or the band differed from the injected time
    max_drift_s: float = 0.0
    music: str = ""  # how many tracks libvlc played to their end, or why there was no music
    music_ok: bool = False
    real_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rss_growth(self) -> int:
        return self.rss_end - self.rss_after_warmup

    @property
    def object_growth(self) -> ObjectCounts | None:
        if self.objects_after_warmup is None or self.objects_end is None:
            return None
        return self.objects_after_warmup.growth(self.objects_end)

    @property
    def ok(self) -> bool:
        growth = self.object_growth
        return (not self.problems and self.rss_growth < 5 * 1024 * 1024 and not self.qt_warnings
                and growth is not None and max(growth.tree, growth.widgets, growth.wrappers) <= 0
                and self.drift_ticks == 0 and self.music_ok)

    def line(self) -> str:
        hours = f"{self.minutes // 60} h {self.minutes % 60:02d} min" if self.minutes >= 60 else f"{self.minutes} min"
        return (f"soak              {hours} simulated in {self.real_seconds:.0f} s: {self.readings} readings, "
                f"{self.observations} observations; memory after minute {WARMUP_MINUTES} "
                f"{self.rss_after_warmup / 2**20:.1f} MB, growth {self.rss_growth / 2**20:+.2f} MB; "
                f"Qt warnings {len(self.qt_warnings)}; live QObjects {self.object_growth}; clock drift "
                f"{self.drift_ticks} of {self.ticks} ticks (max {self.max_drift_s:.3f} s); music {self.music}"
                + (f"; first warning: {self.qt_warnings[0]}" if self.qt_warnings else "")
                + (f"; PROBLEMS: {'; '.join(self.problems[:3])}" if self.problems else ""))


def write_tone(path: Path, seconds: float, freq: float, rate: int = 22_050) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                                 for i in range(int(seconds * rate))))
    return path


def _wait(ms: int) -> None:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = QDeadlineTimer(ms)
    while not deadline.hasExpired():
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, max(1, deadline.remainingTime()))


def run_soak(workdir: Path, minutes: int = 180, *, pause_ms: int = 30, each_minute=None) -> SoakResult:
    """The soak (see the module docstring); needs a ``QApplication``. ``pause_ms``: real time per minute;
    ``each_minute(minute, window)``, if given, runs after each minute's entries (tests inject faults)."""
    import time

    from PySide6.QtCore import QEvent, Qt, QTimer, QtMsgType, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from kapdesk.domain.clock import FakeClock, format_span
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.paths import protocol_folders
    from kapdesk.player import PlaybackState, PlayerSettings
    from kapdesk.session import Clinic, create_player
    from kapdesk.store import Store
    from kapdesk.ui.main_window import MainWindow

    result = SoakResult(minutes)
    started = time.monotonic()

    def on_message(kind, _context, message) -> None:
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) \
                and OFFSCREEN_NOTE not in message:
            result.qt_warnings.append(message)

    previous_handler = qInstallMessageHandler(on_message)
    clock = FakeClock()
    protocols, errors = load_protocols(protocol_folders())
    clinic = Clinic(Store.open(str(workdir / "soak.sqlite3"), now=clock.utcnow), clock)
    window = MainWindow(protocols, errors, clock, clinic)
    # The music through libvlc into a file: the window's player, made before the first session opens it.
    audio = workdir / "music-out.wav"
    window._player, window._availability = create_player(
        settings=PlayerSettings(), extra_args=["--aout=afile", f"--audiofile-file={audio}"])
    player = window._player
    try:
        window.show()
        window.activateWindow()
        QTest.qWaitForWindowActive(window, 5000)
        clinician = clinic.clinician_named("Soak Clinician (synthetic)")
        client = clinic.client_labelled("SOAK-01 (synthetic)", clinician.id)
        info = clinic.start_session(client.id, clinician.id, window.protocols["sublingual"])
        view = window.show_session(info.id, clinician.id)
        pane = view.record_pane

        loops, ended, music_errors = [0], [0], []
        if player is None:
            result.music = f"none: {window._availability.reason}"
        else:
            tracks = [write_tone(workdir / f"tone-{n}.wav", 2.0, 330.0 + 110 * n) for n in range(3)]
            playlist = workdir / "soak.m3u"
            playlist.write_text("#EXTM3U\n" + "".join(f"{t.name}\n" for t in tracks))
            music = window._music

            def again(state) -> None:  # the playlist ran out: round again, as a looping playlist does
                if state is PlaybackState.STOPPED and not window.isHidden():
                    loops[0] += 1
                    QTimer.singleShot(0, lambda: (music.choose_playlist(playlist), player.play()))

            if not music.choose_playlist(playlist):
                result.problems.append(f"the soak playlist did not load: {music.notice}")
            player.state_changed.connect(again)
            player.event_recorded.connect(lambda kind, _payload: ended.__setitem__(0, ended[0] + (kind == "track_end")))
            player.error.connect(music_errors.append)
            player.play()

        # The dose, by its key: no preparation was recorded, so the override asks for a reason.
        QTest.keyClick(view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)  # pre-dose reading taken
        QTest.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
        if view.override.isVisible():
            QTest.keyClicks(view.override.reason, "Synthetic soak: checklist on paper")
            QTest.keyClick(view.override.reason, Qt.Key.Key_Return)
        view.show_page("record")
        dose_at = view.live.info.dose_at
        if dose_at is None:
            result.problems.append(f"the dose was not marked: {view.message.text()}")

        def check_clock() -> None:
            view.tick()
            result.ticks += 1
            reading = view.live.reading()
            now = clock.utcnow()
            drift = abs((reading.now - now).total_seconds())
            expected_arrival = now - view.live.info.arrival_at
            bad = drift > 0 or reading.since_arrival != expected_arrival
            bad |= view.band.since_arrival.text() != format_span(expected_arrival)
            if dose_at is not None:
                bad |= reading.since_dose != now - dose_at
                bad |= view.band.since_dose.text() != "T+" + format_span(now - dose_at)
            result.max_drift_s = max(result.max_drift_s, drift)
            result.drift_ticks += bad

        vitals, observation = pane.vitals, pane.observation
        for minute in range(1, minutes + 1):
            for _ in range(4):
                clock.advance(15)
                check_clock()
            QTest.keyClick(view, Qt.Key.Key_F2)
            QTest.keyClicks(vitals.line, f"{112 + minute % 9}/{72 + minute % 7} {64 + minute % 11} 98 14")
            QTest.keyClick(vitals.line, Qt.Key.Key_Return)
            if vitals.message.text().startswith("Saved "):
                result.readings += 1
            else:
                result.problems.append(f"minute {minute}: reading not saved: {vitals.message.text()}")
            if minute % 5 == 0:
                QTest.keyClick(view, Qt.Key.Key_F3)
                QTest.keyClicks(observation.line, f"resting, eyes closed, minute {minute} (synthetic)")
                QTest.keyClick(observation.line, Qt.Key.Key_Return)
                if observation.message.text().startswith("Saved "):
                    result.observations += 1
                else:
                    result.problems.append(f"minute {minute}: observation not saved: {observation.message.text()}")
            view.chart.grab()
            view.timeline.grab()
            if each_minute is not None:
                each_minute(minute, window)
            _wait(pause_ms)
            if minute == WARMUP_MINUTES or minute == minutes:
                gc.collect()
                counts, rss = count_objects(window), rss_bytes()
                if minute == WARMUP_MINUTES:
                    result.objects_after_warmup, result.rss_after_warmup = counts, rss
                if minute == minutes:
                    result.objects_end, result.rss_end = counts, rss
            if minute % 10 == 0:
                result.rss_peak = max(result.rss_peak, rss_bytes())
        if player is not None:
            written = audio.exists() and audio.stat().st_size > 44  # afile reopens the file for each track
            result.music_ok = ended[0] > 0 and written and not music_errors
            result.music = (f"{ended[0]} tracks played to their end through libvlc into a WAV file "
                            f"({loops[0]} loops of the playlist)" + (f", errors: {music_errors[0]}" if music_errors else ""))
        if minutes < WARMUP_MINUTES:
            result.problems.append(f"the soak must run past minute {WARMUP_MINUTES}")
    finally:
        window.hide()
        window.close()
        if window.clinic is not None:
            window.clinic.close()
        window.deleteLater()
        _wait(50)
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # gone before whatever runs next
        qInstallMessageHandler(previous_handler)
        result.real_seconds = time.monotonic() - started
    return result


__all__ = ["SoakResult", "run_soak", "timedelta"]
