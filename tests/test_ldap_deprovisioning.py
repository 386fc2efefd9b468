"""Directory changes reach sessions and tokens: an LDAP user deleted from the real slapd (or whose
entry stops matching `account_filter`) is disabled locally within `recheck_minutes`, on every
gunicorn worker, and the audit trail says why."""

from __future__ import annotations

import secrets

import pytest
import requests

from host import ensure_role, grant_role, sessions
from host.migrations import AppliedMigration
from host.testing import FileClock, basic_auth
from host.users import User
from plugins.ldap_auth import recheck
from plugins.pat_auth.models import PatAuditRecord

ROUTES = "tests.sample_plugins.pat_routes"
CLOCK = "tests.sample_plugins.shared_clock"
TOKENS = "/api/v1/personal-access-tokens"
WHOAMI = "/api/v1/pat-test/whoami"
INVALID = "Invalid personal access token."


@pytest.fixture
def person(slapd):
    """A directory user of this test only (the directory is shared by the session)."""
    uid = f"dora{secrets.token_hex(3)}"
    slapd.add_person(uid, f"{uid}-directory-pw")
    yield uid
    slapd.delete_person(uid)  # a no-op when the test deleted it


def disabled_audit(harness, username: str) -> list[str]:
    with harness.db():
        rows = PatAuditRecord.select().where(
            (PatAuditRecord.action == "user.disabled") & (PatAuditRecord.username == username)
        )
        return [(r.actor, r.detail) for r in rows]


def test_a_user_deleted_from_the_directory_loses_tokens_and_sessions_on_every_worker(
    make_host, serve, slapd, person, tmp_path
):
    clock = FileClock(tmp_path / "clock")
    settings = {"ldap_auth": slapd.settings(recheck_minutes=5, sync_minutes=0)}
    harness = make_host(plugins=["pat_auth", "ldap_auth", ROUTES, CLOCK], settings=settings, clock=clock)
    base = serve(harness, workers=2, env={"RELEASE_HOST_TEST_CLOCK": str(clock.path)})
    made = requests.post(
        f"{base}{TOKENS}",
        json={"tokenNote": "ci"},
        headers=basic_auth(person, slapd.people[person]),
        timeout=10,
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    with harness.db():
        user = User.get(User.username == person)
        grant_role(user, ensure_role("ldap-users", ["login"]))
        sid = sessions.create(harness.host, user.id)
    cookie = {sessions.cookie_name(harness.config): sid}

    def call(**kwargs):
        return requests.get(f"{base}{WHOAMI}", timeout=10, **kwargs)

    def both_workers_accept() -> bool:
        workers = set()
        for _ in range(200):
            answer = call(headers={"x-release-personal-token": token})
            assert answer.status_code == 200, answer.text
            workers.add(answer.json()["pid"])
            if len(workers) == 2:
                return True
        return False

    assert both_workers_accept()
    slapd.delete_person(person)
    clock.advance(minutes=4, seconds=59)
    assert both_workers_accept(), "inside the interval the last check stands: no directory round trip"
    assert call(cookies=cookie).status_code == 200
    clock.advance(seconds=2)
    for _ in range(20):
        refused = call(headers={"x-release-personal-token": token})
        assert refused.status_code == 401 and refused.json()["message"] == INVALID
    assert call(cookies=cookie).status_code == 401, "the session ended too"
    with harness.db():
        assert not User.get(User.username == person).enabled
    assert disabled_audit(harness, person) == [("ldap_auth", "not in the directory")]


def test_the_worker_sync_disables_users_gone_or_filtered_out(make_host, slapd, person, clock):
    settings = {"ldap_auth": slapd.settings(account_filter="(!(description=disabled))")}
    harness = make_host(plugins=["pat_auth", "ldap_auth", ROUTES], settings=settings, clock=clock)
    for uid in (person, "lara"):
        answer = harness.call("GET", WHOAMI, headers=basic_auth(uid, slapd.people[uid]))
        assert answer.status_code == 200, answer.text
    slapd.modify_person(person, description="disabled")
    with harness.db():
        assert recheck.sync(harness.host) == 0, "nobody is due inside the interval"
        clock.advance(minutes=5)
        assert recheck.sync(harness.host) == 1
        assert not User.get(User.username == person).enabled
        assert User.get(User.username == "lara").enabled
    assert disabled_audit(harness, person) == [("ldap_auth", "not in the directory")]
    refused = harness.call("GET", WHOAMI, headers=basic_auth(person, slapd.people[person]))
    assert refused.status_code == 401


def test_m001_on_data_of_the_previous_schema_makes_existing_ldap_users_due(make_host, slapd, person):
    """Before m001 there was no table of checks: LDAP users and their tokens already existed."""
    settings = {"ldap_auth": slapd.settings()}
    harness = make_host(plugins=["pat_auth", "ldap_auth", ROUTES], settings=settings)
    tokens = {}
    for uid in (person, "lara"):
        made = harness.call(
            "POST", TOKENS, headers=basic_auth(uid, slapd.people[uid]), json={"tokenNote": "ci"}
        )
        assert made.status_code == 201, made.text
        tokens[uid] = made.json["token"]
    with harness.db():
        harness.host.database.execute_sql("DROP TABLE ldap_auth_checks")
        AppliedMigration.delete().where(AppliedMigration.name == "m001_directory_checks").execute()
        assert harness.host.migrate() == ["ldap_auth:m001_directory_checks"]
    slapd.delete_person(person)
    assert harness.call("GET", WHOAMI, token=tokens["lara"]).status_code == 200
    refused = harness.call("GET", WHOAMI, token=tokens[person])
    assert refused.status_code == 401 and refused.json["message"] == INVALID
    assert disabled_audit(harness, person) == [("ldap_auth", "not in the directory")]
