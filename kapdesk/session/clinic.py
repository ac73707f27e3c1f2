"""The clinic's side of the record: clinicians, clients, the history of sittings and the course.

The start screen, the history and the course view reach the record only through
:class:`Clinic`; a sitting in progress goes through :class:`kapdesk.session.live.LiveSession`,
which :meth:`Clinic.open_session` makes. Errors leave as ``StoreError`` (the store has already
turned database and OS errors into one readable line).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from kapdesk.domain.clock import Clock
from kapdesk.domain.course import Course, build_course, session_item9
from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.info import ClientInfo, ClinicianInfo, OutcomeInfo, SessionInfo, SessionRecord
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.sign_in import EMERGENCY_NAME, SignInFacts, sign_in_choices, sign_in_facts
from kapdesk.domain.suicidality import Item9Answer
from kapdesk.domain.status import SessionStatus
from kapdesk.session.accounts import Accounts
from kapdesk.session.credentials import SHIPPED, Hasher
from kapdesk.session.live import LiveSession
from kapdesk.store.errors import StoreError
from kapdesk.store.repository import Store

# The entry kinds a course summary reads (doses, readings, scales): the rest need not be loaded.
COURSE_KINDS = (Kind.DOSE, Kind.VITALS, Kind.SCALE)


# Said when a sitting is started or resumed on the clinic server itself (the office view).
OFFICE_REFUSAL = ("this is the clinic server (the office view: history, course and exports). Run sittings in a "
                  "treatment room's KAPDesk: it keeps its own record and sends it here")


class Clinic:
    """One record (a SQLite file or the clinic server), as the app's screens use it.

    ``server`` is the room's link to the clinic server (:class:`kapdesk.session.server_link.ServerLink`)
    when one is configured, else None. ``is_server`` says the record *is* the clinic server (the
    office view), where sittings are not run.
    """

    def __init__(self, store: Store, clock: Clock, server: Any = None, hasher: Hasher = SHIPPED) -> None:
        self.store = store
        self.clock = clock
        # Who may open the record (sign-in, PINs, break glass); tests pass credentials.FAST.
        self.accounts = Accounts(store, lambda: clock.utcnow(), hasher)
        self.server = server
        self.server_problem: str | None = None  # a configured server that could not be used, in one line

    @property
    def is_server(self) -> bool:
        return self.store.engine.dialect.name == "postgresql"

    @property
    def location(self) -> str:
        """Where the record is, for the title bar (a file path, or a server URL without password)."""
        url = self.store.engine.url
        return url.database or "" if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)

    def audit_warning(self) -> str | None:
        """One line when the newest links of the audit trail do not hold (checked at each opening)."""
        from kapdesk.store.audit import tail_problem

        try:
            problem = tail_problem(self.store.engine)
        except Exception:  # noqa: BLE001 - a record too damaged to read says so when it is used
            return None
        if problem is None:
            return None
        return (f"The audit trail is broken ({problem}): the record may have been changed outside KAPDesk. "
                "Run `kapdesk audit verify` and tell the clinic's admin. Nothing was changed.")

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.store.close()

    # -- people -------------------------------------------------------------------------------------

    def clinicians(self) -> list[ClinicianInfo]:
        return self.store.clinicians()

    def sign_in_choices(self) -> list[ClinicianInfo]:
        """The clinicians who can sign in (active, with a password), for the sign-in and lock lists."""
        return sign_in_choices(self.store.clinicians())

    def sign_in_facts(self) -> SignInFacts:
        """The sign-in page's facts (first admin wanted, or who can sign in) from one read of the clinicians."""
        return sign_in_facts(self.store.clinicians())

    def emergency_clinician(self) -> ClinicianInfo:
        """The built-in author of a break-glass access (added, deactivated, the first time)."""
        found = next((c for c in self.store.clinicians() if c.name == EMERGENCY_NAME), None)
        if found is None:
            found = self.store.add_clinician(EMERGENCY_NAME, "therapist")
        if found.active:  # it must never appear in a sign-in list
            found = self.store.update_clinician(found.id, None, "kept for break glass only", active=False)
        return found

    def is_emergency(self, clinician: ClinicianInfo) -> bool:
        return clinician.name == EMERGENCY_NAME

    def clinician_named(self, name: str) -> ClinicianInfo:
        """The clinician of that name, added if new (tools and benches; the window signs in instead)."""
        existing = next((c for c in self.store.clinicians() if c.name == name.strip()), None)
        return existing or self.store.add_clinician(name)

    def clients(self) -> list[ClientInfo]:
        return self.store.clients()

    def client(self, client_id: uuid.UUID) -> ClientInfo:
        return self.store.client(client_id)

    def client_labelled(self, label: str, author_id: uuid.UUID) -> ClientInfo:
        """The client with that pseudonym, added if new."""
        existing = next((c for c in self.store.clients() if c.label == label.strip()), None)
        return existing or self.store.add_client(label, author_id)

    # -- sittings -----------------------------------------------------------------------------------

    def sessions(self, *, status: str | None = None, client_id: uuid.UUID | None = None,
                 limit: int = 200) -> list[SessionInfo]:
        return self.store.sessions(status=status, client_id=client_id, limit=limit)

    def session(self, session_id: uuid.UUID) -> SessionInfo:
        return self.store.session(session_id)

    def search_sessions(self, text: str = "", *, limit: int = 500) -> list[SessionInfo]:
        return self.store.search_sessions(text, limit=limit)

    def start_session(self, client_id: uuid.UUID, clinician_id: uuid.UUID, protocol: Protocol) -> SessionInfo:
        if self.is_server:
            raise StoreError(OFFICE_REFUSAL)
        return self.store.start_session(client_id, clinician_id, protocol)

    def open_session(self, session_id: uuid.UUID, clinician_id: uuid.UUID) -> LiveSession:
        """A sitting to run or to read. On the clinic server only an ended one opens: a sitting in
        progress there belongs to the room that runs it."""
        if self.is_server and self.store.session(session_id).status == SessionStatus.IN_PROGRESS:
            raise StoreError(OFFICE_REFUSAL)
        live = LiveSession(self.store, session_id, clinician_id, self.clock)
        if self.server is not None:
            live.changed.connect(self.server.kick)  # each commit is sent soon, not only at the interval
        return live

    def entries(self, session_id: uuid.UUID, kinds: Iterable[Kind] | None = None) -> list[EntryInfo]:
        return self.store.entries(session_id, kinds)

    def session_record(self, session_id: uuid.UUID) -> SessionRecord:
        return self.store.session_record(session_id)

    # -- the course and outcome measures ----------------------------------------------------------

    def outcomes(self, client_id: uuid.UUID) -> list[OutcomeInfo]:
        return self.store.outcomes(client_id)

    def add_outcome(self, client_id: uuid.UUID, measure: str, answers: dict[str, Any], total: int,
                    author_id: uuid.UUID, taken_on: date, session_id: uuid.UUID | None = None) -> OutcomeInfo:
        return self.store.add_outcome(client_id, measure, answers, total, author_id, taken_on, session_id)

    def item9_by_session(self, sessions: Iterable[SessionInfo]) -> dict[uuid.UUID, Item9Answer]:
        """The sessions among ``sessions`` whose PHQ-9 item 9 was above 0, with the strongest answer
        (``course.session_item9``: tied to the session or taken on its day without one). One read."""
        sessions = list(sessions)
        outcomes = self.store.outcomes_of_clients(s.client_id for s in sessions)
        by_client: dict[uuid.UUID, list[OutcomeInfo]] = {}
        for outcome in outcomes:
            by_client.setdefault(outcome.client_id, []).append(outcome)
        found = {s.id: session_item9(s, by_client.get(s.client_id, ())) for s in sessions}
        return {sid: answer for sid, answer in found.items() if answer is not None}

    def course(self, client_id: uuid.UUID, *, limit: int) -> tuple[list[SessionInfo], Course]:
        """The client's latest ``limit`` sittings and the course built from them."""
        sessions = self.store.sessions(client_id=client_id, limit=limit)
        pairs = [(s, self.store.entries(s.id, kinds=COURSE_KINDS)) for s in sessions]
        return sessions, build_course(pairs, self.store.outcomes(client_id))

    # -- exports ------------------------------------------------------------------------------------

    def export(self, session_id: uuid.UUID, fmt: str, out_path: Path | str,
               actor_id: uuid.UUID | None = None, **options: Any) -> Path:
        from kapdesk.session.exports import export_session

        return export_session(self.store, session_id, fmt, out_path, actor_id, **options)
