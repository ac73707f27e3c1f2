"""Clinician accounts: passwords and PINs (Argon2id hashes), deactivation, the emergency code,
and the "break glass" log.

A clinician row can no longer be deleted, by any program: the record names its authors, so an
account that should not sign in any more is deactivated instead. Existing clinicians stay
active with no password: the first admin sets theirs (kapdesk.session.accounts).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from kapdesk.store.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NEVER_DELETED = "clinicians are never deleted: deactivate the account instead"


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): every table names its clinicians by foreign key.
    op.add_column("clinician", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("clinician", sa.Column("password_hash", sa.String(200), nullable=True))
    op.add_column("clinician", sa.Column("pin_hash", sa.String(200), nullable=True))
    op.create_table(
        "security_setting",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=True),
    )
    op.create_table(
        "emergency_access",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=True),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"CREATE TRIGGER clinician_never_deleted BEFORE DELETE ON clinician "
                   f"BEGIN SELECT RAISE(ABORT, '{NEVER_DELETED}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION kapdesk_never_deleted() RETURNS trigger AS $$ "
                   f"BEGIN RAISE EXCEPTION '{NEVER_DELETED}'; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER clinician_never_deleted BEFORE DELETE ON clinician "
                   "FOR EACH ROW EXECUTE FUNCTION kapdesk_never_deleted()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP TRIGGER IF EXISTS clinician_never_deleted" + (" ON clinician" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION kapdesk_never_deleted()")
    op.drop_table("emergency_access")
    op.drop_table("security_setting")
    with op.batch_alter_table("clinician") as batch:
        batch.drop_column("pin_hash")
        batch.drop_column("password_hash")
        batch.drop_column("active")
