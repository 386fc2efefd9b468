"""`release-host db copy` (issue 18, item 3): a populated SQLite deployment moved into an empty
PostgreSQL database; a real server on PostgreSQL then accepts every old token and session, and new
rows get fresh ids. A non-empty target is refused; hostile arguments give one line, no traceback."""

from __future__ import annotations

import pytest
import requests

from host import sessions
from host.testing import build_harness, start_hosts, stop_hosts, test_config, token_headers
from host.users import User
from tests.releases.support import LOCAL, make_template, manual, release_from
from tests.webhooks.support import create

ROUTES = "tests.sample_plugins.pat_routes"
PLUGINS = ["pat_auth", "webhooks", "releases_api", ROUTES]
SETTINGS = {"releases_api": LOCAL}
TOKENS = "/api/v1/personal-access-tokens"


@pytest.fixture
def empty_postgres(postgres_cluster):
    postgres_cluster.execute("DROP DATABASE IF EXISTS scale_copy")
    postgres_cluster.execute("CREATE DATABASE scale_copy")
    return postgres_cluster.url("scale_copy")


@pytest.fixture
def populated(tmp_path):
    """A SQLite deployment with users, roles, tokens (one scoped), a session, a webhook endpoint
    with a received request, a template and a release."""
    config = test_config(f"sqlite:///{tmp_path / 'old.db'}", tmp_path, PLUGINS, SETTINGS)
    harness = build_harness(config, tmp_path)
    admin = harness.user("root", roles=("admin",))
    alice = harness.user("alice", ["reports#view", "runner#registration", "login"])
    made = {
        "full": harness.token(alice, "full"),
        "scoped": harness.token(alice, "scoped", permissions=["reports#view"]),
        "admin": harness.token(admin, "admin"),
    }
    with harness.db():
        made["session"] = sessions.create(harness.host, User.get(User.username == "alice").id)
    create(harness, admin, path="kept")
    assert harness.call("POST", "/webhooks/kept", json={"n": 1}).status_code == 200
    release_from(harness, admin, make_template(harness, admin, [manual()]), title="Moved")
    yield harness, made
    harness.host.shutdown()


def test_a_populated_sqlite_deployment_moves_to_postgresql_and_every_token_works(
    populated, empty_postgres, tmp_path
):
    old, made = populated
    copied = old.cli("db", "copy", "--to", empty_postgres)
    assert copied.returncode == 0, copied.stderr
    lines = copied.stdout.splitlines()
    assert "DIFFERS" not in copied.stdout and "Traceback" not in copied.stderr
    for table in (
        "host_users",
        "host_sessions",
        "pat_tokens",
        "webhooks_endpoints",
        "webhooks_requests",
        "host_migrations",
    ):
        assert any(line.split()[0] == table for line in lines), copied.stdout
    assert lines[-1].startswith("copied ") and empty_postgres.rsplit("/", 1)[1] in lines[-1]

    pg_dir = tmp_path / "pg"
    pg_dir.mkdir()
    new = build_harness(test_config(empty_postgres, pg_dir, PLUGINS, SETTINGS), pg_dir, migrate=False)
    (served,) = start_hosts(new, ["pg"], workers=1)
    try:
        base = served.url
        who = requests.get(f"{base}/api/v1/pat-test/whoami", headers=token_headers(made["full"]), timeout=10)
        assert who.status_code == 200 and who.json()["username"] == "alice", who.text
        scoped = token_headers(made["scoped"])
        assert requests.get(f"{base}/api/v1/pat-test/reports", headers=scoped, timeout=10).status_code == 200
        assert requests.get(f"{base}/api/v1/pat-test/runners", headers=scoped, timeout=10).status_code == 403
        admin = token_headers(made["admin"])
        releases = requests.get(f"{base}/api/v1/releases", headers=admin, timeout=10)
        assert releases.status_code == 200 and "Moved" in releases.text, releases.text
        cookie = {sessions.cookie_name(new.config): made["session"]}
        assert (
            requests.get(f"{base}/api/v1/profile", cookies=cookie, timeout=10).json()["username"] == "alice"
        )
        # new rows take ids after the copied ones (the sequences were moved)
        fresh = requests.post(
            f"{base}{TOKENS}",
            json={"tokenNote": "after"},
            auth=("alice", old.users["alice"].password),
            timeout=10,
        )
        assert fresh.status_code == 201, fresh.text
        assert requests.post(f"{base}/webhooks/kept", json={"n": 2}, timeout=10).status_code == 200
    finally:
        stop_hosts([served])
        new.host.shutdown()
    assert "Traceback" not in served.log_text()


def test_a_non_empty_target_is_refused_unless_replace_is_given(populated, empty_postgres):
    old, _ = populated
    assert old.cli("db", "copy", "--to", empty_postgres).returncode == 0
    again = old.cli("db", "copy", "--to", empty_postgres)
    assert again.returncode == 2
    assert "the target is not empty" in again.stderr and "--replace" in again.stderr
    assert "Traceback" not in again.stderr
    replaced = old.cli("db", "copy", "--to", empty_postgres, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert "DIFFERS" not in replaced.stdout


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("", "has no scheme"),
        ("mysql://x/y", "unsupported database scheme"),
        (
            "postgresql://copy:s3cret-pw@127.0.0.1:1/none",
            "cannot reach the target postgresql://copy@127.0.0.1:1/none",
        ),
        ("postgresql://127.0.0.1:99999/x", "--to:"),
    ],
)
def test_hostile_targets_get_one_line_and_no_secret(populated, target, said):
    old, _ = populated
    refused = old.cli("db", "copy", "--to", target)
    assert refused.returncode == 2, refused.stdout
    assert said in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert "s3cret" not in refused.stderr + refused.stdout


def test_the_deployments_own_database_is_refused_as_target(populated):
    old, _ = populated
    refused = old.cli("db", "copy", "--to", old.config.database_url)
    assert refused.returncode == 2 and "already uses" in refused.stderr
