"""Pytest fixtures for the host and for plugin authors (installed as the `release_host` pytest plugin).

`make_host(plugins=[...])` builds an app from chosen plugins on a fresh database (SQLite, and
PostgreSQL too where its binaries exist); the `Harness` it returns makes users and tokens and
calls the app in-process, and `serve(harness)` runs the same configuration under real gunicorn.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from host.app import App, create_app
from host.config import Config
from host.db import bound

pytest_plugins = ["host.testing_browser"]
_config: list[pytest.Config] = []


class HarnessHooks:
    """pytest hooks a plugin's own pytest plugin implements for the harness (registered through
    the `pytest11` entry point group, as `host.testing` is)."""

    @pytest.hookspec(firstresult=True)
    def pytest_release_host_token(
        self, harness: Harness, user: TestUser, name: str, permissions: list[str] | None, expiration: str
    ) -> str | None:
        """Make a token for `user` in `harness` and return its secret; None when the plugin that
        would make it is not enabled in this harness."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(HarnessHooks)


def pytest_configure(config: pytest.Config) -> None:
    _config[:] = [config]


def _pytest_hooks() -> Any:
    if not _config:
        raise RuntimeError(
            "harness.token() asks the plugins' pytest hooks, so it works under pytest only; "
            "elsewhere call the issuing plugin's own helper"
        )
    return _config[0].hook


REQUIRE_ALL = os.environ.get("RELEASE_HOST_TEST_REQUIRE_ALL") == "1"
TEST_SECRET_KEY = "test-secret-key-not-for-production-0123456789"


