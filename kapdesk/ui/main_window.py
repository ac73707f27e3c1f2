"""The one window: the sign-in page, the start screen, then the session view of the sitting in progress.

Once the record is open nobody sees a client before signing in (``kapdesk.ui.sign_in``); the
signed-in clinician is the author of everything they record. The window locks (only the clock,
the reminders' times and the music stay: ``kapdesk.ui.lock_screen``) after the clinic's idle
minutes, on Ctrl+Shift+L and when the laptop wakes; locking hides, it never closes, so the
sitting and its music carry on beneath. Another clinician takes over with Ctrl+Shift+H (or by
unlocking): a hand-off entry says who, and how they signed in.

The window paints before the record is open. SQLAlchemy costs a few hundred milliseconds to
import, and a therapist should see the app answer the click straight away: the sign-in page
paints at once from a first look at the record (``show_preview``, from ``kapdesk.store.peek``),
and ``attach_clinic`` hands it the clinic a moment later. Where no such look is possible (an
encrypted record, a server, a schema to migrate) the start screen waits, disabled, instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QStackedWidget

from kapdesk.domain.protocols import Protocol, ProtocolError
from kapdesk.domain.status import SessionStatus
from kapdesk.session import StoreError
from kapdesk.ui import keymap
from kapdesk.ui.start_screen import StartScreen
from kapdesk.ui.theme import DARK, LIGHT, apply_theme, current_theme

if TYPE_CHECKING:
    import uuid

    from kapdesk.domain.clock import Clock
    from kapdesk.domain.info import ClientInfo, ClinicianInfo, EmergencyAccessInfo
    from kapdesk.domain.sign_in import SignInFacts
    from kapdesk.session import Clinic
    from kapdesk.session.accounts import SignedIn
    from kapdesk.ui.accounts_page import AccountsPage
    from kapdesk.ui.idle_lock import IdleWatch
    from kapdesk.ui.lock_screen import LockScreen
    from kapdesk.ui.session_view import SessionView
    from kapdesk.ui.sign_in import SignInPage


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
        self._audit_warning: str | None = None  # read once per opening of the record
        self._painted = False
        # Who is at the keyboard (None until signed in), and the pages of issue 10 (made with the record).
        self.clinician: ClinicianInfo | None = None
        self.sign_in_page: SignInPage | None = None
        self.lock_screen: LockScreen | None = None
        self.accounts_page: AccountsPage | None = None
        self.idle: IdleWatch | None = None
        self._before_lock = None
        self._music_pane = None
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
        self.start_screen.sign_out_requested.connect(self.sign_out)
        self.start_screen.accounts_requested.connect(self.show_accounts)
        self.start_screen.setEnabled(False)
        self.stack.addWidget(self.start_screen)
        self.session_view: SessionView | None = None
        for name, slot in (("app.theme", self.toggle_theme), ("app.full_screen", self.toggle_full_screen),
                           ("app.lock", lambda: self.lock("key"))):
            keymap.shortcuts(name, self, slot, Qt.ShortcutContext.ApplicationShortcut)
        self.statusBar().showMessage("Opening the record…")
        # The clinic server's state, quietly, at the right of the status line (kapdesk.sync).
        self.server_status = QLabel("")
        self.server_status.setObjectName("serverStatus")
        self.statusBar().addPermanentWidget(self.server_status)
        if clinic is not None:
            self.attach_clinic(clinic)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def show_preview(self, facts: SignInFacts) -> None:
        """Before the record is open: the sign-in page from a first look at it, ready for typing."""
        from kapdesk.ui.sign_in import SignInPage

        self.sign_in_page = SignInPage(None)
        self.sign_in_page.show_choices(facts)
        self.stack.addWidget(self.sign_in_page)
        self.stack.setCurrentWidget(self.sign_in_page)
        self.sign_in_page.focus_first()

    def signing_in_ready(self) -> bool:
        """The sign-in page is showing, its names listed: a clinician can type (the record may still be opening)."""
        return self.sign_in_page is not None and self.stack.currentWidget() is self.sign_in_page

    def attach_clinic(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self._show_location()
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
        self._watch_server(clinic)
        previewed = self.signing_in_ready()
        self._make_account_pages(clinic)
        if not previewed:
            self.show_sign_in()
        self.record_opened.emit()
        if previewed:  # last: an Enter that waited for the record signs in now, on a window that is whole
            self.sign_in_page.attach(clinic)

    def _watch_server(self, clinic: Clinic) -> None:
        """The room's link to the clinic server, in the status line; started here, with the window."""
        if clinic.is_server:
            self.show_server_status("office view: the clinic server (sittings run in the rooms)")
        elif clinic.server is not None:
            # Queued: the replicator reports from its own thread; widgets change on this one.
            clinic.server.changed.connect(self.show_server_status, Qt.ConnectionType.QueuedConnection)
            self.show_server_status(clinic.server.text)
            clinic.server.start()
        elif clinic.server_problem:
            self.show_server_status(f"server: not used ({clinic.server_problem})")

    def show_server_status(self, text: str) -> None:
        """"server: up to date" / "server: 3 waiting" / "server: offline since 10:42" …"""
        self.server_status.setText(text)

    def _make_account_pages(self, clinic: Clinic) -> None:
        from kapdesk.ui.accounts_page import AccountsPage
        from kapdesk.ui.idle_lock import IdleWatch
        from kapdesk.ui.lock_screen import LockScreen
        from kapdesk.ui.sign_in import SignInPage

        if self.sign_in_page is None:
            self.sign_in_page = SignInPage(clinic)
            self.stack.addWidget(self.sign_in_page)
        self.sign_in_page.signed_in.connect(lambda signed: self.enter_as(signed.clinician))
        self.sign_in_page.emergency.connect(self._broke_glass)
        self.lock_screen = LockScreen(clinic)
        self.lock_screen.unlocked.connect(lambda signed: self.unlock(signed.clinician, signed.by))
        self.lock_screen.emergency.connect(self._broke_glass)
        self.accounts_page = AccountsPage(clinic)
        self.accounts_page.closed.connect(self.show_start)
        for page in (self.lock_screen, self.accounts_page):
            self.stack.addWidget(page)
        minutes = self.clinic_settings.idle_lock_minutes
        self.idle = IdleWatch(self.clock, minutes, parent=self)
        self.idle.idle.connect(lambda: self.lock("idle"))
        self.idle.resumed.connect(lambda: self.lock("resume"))

    def show_fatal(self, message: str) -> None:
        """The record cannot be used: say so in the window itself (no modal box over a session)."""
        self.start_screen.setEnabled(False)
        self.stack.setCurrentWidget(self.start_screen)  # not the sign-in page painted from a first look
        self.start_screen.show_message(f"KAPDesk cannot open the record: {message}")
        self.statusBar().showMessage("Close this window to quit.")

    # -- who is at the keyboard ---------------------------------------------------------------
    def show_sign_in(self) -> None:
        self.clinician = None
        self.idle.stop()
        self.sign_in_page.refresh()
        self.stack.setCurrentWidget(self.sign_in_page)
        self.sign_in_page.focus_first()

    def enter_as(self, clinician: ClinicianInfo) -> None:
        """``clinician`` has signed in: they are the author of what follows."""
        self.clinician = clinician
        self.idle.start()
        self.show_start()

    def _broke_glass(self, access: EmergencyAccessInfo) -> None:
        """Break glass: what follows is authored by the built-in "Emergency access" (never by a
        clinician who did not sign in), and the access stays on the start screen until reviewed."""
        try:
            emergency = self.clinic.emergency_clinician()
        except StoreError as exc:
            self.statusBar().showMessage(f"Emergency access not opened: {exc}")
            return
        if self.stack.currentWidget() is self.lock_screen:
            self.unlock(emergency, "emergency")
        else:
            self.enter_as(emergency)

    def sign_out(self) -> None:
        """Back to the sign-in page; never over a sitting (the start screen has none open)."""
        if self.clinician is None or self.session_view is not None:
            return
        try:
            self.clinic.accounts.record_sign_out(self.clinician.id)
        except StoreError:
            pass  # signing out only hides: it must never fail
        self.show_sign_in()

    def show_accounts(self) -> None:
        if self.clinician is None:
            return
        self.accounts_page.show_for(self.clinician)
        self.stack.setCurrentWidget(self.accounts_page)
        self.accounts_page.focus_first()

    def lock(self, why: str) -> None:
        """Hide everything but the room's clock, reminders and music; audited with ``why``
        (idle, key, resume). The pages beneath keep running; nothing is closed."""
        current = self.stack.currentWidget()
        if self.clinician is None or current in (self.lock_screen, self.sign_in_page):
            return
        self._before_lock = current
        live = self.session_view.live if self.session_view is not None and current is self.session_view else None
        self.lock_screen.show_locked(live, self._music_pane if live is not None else None,
                                     self.clinic.sign_in_choices(), self.clinician.id)
        self.stack.setCurrentWidget(self.lock_screen)
        self.statusBar().showMessage("Locked")  # an export's file name would name the client
        self.lock_screen.focus_first()
        try:
            self.clinic.accounts.record_lock(self.clinician.id, why, live.id if live is not None else None)
        except StoreError as exc:
            self.statusBar().showMessage(f"Locked (the lock is not in the audit trail: {exc})")

    @property
    def locked(self) -> bool:
        return self.lock_screen is not None and self.stack.currentWidget() is self.lock_screen

    def unlock(self, clinician: ClinicianInfo, by: str) -> None:
        """Back to the page beneath. Another clinician unlocking a sitting is a hand-off (an entry)."""
        before, self._before_lock = self._before_lock, None
        self.lock_screen.release()
        changed = clinician.id != self.clinician.id
        self.clinician = clinician
        self.idle.start()
        self._show_location()
        if before is self.session_view and self.session_view is not None:
            self.stack.setCurrentWidget(self.session_view)
            if clinician.id != self.session_view.live.clinician_id:
                self._hand_over(self.session_view, clinician, by)
            self.session_view.setFocus()
        elif before is self.accounts_page and not changed:
            self.stack.setCurrentWidget(self.accounts_page)
            self.accounts_page.focus_first()
        else:
            self.show_start()

    def _hand_over(self, view: SessionView, clinician: ClinicianInfo, by: str) -> None:
        if view.live.ended:  # a past session looked at: no hand-off entry; an addendum is the new one's
            view.live.clinician_id = clinician.id
            self.clinician = clinician
            view.say(f"{clinician.name} is now signed in (the session has ended: no hand-off entry).")
            return
        try:
            view.live.hand_over(clinician, by)
        except StoreError as exc:
            view.say(f"Hand-off not saved: {exc}. Entries stay under the clinician before.", error=True)
            return
        self.clinician = clinician
        view.say(f"Hand-off saved: {clinician.name} is now the acting clinician (what follows is theirs).")

    def _handed(self, view: SessionView, signed: SignedIn) -> None:
        self._hand_over(view, signed.clinician, signed.by)
        view.setFocus()

    def _show_location(self) -> None:
        self.statusBar().showMessage(f"Record: {self.clinic.location}   ·   {keymap.key('app.theme')} light/dark   ·   "
                                     f"{keymap.key('app.full_screen')} full screen   ·   {keymap.key('app.lock')} lock")

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
            self._music_pane = None
        if self.clinician is None:
            self.show_sign_in()
            return
        if self._audit_warning is None:
            self._audit_warning = self.clinic.audit_warning() or ""
        # The office view offers no resuming: a sitting in progress belongs to the room running it.
        in_progress = [] if self.clinic.is_server else self.clinic.sessions(status=SessionStatus.IN_PROGRESS)
        self.start_screen.populate(
            self.clinician.name,
            [c.label for c in self.clinic.clients()],
            in_progress,
            self.clinic.accounts.open_emergency_accesses(),
        )
        if self._audit_warning:
            self.start_screen.show_message(self._audit_warning)
        self.history.run_search()
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
        self._music_pane = MusicPane(self._music, shortcut_scope=view)
        view.set_side(self._music_pane)
        self._add_handoff(view)
        self.session_view = view
        self.stack.addWidget(view)
        self.stack.setCurrentWidget(view)
        view.setFocus()
        return view

    def _add_handoff(self, view: SessionView) -> None:
        """The inline hand-off line (Ctrl+Shift+H): another clinician signs in over the acting one."""
        from kapdesk.ui.credential_forms import HandoffPanel

        panel = HandoffPanel(self.clinic)
        panel.handed.connect(lambda signed: self._handed(view, signed))
        view.add_panel(panel)
        keymap.shortcuts("session.handoff", view, lambda: panel.ask(self.clinic.sign_in_choices(),
                                                                    view.live.clinician_id, view.live.id))
        view.handoff = panel

    # -- start-screen requests --------------------------------------------------------------
    def start_session(self, client_label: str, protocol_id: str) -> None:
        protocol = self.protocols.get(protocol_id)
        if protocol is None:
            self.start_screen.show_message("Pick a protocol first (no protocol file loaded).")
            return
        clinician = self.clinician
        if clinician is None:
            return
        try:
            client = self._client(client_label, clinician.id)
            info = self.clinic.start_session(client.id, clinician.id, protocol)
        except StoreError as exc:
            self.start_screen.show_message(f"Not started: {exc}.")
            return
        self.start_screen.show_message("")
        self.start_screen.client.setCurrentText("")
        self.show_session(info.id, clinician.id)

    def resume_session(self, session_id: uuid.UUID) -> None:
        """The signed-in clinician carries on the sitting (whoever started it)."""
        if self.clinician is None:
            return
        try:
            view = self.show_session(session_id, self.clinician.id)
            view.live.continue_as(self.clinician)  # another clinician resuming is a hand-off, recorded
        except StoreError as exc:
            self.start_screen.show_message(f"Not resumed: {exc}.")

    def open_session(self, session_id: uuid.UUID) -> None:
        """A past session opens as the signed-in clinician's: an addendum is theirs, not the author's."""
        self.resume_session(session_id)

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
            path = self.clinic.export(session_id, fmt, folder / name, self.clinician.id if self.clinician else None)
        except (StoreError, OSError) as exc:
            self.statusBar().showMessage(f"Not exported: {exc}")
            return
        self.statusBar().showMessage(f"Exported {fmt.upper()} to {path}: an unencrypted copy, readable only by you")

    # -- window -------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Quitting: save the note's last words and stop the music (the stop is recorded)."""
        if self.idle is not None:
            self.idle.close()
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
