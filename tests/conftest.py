"""Shared fixtures. Qt runs offscreen; every test gets its own real SQLite file and a hand-moved clock.

An exception raised inside a Qt slot fails the test (pytest-qt's default), so a silently broken
callback cannot pass.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KAPDESK_DATA_DIR", os.path.join(os.path.dirname(__file__), ".no-user-data"))

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))  # tests/pgcluster.py

from kapdesk.domain.clock import FakeClock  # noqa: E402
from kapdesk.domain.protocols import Protocol, load_protocols  # noqa: E402
from kapdesk.paths import resources_dir  # noqa: E402
from kapdesk.store import Store  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the real user data folder from a test."""
    monkeypatch.setenv("KAPDESK_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.delenv("KAPDESK_DB", raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "record.sqlite3"


def pytest_generate_tests(metafunc):
    """A test marked ``both_engines`` runs twice: on a real SQLite file and on the real server."""
    if metafunc.definition.get_closest_marker("both_engines") and "store" in metafunc.fixturenames:
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def store(db_path: Path, clock: FakeClock, engine: str, request):
    target = str(db_path) if engine == "sqlite" else request.getfixturevalue("pg_cluster").database()
    store = Store.open(target, now=clock.utcnow)
    yield store
    store.close()


@pytest.fixture(scope="session")
def protocols() -> dict[str, Protocol]:
    loaded, errors = load_protocols([resources_dir() / "protocols"])
    assert not errors, errors
    return {p.id: p for p in loaded}


@pytest.fixture
def people(store: Store):
    clinician = store.add_clinician("Test Clinician (synthetic)")
    client = store.add_client("TEST-01 (synthetic)", clinician.id)
    return clinician, client


@pytest.fixture
def live(store, clock, people, protocols):
    """A sublingual session in progress, as the session view holds it."""
    from kapdesk.session.live import LiveSession

    clinician, client = people
    info = store.start_session(client.id, clinician.id, protocols["sublingual"])
    return LiveSession(store, info.id, clinician.id, clock)


def make_wav(path: Path, seconds: float = 0.1) -> Path:
    """A tiny real WAV file (silence-free, 8 kHz mono) for playlist and player tests."""
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(b"\x01\x00" * int(8000 * seconds))
    return path


# Synthetic secrets for the windows of the tests (the hasher is credentials.FAST: cheap on purpose).
SYNTHETIC_PASSWORD = "synthetic pass 1"
DESK_CLINICIAN = "Desk Clinician (synthetic)"


def synthetic_account(clinic, name: str = DESK_CLINICIAN, role: str = "admin", *, password: str = SYNTHETIC_PASSWORD):
    """``name``'s account on ``clinic`` with ``password`` (made, with a first admin, when missing)."""
    accounts = clinic.accounts
    if accounts.needs_first_admin():
        accounts.create_first_admin(name if role == "admin" else "Desk Admin (synthetic)", SYNTHETIC_PASSWORD)
    admin = next(c for c in clinic.clinicians() if c.is_admin and c.active and c.has_password)
    found = next((c for c in clinic.clinicians() if c.name == name), None)
    if found is None:
        found = accounts.add_clinician(admin, name, role, password)
    elif not found.has_password or password != SYNTHETIC_PASSWORD:
        found = accounts.reset_password(admin, found.id, password)
    return found


def make_main_window(qtbot, store, clock, *, signed_in: str | None = DESK_CLINICIAN, role: str = "admin"):
    """The real main window on ``store`` (accounts hashed with FAST), signed in as ``signed_in``
    (an admin by default) through the accounts, as the sign-in page does; None: on the sign-in page."""
    from kapdesk.paths import protocol_folders
    from kapdesk.session import Clinic
    from kapdesk.session.credentials import FAST
    from kapdesk.ui.main_window import MainWindow

    protocols, errors = load_protocols(protocol_folders())
    clinic = Clinic(store, clock, hasher=FAST)
    window = MainWindow(protocols, errors, clock, clinic)
    if signed_in is not None:
        account = synthetic_account(clinic, signed_in, role)
        window.enter_as(clinic.accounts.sign_in(account.id, SYNTHETIC_PASSWORD).clinician)
    return window


def open_main_window(qtbot, store, clock, *, signed_in: str | None = DESK_CLINICIAN, role: str = "admin"):
    """The real main window on ``store``, shown and active (keys go to it as under a window manager),
    signed in as ``signed_in`` (see :func:`make_main_window`)."""
    window = make_main_window(qtbot, store, clock, signed_in=signed_in, role=role)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


@pytest.fixture
def window(qtbot, store, clock):
    return open_main_window(qtbot, store, clock)


@pytest.fixture(scope="session")
def pg_cluster():
    """One real PostgreSQL cluster for the whole run (initdb in a temporary folder)."""
    from pgcluster import PgCluster, server_bin

    if server_bin() is None:
        why = "PostgreSQL's server programs (initdb) are not installed: `make test` installs them as root"
        if os.environ.get("CI"):  # never skipped in CI: .ci/run installs postgresql
            pytest.fail(why)
        pytest.skip(why)
    cluster = PgCluster().init()
    yield cluster
    cluster.destroy()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path: Path, clock: FakeClock):
    """The same store on both engines: a real SQLite file, and a fresh database on the real server."""
    target = str(tmp_path / "record.sqlite3") if request.param == "sqlite" else \
        request.getfixturevalue("pg_cluster").database()
    store = Store.open(target, now=clock.utcnow)
    yield store
    store.close()
