"""The store's one door: every user action is one short transaction, committed before it returns.

The UI shows an action as saved only after these methods return, so what the screen says was
saved is on disk (WAL + synchronous=FULL). Results are plain frozen dataclasses: no ORM object
leaves this module, so nothing in the UI can lazy-load or flush by accident.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, Text, event, func, insert, select, text, type_coerce
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from kapdesk.domain.clock import SessionFacts
from kapdesk.domain.entries import (
    READING_KINDS, DoseTime, EntryInfo, Kind, Payload, PhaseEntered, PhaseExtended, SessionEnded, SessionStarted,
    Unreadable, decode, encode,
)
from kapdesk.domain.record import session_facts
from kapdesk.domain.rems import RemsHistory, is_esketamine, rems_history
from kapdesk.domain.info import (
    AddendumInfo, AuditInfo, ClientInfo, ClinicianInfo, EmergencyAccessInfo, NoteInfo, OutcomeInfo, SessionInfo,
    SessionRecord,
)
from kapdesk.domain.protocols import Protocol, protocol_from_dict, protocol_to_dict
from kapdesk.store.chain import GENESIS, entry_digest, event_digest, outcome_digest
from kapdesk.store.engine import StoreError, open_engine
from kapdesk.store.errors import AppendOnlyError, ConstraintError, EntryError, NoteLockedError, readable_error
from kapdesk.domain.status import SessionStatus
from kapdesk.domain.notes import addendum_hash, clean_sections, content_hash
from kapdesk.store.models import (
    SCHEMA_HEAD, AuditEvent, Client, Clinician, EmergencyAccess, Entry, IntegrationNote, NoteAddendum, OutcomeMeasure,
    SecuritySetting, Session,
)

UTC = timezone.utc

# The PostgreSQL advisory lock that serialises appends to the server's audit chain ("KAPD").
AUDIT_CHAIN_LOCK = 0x4B415044

# A clinician may be a little ahead of the laptop's clock; more than this is a typo.
FUTURE_TOLERANCE = timedelta(minutes=1)


def _refuse_entry_changes(session: OrmSession, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Entry):
            raise AppendOnlyError("entries are append-only: record a correction that supersedes the entry instead")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _RecordMixin:
    """Notes, addenda, outcome measures, history and the audit trail (issue 5's part of the store)."""

    # -- integration note -----------------------------------------------------------------------
    def note(self: Store, session_id: uuid.UUID) -> NoteInfo | None:
        with self._sessions() as orm:
            row = orm.scalar(select(IntegrationNote).where(IntegrationNote.session_id == session_id))
            return _note_info(orm, row) if row else None

    def save_note_draft(self: Store, session_id: uuid.UUID, sections: dict[str, str], author_id: uuid.UUID) -> NoteInfo:
        """Autosave: create the draft or overwrite it in place (drafts are not the record; the signature is)."""
        sections = clean_sections(sections)
        with self._transaction() as orm:
            self._session_row(orm, session_id)
            now = self.now()
            row = orm.scalar(select(IntegrationNote).where(IntegrationNote.session_id == session_id))
            if row is None:
                row = IntegrationNote(session_id=session_id, sections=sections, created_at=now, saved_at=now, saved_by=author_id)
                orm.add(row)
                orm.flush()
                self._audit(orm, author_id, "created", "integration_note", row.id, {"session": str(session_id)})
            elif row.signed_at is not None:
                raise NoteLockedError("the integration note is signed and locked: add a signed addendum instead")
            else:
                row.sections, row.saved_at, row.saved_by = sections, now, author_id
            orm.flush()
            return _note_info(orm, row)

    def sign_note(self: Store, session_id: uuid.UUID, author_id: uuid.UUID) -> NoteInfo:
        with self._transaction() as orm:
            row = orm.scalar(select(IntegrationNote).where(IntegrationNote.session_id == session_id))
            if row is None:
                raise EntryError("there is no integration note to sign yet")
            if row.signed_at is not None:
                raise NoteLockedError("the integration note is already signed")
            if not any(text.strip() for text in row.sections.values()):
                raise EntryError("the integration note is empty: write something before signing")
            now = self.now()
            signer = self._author_name(orm, author_id)
            row.signed_at, row.signed_by = now, author_id
            row.content_hash = content_hash(str(session_id), row.sections, signer, now)
            orm.flush()
            self._audit(orm, author_id, "signed", "integration_note", row.id, {"hash": row.content_hash})
            return _note_info(orm, row)

    def add_addendum(self: Store, session_id: uuid.UUID, text: str, author_id: uuid.UUID) -> AddendumInfo:
        text = _required(text, "addendum")
        with self._transaction() as orm:
            note = orm.scalar(select(IntegrationNote).where(IntegrationNote.session_id == session_id))
            if note is None or note.signed_at is None:
                raise EntryError("addenda follow a signed note: edit the draft instead")
            now = self.now()
            author = self._author_name(orm, author_id)
            row = NoteAddendum(note_id=note.id, text=text, author_id=author_id, signed_at=now,
                               content_hash=addendum_hash(note.content_hash or "", text, author, now))
            orm.add(row)
            orm.flush()
            self._audit(orm, author_id, "signed", "note_addendum", row.id, {"note": str(note.id), "hash": row.content_hash})
            return AddendumInfo(row.id, row.text, author, row.signed_at, row.content_hash)

    def addenda(self: Store, session_id: uuid.UUID) -> list[AddendumInfo]:
        with self._sessions() as orm:
            rows = orm.execute(
                select(NoteAddendum, Clinician.name).join(IntegrationNote, NoteAddendum.note_id == IntegrationNote.id)
                .join(Clinician, NoteAddendum.author_id == Clinician.id)
                .where(IntegrationNote.session_id == session_id).order_by(NoteAddendum.signed_at)
            )
            return [AddendumInfo(a.id, a.text, name, a.signed_at, a.content_hash) for a, name in rows]

    # -- outcome measures -----------------------------------------------------------------------
    def add_outcome(self: Store, client_id: uuid.UUID, measure: str, answers: dict[str, Any], total: int,
                    author_id: uuid.UUID, taken_on: date, session_id: uuid.UUID | None = None) -> OutcomeInfo:
        if taken_on > self.now().date():
            raise EntryError(f"the date {taken_on.isoformat()} is in the future")
        with self._transaction() as orm:
            row = OutcomeMeasure(client_id=client_id, session_id=session_id, measure=measure, taken_on=taken_on,
                                 answers=answers, total=total, author_id=author_id, recorded_at=self.now())
            orm.add(row)
            orm.flush()
            digest = outcome_digest(id=row.id, client_id=client_id, session_id=session_id, measure=measure,
                                    taken_on=taken_on, answers=answers, total=total, author_id=author_id,
                                    recorded_at=row.recorded_at)
            self._audit(orm, author_id, "created", "outcome_measure", row.id,
                        {"hash": digest, "client": str(client_id), "measure": measure})
            return _outcome_info(row, self._author_name(orm, author_id))

    def outcomes(self: Store, client_id: uuid.UUID) -> list[OutcomeInfo]:
        with self._sessions() as orm:
            rows = orm.execute(
                select(OutcomeMeasure, Clinician.name).join(Clinician, OutcomeMeasure.author_id == Clinician.id)
                .where(OutcomeMeasure.client_id == client_id).order_by(OutcomeMeasure.taken_on, OutcomeMeasure.recorded_at)
            )
            return [_outcome_info(row, name) for row, name in rows]

    def outcomes_of_clients(self: Store, client_ids: Iterable[uuid.UUID]) -> list[OutcomeInfo]:
        """The outcomes of several clients in one read (a page of the history list), in the order of :meth:`outcomes`."""
        ids = list(dict.fromkeys(client_ids))
        if not ids:
            return []
        o = OutcomeMeasure
        with self._sessions() as orm:  # plain rows, not ORM objects: a page of the history list reads this
            rows = orm.execute(
                select(o.id, o.client_id, o.session_id, o.measure, o.taken_on, o.answers, o.total, Clinician.name)
                .join(Clinician, o.author_id == Clinician.id)
                .where(o.client_id.in_(ids)).order_by(o.taken_on, o.recorded_at)
            )
            return [OutcomeInfo(r.id, r.client_id, r.session_id, r.measure, r.taken_on, dict(r.answers), r.total, r.name)
                    for r in rows]

    # -- history --------------------------------------------------------------------------------
    def client(self: Store, client_id: uuid.UUID) -> ClientInfo:
        with self._sessions() as orm:
            row = orm.get(Client, client_id)
            if row is None:
                raise EntryError(f"no client with id {client_id}")
            return _client(row)

    def search_sessions(self: Store, text: str = "", *, limit: int = 500) -> list[SessionInfo]:
        """Newest first; ``text`` matches the client's label, the protocol or the clinician."""
        query = _SESSION_ROWS.order_by(Session.arrival_at.desc()).limit(limit)
        if text.strip():
            like = f"%{text.strip()}%"
            query = query.where(Client.label.ilike(like) | Session.protocol_id.ilike(like) | Clinician.name.ilike(like))
        with self._sessions() as orm:
            return [_session_info_of_row(row) for row in orm.execute(query)]

    def session_record(self: Store, session_id: uuid.UUID) -> SessionRecord:
        info = self.session(session_id)
        return SessionRecord(
            info=info,
            client=self.client(info.client_id),
            entries=self.entries(session_id),
            note=self.note(session_id),
            addenda=self.addenda(session_id),
            outcomes=[o for o in self.outcomes(info.client_id) if o.session_id == session_id],
            rems=self.rems_history(session_id, info) if is_esketamine(info.protocol.drug) else None,
        )

    def rems_history(self: Store, session_id: uuid.UUID, info: SessionInfo | None = None) -> RemsHistory:
        """What the client's sittings up to this one say for its REMS form: earlier dosed esketamine
        sittings and the ``rems_patient`` answers (asked once per client, read by every later sitting)."""
        info = info or self.session(session_id)
        sittings = [s for s in self.sessions(client_id=info.client_id, limit=100_000) if s.arrival_at <= info.arrival_at]
        return rems_history(info.id, info.arrival_at, (
            (s.id, s.arrival_at, s.protocol.drug, s.dose_at, self.entries(s.id, kinds=(Kind.DOSE, Kind.REMS_PATIENT)))
            for s in sittings))

    # -- audit ----------------------------------------------------------------------------------
    def record_export(self: Store, session_id: uuid.UUID, actor_id: uuid.UUID | None, fmt: str, path: str) -> None:
        with self._transaction() as orm:
            self._audit(orm, actor_id, "exported", "session", session_id, {"format": fmt, "path": path})

    def audit_events(self: Store, object_id: uuid.UUID | None = None) -> list[AuditInfo]:
        query = select(AuditEvent, Clinician.name).outerjoin(Clinician, AuditEvent.actor_id == Clinician.id).order_by(AuditEvent.at)
        if object_id is not None:
            query = query.where(AuditEvent.object_id == str(object_id))
        with self._sessions() as orm:
            return [AuditInfo(a.at, name, a.action, a.object_type, a.object_id, dict(a.detail)) for a, name in orm.execute(query)]

    def _audit(self: Store, orm: OrmSession, actor_id: uuid.UUID | None, action: str, object_type: str,
               object_id: uuid.UUID | str, detail: dict[str, Any]) -> None:
        """Append one event to the hash chain (kapdesk.store.chain), in the caller's transaction.

        ``seq`` is unique: two writers that read the same tail cannot both commit, so the chain
        never forks (the loser's whole action is rolled back and reported, never half-saved).
        """
        if "audit_tail" not in orm.info and orm.get_bind().dialect.name == "postgresql":
            # The clinic server has many writers (rooms pushing, the office): they take turns at
            # the chain's tail rather than lose an action to the unique ``seq`` (kapdesk.sync too).
            orm.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})
        tail = orm.info.get("audit_tail") or self._chain_tail(orm)
        values = self._event_values(tail, actor_id, action, object_type, object_id, detail)
        # Core, on the session's own connection and transaction: an append needs none of the
        # ORM's bulk-insert machinery (about a third of a vitals entry's Python time; issue 12).
        _append_row(orm, _AUDIT_INSERT, values)
        orm.info["audit_tail"] = (values["seq"], values["hash"])

    def _event_values(self: Store, tail: tuple[int, str], actor_id: uuid.UUID | None, action: str, object_type: str,
                      object_id: uuid.UUID | str, detail: dict[str, Any]) -> dict[str, Any]:
        """The next event's row after ``tail`` (the last event's seq and hash), its own hash included."""
        seq, prev = tail
        values = {"id": uuid.uuid4(), "seq": seq + 1, "prev_hash": prev, "at": self.now(), "actor_id": actor_id,
                  "action": action, "object_type": object_type, "object_id": str(object_id), "detail": detail}
        values["hash"] = event_digest(**values)
        return values

    @staticmethod
    def _chain_tail(orm: OrmSession) -> tuple[int, str]:
        connection = orm.connection()
        if connection.dialect.paramstyle == "qmark":  # SQLite: the plain text, no compiling per call
            last = connection.exec_driver_sql(_CHAIN_TAIL_SQL).first()
        else:
            last = connection.execute(_CHAIN_TAIL).first()
        return (last.seq, last.hash) if last is not None else (0, GENESIS)


