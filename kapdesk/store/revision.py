"""The schema revision this code writes, importable without SQLAlchemy (the start-up peek reads it)."""

# The newest migration in store/migrations/versions. Start-up compares the database with it
# before importing Alembic at all; tests/test_store.py checks it matches the migrations.
SCHEMA_HEAD = "0007"
