"""A real PostgreSQL cluster for the tests: initdb in a temporary folder, a Unix socket, no TCP.

The server binaries come from Debian's ``postgresql`` package (tools/system-libs.sh installs it).
PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres`` user.
Tests stop and kill this server for real to check what the app does when its server goes away.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path


def server_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PgCluster:
    """One throwaway cluster; :meth:`database` makes a fresh, empty database for one test."""

    def __init__(self) -> None:
        bindir = server_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)")
        self.bin = bindir
        self.root = Path(tempfile.mkdtemp(prefix="kapdesk-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.port = 5432 + (os.getpid() % 1000) + 10
        self.user = "kapdesk_test"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / argv[0]) if (self.bin / argv[0]).exists() else argv[0], *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    # A role that must give its password (scram-sha-256), for the tests of a wrong password.
    PASSWORD_USER, PASSWORD = "kapdesk_pw", "synthetic-pg-password"

    def init(self) -> PgCluster:
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "--no-sync", "-E", "UTF8")
        hba = self.data / "pg_hba.conf"
        rules = f"local all {self.PASSWORD_USER} scram-sha-256\n" + hba.read_text()
        hba.write_text(rules)  # root may write the postgres user's file; it keeps its owner
        self.start()
        self.sql(f"CREATE ROLE {self.PASSWORD_USER} LOGIN PASSWORD '{self.PASSWORD}'")
        return self

    def sql(self, statement: str, database: str = "postgres") -> str:
        return self._run("psql", "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.user, "-d", database,
                         "-v", "ON_ERROR_STOP=1", "-Atc", statement).stdout

    def start(self) -> PgCluster:
        options = f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", str(self.root / "log"), "start")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash or a pulled cable would end it."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.socket_dir}&port={self.port}"

    def database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