class Store(_RecordMixin):
    def __init__(self, engine: Engine, now: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.now = now
        self._make_session = sessionmaker(engine, expire_on_commit=False)
        self._names: dict[uuid.UUID, str] = {}
        self._arrivals: dict[uuid.UUID, datetime] = {}
        self._direct = engine.dialect.name == "sqlite"  # entries may take _append_direct
        event.listen(self._make_session, "before_flush", _refuse_entry_changes)

    @classmethod
    def open(cls, target: str, now: Callable[[], datetime] = _utcnow) -> Store:
        engine = open_engine(target)
        try:
            if _schema_revision(engine) != SCHEMA_HEAD:
                # Alembic is imported only when there is work for it: it costs ~0.2 s of start-up.
                from kapdesk.store.migrate import migrate

                migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            where = engine.url.render_as_string(hide_password=True) if "://" in target else target
            raise StoreError(f"cannot open {where}: {readable_error(exc)}") from exc
        except Exception:
            engine.dispose()
            raise
        return cls(engine, now)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _sessions(self) -> Iterator[OrmSession]:
        """An ORM session whose database and OS errors leave as :class:`StoreError` (readable)."""
        with _readable_errors(self.engine), self._make_session() as orm:
            yield orm

    @contextmanager
    def _transaction(self) -> Iterator[OrmSession]:
        """One short transaction: committed on success, rolled back (nothing half-saved) on error."""
        with self._sessions() as orm, orm.begin():
            yield orm

    # -- people ---------------------------------------------------------------------------------
    def clinicians(self) -> list[ClinicianInfo]:
        with self._sessions() as orm:
            return [_clinician(c) for c in orm.scalars(select(Clinician).order_by(Clinician.name))]

    def add_clinician(self, name: str, role: str = "therapist", *, password_hash: str | None = None,
                      actor_id: uuid.UUID | None = None) -> ClinicianInfo:
        name = _required(name, "clinician name")
        try:
            with self._transaction() as orm:
                row = Clinician(name=name, role=role, created_at=self.now(), password_hash=password_hash)
                orm.add(row)
                orm.flush()
                self._audit(orm, actor_id, "created", "clinician", row.id, {"name": name, "role": role})
                return _clinician(row)
        except ConstraintError:
            raise EntryError(f"a clinician named {name!r} already exists") from None

    # -- accounts (kapdesk.session.accounts decides; the store keeps and audits) ----------------
    def clinician_secrets(self, clinician_id: uuid.UUID) -> tuple[str | None, str | None]:
        """The stored (password, PIN) hashes of one clinician; never leaves kapdesk.session."""
        with self._sessions() as orm:
            row = orm.get(Clinician, clinician_id)
            if row is None:
                raise EntryError("unknown clinician")
            return row.password_hash, row.pin_hash

    def update_clinician(self, clinician_id: uuid.UUID, actor_id: uuid.UUID | None, action: str, *,
                         active: bool | None = None, role: str | None = None, password_hash: str | None = None,
                         pin_hash: str | None = None) -> ClinicianInfo:
        """Change one account and audit it as ``action`` (the hashes themselves are never audited)."""
        with self._transaction() as orm:
            row = orm.get(Clinician, clinician_id)
            if row is None:
                raise EntryError("unknown clinician")
            changed = {}
            if active is not None:
                row.active, changed["active"] = active, active
            if role is not None:
                row.role, changed["role"] = role, role
            if password_hash is not None:
                row.password_hash, changed["password"] = password_hash, "set"
            if pin_hash is not None:
                row.pin_hash, changed["pin"] = pin_hash, "set"
            orm.flush()
            self._audit(orm, actor_id, action, "clinician", row.id, changed)
            return _clinician(row)

    def record_event(self, actor_id: uuid.UUID | None, action: str, object_type: str, object_id: uuid.UUID | str,
                     detail: dict[str, Any] | None = None) -> None:
        """An audit event of its own (sign-in, failed sign-in, lock, unlock, hand-off …)."""
        with self._transaction() as orm:
            self._audit(orm, actor_id, action, object_type, object_id, detail or {})

    def failed_sign_ins(self, clinician_id: uuid.UUID) -> tuple[int, datetime | None]:
        """Failed sign-ins of one clinician since their last successful one, and when the latest failed."""
        return self.failed_tries("clinician", str(clinician_id),
                                 resets=("signed in", "unlocked", "hand-off", "password reset"))

    def failed_tries(self, object_type: str, object_id: str | None, *, resets: tuple[str, ...]
                     ) -> tuple[int, datetime | None]:
        """Consecutive "sign-in failed" events about one object (any of ``object_type`` when
        ``object_id`` is None) since the last of the ``resets`` actions, and when the latest failed."""
        query = select(AuditEvent.action, AuditEvent.at).where(
            AuditEvent.object_type == object_type, AuditEvent.action.in_(("sign-in failed", *resets)))
        if object_id is not None:
            query = query.where(AuditEvent.object_id == object_id)
        with self._sessions() as orm:
            rows = orm.execute(query.order_by(AuditEvent.seq.desc()).limit(64)).all()
        count = 0
        for action, _ in rows:
            if action != "sign-in failed":
                break
            count += 1
        return count, rows[0].at if count else None

    def security_setting(self, key: str) -> str | None:
        with self._sessions() as orm:
            row = orm.get(SecuritySetting, key)
            return row.value if row else None

    def set_security_setting(self, key: str, value: str, actor_id: uuid.UUID, *, secret: bool = False) -> None:
        with self._transaction() as orm:
            row = orm.get(SecuritySetting, key)
            if row is None:
                orm.add(SecuritySetting(key=key, value=value, changed_at=self.now(), changed_by=actor_id))
            else:
                row.value, row.changed_at, row.changed_by = value, self.now(), actor_id
            self._audit(orm, actor_id, "settings changed", "security_setting", key,
                        {"value": "(secret)" if secret else value})

    def add_emergency_access(self, reason: str) -> EmergencyAccessInfo:
        reason = _required(reason, "reason")
        with self._transaction() as orm:
            row = EmergencyAccess(id=uuid.uuid4(), at=self.now(), reason=reason)
            orm.add(row)
            orm.flush()
            self._audit(orm, None, "break glass", "emergency_access", row.id, {"reason": reason})
            return EmergencyAccessInfo(row.id, row.at, row.reason)

    def emergency_accesses(self, *, open_only: bool = True) -> list[EmergencyAccessInfo]:
        query = select(EmergencyAccess).order_by(EmergencyAccess.at)
        if open_only:
            query = query.where(EmergencyAccess.reviewed_at.is_(None))
        with self._sessions() as orm:
            names = {c.id: c.name for c in orm.scalars(select(Clinician))}
            return [EmergencyAccessInfo(r.id, r.at, r.reason, r.reviewed_at, names.get(r.reviewed_by))
                    for r in orm.scalars(query)]

    def review_emergency_access(self, access_id: uuid.UUID, admin_id: uuid.UUID) -> None:
        with self._transaction() as orm:
            row = orm.get(EmergencyAccess, access_id)
            if row is None:
                raise EntryError("no such emergency access")
            row.reviewed_at, row.reviewed_by = self.now(), admin_id
            self._audit(orm, admin_id, "reviewed", "emergency_access", row.id, {})

    def clients(self) -> list[ClientInfo]:
        with self._sessions() as orm:
            return [_client(c) for c in orm.scalars(select(Client).order_by(Client.label))]

    def add_client(self, label: str, author_id: uuid.UUID, date_of_birth: date | None = None) -> ClientInfo:
        label = _required(label, "client label")
        if date_of_birth is not None and date_of_birth > self.now().date():
            raise EntryError(f"date of birth {date_of_birth.isoformat()} is in the future")
        try:
            with self._transaction() as orm:
                row = Client(label=label, date_of_birth=date_of_birth, created_at=self.now(), created_by=author_id)
                orm.add(row)
                orm.flush()
                self._audit(orm, author_id, "created", "client", row.id, {})
                return _client(row)
        except ConstraintError:
            raise EntryError(f"a client labelled {label!r} already exists: pick it from the list") from None

    # -- sessions -------------------------------------------------------------------------------
    def start_session(self, client_id: uuid.UUID, clinician_id: uuid.UUID, protocol: Protocol) -> SessionInfo:
        with self._transaction() as orm:
            busy = orm.scalar(
                select(Session.id).where(Session.client_id == client_id, Session.status == SessionStatus.IN_PROGRESS)
            )
            if busy is not None:
                raise EntryError("this client already has a session in progress: resume it instead")
            now = self.now()
            row = Session(
                client_id=client_id,
                clinician_id=clinician_id,
                protocol_id=protocol.id,
                protocol=protocol_to_dict(protocol),
                status=SessionStatus.IN_PROGRESS,
                arrival_at=now,
                created_at=now,
            )
            orm.add(row)
            orm.flush()
            self._audit(orm, clinician_id, "created", "session", row.id, {"protocol": protocol.id})
            self._append(orm, row.id, clinician_id, now, SessionStarted(protocol.id))
            self._append(orm, row.id, clinician_id, now, _phase_entered(protocol, 0))
            orm.flush()
            return _session_info(row)

    def session(self, session_id: uuid.UUID) -> SessionInfo:
        with self._sessions() as orm:
            return _session_info(self._session_row(orm, session_id))

    def sessions(self, *, status: str | None = None, client_id: uuid.UUID | None = None, limit: int = 200) -> list[SessionInfo]:
        """Newest first."""
        query = _SESSION_ROWS.order_by(Session.arrival_at.desc()).limit(limit)
        if status is not None:
            query = query.where(Session.status == status)
        if client_id is not None:
            query = query.where(Session.client_id == client_id)
        with self._sessions() as orm:
            return [_session_info_of_row(row) for row in orm.execute(query)]

    def mark_dose(self, session_id: uuid.UUID, author_id: uuid.UUID) -> SessionInfo:
        """Record T0. Reaching the dosing phase is implied: earlier phases end here."""
        with self._transaction() as orm:
            row = self._live_session(orm, session_id)
            if row.dose_at is not None:
                raise EntryError("the dose time is already marked; record a correction to change it")
            now = self.now()
            row.dose_at = now
            protocol = protocol_from_dict(row.protocol)
            behind = self._phase_index(orm, row.id) < protocol.dose_phase_index
            self._append(orm, row.id, author_id, now, DoseTime())
            if behind:
                self._append(orm, row.id, author_id, now, _phase_entered(protocol, protocol.dose_phase_index))
            orm.flush()
            return _session_info(row)

    def advance_phase(self, session_id: uuid.UUID, author_id: uuid.UUID) -> int:
        """Move to the next phase now; returns its index."""
        with self._transaction() as orm:
            row = self._live_session(orm, session_id)
            protocol = protocol_from_dict(row.protocol)
            index = self._phase_index(orm, row.id) + 1
            if index >= len(protocol.phases):
                raise EntryError("this is the last phase: end the session instead")
            self._append(orm, row.id, author_id, self.now(), _phase_entered(protocol, index))
            return index

    def extend_phase(self, session_id: uuid.UUID, author_id: uuid.UUID, minutes: int) -> None:
        if not 1 <= minutes <= 120:
            raise EntryError(f"an extension of {minutes} min is not possible: use 1 to 120")
        with self._transaction() as orm:
            row = self._live_session(orm, session_id)
            index = self._phase_index(orm, row.id)
            self._append(orm, row.id, author_id, self.now(), PhaseExtended(index, minutes))

    def end_session(self, session_id: uuid.UUID, author_id: uuid.UUID) -> SessionInfo:
        with self._transaction() as orm:
            row = self._live_session(orm, session_id)
            now = self.now()
            row.ended_at = now
            row.status = SessionStatus.ENDED
            self._append(orm, row.id, author_id, now, SessionEnded())
            self._audit(orm, author_id, "ended", "session", row.id, {})
            orm.flush()
            return _session_info(row)

    # -- entries --------------------------------------------------------------------------------
    def add_entry(
        self,
        session_id: uuid.UUID,
        data: Payload,
        author_id: uuid.UUID,
        *,
        occurred_at: datetime | None = None,
        supersedes: uuid.UUID | None = None,
        note: str | None = None,
    ) -> EntryInfo:
        """Append one entry (a correction when ``supersedes`` names the entry it replaces)."""
        if isinstance(data, Unreadable):
            raise EntryError(f"an entry this build cannot read ({data.problem}) cannot be recorded again")
        kind = encode(data)[0]
        now = self.now()
        occurred_at = occurred_at or now
        arrival = self._arrivals.get(session_id)
        if supersedes is None and arrival is not None and author_id in self._names and self._direct:
            # The keystroke path (every reading and observation): see _append_direct.
            _check_entry_time(occurred_at, now, arrival)
            values = self._append_direct(session_id, author_id, occurred_at, data, note)
            author = self._names[author_id]
        else:
            with self._transaction() as orm:
                _check_entry_time(occurred_at, now, self._arrival(orm, session_id))
                if supersedes is not None:
                    old = orm.get(Entry, supersedes)
                    if old is None or old.session_id != session_id or old.kind != kind.value:
                        raise EntryError("the entry to correct does not belong to this session")
                    if orm.scalar(select(Entry.id).where(Entry.supersedes_id == supersedes)) is not None:
                        raise EntryError("that entry was already corrected: correct the newest version")
                values = self._append(orm, session_id, author_id, occurred_at, data, supersedes=supersedes, note=note)
                author = self._author_name(orm, author_id)
        return EntryInfo(
            id=values["id"], session_id=session_id, kind=kind, occurred_at=occurred_at, recorded_at=values["recorded_at"],
            author_id=author_id, author_name=author, data=data, supersedes_id=supersedes, note=note,
        )

    def entries(self, session_id: uuid.UUID, kinds: Iterable[Kind] | None = None) -> list[EntryInfo]:
        """All entries of a session in time order, corrections and the entries they replace alike."""
        query = select(Entry).where(Entry.session_id == session_id).order_by(Entry.occurred_at, Entry.recorded_at)
        if kinds is not None:
            query = query.where(Entry.kind.in_([Kind(k).value for k in kinds]))
        with self._sessions() as orm:
            rows = list(orm.scalars(query))
            names = {c.id: c.name for c in orm.scalars(select(Clinician))}
            replaced = {
                old: new
                for new, old in orm.execute(
                    select(Entry.id, Entry.supersedes_id).where(Entry.session_id == session_id, Entry.supersedes_id.is_not(None))
                )
            }
            return [_entry_info(r, names.get(r.author_id, "?"), replaced.get(r.id)) for r in rows]

    def facts(self, session_id: uuid.UUID, info: SessionInfo | None = None) -> SessionFacts:
        """The time line the session clock needs, read once per action (never per tick).

        ``info`` saves re-reading the session row when the caller has just read it.
        """
        info = info or self.session(session_id)
        entries = self.entries(session_id, kinds=(Kind.PHASE, Kind.PHASE_EXTENDED, *READING_KINDS))
        return session_facts(entries, arrival=info.arrival_at, dose_at=info.dose_at, ended_at=info.ended_at)

    # -- helpers --------------------------------------------------------------------------------
    def _append(self, orm: OrmSession, session_id: uuid.UUID, author_id: uuid.UUID, occurred_at: datetime,
                data: Payload, *, supersedes: uuid.UUID | None = None, note: str | None = None) -> dict[str, Any]:
        """Insert one entry row and its link in the audit chain (with the row's digest); returns the row's values.

        A plain INSERT, not the unit of work: an append needs none of the ORM's change tracking.
        """
        values, event = self._entry_values(session_id, author_id, occurred_at, data, supersedes, note)
        _append_row(orm, _ENTRY_INSERT, values)
        self._audit(orm, author_id, *event)
        return values

    def _append_direct(self, session_id: uuid.UUID, author_id: uuid.UUID, occurred_at: datetime, data: Payload,
                       note: str | None) -> dict[str, Any]:
        """:meth:`_append` as its own transaction on a pooled DBAPI connection of an SQLite record.

        The same rows, values and digests as :meth:`_append`, and the same single commit (WAL,
        ``synchronous=FULL``), without an ORM session and SQLAlchemy's execution context around three
        statements: those were over half of an entry's time above SQLite's own (issue 10 and 12
        benchmarks). The entry's INSERT comes first, so the chain's tail is read under SQLite's write
        lock: no other writer can append between the read and this event. Only for an entry whose
        session and author the store has already read (their checks are cached facts).
        """
        values, (action, object_type, object_id, detail) = self._entry_values(
            session_id, author_id, occurred_at, data, None, note)
        dialect = self.engine.dialect
        with _readable_errors(self.engine):
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(*_plain_insert(dialect, _ENTRY_INSERT.table, values))
                tail = cursor.execute(_CHAIN_TAIL_SQL).fetchone() or (0, GENESIS)
                event = self._event_values(tuple(tail), author_id, action, object_type, object_id, detail)
                cursor.execute(*_plain_insert(dialect, _AUDIT_INSERT.table, event))
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                connection.close()
        return values

    def _entry_values(self, session_id: uuid.UUID, author_id: uuid.UUID, occurred_at: datetime, data: Payload,
                      supersedes: uuid.UUID | None, note: str | None) -> tuple[dict[str, Any], tuple[Any, ...]]:
        """An entry's row, and its audit event's (action, object type, object id, detail with the row's digest)."""
        kind, payload = encode(data)
        values = {
            "id": uuid.uuid4(), "session_id": session_id, "kind": kind.value, "occurred_at": occurred_at,
            "recorded_at": self.now(), "author_id": author_id, "supersedes_id": supersedes,
            "payload": payload, "note": note,
        }
        detail = {"hash": entry_digest(**values), "session": str(session_id), "kind": kind.value}
        if supersedes is not None:
            detail["supersedes"] = str(supersedes)
        return values, ("corrected" if supersedes is not None else "created", "entry", values["id"], detail)

    def _session_row(self, orm: OrmSession, session_id: uuid.UUID) -> Session:
        row = orm.get(Session, session_id)
        if row is None:
            raise EntryError(f"no session with id {session_id}")
        return row

    def _live_session(self, orm: OrmSession, session_id: uuid.UUID) -> Session:
        row = self._session_row(orm, session_id)
        if row.status == SessionStatus.ENDED:
            raise EntryError("this session has ended")
        return row

    def _phase_index(self, orm: OrmSession, session_id: uuid.UUID) -> int:
        """Phases only move forward, so the current one is the highest index marked."""
        index = orm.scalar(
            select(func.max(func.coalesce(Entry.payload["index"].as_integer(), 0))).where(
                Entry.session_id == session_id, Entry.kind == Kind.PHASE.value
            )
        )
        return int(index or 0)

    def _author_name(self, orm: OrmSession, author_id: uuid.UUID) -> str:
        """Clinicians are never renamed or removed, so their names are cached."""
        name = self._names.get(author_id)
        if name is None:
            author = orm.get(Clinician, author_id)
            if author is None:
                raise EntryError("unknown clinician")
            name = self._names[author_id] = author.name
        return name

    def _arrival(self, orm: OrmSession, session_id: uuid.UUID) -> datetime:
        """A session's arrival time never changes once written, so it is cached after the first read."""
        arrival = self._arrivals.get(session_id)
        if arrival is None:
            arrival = self._arrivals[session_id] = self._session_row(orm, session_id).arrival_at
        return arrival


# The hot path's statements, built once (the ORM equivalents cost more per entry than SQLite does).
_ENTRY_INSERT = insert(Entry.__table__)
_AUDIT_INSERT = insert(AuditEvent.__table__)
_CHAIN_TAIL = (select(AuditEvent.__table__.c.seq, AuditEvent.__table__.c.hash)
               .order_by(AuditEvent.__table__.c.seq.desc()).limit(1))
_CHAIN_TAIL_SQL = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
_PLAIN_INSERTS: dict[tuple[str, str], tuple[str, list[str], list[Any]]] = {}


def _append_row(orm: OrmSession, statement: Any, values: dict[str, Any]) -> None:
    """INSERT one full row (every column given) in the session's transaction.

    On SQLite the statement goes as plain text (:func:`_plain_insert`): ``exec_driver_sql`` skips
    the statement's cache-key and compiled-cache work, which was most of an entry's Python time
    (issue 12). Errors still arrive as SQLAlchemy's, so :meth:`Store._sessions` words them as before.
    """
    connection = orm.connection()
    table = statement.table
    if connection.dialect.paramstyle != "qmark" or set(values) != set(table.columns.keys()):
        connection.execute(statement, values)
        return
    connection.exec_driver_sql(*_plain_insert(connection.dialect, table, values))


def _plain_insert(dialect: Any, table: Any, values: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """An SQLite INSERT of one full row as plain text and its parameters, each value passed through
    its column's own bind processor: the same conversions SQLAlchemy makes (found once per table)."""
    key = (dialect.name, table.name)
    plain = _PLAIN_INSERTS.get(key)
    if plain is None:
        names = list(table.columns.keys())
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        plain = _PLAIN_INSERTS[key] = (sql, names, [table.c[n].type.bind_processor(dialect) for n in names])
    sql, names, processors = plain
    return sql, tuple(values[n] if process is None else process(values[n])
                      for n, process in zip(names, processors, strict=True))


@contextmanager
def _readable_errors(engine: Engine) -> Iterator[None]:
    """Database and OS errors leave as :class:`StoreError` (one readable line); a refused row as
    :class:`ConstraintError`. Covers SQLAlchemy's errors and the driver's own (the direct path)."""
    dbapi = engine.dialect.dbapi
    try:
        yield
    except StoreError:
        raise
    except IntegrityError as exc:
        raise ConstraintError(readable_error(exc)) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise StoreError(readable_error(exc)) from exc
    except Exception as exc:
        if dbapi is None or not isinstance(exc, dbapi.Error):
            raise
        if isinstance(exc, dbapi.IntegrityError):
            raise ConstraintError(readable_error(exc)) from exc
        raise StoreError(readable_error(exc)) from exc


def _check_entry_time(occurred_at: datetime, now: datetime, arrival: datetime) -> None:
    if occurred_at > now + FUTURE_TOLERANCE:
        raise EntryError(f"the time {_local(occurred_at)} is in the future")
    if occurred_at < arrival - FUTURE_TOLERANCE:
        raise EntryError(f"the time {_local(occurred_at)} is before the client arrived ({_local(arrival)})")


def _schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, "alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _required(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise EntryError(f"the {what} is empty")
    return value


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def _phase_entered(protocol: Protocol, index: int) -> PhaseEntered:
    phase = protocol.phases[index]
    return PhaseEntered(index, phase.key, phase.name)


def _clinician(row: Clinician) -> ClinicianInfo:
    return ClinicianInfo(row.id, row.name, row.role, bool(row.active if row.active is not None else True),
                         row.password_hash is not None, row.pin_hash is not None)


def _client(row: Client) -> ClientInfo:
    return ClientInfo(row.id, row.label, row.date_of_birth)


def _session_info(row: Session) -> SessionInfo:
    return SessionInfo(
        id=row.id,
        client_id=row.client_id,
        client_label=row.client.label,
        clinician_id=row.clinician_id,
        clinician_name=row.clinician.name,
        protocol=protocol_from_dict(row.protocol),
        status=row.status,
        arrival_at=row.arrival_at,
        dose_at=row.dose_at,
        ended_at=row.ended_at,
    )


# Lists of sessions (the history's page, the start screen) read plain rows, not ORM objects, and
# the protocol snapshot as its stored text: a page of 200 sittings holds a handful of distinct
# snapshots, each decoded once (issue 12: a third of opening the history went to loading 200
# Session objects and decoding the same protocol 200 times).
_SESSION_ROWS = (
    select(Session.id, Session.client_id, Client.label, Session.clinician_id, Clinician.name,
           type_coerce(Session.protocol, Text).label("protocol"), Session.status, Session.arrival_at,
           Session.dose_at, Session.ended_at)
    .join(Client, Session.client_id == Client.id).join(Clinician, Session.clinician_id == Clinician.id)
)
_PROTOCOLS: dict[str, Protocol] = {}  # stored snapshot text -> Protocol (frozen, so shared safely)


def _snapshot(stored: str | dict[str, Any]) -> Protocol:
    if not isinstance(stored, str):  # a driver that decodes JSON itself (psycopg)
        return protocol_from_dict(stored)
    protocol = _PROTOCOLS.get(stored)
    if protocol is None:
        if len(_PROTOCOLS) > 256:
            _PROTOCOLS.clear()
        protocol = _PROTOCOLS[stored] = protocol_from_dict(json.loads(stored))
    return protocol


def _session_info_of_row(row: Any) -> SessionInfo:
    return SessionInfo(
        id=row.id, client_id=row.client_id, client_label=row.label, clinician_id=row.clinician_id,
        clinician_name=row.name, protocol=_snapshot(row.protocol), status=row.status, arrival_at=row.arrival_at,
        dose_at=row.dose_at, ended_at=row.ended_at,
    )


def _entry_info(row: Entry, author_name: str, superseded_by: uuid.UUID | None) -> EntryInfo:
    """The one place a stored payload is decoded (:func:`kapdesk.domain.entries.decode`)."""
    kind, data = decode(row.kind, row.payload)
    return EntryInfo(
        id=row.id, session_id=row.session_id, kind=kind, occurred_at=row.occurred_at,
        recorded_at=row.recorded_at, author_id=row.author_id, author_name=author_name,
        data=data, supersedes_id=row.supersedes_id, superseded_by=superseded_by, note=row.note,
    )


def _note_info(orm: OrmSession, row: IntegrationNote) -> NoteInfo:
    names = {c.id: c.name for c in orm.scalars(select(Clinician).where(Clinician.id.in_([row.saved_by, row.signed_by])))}
    return NoteInfo(row.id, row.session_id, dict(row.sections), row.saved_at, names.get(row.saved_by, "?"),
                    row.signed_at, names.get(row.signed_by) if row.signed_by else None, row.content_hash)


def _outcome_info(row: OutcomeMeasure, author: str) -> OutcomeInfo:
    return OutcomeInfo(row.id, row.client_id, row.session_id, row.measure, row.taken_on, dict(row.answers), row.total, author)
