"""Exports are unencrypted copies of health information: each file is created readable by its owner only.

The one place export files are written (``kapdesk.session.exports._write_atomically``) makes a
temporary file with ``mkstemp`` (mode 0600 from its creation, whatever the umask) and renames it
over the target, so at no moment is the file readable by another account; the writers write into
that file and keep its mode.
"""

from __future__ import annotations

import os
import stat

import pytest

from kapdesk.session.exports import export_session


@pytest.mark.parametrize("fmt", ["csv", "fhir", "pdf"])
def test_exports_are_created_owner_only(qtbot, store, people, protocols, tmp_path, fmt):
    old_umask = os.umask(0o022)  # a usual desktop umask: a plain open() would give 0644
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    earlier = tmp_path / f"out.{fmt}"
    earlier.write_text("an earlier export, readable by all")
    earlier.chmod(0o644)  # replaced by a new file: its mode does not carry over
    try:
        written = export_session(store, session.id, fmt, tmp_path / f"out.{fmt}", clinician.id)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
