"""The one window: the start screen, then the session view of the sitting in progress.

The window paints before the record is open: the start screen appears at once, its form
waiting, and ``attach_clinic`` fills it a moment later. SQLAlchemy costs a few hundred
milliseconds to import, and a therapist should see the app answer the click straight away.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget

from kapdesk.domain.protocols import Protocol, ProtocolError
from kapdesk.domain.status import SessionStatus
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.start_screen import StartScreen
from kapdesk.ui.theme import DARK, LIGHT, apply_theme, current_theme

if TYPE_CHECKING:
    import uuid

    from kapdesk.domain.clock import Clock
    from kapdesk.domain.info import ClientInfo, ClinicianInfo
    from kapdesk.session import Clinic
    from kapdesk.ui.session_view import SessionView


EXTENSIONS = {"pdf": "pdf", "csv": "csv", "fhir": "fhir.json"}


class MainWindow(QMainWindow):
    record_opened = Signal()  # the clinic's record is attached and the start screen filled
    first_painted = Signal()  # once, when the window has first been drawn

    def __init__(self, protocols: list[Protocol], protocol_errors: list[ProtocolError], clock: Clock,
                 clinic: Clinic | None = None) -> None:
        super().__init__()
        self.clinic: Clinic | None = None
        self.history = None
        self.clinic_settings = None
        # One music player for the app, created with the first session (libvlc loads slowly).
        self._player = None
        self._availability = None
        self._music = None
        self._painted = False
        self.clock = clock
        self.protocols = {p.id: p for p in protocols}
        self.setWindowTitle("KAPDesk")
        # Shown by kapdesk.ui.screen_fit.place_window: maximized, or where it was left, on screen.
        available = self.screen().availableGeometry()
        self.resize(min(1280, available.width()), min(800, available.height()))
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.start_screen = StartScreen(protocols, protocol_errors)
        self.start_screen.start_requested.connect(self.start_session)
        self.start_screen.resume_requested.connect(self.resume_session)
        self.start_screen.setEnabled(False)
        self.stack.addWidget(self.start_screen)
        self.session_view: SessionView | None = None
        for name, slot in (("app.theme", self.toggle_theme), ("app.full_screen", self.toggle_full_screen)):
            keymap.shortcuts(name, self, slot, Qt.ShortcutContext.ApplicationShortcut)
        self.statusBar().showMessage("Opening the record…")
        if clinic is not None:
            self.attach_clinic(clinic)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def attach_clinic(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.statusBar().showMessage(f"Record: {clinic.location}   ·   {keymap.key('app.theme')} light/dark   ·   "
                                     f"{keymap.key('app.full_screen')} full screen")
        from kapdesk.ui.history_view import HistoryView  # with the record, not before the first paint

        from kapdesk.domain.clinic import load_clinic_settings_or_defaults

        self.clinic_settings, clinic_errors = load_clinic_settings_or_defaults()
        if clinic_errors:
            self.start_screen.show_message("Clinic settings not loaded (defaults in force):\n" +
                                           "\n".join(str(e) for e in clinic_errors))
        self.history = HistoryView(clinic)
        self.history.open_session_requested.connect(self.open_session)
        self.history.export_requested.connect(self.export_session)
        self.start_screen.set_history(self.history)
        self.start_screen.setEnabled(True)
        self.show_start()
        self.record_opened.emit()

    def show_fatal(self, message: str) -> None:
        """The record cannot be used: say so in the window itself (no modal box over a session)."""
        self.start_screen.setEnabled(False)
        self.start_screen.show_message(f"KAPDesk cannot open the record: {message}")
        self.statusBar().showMessage("Close this window to quit.")

    # -- navigation -----------------------------------------------------------------------------
    def show_start(self) -> None:
        if self._music is not None:
            self._music.close()  # a recorded fade, never an abrupt stop
            self._music = None
        if self.session_view is not None:
            self.session_view.stop()
            self.stack.removeWidget(self.session_view)
            self.session_view.deleteLater()
            self.session_view = None
        self.start_screen.populate(
            [c.name for c in self.clinic.clinicians()],
            [c.label for c in self.clinic.clients()],
            self.clinic.sessions(status=SessionStatus.IN_PROGRESS),
        )
        self.history.run_search()
        in_progress = self.clinic.sessions(status=SessionStatus.IN_PROGRESS, limit=1)
        if in_progress:  # so that Enter on the list, too, resumes it
            self.history.select_session(in_progress[0].id)
        self._offer_protocol()
        self.stack.setCurrentWidget(self.start_screen)
        self.start_screen.focus_first()

    def _offer_protocol(self) -> None:
        """The clinic's last protocol is the likeliest next one; on a record with no sessions, the
        clinic's ``[session] default_protocol``, or none: a protocol is never picked by file order."""
        from kapdesk.domain.clinic import setting_location

        latest = self.clinic.sessions(limit=1)
        if latest and self.start_screen.choose_protocol(latest[0].protocol.id):
            return
        default = self.clinic_settings.default_protocol if self.clinic_settings is not None else None
        if not self.start_screen.choose_protocol(default):
            self.start_screen.choose_protocol(None)
            where = setting_location(self.clinic_settings, "session", "default_protocol")
            known = ", ".join(sorted(self.protocols)) or "none"
            problem = f"{where}: session.default_protocol: no protocol “{default}” is loaded (loaded: {known})."
            shown = self.start_screen.message.text()
            if problem not in shown:
                self.start_screen.show_message(f"{shown}\n{problem}".strip())

    def show_session(self, session_id: uuid.UUID, clinician_id: uuid.UUID) -> SessionView:
        # Imported here, not at the top: the start screen must paint before any of this loads.
        from kapdesk.session import MusicSession, create_player
        from kapdesk.ui.music_pane import MusicPane
        from kapdesk.ui.session_view import SessionView

        live = self.clinic.open_session(session_id, clinician_id)
        view = SessionView(live, self.clinic_settings)
        view.closed.connect(self.show_start)
        if self._availability is None:
            from kapdesk.player import PlayerSettings, SectionChangeMode

            mode = SectionChangeMode(self.clinic_settings.music_section_change)
            self._player, self._availability = create_player(settings=PlayerSettings(section_change_mode=mode))
        self._music = MusicSession(live, self._player, self._availability, parent=self)
        view.set_side(MusicPane(self._music, shortcut_scope=view))
        self.session_view = view
        self.stack.addWidget(view)
        self.stack.setCurrentWidget(view)
        view.setFocus()
        return view

    # -- start-screen requests --------------------------------------------------------------
    def start_session(self, clinician_name: str, client_label: str, protocol_id: str) -> None:
        protocol = self.protocols.get(protocol_id)
        if protocol is None:
            self.start_screen.show_message("Pick a protocol first (no protocol file loaded).")
            return
        try:
            clinician = self._clinician(clinician_name)
            client = self._client(client_label, clinician.id)
            info = self.clinic.start_session(client.id, clinician.id, protocol)
        except StoreError as exc:
            self.start_screen.show_message(f"Not started: {exc}.")
            return
        self.start_screen.show_message("")
        self.start_screen.client.setCurrentText("")
        self.show_session(info.id, clinician.id)

    def resume_session(self, session_id: uuid.UUID, clinician_name: str) -> None:
        try:
            clinician = self._clinician(self.start_screen.clinician.currentText() or clinician_name)
        except StoreError as exc:
            self.start_screen.show_message(f"Not resumed: {exc}.")
            return
        self.show_session(session_id, clinician.id)

    def open_session(self, session_id: uuid.UUID) -> None:
        info = self.clinic.session(session_id)
        if info.status == SessionStatus.IN_PROGRESS:
            self.resume_session(session_id, info.clinician_name)
        else:
            self.show_session(session_id, info.clinician_id)

    def _clinician(self, name: str) -> ClinicianInfo:
        name = name.strip()
        if not name:
            raise StoreError("type the clinician's name")
        return self.clinic.clinician_named(name)

    def _client(self, label: str, author_id: uuid.UUID) -> ClientInfo:
        label = label.strip()
        if not label:
            raise StoreError("type or pick the client's pseudonym")
        return self.clinic.client_labelled(label, author_id)

    def export_session(self, session_id: uuid.UUID, fmt: str) -> None:
        """Export from the history list into the user's documents folder; say where, quietly."""
        info = self.clinic.session(session_id)
        folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)) / "KAPDesk exports"
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in info.client_label)
        name = f"{stem}-{info.arrival_at.astimezone():%Y-%m-%d-%H%M}.{EXTENSIONS[fmt]}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = self.clinic.export(session_id, fmt, folder / name, None)
        except (StoreError, OSError) as exc:
            self.statusBar().showMessage(f"Not exported: {exc}")
            return
        self.statusBar().showMessage(f"Exported {fmt.upper()} to {path}")

    # -- window -------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Quitting: save the note's last words and stop the music (the stop is recorded)."""
        if self.session_view is not None:
            self.session_view.stop()
        if self._music is not None:
            self._music.close(fade_s=0)
        if self._player is not None:
            self._player.close()
        from kapdesk.ui.screen_fit import save_geometry

        save_geometry(self)  # where it opens next time (clamped to that day's screen)
        super().closeEvent(event)

    def toggle_theme(self) -> None:
        app = QApplication.instance()
        apply_theme(app, LIGHT if current_theme(app) is DARK else DARK)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()
