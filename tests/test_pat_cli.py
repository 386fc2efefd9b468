"""`release-host tokens create | list | revoke | audit` against the harness's database."""

import pytest

ROUTES = "tests.sample_plugins.pat_routes"
WHOAMI = "/api/v1/pat-test/whoami"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", ROUTES])


def test_create_prints_the_secret_once_and_it_works(harness):
    harness.user("alice", ["reports#view", "runner#registration"])
    made = harness.cli(
        "tokens",
        "create",
        "--user",
        "alice",
        "--name",
        "ci",
        "--expires",
        "30d",
        "--permission",
        "reports#view",
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("rpa_") and "\n" not in secret
    assert "shown once" in made.stderr and "reports#view" in made.stderr
    seen = harness.call("GET", WHOAMI, token=secret).json
    assert seen["username"] == "alice" and seen["scope"] == ["reports#view"]
    assert harness.call("GET", "/api/v1/pat-test/runners", token=secret).status_code == 403
    listed = harness.cli("tokens", "list", "--user", "alice")
    assert listed.returncode == 0
    assert secret not in listed.stdout
    row = listed.stdout.strip().split("\t")
    assert row[1:5] == ["alice", "ci", f"rpa_…{secret[-4:]}", "active"]
    assert row[-1] == "scope=reports#view"


def test_revoke_refuses_the_token_from_the_next_request(harness):
    harness.user("alice")
    secret = harness.cli("tokens", "create", "--user", "alice", "--name", "ci").stdout.strip()
    token_id = harness.cli("tokens", "list").stdout.split("\t")[0]
    assert harness.call("GET", WHOAMI, token=secret).status_code == 200
    revoked = harness.cli("tokens", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked token {token_id} (ci) of alice" in revoked.stdout
    assert harness.call("GET", WHOAMI, token=secret).status_code == 401
    again = harness.cli("tokens", "revoke", token_id)
    assert again.returncode != 0 and "no personal access token" in again.stderr
    trail = harness.cli("tokens", "audit", "--user", "alice").stdout
    assert [line.split("\t")[1] for line in trail.strip().splitlines()] == [
        "refused",
        "deleted",
        "new-address",  # its first use, from the test client's address
        "created",
    ]


@pytest.mark.parametrize(
    ("user", "extra", "message"),
    [
        ("nobody", [], "no user 'nobody'"),
        ("ext", [], "not available to external users"),
        ("off", [], "disabled"),
        ("alice", ["--permission", "security#edit"], "security#edit"),
        ("alice", ["--permission", "no#such"], "no#such"),
    ],
)
def test_create_refusals_exit_non_zero_with_a_message(harness, user, extra, message):
    harness.user("alice")
    harness.user("ext", source="external")
    harness.set_enabled(harness.user("off"), False)
    result = harness.cli("tokens", "create", "--user", user, "--name", "ci", *extra)
    assert result.returncode != 0
    assert message in result.stderr
    assert "rpa_" not in result.stdout


def test_expiration_outside_the_policy_is_refused_by_the_cli(make_host):
    harness = make_host(plugins=["pat_auth"], settings={"pat_auth": {"max_lifetime_days": 60}})
    harness.user("alice")
    result = harness.cli("tokens", "create", "--user", "alice", "--name", "ci", "--expires", "never")
    assert result.returncode != 0
    assert "never" in result.stderr
