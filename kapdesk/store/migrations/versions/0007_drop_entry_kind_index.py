"""Drop the index on ``entry.kind`` alone: no query wants it, and every entry paid for it.

Every read that filters entries by kind also names the session, and ``ix_entry_session_time``
serves those. Only the current-phase lookup picked the kind index, and that was the worse plan: it
walked every phase entry of every session in the record instead of one session's rows. Each entry's
commit writes one index page fewer: 12.6 WAL frames on average over 200 entries (each with its audit
event) -> 11.6. On an encrypted record each page is also encrypted and authenticated.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_entry_kind", table_name="entry")


def downgrade() -> None:
    op.create_index("ix_entry_kind", "entry", ["kind"])
