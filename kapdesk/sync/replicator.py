"""One replication cycle: push what the server lacks, then pull what other rooms wrote.

**Push.** The room's ``sync_outbox`` (filled by triggers in the same transaction as each row,
migration 0006) is read in order; the rows it names are sent in one server transaction, table
by table in dependency order (clinicians, clients, sessions, notes, entries in recorded order —
so a correction always follows what it corrects —, addenda, outcome measures, audit events),
keyed by their UUIDs:

* rows that never change (entries, clients, addenda, outcome measures) are inserted if absent
  (``ON CONFLICT DO NOTHING``): pushing twice leaves the same rows, nothing is overwritten;
* the few columns changed in place are brought up to the room's value: a session's
  ``status``/``dose_at``/``ended_at``, a clinician's role, active flag and secrets, a draft note
  (never a signed one: the server's trigger refuses, and the update says ``WHERE signed_at IS NULL``);
* audit events are re-appended to the **server's own chain** (its seq, prev_hash and hash) with
  their original id, time, actor, action, object and detail, plus ``detail["room"]``; an event the
  server already has (same id) is skipped. So ``kapdesk audit verify`` on the server finds each
  entry's digest in the event that recorded it.

Only after the server has committed are the outbox rows deleted. A kill -9 between the two
sends the same rows again next time, which changes nothing (the keys above); a kill before the
commit leaves the server as it was (PostgreSQL rolls the transaction back).

The server transaction holds an advisory lock (the one ``Store._audit`` takes on PostgreSQL), so
two rooms and the office append to the chain in turn, and label checks do not race.

**A label two rooms created offline.** ``client.label`` (and ``clinician.name``) stays unique on
the server, because the office looks clients up by label. The second client to arrive under a
label the server already gives to another id is stored as ``"LABEL (Room 2)"`` — its own row,
its own sessions, nothing merged — and a ``sync_conflict`` row links the two for an admin to
decide. Dropping uniqueness instead would leave two identical labels in every list, which is how
a sitting ends up in the wrong client's history.

**Pull.** The server's audit chain is read from the room's cursor (``sync_state``): clinicians and
clients that other rooms or the office created or changed are copied down, and so is each
session once it has ended (with its entries, note, addenda and outcome measures, and the audit
events that recorded them, re-appended to the room's chain so the room's own ``verify`` holds).
A sitting still in progress in another room is never copied: it would be offered for resuming.
Each pulled session is one short local transaction, so a therapist's Enter never waits long.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from kapdesk.store.chain import GENESIS, event_digest
from kapdesk.store.engine import database_url, open_engine
from kapdesk.store.errors import SchemaTooNewError, StoreError, readable_error
from kapdesk.store.models import (
    SCHEMA_HEAD, AuditEvent, Client, Clinician, Entry, IntegrationNote, NoteAddendum, OutcomeMeasure, Session,
    SyncConflict, SyncOutbox, SyncPulling, SyncState,
)
from kapdesk.store.repository import AUDIT_CHAIN_LOCK
from kapdesk.sync.status import SyncState as State
from kapdesk.sync.status import SyncStatus

__all__ = ["Replicator", "server_url"]

UTC = timezone.utc
T = {name: model.__table__ for name, model in (
    ("clinician", Clinician), ("client", Client), ("session", Session), ("integration_note", IntegrationNote),
    ("entry", Entry), ("note_addendum", NoteAddendum), ("outcome_measure", OutcomeMeasure), ("audit_event", AuditEvent),
)}
ORDER = tuple(T)  # dependency order: a row's foreign keys point only at tables before it
OUTBOX: Table = SyncOutbox.__table__  # type: ignore[assignment]
STATE: Table = SyncState.__table__  # type: ignore[assignment]
PULLING: Table = SyncPulling.__table__  # type: ignore[assignment]
CONFLICT: Table = SyncConflict.__table__  # type: ignore[assignment]
PULL_CURSOR = "pull_server_seq"
CHUNK = 500  # ids per IN (...) list
# Columns a push may bring up to date on a row the server already has.
MUTABLE = {
    "clinician": ("role", "active", "password_hash", "pin_hash"),
    "session": ("status", "dose_at", "ended_at"),
    "integration_note": ("sections", "saved_at", "saved_by", "signed_at", "signed_by", "content_hash"),
}
LABELS = {"clinician": ("name", 120), "client": ("label", 80)}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def server_url(url: str) -> str:
    """The server URL with its driver, and a connect timeout, so a dead network costs seconds, not minutes."""
    if not url.strip().startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        shown = url.split("://", 1)[0] + "://…" if "://" in url else repr(url)
        raise StoreError(f"the clinic server address {shown} is not PostgreSQL: write postgresql://user@host/database")
    parsed = make_url(database_url(url.strip()))
    if "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": "5"})
    return parsed.render_as_string(hide_password=False)


class Replicator:
    """The room's record (``local``: a path or SQLite URL) and the clinic server (``server``)."""

    def __init__(self, local: str, server: str, *, room: str, now: Callable[[], datetime] = _utcnow,
                 batch: int = 5000) -> None:
        self.local = open_engine(local)
        self.url = server_url(server)
        self.room = room
        self.now = now
        self.batch = batch
        self.status = SyncStatus(State.STARTING, self.waiting())
        self._server: Engine | None = None
        self._schema_checked = False

    def close(self) -> None:
        self.local.dispose()
        if self._server is not None:
            self._server.dispose()

    # -- the cycle ----------------------------------------------------------------------------------
    def cycle(self) -> SyncStatus:
        """Push everything queued (batch by batch), then pull; never raises. Returns the new status."""
        try:
            server = self._connect()
            while self.push(server) >= self.batch:
                pass
            while self.pull(server) >= self.batch:
                pass
            waiting = self.waiting()
            self.status = SyncStatus(State.WAITING if waiting else State.UP_TO_DATE, waiting,
                                     conflicts=self._conflicts(server))
        except SchemaTooNewError as exc:
            self._drop_server()
            self.status = SyncStatus(State.NEWER_SCHEMA, self._waiting_or(0), problem=str(exc))
        except (OperationalError, InterfaceError, OSError) as exc:
            self._drop_server()
            since = self.status.offline_since if self.status.state is State.OFFLINE else self.now()
            self.status = SyncStatus(State.OFFLINE, self._waiting_or(self.status.waiting), since, readable_error(exc))
        except (SQLAlchemyError, StoreError) as exc:
            self._drop_server()
            self.status = SyncStatus(State.REFUSED, self._waiting_or(self.status.waiting), problem=readable_error(exc))
        return self.status

    def waiting(self) -> int:
        """Changes not yet on the server: queued rows (an audit event riding with its row is not
        counted twice; events alone, such as an export's, count when nothing else waits)."""
        with self.local.connect() as local:
            rows = local.scalar(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.table_name != "audit_event"))
            return int(rows or local.scalar(select(func.count()).select_from(OUTBOX)) or 0)

    def _waiting_or(self, fallback: int) -> int:
        try:
            return self.waiting()
        except SQLAlchemyError:
            return fallback

    def _connect(self) -> Engine:
        if self._server is None:
            self._server = open_engine(self.url)
        if not self._schema_checked:
            with self._server.connect() as connection:
                revision = (connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                            if self._server.dialect.has_table(connection, "alembic_version") else None)
            if revision != SCHEMA_HEAD:
                from kapdesk.store.migrate import migrate

                migrate(self._server)  # an empty or older server is brought to this build's schema
            self._schema_checked = True
        return self._server

    def _drop_server(self) -> None:
        """Forget the connections: after an outage the pooled ones are dead, and the schema may have moved."""
        if self._server is not None:
            self._server.dispose()
        self._server = None
        self._schema_checked = False

    # -- push ---------------------------------------------------------------------------------------
    def push(self, server: Engine) -> int:
        """Send one batch of the queue; returns how many queue rows it covered (0: nothing queued)."""
        with self.local.connect() as local:
            queue = local.execute(select(OUTBOX.c.seq, OUTBOX.c.table_name, OUTBOX.c.row_id)
                                  .order_by(OUTBOX.c.seq).limit(self.batch)).all()
            if not queue:
                return 0
            ids: dict[str, list[uuid.UUID]] = {name: [] for name in ORDER}
            for _, table, row_id in queue:
                if table in ids:
                    ids[table].append(uuid.UUID(row_id))
            rows = {name: _rows(local, T[name], list(dict.fromkeys(found))) for name, found in ids.items()}
        with server.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})
            for name in ("clinician", "client"):
                self._push_labelled(conn, name, rows[name])
            _upsert(conn, T["session"], rows["session"], MUTABLE["session"])
            self._push_notes(conn, rows["integration_note"])
            for name in ("entry", "note_addendum", "outcome_measure"):
                _insert_missing(conn, T[name], rows[name])
            self._push_events(conn, rows["audit_event"])
        with self.local.begin() as local:
            local.execute(delete(OUTBOX).where(OUTBOX.c.seq <= queue[-1].seq))
        return len(queue)

    def _push_labelled(self, conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
        """Clinicians and clients: a label another id already holds on the server gets the room's name."""
        table = T[name]
        column, width = LABELS[name]
        for row in rows:
            present = conn.execute(select(table.c.id).where(table.c.id == row["id"])).first()
            if present is None:
                holder = conn.scalar(select(table.c.id).where(table.c[column] == row[column]))
                if holder is not None:
                    stored = _free_label(conn, table, column, row[column], self.room, width)
                    _flag(conn, name, row["id"], holder, row[column], stored, self.room, self.now())
                    row = {**row, column: stored}
            _upsert(conn, table, [row], MUTABLE.get(name, ()))

    def _push_notes(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        table = T["integration_note"]
        for row in rows:
            other = conn.scalar(select(table.c.id).where(table.c.session_id == row["session_id"], table.c.id != row["id"]))
            if other is not None:  # two rooms drafted a note for one sitting: keep the server's, flag it
                _flag(conn, "integration_note", row["id"], other, f"note of session {row['session_id']}",
                      "(kept in the room only)", self.room, self.now())
                continue
            statement = pg_insert(table).values(row)
            conn.execute(statement.on_conflict_do_update(
                index_elements=[table.c.id], set_={c: statement.excluded[c] for c in MUTABLE["integration_note"]},
                where=table.c.signed_at.is_(None)))

    def _push_events(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["detail"] = {**row["detail"], "room": row["detail"].get("room", self.room)}
        _append_events(conn, rows)

    def _conflicts(self, server: Engine) -> int:
        with server.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(CONFLICT).where(CONFLICT.c.resolved_at.is_(None))) or 0)

    # -- pull ---------------------------------------------------------------------------------------
    def pull(self, server: Engine) -> int:
        """Copy down what others wrote since the cursor; returns how many server events were read."""
        with self.local.connect() as local:
            cursor = int(local.scalar(select(STATE.c.value).where(STATE.c.key == PULL_CURSOR)) or 0)
        events = T["audit_event"]
        with server.connect() as conn:
            found = conn.execute(select(events.c.seq, events.c.action, events.c.object_type, events.c.object_id,
                                        events.c.detail).where(events.c.seq > cursor)
                                 .order_by(events.c.seq).limit(self.batch)).all()
        if not found:
            return 0
        wanted: dict[str, dict[uuid.UUID, str]] = {name: {} for name in ORDER}
        for _, action, object_type, object_id, detail in found:
            if (detail or {}).get("room") == self.room or object_type not in wanted:
                continue
            if object_type == "session" and action != "ended":
                continue  # a sitting is copied once it has ended, never while another room runs it
            try:
                wanted[object_type].setdefault(uuid.UUID(object_id), (detail or {}).get("room") or "server")
            except ValueError:
                continue
        with server.connect() as conn:
            people = {**wanted["clinician"]}
            self._pull_people(conn, "clinician", people, refresh=True)
            self._pull_people(conn, "client", wanted["client"], refresh=False)
            for session_id in wanted["session"]:
                self._pull_session(conn, session_id)
            for name in ("integration_note", "note_addendum", "outcome_measure"):
                for object_id in wanted[name]:
                    self._pull_record_row(conn, name, object_id)
        with self.local.begin() as local:
            value = str(found[-1].seq)
            if local.execute(update(STATE).where(STATE.c.key == PULL_CURSOR).values(value=value)).rowcount == 0:
                local.execute(insert(STATE).values(key=PULL_CURSOR, value=value))
        return len(found)

    def _pull_people(self, conn: Connection, name: str, origin: dict[uuid.UUID, str], *, refresh: bool) -> None:
        if not origin:
            return
        table = T[name]
        column, width = LABELS[name]
        rows = _rows(conn, table, list(origin))
        with self._pulling() as local:
            for row in rows:
                mine = local.execute(select(table.c.id).where(table.c.id == row["id"])).first()
                if mine is not None:
                    if refresh and MUTABLE.get(name):
                        local.execute(table.update().where(table.c.id == row["id"])
                                      .values({c: row[c] for c in MUTABLE[name]}))
                    continue
                holder = local.scalar(select(table.c.id).where(table.c[column] == row[column]))
                if holder is not None:
                    stored = _free_label(local, table, column, row[column], origin[row["id"]], width)
                    _flag(local, name, row["id"], holder, row[column], stored, origin[row["id"]], self.now())
                    row = {**row, column: stored}
                local.execute(insert(table), [row])

    def _ensure_people(self, conn: Connection, clinicians: Iterable[uuid.UUID | None],
                       clients: Iterable[uuid.UUID] = ()) -> None:
        """The clinicians and clients a pulled row names, copied first if this room has never seen them."""
        with self.local.connect() as local:
            for name, ids in (("clinician", clinicians), ("client", clients)):
                ids = [i for i in dict.fromkeys(ids) if i is not None]
                have = {r for chunk in _chunks(ids) for r in local.scalars(select(T[name].c.id).where(T[name].c.id.in_(chunk)))}
                missing = {i: "server" for i in ids if i not in have}
                if missing:
                    self._pull_people(conn, name, missing, refresh=False)

    def _pull_session(self, conn: Connection, session_id: uuid.UUID) -> None:
        with self.local.connect() as local:
            if local.execute(select(T["session"].c.id).where(T["session"].c.id == session_id)).first() is not None:
                return  # this room's own sitting, or one copied before
        [session] = _rows(conn, T["session"], [session_id]) or [None]
        if session is None or session["ended_at"] is None:
            return
        entries = [dict(r._mapping) for r in conn.execute(
            select(T["entry"]).where(T["entry"].c.session_id == session_id).order_by(T["entry"].c.recorded_at))]
        notes = [dict(r._mapping) for r in conn.execute(
            select(T["integration_note"]).where(T["integration_note"].c.session_id == session_id))]
        addenda = [dict(r._mapping) for r in conn.execute(
            select(T["note_addendum"]).where(T["note_addendum"].c.note_id.in_([n["id"] for n in notes])))] if notes else []
        outcomes = [dict(r._mapping) for r in conn.execute(
            select(T["outcome_measure"]).where(T["outcome_measure"].c.session_id == session_id))]
        authors = [session["clinician_id"], *(e["author_id"] for e in entries), *(a["author_id"] for a in addenda),
                   *(o["author_id"] for o in outcomes), *(n["saved_by"] for n in notes), *(n["signed_by"] for n in notes)]
        events = self._server_events(conn, [session_id, *(r["id"] for r in (*entries, *notes, *addenda, *outcomes))])
        self._ensure_people(conn, [*authors, *(e["actor_id"] for e in events)], [session["client_id"]])
        with self._pulling() as local:
            local.execute(insert(T["session"]), [session])
            for name, rows in (("entry", entries), ("integration_note", notes), ("note_addendum", addenda),
                               ("outcome_measure", outcomes)):
                if rows:
                    local.execute(insert(T[name]), rows)
            _append_events(local, events)

    def _pull_record_row(self, conn: Connection, name: str, object_id: uuid.UUID) -> None:
        """A note, addendum or outcome measure written elsewhere, if what it belongs to is here."""
        table = T[name]
        [row] = _rows(conn, table, [object_id]) or [None]
        if row is None:
            return
        parent = {"integration_note": ("session", row.get("session_id")),
                  "note_addendum": ("integration_note", row.get("note_id")),
                  "outcome_measure": ("session", row.get("session_id")) if row.get("session_id") else
                  ("client", row.get("client_id"))}[name]
        with self.local.connect() as local:
            if local.execute(select(T[parent[0]].c.id).where(T[parent[0]].c.id == parent[1])).first() is None:
                return  # it comes with its sitting, when that has ended
            mine = local.execute(select(table).where(table.c.id == object_id)).first()
        if mine is not None and (name != "integration_note" or mine.signed_at is not None):
            return
        if name == "integration_note":
            with self.local.connect() as local:
                if local.scalar(select(table.c.id).where(table.c.session_id == row["session_id"],
                                                         table.c.id != object_id)) is not None:
                    return  # this room drafted its own note for the sitting: kept, flagged on push
        events = self._server_events(conn, [object_id])
        self._ensure_people(conn, [*(row.get(k) for k in ("author_id", "saved_by", "signed_by")),
                                   *(e["actor_id"] for e in events)])
        with self._pulling() as local:
            if mine is None:
                local.execute(insert(table), [row])
            else:
                local.execute(table.update().where(table.c.id == object_id, table.c.signed_at.is_(None))
                              .values({c: row[c] for c in MUTABLE[name]}))
            _append_events(local, events)

    def _server_events(self, conn: Connection, object_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        """The server's events about these rows, in its chain's order, except this room's own
        (those are in the room's chain already). :func:`_append_events` skips any the room has."""
        events = T["audit_event"]
        found: list[dict[str, Any]] = []
        for chunk in _chunks([str(i) for i in object_ids]):
            found += [dict(r._mapping) for r in conn.execute(select(events).where(events.c.object_id.in_(chunk)))]
        found.sort(key=lambda r: r["seq"])
        return [r for r in found if (r["detail"] or {}).get("room") != self.room]

    def _pulling(self):
        """A local transaction whose inserts are not queued for the server (migration 0006's triggers)."""
        return _Pulling(self.local)


class _Pulling:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Connection:
        self._context = self.engine.begin()
        self.connection = self._context.__enter__()
        # A write first: the room's write lock is taken now, so the chain's tail read below is current.
        self.connection.execute(insert(PULLING).values(flag=1))
        return self.connection

    def __exit__(self, *exc: object) -> Any:
        if exc[0] is None:
            self.connection.execute(delete(PULLING))
        return self._context.__exit__(*exc)


# -- helpers --------------------------------------------------------------------------------------

def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _rows(conn: Connection, table: Table, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The rows with these ids, in the order of ``ids`` (missing ones left out)."""
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(select(table).where(table.c.id.in_(chunk))):
            found[row.id] = dict(row._mapping)
    return [found[i] for i in ids if i in found]


def _insert_missing(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(pg_insert(table).on_conflict_do_nothing(index_elements=[table.c.id]), rows)


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], mutable: Sequence[str]) -> None:
    if not rows:
        return
    statement = pg_insert(table)
    if mutable:
        statement = statement.on_conflict_do_update(index_elements=[table.c.id],
                                                    set_={c: statement.excluded[c] for c in mutable})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[table.c.id])
    for row in rows:
        conn.execute(statement.values(row))


def _append_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append events to this database's own chain, keeping each one's id, time, actor, action,
    object and detail; an id the chain already holds is skipped."""
    events = T["audit_event"]
    have = {r for chunk in _chunks([r["id"] for r in rows])
            for r in conn.scalars(select(events.c.id).where(events.c.id.in_(chunk)))}
    tail = conn.execute(select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)).first()
    seq, prev = (tail.seq, tail.hash) if tail is not None else (0, GENESIS)
    fresh = []
    for row in rows:
        if row["id"] in have:
            continue
        have.add(row["id"])
        seq += 1
        values = {"id": row["id"], "seq": seq, "prev_hash": prev, "at": row["at"], "actor_id": row["actor_id"],
                  "action": row["action"], "object_type": row["object_type"], "object_id": row["object_id"],
                  "detail": row["detail"]}
        values["hash"] = prev = event_digest(**values)
        fresh.append(values)
    if fresh:
        conn.execute(insert(events), fresh)


def _free_label(conn: Connection, table: Table, column: str, label: str, room: str, width: int) -> str:
    """``"LABEL (room)"`` (``"LABEL (room) 2"`` … if that too is taken), within the column's width."""
    for n in range(1, 1000):
        suffix = f" ({room})" if n == 1 else f" ({room}) {n}"
        candidate = label[:max(1, width - len(suffix))] + suffix
        if conn.scalar(select(table.c.id).where(table.c[column] == candidate)) is None:
            return candidate
    raise StoreError(f"no free label for {label!r}")  # pragma: no cover


def _flag(conn: Connection, object_type: str, object_id: uuid.UUID, other_id: uuid.UUID, label: str, stored: str,
          room: str, now: datetime) -> None:
    known = conn.scalar(select(CONFLICT.c.id).where(CONFLICT.c.object_type == object_type,
                                                    CONFLICT.c.object_id == object_id))
    if known is None:
        conn.execute(insert(CONFLICT).values(id=uuid.uuid4(), object_type=object_type, object_id=object_id,
                                             other_id=other_id, label=label[:120], stored_as=stored[:120],
                                             room=room[:80], found_at=now))
