"""A first look at a room's record with the standard library's sqlite3, before SQLAlchemy is imported.

Opening the record through the store costs ~0.5 s of imports (SQLAlchemy, the models), and the
first thing a clinician needs is only the sign-in page: is there an admin yet, and who can sign in.
``peek_sign_in`` reads just that, in a read-only transaction, so the page paints with its names at
once; the store opens a moment later and the page takes over its answers (``kapdesk.ui.sign_in``).

It answers only where the answer is sure: a plain SQLite file of this code's schema revision, or
no file yet (a new record asks for its first admin). An encrypted record, a server URL, an older
schema (a migration comes first), or any error: ``None``, and the store's own opening decides.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from kapdesk.domain.sign_in import ClinicianInfo, SignInFacts, sign_in_facts
from kapdesk.store.location import is_plain_record
from kapdesk.store.revision import SCHEMA_HEAD


def peek_sign_in(path: Path | None) -> SignInFacts | None:
    """The sign-in page's facts from the plain SQLite file at ``path`` (None: a URL), or None if unsure."""
    if path is None or not is_plain_record(path):
        return None  # a server, or encrypted (or not a record, or a key file mix-up): the store says which
    try:
        if not path.exists():
            return sign_in_facts([])  # a new record: its first admin
        return _read(path)
    except (OSError, sqlite3.Error, ValueError):
        return None


def _read(path: Path) -> SignInFacts | None:
    # mode=ro: never creates the file, never writes it, and never checkpoints a crash-left WAL into it
    # on closing (the store's own opening does that, after its checks).
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0.2, isolation_level=None)
    try:
        connection.execute("BEGIN")  # one snapshot for both reads
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != SCHEMA_HEAD:
            return None
        rows = connection.execute(
            "SELECT id, name, role, active, password_hash IS NOT NULL, pin_hash IS NOT NULL "
            "FROM clinician ORDER BY name").fetchall()
        connection.execute("COMMIT")
    finally:
        connection.close()
    clinicians = [ClinicianInfo(uuid.UUID(hex=str(id_)), name, role, bool(active if active is not None else True),
                                bool(has_password), bool(has_pin))
                  for id_, name, role, active, has_password, has_pin in rows]
    return sign_in_facts(clinicians)
