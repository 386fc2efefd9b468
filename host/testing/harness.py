"""The `Harness`: an app built from chosen plugins on a fresh database, its users and tokens,
in-process calls, the CLI; `make_host` builds them, `test_config` is the one place their
`Config` is made."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from host import users
from host.app import App, create_app
from host.config import Config
from host.credentials import TOKEN_HEADER
from host.db import bound
from host.testing.components import PROJECT_ROOT, TEST_SECRET_KEY, FakeClock

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
    return {TOKEN_HEADER: token}


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
        with self.db():
            users.User.update(enabled=enabled).where(users.User.id == user.id).execute()

    def set_permissions(self, user: TestUser, permissions: list[str]) -> None:
        """Replace the user's personal role's permissions (a role change after the fact)."""
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

    def write_conf(self, path: Path | None = None, var_dir: Path | None = None) -> Path:
        """This harness's configuration as a TOML file, for a gunicorn server or the CLI; another
        `path` and `var_dir` for a second host on the same database."""
        path = path or self.tmp_path / "host.toml"
        server = {
            "database_url": self.config.database_url,
            "secret_key": self.config.secret_key,
            "bcrypt_rounds": self.config.bcrypt_rounds,
            "var_dir": str(var_dir or self.config.var_dir),
            "max_body_bytes": self.config.max_body_bytes,
        }
        plugins = {"enabled": self.config.enabled_plugins, **self.config.plugin_settings}
        security = asdict(self.config.security)
        logging = {"format": self.config.log_format}
        path.write_text(
            dump_toml({"server": server, "security": security, "logging": logging, "plugins": plugins}),
            encoding="utf-8",
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


def test_config(
    database_url: str,
    tmp_path: Path,
    plugins: list[str] | None = None,
    settings: dict[str, dict[str, Any]] | None = None,
    **overrides: Any,
) -> Config:
    """The configuration of a test host: the test key, a cheap bcrypt, `var/` under `tmp_path`."""
    fields: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET_KEY,
        "bcrypt_rounds": 4,
        "var_dir": tmp_path / "var",
    }
    return Config(
        **{**fields, **overrides}, enabled_plugins=list(plugins or []), plugin_settings=settings or {}
    )


test_config.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test pytest should collect


def build_harness(config: Config, tmp_path: Path, migrate: bool = True) -> Harness:
    """The app for `config` in a `Harness`, its database migrated unless `migrate=False`."""
    harness = Harness(config=config, app=create_app(config, context="test"), tmp_path=tmp_path)
    if migrate:
        with harness.db():
            harness.host.migrate()
    return harness


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
        config = test_config(
            overrides.pop("database_url", database_url), tmp_path, plugins, settings, **overrides
        )
        if clock is not None:
            config.clock = clock
        harness = build_harness(config, tmp_path, migrate=migrate)
        built.append(harness)
        return harness

    yield factory
    for harness in built:
        harness.host.shutdown()
