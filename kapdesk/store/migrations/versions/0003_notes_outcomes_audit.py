"""Integration notes (locked once signed), signed addenda, outcome measures and the audit trail.

A signed note is locked by the database itself: any UPDATE or DELETE of a signed row is refused,
whatever program sends it. Addenda, outcome measures and audit events are append-only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from kapdesk.store.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LOCKED = "signed integration notes are locked: add a signed addendum instead"
APPEND_ONLY = "{table} rows are append-only"


def upgrade() -> None:
    op.create_table(
        "integration_note",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("session_id", sa.Uuid(), sa.ForeignKey("session.id"), nullable=False, unique=True),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.Column("saved_by", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=True),
        sa.Column("signed_by", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
    )
    op.create_table(
        "note_addendum",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("note_id", sa.Uuid(), sa.ForeignKey("integration_note.id"), nullable=False, index=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "outcome_measure",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("client_id", sa.Uuid(), sa.ForeignKey("client.id"), nullable=False, index=True),
        sa.Column("session_id", sa.Uuid(), sa.ForeignKey("session.id"), nullable=True),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False, index=True),
        sa.Column("actor_id", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER note_locked_update BEFORE UPDATE ON integration_note WHEN OLD.signed_at IS NOT NULL "
            f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
        )
        op.execute(
            "CREATE TRIGGER note_locked_delete BEFORE DELETE ON integration_note WHEN OLD.signed_at IS NOT NULL "
            f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
        )
        for table in ("note_addendum", "outcome_measure", "audit_event"):
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY.format(table=table)}'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION kapdesk_note_locked() RETURNS trigger AS $$ BEGIN "
            f"IF OLD.signed_at IS NOT NULL THEN RAISE EXCEPTION '{LOCKED}'; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER note_locked BEFORE UPDATE OR DELETE ON integration_note "
            "FOR EACH ROW EXECUTE FUNCTION kapdesk_note_locked()"
        )
        for table in ("note_addendum", "outcome_measure", "audit_event"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION kapdesk_entry_append_only()"
            )
    else:
        raise NotImplementedError(f"locking triggers are not written for {dialect}")


def downgrade() -> None:
    op.drop_table("audit_event")
    op.drop_table("outcome_measure")
    op.drop_table("note_addendum")
    op.drop_table("integration_note")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION kapdesk_note_locked()")
