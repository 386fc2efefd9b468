"""`/api/v1/profile` answers for the credential used, not for its owner; `credential_status`
tells a plugin what state a token is in before it keeps it."""

from __future__ import annotations

import pytest

from host.testing import FakeClock


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth"], clock=clock)


def test_a_token_limited_to_login_is_not_admin_even_for_an_admin(harness):
    admin = harness.user("root", roles=("admin",))
    token = harness.token(admin, "login only", permissions=["login"])
    profile = harness.call("GET", "/api/v1/profile", token=token)
    assert profile.status_code == 200, profile.text
    body = profile.json
    assert body["admin"] is False
    assert body["permissions"] == ["login"]
    assert body["authenticatedBy"] == "token"
    assert body["credential"]["kind"] == "personal-access-token"
    assert body["credential"]["name"] == "login only"
    assert body["credential"]["permissions"] == ["login"]
    assert body["credential"]["expiresAt"].startswith("2026-12-28T12:00:00")


def test_a_token_with_all_permissions_of_an_admin_is_admin(harness):
    admin = harness.user("root", roles=("admin",))
    profile = harness.call("GET", "/api/v1/profile", token=harness.token(admin, "everything")).json
    assert profile["admin"] is True
    assert profile["credential"]["permissions"] is None


def test_a_password_has_no_credential(harness):
    admin = harness.user("root", roles=("admin",))
    profile = harness.call("GET", "/api/v1/profile", as_user=admin).json
    assert (profile["admin"], profile["authenticatedBy"], profile["credential"]) == (True, "password", None)


def _status(harness, secret):
    with harness.db():
        return harness.host.pm.hook.credential_status(host=harness.host, secret=secret)


def test_hook_credential_status_answered_by_pat_auth(harness, clock):
    owner = harness.user("owner", ["login"])
    live = harness.token(owner, "live", expiration="7d")
    assert _status(harness, live)["state"] == "active"
    token_id = _status(harness, live)["id"]
    clock.advance(days=8)
    expired = _status(harness, live)
    assert (expired["state"], expired["id"]) == ("expired", token_id)
    assert "expired" in expired["message"] and live not in expired["message"]
    with harness.db():
        info = harness.host.pm.hook.credential_info(host=harness.host, credential_id=token_id)
    assert info["state"] == "expired"


def test_hook_credential_status_deleted_unknown_and_not_a_token(harness):
    owner = harness.user("owner", ["login"])
    secret = harness.token(owner, "gone")
    token_id = _status(harness, secret)["id"]
    deleted = harness.call("DELETE", f"/api/v1/personal-access-tokens/{token_id}", as_user=owner)
    assert deleted.status_code == 204
    assert _status(harness, secret)["state"] == "deleted"
    other = secret[:-10] + ("A" if secret[-10] != "A" else "B") + secret[-9:]
    assert _status(harness, "notapat") is None
    assert _status(harness, other) is None  # checksum no longer matches: not a token at all
    from plugins.pat_auth import tokens

    unknown = _status(harness, tokens.new_token())
    assert (unknown["state"], unknown["id"]) == ("unknown", None)


def test_hook_credential_status_writes_nothing(harness):
    owner = harness.user("owner", ["login"])
    secret = harness.token(owner, "quiet")
    from plugins.pat_auth.models import PatAuditRecord, PersonalAccessToken

    with harness.db():
        before = PatAuditRecord.select().count()
    _status(harness, secret)
    _status(harness, "rpa_" + "x" * 40)
    with harness.db():
        assert PatAuditRecord.select().count() == before
        assert PersonalAccessToken.get().last_used_at is None
