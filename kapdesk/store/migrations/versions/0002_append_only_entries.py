"""Entries become append-only in the database itself, not only in the app.

A correction is a new entry that supersedes the old one; an UPDATE or DELETE of an entry is
refused by the database whatever program sends it (an SQLite browser, a script, a bug).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "entries are append-only: record a correction that supersedes the entry instead"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER entry_append_only_{action.lower()} BEFORE {action} ON entry "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION kapdesk_entry_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER entry_append_only BEFORE UPDATE OR DELETE ON entry "
            "FOR EACH ROW EXECUTE FUNCTION kapdesk_entry_append_only()"
        )
    else:
        raise NotImplementedError(f"append-only triggers are not written for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER entry_append_only_update")
        op.execute("DROP TRIGGER entry_append_only_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER entry_append_only ON entry")
        op.execute("DROP FUNCTION kapdesk_entry_append_only()")
