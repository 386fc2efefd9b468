"""Reuse detection: a rotated-out secret presented after its overlap is refused, audited as a possible
theft (address, user agent) once per token and hour however often it comes, emitted, reported to
the owner without a secret; `revoke_family_on_reuse` revokes the replacements too."""

import pytest

from plugins.pat_auth.models import PatAuditRecord
from tests.sample_plugins import pat_routes

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"
WHOAMI = "/api/v1/pat-test/whoami"
AUDIT = "/api/v1/admin/personal-access-tokens/audit"
ROTATED = "This personal access token was rotated; use its replacement."


@pytest.fixture(autouse=True)
def _clear_events():
    pat_routes.EVENTS.clear()
    yield
    pat_routes.EVENTS.clear()


def make_and_rotate(harness, user, overlap="0"):
    old = harness.call("POST", TOKENS, as_user=user, json={"tokenNote": "deploy"}).json
    new = harness.call("POST", f"{TOKENS}/{old['id']}/rotate", as_user=user, json={"overlap": overlap}).json
    return old, new


def present(harness, secret, agent="curl/8.5.0"):
    return harness.call("GET", WHOAMI, token=secret, headers={"User-Agent": agent})


def events(name):
    return [e for e in pat_routes.EVENTS if e.name == name]


def reused_rows(harness):
    with harness.db():
        return list(
            PatAuditRecord.select().where(PatAuditRecord.action == "reused").order_by(PatAuditRecord.id)
        )


def test_reuse_is_refused_audited_emitted_and_reported_once_per_token_and_hour(make_host, clock):
    harness = make_host(plugins=["pat_auth", ROUTES], clock=clock)
    alice = harness.user("alice")
    root = harness.user("root", roles=("admin",))
    old, new = make_and_rotate(harness, alice, overlap="1h")
    assert present(harness, old["token"]).status_code == 200, "in the overlap: no reuse"
    assert reused_rows(harness) == []
    clock.advance(hours=1)
    for _ in range(5):
        refused = present(harness, old["token"])
        assert refused.status_code == 401 and refused.json["message"] == ROTATED
    (row,) = reused_rows(harness)
    assert (row.token_id, row.reason, row.ip, row.user_agent) == (
        old["id"],
        "possible-theft",
        "127.0.0.1",
        "curl/8.5.0",
    )
    trail = harness.call("GET", AUDIT, as_user=root).json
    assert [r for r in trail if r["action"] == "reused"][0]["userAgent"] == "curl/8.5.0"
    (event,) = events("pat.reused")
    assert (event.payload["tokenId"], event.payload["ip"], event.payload["revokedIds"]) == (
        old["id"],
        "127.0.0.1",
        [],
    )
    (note,) = events("notification.requested")
    assert note.payload["userId"] == alice.id and note.payload["kind"] == "pat.reused"
    assert '"deploy"' in note.payload["subject"] and old["hint"] in note.payload["text"]
    assert "curl/8.5.0" in note.payload["text"] and "127.0.0.1" in note.payload["html"]
    for secret in (old["token"], new["token"]):
        assert secret not in str(note.payload) and secret not in str(event.payload)
    assert present(harness, new["token"]).status_code == 200, "the replacement keeps working by default"
    clock.advance(minutes=59)
    assert present(harness, old["token"]).status_code == 401
    assert len(reused_rows(harness)) == 1
    clock.advance(minutes=1)
    assert present(harness, old["token"]).status_code == 401
    assert len(reused_rows(harness)) == 2, "reported again after the hour"


def test_a_token_shaped_user_agent_is_redacted_and_expiry_alone_is_no_reuse(make_host, clock):
    harness = make_host(plugins=["pat_auth", ROUTES], clock=clock)
    alice = harness.user("alice")
    old, new = make_and_rotate(harness, alice)
    assert present(harness, old["token"], agent=f"script {new['token']}").status_code == 401
    (row,) = reused_rows(harness)
    assert new["token"] not in row.user_agent and row.user_agent == "script ********"
    plain = harness.call("POST", TOKENS, as_user=alice, json={"tokenNote": "short", "expiration": "7d"}).json
    clock.advance(days=8)
    expired = present(harness, plain["token"])
    assert expired.json["message"] == "The personal access token has expired."
    assert len(reused_rows(harness)) == 1


def test_revoke_family_on_reuse_revokes_every_replacement(make_host, clock):
    harness = make_host(
        plugins=["pat_auth", ROUTES], clock=clock, settings={"pat_auth": {"revoke_family_on_reuse": True}}
    )
    alice = harness.user("alice")
    first, second = make_and_rotate(harness, alice, overlap="0")
    third = harness.call(
        "POST", f"{TOKENS}/{second['id']}/rotate", as_user=alice, json={"overlap": "1d"}
    ).json
    assert present(harness, third["token"]).status_code == 200
    assert present(harness, second["token"]).status_code == 200, "still in its overlap"
    refused = present(harness, first["token"])
    assert refused.json["message"] == ROTATED
    for secret in (second["token"], third["token"]):
        gone = present(harness, secret)
        assert gone.status_code == 401 and gone.json["message"] == "Invalid personal access token."
    (event,) = events("pat.reused")
    assert sorted(event.payload["revokedIds"]) == sorted([second["id"], third["id"]])
    (note,) = events("notification.requested")
    assert "revoked as well" in note.payload["text"]
    assert harness.call("GET", TOKENS, as_user=alice).json == []
    with harness.db():
        deleted = PatAuditRecord.select().where(
            (PatAuditRecord.action == "deleted") & (PatAuditRecord.actor == "reuse-detection")
        )
        assert sorted(r.token_id for r in deleted) == sorted([second["id"], third["id"]])
