"""Retiring unused tokens: off by default; with `revoke_unused_after` the owner is warned once per
idle period, then the token is revoked with an audit row; a used token is kept; the page states
the policy; a bad setting stops the startup."""

from __future__ import annotations

import pytest

from host import StartupError
from plugins.pat_auth import retire
from plugins.pat_auth.models import PatAuditRecord
from tests.sample_plugins import pat_routes

ROUTES = "tests.sample_plugins.pat_routes"
WHOAMI = "/api/v1/pat-test/whoami"
POLICY = {"pat_auth": {"revoke_unused_after": "90d", "retire_warning": "14d", "reminder_interval_minutes": 0}}


def test_unused_tokens_are_warned_once_then_revoked_and_used_ones_kept(make_host, clock):
    pat_routes.EVENTS.clear()
    harness = make_host(plugins=["pat_auth", ROUTES], clock=clock, settings=POLICY)
    alice = harness.user("alice", ["login"])
    idle = harness.token(alice, "idle", expiration="1y")
    busy = harness.token(alice, "busy", expiration="1y")
    clock.advance(days=77)
    assert harness.call("GET", WHOAMI, token=busy).status_code == 200
    with harness.db():
        assert retire.run(harness.host) == (1, 0)
        assert retire.run(harness.host) == (0, 0), "one warning per idle period"
    (message,) = [e.payload for e in pat_routes.EVENTS if e.name == "notification.requested"]
    assert message["kind"] == "pat.unused" and '"idle"' in message["subject"] and idle not in message["text"]
    clock.advance(days=14)
    with harness.db():
        assert retire.run(harness.host) == (0, 1)
    assert harness.call("GET", WHOAMI, token=idle).status_code == 401
    assert harness.call("GET", WHOAMI, token=busy).status_code == 200
    with harness.db():
        (row,) = PatAuditRecord.select().where(PatAuditRecord.action == "deleted")
    assert (row.actor, row.username) == ("unused-policy", "alice")
    page = harness.call("GET", "/profile/access-tokens", headers={"x-test-session": "alice"})
    assert "Tokens not used for 90 days are revoked" in page.text


def test_the_policy_is_off_by_default_and_checked_at_startup(make_host, clock):
    harness = make_host(plugins=["pat_auth", ROUTES], clock=clock)
    harness.token(harness.user("alice"), "old")
    clock.advance(days=400)
    with harness.db():
        assert retire.run(harness.host) == (0, 0)
    with pytest.raises(StartupError, match="revoke_unused_after"):
        make_host(plugins=["pat_auth"], settings={"pat_auth": {"revoke_unused_after": "soon"}})
