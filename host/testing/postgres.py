"""A throwaway PostgreSQL cluster per test session, and the `database_url` fixture that runs a
database test on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from host.testing.components import free_port, require


def _pg_bin() -> Path:
    """The newest installed PostgreSQL server binaries (Debian keeps them out of PATH)."""
    if os.environ.get("RELEASE_HOST_PG_BIN"):
        return Path(os.environ["RELEASE_HOST_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
DATABASES = [d for d in os.environ.get("RELEASE_HOST_TEST_DATABASES", "sqlite,postgresql").split(",") if d]


class PostgresCluster:
    """A throwaway PostgreSQL cluster on loopback, run as the `postgres` user when we are root."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="release-host-pg-"))
        self.port = free_port()

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()

    def _run(self, *cmd: str) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            line = " ".join(f"'{c}'" for c in cmd)
            cmd = ("su", "postgres", "-s", "/bin/sh", "-c", line)
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        self.resume()

    def resume(self) -> None:
        """Start the server (again, after `pause`) on the same port and data."""
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def pause(self) -> None:
        """Stop the server as an outage would (`-m fast`: every connection is cut); `resume` starts it."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the whole test session."""
    require(PostgresCluster.available(), f"PostgreSQL server binaries not found in {PG_BIN}")
    cluster = PostgresCluster()
    cluster.start()
    cluster.execute("CREATE DATABASE release_host_test")
    yield cluster
    cluster.stop()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for one test: SQLite file, or the PostgreSQL test database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'release-host.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    cluster.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;", database="release_host_test")
    return cluster.url("release_host_test")
