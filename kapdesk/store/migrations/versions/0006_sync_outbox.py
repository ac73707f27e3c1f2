"""Replication to the clinic server: the room's outbox, its pull cursor, and label conflicts.

A room writes to its own SQLite record first. What the clinic server still lacks is queued by the
database itself: an AFTER INSERT (and, for the few rows changed in place, AFTER UPDATE) trigger on
each replicated table appends ``(table, id)`` to ``sync_outbox`` in the same transaction as the
row, so a row and its place in the queue are committed together or not at all — a kill -9 cannot
leave a saved entry that will never be sent. The replicator (kapdesk.sync) reads the queue in
order and deletes what the server has acknowledged.

Rows the replicator copies down from the server are not queued again: it holds a row in
``sync_pulling`` for the length of that transaction, and the triggers skip while it is there
(SQLite has one writer at a time, so no other program's insert can see the row).

``sync_state`` holds small values (the pull cursor: the server audit seq read up to).
``sync_conflict`` lists what an admin must look at: a client (or clinician) created offline in
two rooms under one label. The server keeps both — the second one arrives under
"LABEL (room)" — and a row here links them; nothing is ever merged silently.

On the server (PostgreSQL) the tables exist but no trigger queues anything: a server does not
push. A room's record written before this revision has its whole content queued now, in
dependency order, so a clinic that adds a server later sends its history too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from kapdesk.store.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Replicated tables in dependency order (a row's foreign keys point only at tables before it),
# and whether rows of the table are changed in place after they are written.
REPLICATED = (
    ("clinician", True),
    ("client", False),
    ("session", True),
    ("integration_note", True),
    ("entry", False),
    ("note_addendum", False),
    ("outcome_measure", False),
    ("audit_event", False),
)
# The order each table's existing rows are queued in (entries: corrections after what they correct).
_BACKFILL_ORDER = {
    "clinician": "created_at", "client": "created_at", "session": "created_at", "integration_note": "created_at",
    "entry": "recorded_at", "note_addendum": "signed_at", "outcome_measure": "recorded_at", "audit_event": "seq",
}


def upgrade() -> None:
    op.create_table(
        "sync_outbox",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_id", sa.String(64), nullable=False),
        sqlite_autoincrement=True,  # never reuse a seq, even after the queue is emptied
    )
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table("sync_pulling", sa.Column("flag", sa.Integer(), primary_key=True))
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("other_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("stored_as", sa.String(120), nullable=False),
        sa.Column("room", sa.String(80), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=True),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, mutable in REPLICATED:
        for action in ("INSERT", "UPDATE") if mutable else ("INSERT",):
            op.execute(
                f"CREATE TRIGGER sync_outbox_{table}_{action.lower()} AFTER {action} ON {table} "
                "WHEN NOT EXISTS (SELECT 1 FROM sync_pulling) "
                f"BEGIN INSERT INTO sync_outbox (table_name, row_id) VALUES ('{table}', NEW.id); END"
            )
    for table, _ in REPLICATED:
        op.execute(f"INSERT INTO sync_outbox (table_name, row_id) SELECT '{table}', id FROM {table} "
                   f"ORDER BY {_BACKFILL_ORDER[table]}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, mutable in REPLICATED:
            for action in ("insert", "update") if mutable else ("insert",):
                op.execute(f"DROP TRIGGER IF EXISTS sync_outbox_{table}_{action}")
    op.drop_table("sync_conflict")
    op.drop_table("sync_pulling")
    op.drop_table("sync_state")
    op.drop_table("sync_outbox")
