"""Issue #11 item 7: a password change, disabling a user and losing `login` end their sessions.

Each change is made the way an operator makes it (`release-host users …`, the real command), and
the session is held by an in-process browser; on SQLite and PostgreSQL.
"""

import pytest

from host import sessions
from host.testing_browser import PageSession

PROFILE = "/api/v1/profile"
NEW_PASSWORD = "a-new-password-1"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=[])


def signed_in(harness, user):
    page = PageSession(harness)
    assert page.login(user.username, user.password).status_code == 303
    assert page.get(PROFILE).status_code == 200
    return page


def sessions_of(harness, user):
    with harness.db():
        return sessions.Session.select().where(sessions.Session.user == user.id).count()


def cli_ok(harness, *args, env=None):
    result = harness.cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result


def test_set_password_ends_every_session_of_the_user_and_no_one_elses(harness):
    alice = harness.user("alice", ["login"])
    bob = harness.user("bob", ["login"])
    first, second, others = signed_in(harness, alice), signed_in(harness, alice), signed_in(harness, bob)
    cli_ok(harness, "users", "set-password", "alice", "--password-env", "PW", env={"PW": NEW_PASSWORD})
    assert sessions_of(harness, alice) == 0
    assert first.get(PROFILE).status_code == 401
    assert second.get(PROFILE).status_code == 401
    assert others.get(PROFILE).status_code == 200
    again = PageSession(harness)
    assert again.login("alice", NEW_PASSWORD).status_code == 303
    assert again.get(PROFILE).status_code == 200


def test_disabling_ends_sessions_so_enabling_again_does_not_bring_them_back(harness):
    alice = harness.user("alice", ["login"])
    page = signed_in(harness, alice)
    cli_ok(harness, "users", "disable", "alice")
    assert sessions_of(harness, alice) == 0
    cli_ok(harness, "users", "enable", "alice")
    assert page.get(PROFILE).status_code == 401


def test_disabled_user_tokens_stay_refused(make_host):
    harness = make_host(plugins=["pat_auth"])
    alice = harness.user("alice", ["login"])
    token = harness.token(alice)
    cli_ok(harness, "users", "disable", "alice")
    assert harness.call("GET", PROFILE, token=token).status_code == 401


def test_losing_login_through_a_revoked_role_ends_sessions(harness):
    alice = harness.user("alice", roles=("staff",))
    cli_ok(harness, "roles", "create", "staff", "--permission", "login")
    page = signed_in(harness, alice)
    cli_ok(harness, "users", "revoke", "alice", "staff")
    assert sessions_of(harness, alice) == 0
    cli_ok(harness, "users", "grant", "alice", "staff")
    assert page.get(PROFILE).status_code == 401


def test_revoking_a_role_that_leaves_login_keeps_the_session(harness):
    alice = harness.user("alice", ["login"], roles=("staff",))
    cli_ok(harness, "roles", "create", "staff", "--permission", "login")
    page = signed_in(harness, alice)
    cli_ok(harness, "users", "revoke", "alice", "staff")
    assert page.get(PROFILE).status_code == 200
