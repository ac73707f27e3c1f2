"""``kapdesk db encrypt|rekey`` and every command on an encrypted record, run as a user would: real processes.

The passphrase goes in on standard input (not a terminal) or in ``KAPDESK_PASSPHRASE``; there is
no option for it. A refusal is one line on stderr, no traceback, a non-zero exit, and the same
bytes on disk. Passphrases and names are synthetic.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from kapdesk.instance import InstanceLock
from kapdesk.store import crypto

PASSPHRASE = "correct horse (synthetic)"
NEW_PASSPHRASE = "battery staple (synthetic)"


def kapdesk(*args: str, stdin: str = "", env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", crypto.WEAK_KDF_ENV: "1", **(env_extra or {})}
    env.pop(crypto.PASSPHRASE_ENV, None) if crypto.PASSPHRASE_ENV not in (env_extra or {}) else None
    return subprocess.run([sys.executable, "-m", "kapdesk", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=180)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def demo(tmp_path) -> tuple[Path, str]:
    db = tmp_path / "record.sqlite3"
    result = kapdesk("demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db, result.stdout.strip()


def test_encrypt_then_every_command_asks_for_the_passphrase(demo, tmp_path):
    db, session_id = demo
    result = kapdesk("db", "encrypt", "--db", str(db), stdin=PASSPHRASE + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"encrypted {db}" in out and f"{db}.kdf" in out and "cannot be recovered" in out
    assert "unencrypted original was removed" in out
    assert db.read_bytes()[:16] != crypto.SQLITE_HEADER
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("record")) == \
        ["record.sqlite3", "record.sqlite3.kdf"]

    csv = tmp_path / "session.csv"
    exported = kapdesk("export", session_id, "--format", "csv", "--out", str(csv), "--db", str(db),
                       stdin=PASSPHRASE + "\n")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == str(csv) and "unencrypted copy" in one_line(exported.stderr)
    assert (csv.stat().st_mode & 0o777) == 0o600

    audited = kapdesk("audit", "verify", "--db", str(db), env_extra={crypto.PASSPHRASE_ENV: PASSPHRASE})
    assert audited.returncode == 0 and "audit trail intact" in audited.stdout, audited.stderr

    again = kapdesk("demo", "--db", str(db), env_extra={crypto.PASSPHRASE_ENV: PASSPHRASE})
    assert again.returncode == 0 and uuid.UUID(again.stdout.strip()), again.stderr


def test_a_wrong_passphrase_is_one_line_a_failure_and_no_change(demo):
    db, session_id = demo
    assert kapdesk("db", "encrypt", "--db", str(db), stdin=PASSPHRASE + "\n").returncode == 0
    before = digest(db)
    expected = f"the passphrase does not open {db} (nothing was changed)"
    for args in (("export", session_id, "--format", "csv", "--out", str(db.parent), "--db", str(db)),
                 ("audit", "verify", "--db", str(db)),
                 ("demo", "--db", str(db)),
                 ("db", "rekey", "--db", str(db))):
        result = kapdesk(*args, stdin="wrong horse (synthetic)\n" + NEW_PASSPHRASE + "\n")
        assert result.returncode != 0, args
        assert one_line(result.stderr).endswith(expected), (args, result.stderr)
    assert digest(db) == before
    assert not list(db.parent.glob("*.csv"))


def test_the_gui_refuses_a_wrong_passphrase_from_the_environment_with_one_line(demo):
    db, _ = demo
    assert kapdesk("db", "encrypt", "--db", str(db), stdin=PASSPHRASE + "\n").returncode == 0
    before = digest(db)
    result = kapdesk("--db", str(db), env_extra={crypto.PASSPHRASE_ENV: "wrong horse (synthetic)"})
    assert result.returncode == 2
    ours = [line for line in result.stderr.splitlines() if "propagateSizeHints" not in line]  # offscreen Qt's own
    assert ours == [f"kapdesk: the passphrase does not open {db} (nothing was changed)"], result.stderr
    assert digest(db) == before


def test_rekey_reads_the_current_then_the_new_passphrase(demo):
    db, _ = demo
    assert kapdesk("db", "encrypt", "--db", str(db), stdin=PASSPHRASE + "\n").returncode == 0
    result = kapdesk("db", "rekey", "--db", str(db), stdin=f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n")
    assert result.returncode == 0, result.stderr
    assert "was changed" in result.stdout
    assert kapdesk("audit", "verify", "--db", str(db), stdin=PASSPHRASE + "\n").returncode == 4
    assert kapdesk("audit", "verify", "--db", str(db), stdin=NEW_PASSPHRASE + "\n").returncode == 0
    scripted = kapdesk("db", "rekey", "--db", str(db),
                       env_extra={crypto.PASSPHRASE_ENV: NEW_PASSPHRASE, "KAPDESK_NEW_PASSPHRASE": PASSPHRASE})
    assert scripted.returncode == 0, scripted.stderr


def test_the_passphrase_is_never_a_command_line_argument(demo):
    db, _ = demo
    for args in (("db", "encrypt", "--db", str(db), "--passphrase", PASSPHRASE),
                 ("--passphrase", PASSPHRASE, "--db", str(db))):
        result = kapdesk(*args, stdin=PASSPHRASE + "\n")
        assert result.returncode == 2 and "usage: kapdesk" in result.stderr  # argparse refuses it
    assert db.read_bytes()[:16] == crypto.SQLITE_HEADER


def test_refusals_name_the_problem(demo, tmp_path):
    db, _ = demo
    short = kapdesk("db", "encrypt", "--db", str(db), stdin="too short\n")
    assert short.returncode == 2 and "too short" in one_line(short.stderr)
    nothing = kapdesk("db", "encrypt", "--db", str(tmp_path / "none.sqlite3"), stdin=PASSPHRASE + "\n")
    assert nothing.returncode == 4 and "there is no record" in one_line(nothing.stderr)
    plain_rekey = kapdesk("db", "rekey", "--db", str(db), stdin=PASSPHRASE + "\n")
    assert plain_rekey.returncode == 4 and "is not encrypted" in one_line(plain_rekey.stderr)
    no_input = kapdesk("db", "encrypt", "--db", str(db))
    assert no_input.returncode == 4 and "no new passphrase on standard input" in one_line(no_input.stderr)
    assert db.read_bytes()[:16] == crypto.SQLITE_HEADER


def test_a_record_open_in_kapdesk_is_not_converted(demo):
    db, _ = demo
    lock = InstanceLock(db)  # what the running app holds
    lock.acquire()
    try:
        before = digest(db)
        result = kapdesk("db", "encrypt", "--db", str(db), stdin=PASSPHRASE + "\n")
        assert result.returncode == 4
        assert "already open in another KAPDesk" in one_line(result.stderr)
        assert digest(db) == before and not crypto.key_file_path(db).exists()
    finally:
        lock.release()
