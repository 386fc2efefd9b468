"""Pytest fixtures for the host and for plugin authors (installed as the `release_host` pytest plugin).

`make_host(plugins=[...])` builds an app from chosen plugins on a fresh database (SQLite, and
PostgreSQL too where its binaries exist); the `Harness` it returns makes users and tokens and
calls the app in-process, and `serve(harness)` runs the same configuration under real gunicorn.
Browsers (in-process `PageSession`, real Chromium) are in `host.testing.browser`.

One module per job: `components` (real components or a clear skip, ports, the clock),
`postgres`, `harness`, `gunicorn`, `hosts` (several `release-host serve` on one database),
`browser`. Everything a test imports is named here.
"""

from host.testing.browser import (
    PageSession,
    artifact_path,
    browser,
    console_errors,
    login,
    module_host,
    module_server,
    new_page,
    sign_in,
)
from host.testing.components import (
    PROJECT_ROOT,
    REQUIRE_ALL,
    TEST_SECRET_KEY,
    FakeClock,
    FileClock,
    free_port,
    read_file_clock,
    require,
    wait_for_port,
)
from host.testing.gunicorn import serve, start_gunicorn, stop_process
from host.testing.harness import (
    Harness,
    HarnessHooks,
    TestUser,
    basic_auth,
    build_harness,
    clock,
    dump_toml,
    make_host,
    pytest_addhooks,
    pytest_configure,
    test_config,
    token_headers,
)
from host.testing.hosts import ServedHost, start_hosts, stop_hosts
from host.testing.postgres import DATABASES, PG_BIN, PostgresCluster, database_url, postgres_cluster

__all__ = [
    "DATABASES",
    "PG_BIN",
    "PROJECT_ROOT",
    "REQUIRE_ALL",
    "TEST_SECRET_KEY",
    "FakeClock",
    "FileClock",
    "Harness",
    "HarnessHooks",
    "PageSession",
    "PostgresCluster",
    "ServedHost",
    "TestUser",
    "artifact_path",
    "basic_auth",
    "browser",
    "build_harness",
    "clock",
    "console_errors",
    "database_url",
    "dump_toml",
    "free_port",
    "login",
    "make_host",
    "module_host",
    "module_server",
    "new_page",
    "postgres_cluster",
    "pytest_addhooks",
    "pytest_configure",
    "read_file_clock",
    "require",
    "serve",
    "sign_in",
    "start_gunicorn",
    "start_hosts",
    "stop_process",
    "stop_hosts",
    "test_config",
    "token_headers",
    "wait_for_port",
]
