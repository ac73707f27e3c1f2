"""The core record: clinicians, clients, sessions and their entries.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from kapdesk.store.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinician",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("role", sa.String(60), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "client",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("label", sa.String(80), nullable=False, unique=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=False),
    )
    op.create_table(
        "session",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("client_id", sa.Uuid(), sa.ForeignKey("client.id"), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=False),
        sa.Column("protocol_id", sa.String(60), nullable=False),
        sa.Column("protocol", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("arrival_at", UTCDateTime(), nullable=False),
        sa.Column("dose_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_session_client_id", "session", ["client_id"])
    op.create_index("ix_session_status", "session", ["status"])
    op.create_index("ix_session_arrival_at", "session", ["arrival_at"])
    op.create_table(
        "entry",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("session_id", sa.Uuid(), sa.ForeignKey("session.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("clinician.id"), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), sa.ForeignKey("entry.id"), nullable=True, unique=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_entry_session_time", "entry", ["session_id", "occurred_at"])
    op.create_index("ix_entry_kind", "entry", ["kind"])


def downgrade() -> None:
    op.drop_table("entry")
    op.drop_table("session")
    op.drop_table("client")
    op.drop_table("clinician")