def _pg_bin() -> Path:
    """The newest installed PostgreSQL server binaries (Debian keeps them out of PATH)."""
    if os.environ.get("RELEASE_HOST_PG_BIN"):
        return Path(os.environ["RELEASE_HOST_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASES = [d for d in os.environ.get("RELEASE_HOST_TEST_DATABASES", "sqlite,postgresql").split(",") if d]


def require(available: bool, reason: str) -> None:
    """Skip when a real component is missing; in CI (RELEASE_HOST_TEST_REQUIRE_ALL=1) fail instead."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required test component missing: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.2),
        ):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class FakeClock:
    """A clock tests move by hand: `clock.advance(days=7)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


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
        data = self.dir / "data"
        self._run(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg2

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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class TestUser:
    __test__ = False

    id: int
    username: str
    password: str | None

    @property
    def basic(self) -> dict[str, str]:
        """Headers for HTTP Basic with this user's password."""
        return basic_auth(self.username, self.password or "")


def basic_auth(username: str, password: str) -> dict[str, str]:
    """An `Authorization: Basic` header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def token_headers(token: str, style: str = "header") -> dict[str, str]:
    """A PAT as `x-release-personal-token` (style "header") or as Basic with an empty username."""
    if style == "basic":
        return basic_auth("", token)
    return {"x-release-personal-token": token}


@dataclass
class Harness:
    """An app built from chosen plugins on a fresh database, and ways to call it."""

    config: Config
    app: App
    tmp_path: Path
    users: dict[str, TestUser] = field(default_factory=dict)

    @property
    def host(self):
        return self.app.host

    @property
    def client(self) -> falcon.testing.TestClient:
        return falcon.testing.TestClient(self.app)

    @contextlib.contextmanager
    def db(self) -> Iterator[None]:
        """`with harness.db():` around direct model access: a connection to this harness's
        database, which models use inside the block whatever other hosts the test built."""
        with bound(self.host.database), self.host.database.connection_context():
            yield

    def user(
        self,
        username: str,
        permissions: tuple[str, ...] | list[str] = (),
        *,
        password: str | None = "pw-" + "x" * 8,
        source: str = "internal",
        roles: tuple[str, ...] = (),
    ) -> TestUser:
        """A user holding `permissions` (through a personal role) and `roles`."""
        from host import users

        with self.db():
            user = users.create_user(
                username,
                now=self.host.now(),
                password=password if source == "internal" else None,
                rounds=self.config.bcrypt_rounds,
                source=source,
            )
            if permissions:
                users.grant_role(user, users.ensure_role(f"user:{username}", list(permissions)))
            for role in roles:
                users.grant_role(user, users.ensure_role(role))
            found = TestUser(user.id, username, password if source == "internal" else None)
        self.users[username] = found
        return found

    def set_enabled(self, user: TestUser, enabled: bool) -> None:
        from host import users

        with self.db():
            users.User.update(enabled=enabled).where(users.User.id == user.id).execute()

    def set_permissions(self, user: TestUser, permissions: list[str]) -> None:
        """Replace the user's personal role's permissions (a role change after the fact)."""
        from host import users

        with self.db():
            role = users.ensure_role(f"user:{user.username}")
            users.RolePermission.delete().where(users.RolePermission.role == role).execute()
            users.ensure_role(role.name, permissions)
            users.grant_role(users.User.get_by_id(user.id), role)

    def token(
        self,
        user: TestUser,
        name: str = "test token",
        permissions: list[str] | None = None,
        expiration: str = "30d",
    ) -> str:
        """A personal access token, made by whichever enabled plugin issues them, through its own
        API (its `pytest_release_host_token` implementation)."""
        secret = _pytest_hooks().pytest_release_host_token(
            harness=self, user=user, name=name, permissions=permissions, expiration=expiration
        )
        if secret is None:
            raise AssertionError(
                f"no plugin enabled here ({self.config.enabled_plugins}) issues personal access tokens"
            )
        return secret

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        token_style: str = "header",
        as_user: TestUser | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> falcon.testing.Result:
        """Call the app in-process with a PAT, a user's password, or nothing; a raw `body` is sent
        as JSON unless `headers` name another Content-Type."""
        all_headers = dict(headers or {})
        if "body" in kwargs and not any(name.lower() == "content-type" for name in all_headers):
            all_headers["Content-Type"] = "application/json"
        if token is not None:
            all_headers.update(token_headers(token, token_style))
        if as_user is not None:
            all_headers.update(as_user.basic)
        return self.client.simulate_request(method, path, headers=all_headers, **kwargs)

    def write_conf(self) -> Path:
        """This harness's configuration as a TOML file, for a gunicorn server or the CLI."""
        path = self.tmp_path / "host.toml"
        server = {
            "database_url": self.config.database_url,
            "secret_key": self.config.secret_key,
            "bcrypt_rounds": self.config.bcrypt_rounds,
            "var_dir": str(self.config.var_dir),
            "max_body_bytes": self.config.max_body_bytes,
        }
        plugins = {"enabled": self.config.enabled_plugins, **self.config.plugin_settings}
        security = asdict(self.config.security)
        path.write_text(
            dump_toml({"server": server, "security": security, "plugins": plugins}), encoding="utf-8"
        )
        return path

    def cli(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> subprocess.CompletedProcess:
        """Run `release-host` against this harness's database in a subprocess."""
        full_env = {**os.environ, "RELEASE_HOST_CONF": str(self.write_conf()), **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "host.cli", *args],
            env=full_env,
            capture_output=True,
            text=True,
            timeout=60,
            input=input,
            cwd=PROJECT_ROOT,
        )


def dump_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Enough TOML for configuration files: scalars, lists and nested tables."""
    scalars = [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    out = []
    if scalars:
        out.append((f"[{prefix}]\n" if prefix else "") + "\n".join(scalars) + "\n")
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(dump_toml(value, f"{prefix}.{key}" if prefix else key))
    return "\n".join(out)


@pytest.fixture
def make_host(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Factory: `make_host(plugins=[...], settings={"plugin": {...}}, clock=clock)` → `Harness`."""
    built: list[Harness] = []

    def factory(
        plugins: list[str] | None = None,
        settings: dict[str, dict[str, Any]] | None = None,
        clock: Any = None,
        migrate: bool = True,
        **overrides: Any,
    ) -> Harness:
        fields: dict[str, Any] = {
            "database_url": database_url,
            "secret_key": TEST_SECRET_KEY,
            "bcrypt_rounds": 4,
            "var_dir": tmp_path / "var",
        }
        config = Config(
            **{**fields, **overrides}, enabled_plugins=list(plugins or []), plugin_settings=settings or {}
        )
        if clock is not None:
            config.clock = clock
        app = create_app(config, context="test")
        harness = Harness(config=config, app=app, tmp_path=tmp_path)
        if migrate:
            with harness.db():
                app.host.migrate()
        built.append(harness)
        return harness

    yield factory
    for harness in built:
        harness.host.shutdown()


def start_gunicorn(
    conf: Path,
    port: int,
    log_path: Path,
    workers: int = 2,
    env: dict[str, str] | None = None,
    timeout: float = 15.0,
) -> subprocess.Popen:
    """Run the host under real gunicorn with this configuration file, as `release-host serve` does;
    returns once the port answers. Output goes to `log_path` (tests grep it for secrets)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--no-control-socket",
                "-c",
                str(PROJECT_ROOT / "conf" / "gunicorn.conf.py"),
                "host.wsgi:app",
            ],
            env={
                **os.environ,
                "RELEASE_HOST_CONF": str(conf),
                "RELEASE_HOST_BIND": f"127.0.0.1:{port}",
                "RELEASE_HOST_WORKERS": str(workers),
                **(env or {}),
            },
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, timeout=timeout, proc=proc)
    return proc


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Factory: `serve(harness, workers=2)` runs it under real gunicorn and returns the base URL."""
    running: list[subprocess.Popen] = []

    def factory(harness: Harness, workers: int = 2, env: dict[str, str] | None = None) -> str:
        port = free_port()
        log_path = harness.tmp_path / f"gunicorn-{port}.log"
        running.append(start_gunicorn(harness.write_conf(), port, log_path, workers, env))
        return f"http://127.0.0.1:{port}"

    yield factory
    for proc in running:
        stop_process(proc)
