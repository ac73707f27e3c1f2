"""The audit trail becomes a hash chain that covers entries, outcome measures and signed notes.

Adds ``seq``, ``prev_hash`` and ``hash`` to ``audit_event``. A record written before this
revision gets its chain now: its audit events, plus one "created" event for each entry and
outcome measure that had none (marked ``"backfilled": true``, at the row's own recorded time),
are put in time order and chained. From here on the store writes each link as it records.

The append-only triggers of ``audit_event`` are lifted for the backfill only and put back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import uuid

import sqlalchemy as sa
from alembic import op

from kapdesk.store.chain import GENESIS, entry_digest, event_digest, outcome_digest

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APPEND_ONLY = "audit_event rows are append-only"


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    _drop_triggers(dialect)
    _backfill(bind)
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("seq", nullable=False, existing_type=sa.Integer())
        batch.alter_column("prev_hash", nullable=False, existing_type=sa.String(64))
        batch.alter_column("hash", nullable=False, existing_type=sa.String(64))
        batch.create_unique_constraint("uq_audit_event_seq", ["seq"])
    _create_triggers(dialect)


def _backfill(bind) -> None:
    from kapdesk.store.models import UTCDateTime

    meta = sa.MetaData()
    uuid_t = sa.Uuid()
    event = sa.Table(
        "audit_event", meta,
        sa.Column("id", uuid_t, primary_key=True), sa.Column("at", UTCDateTime()), sa.Column("actor_id", uuid_t),
        sa.Column("action", sa.String()), sa.Column("object_type", sa.String()), sa.Column("object_id", sa.String()),
        sa.Column("detail", sa.JSON()), sa.Column("seq", sa.Integer()), sa.Column("prev_hash", sa.String()),
        sa.Column("hash", sa.String()),
    )
    entry = sa.Table(
        "entry", meta,
        sa.Column("id", uuid_t, primary_key=True), sa.Column("session_id", uuid_t), sa.Column("kind", sa.String()),
        sa.Column("occurred_at", UTCDateTime()), sa.Column("recorded_at", UTCDateTime()),
        sa.Column("author_id", uuid_t), sa.Column("supersedes_id", uuid_t), sa.Column("payload", sa.JSON()),
        sa.Column("note", sa.Text()),
    )
    outcome = sa.Table(
        "outcome_measure", meta,
        sa.Column("id", uuid_t, primary_key=True), sa.Column("client_id", uuid_t), sa.Column("session_id", uuid_t),
        sa.Column("measure", sa.String()), sa.Column("taken_on", sa.Date()), sa.Column("answers", sa.JSON()),
        sa.Column("total", sa.Integer()), sa.Column("author_id", uuid_t), sa.Column("recorded_at", UTCDateTime()),
    )
    # (at, order, row): existing events first among equals, then synthesised ones.
    events = [(r.at, 0, dict(r._mapping)) for r in bind.execute(sa.select(event))]
    for r in bind.execute(sa.select(entry)):
        digest = entry_digest(id=r.id, session_id=r.session_id, kind=r.kind, occurred_at=r.occurred_at,
                              recorded_at=r.recorded_at, author_id=r.author_id, supersedes_id=r.supersedes_id,
                              payload=r.payload, note=r.note)
        detail = {"hash": digest, "session": str(r.session_id), "kind": r.kind, "backfilled": True}
        events.append((r.recorded_at, 1, {"id": uuid.uuid4(), "at": r.recorded_at, "actor_id": r.author_id,
                                          "action": "created", "object_type": "entry", "object_id": str(r.id),
                                          "detail": detail, "new": True}))
    for r in bind.execute(sa.select(outcome)):
        digest = outcome_digest(id=r.id, client_id=r.client_id, session_id=r.session_id, measure=r.measure,
                                taken_on=r.taken_on, answers=r.answers, total=r.total, author_id=r.author_id,
                                recorded_at=r.recorded_at)
        detail = {"hash": digest, "client": str(r.client_id), "measure": r.measure, "backfilled": True}
        events.append((r.recorded_at, 1, {"id": uuid.uuid4(), "at": r.recorded_at, "actor_id": r.author_id,
                                          "action": "created", "object_type": "outcome_measure", "object_id": str(r.id),
                                          "detail": detail, "new": True}))
    events.sort(key=lambda e: (e[0], e[1]))
    prev = GENESIS
    for seq, (_, _, row) in enumerate(events, start=1):
        link = event_digest(seq=seq, prev_hash=prev, id=row["id"], at=row["at"], actor_id=row["actor_id"],
                            action=row["action"], object_type=row["object_type"], object_id=row["object_id"],
                            detail=row["detail"])
        values = {"seq": seq, "prev_hash": prev, "hash": link}
        if row.get("new"):
            bind.execute(sa.insert(event).values(
                id=row["id"], at=row["at"], actor_id=row["actor_id"], action=row["action"],
                object_type=row["object_type"], object_id=row["object_id"], detail=row["detail"], **values))
        else:
            bind.execute(sa.update(event).where(event.c.id == row["id"]).values(**values))
        prev = link


def _drop_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_event_append_only_{action}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")


def _create_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_append_only_{action.lower()} BEFORE {action} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION kapdesk_entry_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    op.execute("DELETE FROM audit_event WHERE detail LIKE '%\"backfilled\": true%'")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint("uq_audit_event_seq", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
    _create_triggers(dialect)
