"""The secret is nowhere but in the create response: not in any table, not in any log line."""

import logging
from pathlib import Path

import pytest

from host.testing import basic_auth

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth", ROUTES], clock=clock)


def exercise(harness, clock) -> list[str]:
    """Every code path that touches a token: create (API, CLI), use, refuse, expire, delete."""
    root = harness.user("root", roles=("admin",))
    alice = harness.user("alice", ["reports#view"])
    secrets = [
        harness.token(alice, "all"),
        harness.token(alice, "selected", permissions=["reports#view"]),
        harness.token(alice, "short", expiration="7d"),
        harness.token(root, "admin", expiration="never"),
    ]
    made = harness.cli("tokens", "create", "--user", "alice", "--name", "from cli", "--expires", "1y")
    assert made.returncode == 0, made.stderr
    secrets.append(made.stdout.strip())
    assert secrets[-1] not in made.stderr
    for secret in secrets:
        for style in ("header", "basic"):
            assert (
                harness.call("GET", "/api/v1/pat-test/whoami", token=secret, token_style=style).status_code
                == 200
            )
    harness.call("GET", "/api/v1/pat-test/runners", token=secrets[1])
    harness.call("GET", "/api/v1/pat-test/whoami", token=secrets[0][:-1])
    harness.call("GET", "/api/v1/pat-test/whoami", token=secrets[0][:-6] + "000000")
    harness.call("GET", "/api/v1/pat-test/whoami", headers=basic_auth("alice", secrets[0]))
    listed = harness.call("GET", TOKENS, as_user=alice).json
    harness.call("DELETE", f"{TOKENS}/{listed[0]['id']}", as_user=alice)
    clock.advance(days=8)
    for secret in secrets:
        harness.call("GET", "/api/v1/pat-test/whoami", token=secret)
    harness.call("GET", "/api/v1/admin/personal-access-tokens", as_user=root)
    harness.call("GET", "/api/v1/admin/personal-access-tokens/audit", as_user=root)
    assert harness.cli("tokens", "list").returncode == 0
    assert harness.cli("tokens", "audit").returncode == 0
    return secrets


def fragments(secret: str) -> list[str]:
    """The whole secret and its random part, so a stripped prefix or checksum is caught too."""
    return [secret, secret[4:-6], secret[4:24]]


def test_the_secret_is_in_no_table_and_no_column(harness, clock):
    secrets = exercise(harness, clock)
    db = harness.host.database
    with harness.db():
        tables = db.get_tables()
        assert {"pat_tokens", "pat_audit", "host_users"} <= set(tables)
        scanned = 0
        for table in tables:
            for row in db.execute_sql(f'SELECT * FROM "{table}"').fetchall():
                for value in row:
                    text = value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
                    scanned += 1
                    for secret in secrets:
                        for fragment in fragments(secret):
                            assert fragment not in text, f"secret found in table {table}"
    assert scanned > 50
    url = harness.config.database_url
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for secret in secrets:
            for fragment in fragments(secret):
                assert fragment.encode() not in raw


def test_the_secret_is_in_no_log_line(harness, clock, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = exercise(harness, clock)
    assert "personal access token refused" in caplog.text
    assert "personal access token created" in caplog.text
    for record in caplog.records:
        line = record.getMessage() + repr(record.args)
        for secret in secrets:
            for fragment in fragments(secret):
                assert fragment not in line
    for secret in secrets:
        assert secret not in caplog.text
