"""A whole demo session with every IP socket refused: nothing KAPDesk does needs the network (issue 10).

Creating an AF_INET or AF_INET6 socket raises inside this test, so a library that reached for the
network (to resolve a name, to phone home) would fail it. The companion test_no_network.py reads a
real process's socket table for what Qt and libvlc open in C.
"""

from __future__ import annotations

import socket

import pytest

from kapdesk.demo import write_demo_session
from kapdesk.session.exports import export_session
from kapdesk.store import Store


class NetworkRefused(AssertionError):
    pass


@pytest.fixture
def no_ip_sockets(monkeypatch):
    original = socket.socket.__init__

    def refuse(self, family=-1, *args, **kwargs):
        if family in (socket.AF_INET, socket.AF_INET6) or family == -1:
            raise NetworkRefused(f"KAPDesk opened an IP socket (family {family})")
        original(self, family, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "__init__", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(NetworkRefused("connect")))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(NetworkRefused("name lookup")))
    with pytest.raises(NetworkRefused):  # the patch itself works
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_a_whole_demo_session_and_its_exports_need_no_network(no_ip_sockets, qapp, tmp_path):
    db = tmp_path / "demo.sqlite3"
    session_id = write_demo_session(str(db))  # start, dose, readings, music, note, signature
    store = Store.open(str(db))
    try:
        record = store.session_record(session_id)
        assert record.note is not None and record.note.signed
        assert any(e.kind.value == "music" for e in record.entries) and record.info.dose_at is not None
        clinician = store.clinicians()[0].id
        for fmt in ("pdf", "csv", "fhir"):
            written = export_session(store, session_id, fmt, tmp_path / f"demo.{fmt}", clinician)
            assert written.stat().st_size > 0
    finally:
        store.close()
