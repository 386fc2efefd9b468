"""A Token Authentication endpoint keeps only a Secret Token that works: one that is not a PAT,
unknown, expired, deleted or of a disabled owner is refused with 400 saying which, and the
Connections page says when a saved token has expired or been deleted since."""

from __future__ import annotations

import pytest
from playhouse.migrate import SchemaMigrator, migrate

from host.testing import FakeClock
from host.testing_browser import PageSession

API = "/api/v1/config/webhook-endpoints"
PATS = "/api/v1/personal-access-tokens"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth", "webhooks"], clock=clock)


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


@pytest.fixture
def ci(harness):
    return harness.user("ci")


def save(harness, admin, secret, method="POST", path=API):
    body = {"title": "Pushes", "path": "pushes", "authentication": "token", "secretToken": secret}
    return harness.call(method, path, as_user=admin, json=body)


def token_id(harness, owner, name):
    listed = harness.call("GET", PATS, as_user=owner).json
    return next(t["id"] for t in listed if t["tokenNote"] == name)


def refused(result, *words):
    assert result.status_code == 400, result.text
    assert set(result.json) == {"error", "message"}
    message = result.json["message"]
    assert message.startswith("Secret Token"), message
    assert all(word in message for word in words), message
    return message


def test_a_value_that_is_not_a_pat_is_refused(harness, admin):
    refused(save(harness, admin, "notapat"), "not a personal access token")
    from plugins.pat_auth import tokens

    bad_checksum = tokens.new_token()[:-1] + "0"
    if tokens.shape(bad_checksum) is tokens.Shape.OK:
        bad_checksum = bad_checksum[:-1] + "1"
    refused(save(harness, admin, bad_checksum), "not a personal access token")
    assert harness.call("GET", API, as_user=admin).json == []


def test_an_unknown_pat_is_refused(harness, admin):
    from plugins.pat_auth import tokens

    secret = tokens.new_token()
    message = refused(save(harness, admin, secret), "unknown")
    assert secret not in message


def test_a_deleted_pat_is_refused(harness, admin, ci):
    secret = harness.token(ci, "gone")
    assert harness.call("DELETE", f"{PATS}/{token_id(harness, ci, 'gone')}", as_user=ci).status_code == 204
    message = refused(save(harness, admin, secret), "deleted")
    assert secret not in message


def test_an_expired_pat_is_refused(harness, admin, ci, clock):
    secret = harness.token(ci, "short", expiration="7d")
    clock.advance(days=8)
    refused(save(harness, admin, secret), "expired")


def test_a_disabled_owners_pat_is_refused(harness, admin, ci):
    secret = harness.token(ci, "owner gone")
    harness.set_enabled(ci, False)
    refused(save(harness, admin, secret), "cannot use it")


def test_a_change_to_a_bad_token_is_refused_and_keeps_the_good_one(harness, admin, ci):
    good = harness.token(ci, "good")
    created = save(harness, admin, good)
    assert created.status_code == 201, created.text
    assert created.json["secretTokenState"] == "active"
    item = f"{API}/{created.json['id']}"
    refused(save(harness, admin, "notapat", "PUT", item), "not a personal access token")
    kept = harness.call("PUT", item, as_user=admin, json={"title": "Renamed"})
    assert (kept.status_code, kept.json["secretTokenState"]) == (200, "active")
    assert harness.call("POST", "/webhooks/pushes", json={}, token=good).status_code == 200


def test_connections_page_says_when_the_token_expired_or_was_deleted_since(harness, admin, ci, clock):
    doomed = harness.token(ci, "doomed")
    short = harness.token(ci, "short", expiration="7d")
    first = save(harness, admin, doomed)
    assert first.status_code == 201, first.text
    body = {"title": "Builds", "path": "builds", "authentication": "token", "secretToken": short}
    second = harness.call("POST", API, as_user=admin, json=body)
    assert second.status_code == 201, second.text

    browser = PageSession(harness)
    browser.login("root", admin.password)
    assert "token-problem" not in browser.get("/configuration/connections").text

    assert harness.call("DELETE", f"{PATS}/{token_id(harness, ci, 'doomed')}", as_user=ci).status_code == 204
    clock.advance(days=8)
    states = {e["path"]: e["secretTokenState"] for e in harness.call("GET", API, as_user=admin).json}
    assert states == {"pushes": "deleted", "builds": "expired"}
    browser = PageSession(harness)  # the first session expired with the clock
    browser.login("root", admin.password)
    page = browser.get("/configuration/connections").text
    assert 'data-state="deleted">Its Secret Token has been deleted' in page
    assert 'data-state="expired">Its Secret Token has expired' in page
    assert doomed not in page and short not in page


def test_endpoints_saved_before_the_migration_are_unchecked(make_host):
    """m002 adds the column to a table made by the previous schema; old rows stay usable."""
    harness = make_host(plugins=["pat_auth", "webhooks"])
    admin = harness.user("root", roles=("admin",))
    ci = harness.user("ci")
    secret = harness.token(ci, "old endpoint")
    db = harness.host.database
    from host.migrations import AppliedMigration
    from plugins.webhooks import endpoints

    with harness.db():
        migrate(SchemaMigrator.from_database(db).drop_column("webhooks_endpoints", "token_credential_id"))
        AppliedMigration.delete().where(AppliedMigration.name == "m002_token_credential_id").execute()
        old_row = {
            "id": "Webhook0123456789abcdef",
            "title": "Old",
            "enabled": True,
            "path": "old",
            "method": "POST",
            "authentication": "token",
            "username": "",
            "token_digest": endpoints.token_digest(harness.host, secret),
            "request_retention": 100,
            "created_at": "2026-11-01 00:00:00",
            "updated_at": "2026-11-01 00:00:00",
        }
        marks = ", ".join([db.param] * len(old_row))
        db.execute_sql(
            f"INSERT INTO webhooks_endpoints ({', '.join(old_row)}) VALUES ({marks})", list(old_row.values())
        )
        assert harness.host.migrate() == ["webhooks:m002_token_credential_id"]
    listed = harness.call("GET", API, as_user=admin).json
    assert [(e["path"], e["secretTokenState"]) for e in listed] == [("old", "unchecked")]
    assert harness.call("POST", "/webhooks/old", json={}, token=secret).status_code == 200
    browser = PageSession(harness)
    browser.login("root", admin.password)
    assert 'data-state="unchecked"' in browser.get("/configuration/connections").text
