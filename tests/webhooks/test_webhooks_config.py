"""Webhook endpoints' configuration: the API, its permission, retention changes, the pages and
the startup settings."""

from __future__ import annotations

import json

import pytest

from host.testing import basic_auth, token_headers
from tests.webhooks.support import API, create, everything_stored, stored

# -- configuration API ---------------------------------------------------------------------------


def test_create_read_update_delete_an_endpoint(harness, admin):
    created = create(harness, admin, authentication="basic", username="ci", password="s3cret-basic-pw")
    assert created["title"] == "Git pushes"
    assert created["enabled"] is True
    assert created["method"] == "POST"
    assert created["requestRetention"] == 100
    assert created["url"] == "/webhooks/git-pushes"
    assert created["passwordSet"] is True
    assert "password" not in created and "secretToken" not in created

    endpoint_id = created["id"]
    assert harness.call("GET", f"{API}/{endpoint_id}", as_user=admin).json == created
    assert [e["id"] for e in harness.call("GET", API, as_user=admin).json] == [endpoint_id]

    updated = harness.call(
        "PUT", f"{API}/{endpoint_id}", as_user=admin, json={"title": "CI", "enabled": False}
    ).json
    assert (updated["title"], updated["enabled"], updated["username"]) == ("CI", False, "ci")
    assert updated["passwordSet"] is True

    assert harness.call("DELETE", f"{API}/{endpoint_id}", as_user=admin).status_code == 204
    assert harness.call("GET", f"{API}/{endpoint_id}", as_user=admin).status_code == 404
    assert harness.call("GET", API, as_user=admin).json == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Title is required."),
        ({"path": "a/b"}, "Endpoint Path must be"),
        ({"path": "with space"}, "Endpoint Path must be"),
        ({"path": ""}, "Endpoint Path is required."),
        ({"method": "PUT"}, "HTTP method must be one of POST, GET."),
        ({"authentication": "magic"}, "Authentication Method must be one of"),
        ({"requestRetention": 0}, "Request Retention must be a whole number"),
        (
            {"requestRetention": True},
            "requestRetention: expected a whole number or a string, got true or false.",
        ),
        ({"requestRetention": "many"}, "Request Retention must be a whole number"),
        ({"enabled": "yes"}, "enabled: expected true or false, got a string."),
        ({"authentication": "token"}, "Secret Token is required for Token Authentication."),
        ({"authentication": "hmac-sha256"}, "Secret Token is required"),
        ({"authentication": "basic", "password": "pw-123456"}, "Username is required"),
        ({"authentication": "basic", "username": "ci"}, "Password is required"),
        ({"secret_token": "x"}, "Unknown field secret_token."),
    ],
)
def test_invalid_configuration_is_refused_with_the_reason(harness, admin, fields, message):
    body = {"title": "Git", "path": "git", "authentication": "none", **fields}
    result = harness.call("POST", API, as_user=admin, json=body)
    assert result.status_code == 400
    assert result.json["message"].startswith(message)


def test_path_is_unique(harness, admin):
    first = create(harness, admin)
    duplicate = harness.call(
        "POST", API, as_user=admin, json={"title": "Other", "path": "git-pushes", "authentication": "none"}
    )
    assert duplicate.status_code == 409
    assert "already used" in duplicate.json["message"]
    other = create(harness, admin, path="other")
    moved = harness.call("PUT", f"{API}/{other['id']}", as_user=admin, json={"path": first["path"]})
    assert moved.status_code == 409


def test_configuration_needs_the_permission(harness, admin):
    endpoint = create(harness, admin)
    nobody = harness.user("nobody")
    editor = harness.user("editor", ["configuration#edit"])
    for method, path in [
        ("GET", API),
        ("GET", f"{API}/{endpoint['id']}"),
        ("DELETE", f"{API}/{endpoint['id']}"),
    ]:
        assert harness.call(method, path).status_code == 401
        refused = harness.call(method, path, as_user=nobody)
        assert refused.status_code == 403
        assert refused.json["message"] == "Permission configuration#edit is not granted to you."
    assert harness.call("GET", f"{API}/{endpoint['id']}/requests", as_user=nobody).status_code == 403
    assert harness.call("GET", API, as_user=editor).status_code == 200


def test_a_whole_number_written_with_a_fraction_is_a_whole_number(harness, admin):
    """JSON Schema's `integer` takes 629.0, so the server does too (a JavaScript client may send it)."""
    endpoint = create(harness, admin, requestRetention=629.0)
    assert endpoint["requestRetention"] == 629
    changed = harness.call("PUT", f"{API}/{endpoint['id']}", as_user=admin, json={"requestRetention": 2.5})
    assert changed.status_code == 400


def test_a_change_that_leaves_the_endpoint_without_its_secret_is_a_conflict(harness, admin):
    """The same change is right for an endpoint whose secret is set: 409, not a malformed body."""
    endpoint = create(harness, admin)
    switched = harness.call("PUT", f"{API}/{endpoint['id']}", as_user=admin, json={"authentication": "basic"})
    assert switched.status_code == 409
    assert switched.json["message"].startswith("Username is required for Basic Authentication")
    keyed = harness.call(
        "PUT",
        f"{API}/{endpoint['id']}",
        as_user=admin,
        json={"authentication": "hmac-sha256", "secretToken": "k"},
    )
    assert keyed.status_code == 200, keyed.text
    kept = harness.call(
        "PUT", f"{API}/{endpoint['id']}", as_user=admin, json={"authentication": "hmac-sha256"}
    )
    assert kept.status_code == 200, kept.text


def test_lowering_retention_trims_at_once(harness, admin):
    endpoint = create(harness, admin, requestRetention=10)
    for n in range(6):
        assert harness.call("POST", "/webhooks/git-pushes", json={"n": n}).status_code == 200
    harness.call("PUT", f"{API}/{endpoint['id']}", as_user=admin, json={"requestRetention": 2})
    assert [json.loads(r["body"])["n"] for r in stored(harness, admin, endpoint["id"])] == [5, 4]


# -- pages (in-process, both databases) ----------------------------------------------------------


def test_pages_are_for_configuration_editors_and_linked_from_their_menu(make_host):
    from host.testing.browser import PageSession

    harness = make_host(plugins=["webhooks"])
    admin = harness.user("root", roles=("admin",))
    viewer = harness.user("viewer", ["login"])
    endpoint = create(harness, admin)
    pages = [
        "/configuration/connections",
        "/configuration/connections/webhooks/new",
        f"/configuration/connections/webhooks/{endpoint['id']}",
        f"/configuration/connections/webhooks/{endpoint['id']}/requests",
    ]
    anonymous = PageSession(harness)
    assert all(anonymous.get(page).status_code == 303 for page in pages)

    browser = PageSession(harness)
    browser.login("viewer", viewer.password)
    assert "Configuration › Connections" not in browser.get("/").text
    assert all(browser.get(page).status_code == 403 for page in pages)

    browser = PageSession(harness)
    browser.login("root", admin.password)
    assert 'href="/configuration/connections"' in browser.get("/").text
    listing = browser.get(pages[0])
    assert listing.status_code == 200
    for text in (
        "Webhooks and Events",
        "HTTP Endpoint for Webhooks",
        "Add HTTP Endpoint for Webhooks",
        "Git pushes",
    ):
        assert text in listing.text
    assert browser.get("/configuration/connections/webhooks/Webhook0").status_code == 404


def test_session_saves_through_the_api_only_with_the_csrf_token(make_host):
    from host.testing.browser import PageSession

    harness = make_host(plugins=["webhooks"])
    admin = harness.user("root", roles=("admin",))
    browser = PageSession(harness)
    browser.login("root", admin.password)
    body = {"title": "Git", "path": "git", "authentication": "none"}
    assert browser.api("POST", API, json=body, csrf=False).status_code == 403
    assert browser.api("POST", API, json=body).status_code == 201


def test_pages_never_show_a_secret(make_host):
    from host.testing.browser import PageSession

    harness = make_host(plugins=["pat_auth", "webhooks"])
    admin = harness.user("root", roles=("admin",))
    secrets = {
        "token": harness.token(harness.user("ci"), "webhook caller"),
        "hmac": "gh-webhook-secret-7f3a",
        "password": "basic-pw-8u2k",
    }
    made = [
        create(harness, admin, path="t", authentication="token", secretToken=secrets["token"]),
        create(harness, admin, path="h", authentication="hmac-sha256", secretToken=secrets["hmac"]),
        create(harness, admin, path="b", authentication="basic", username="ci", password=secrets["password"]),
    ]
    harness.call(
        "POST", "/webhooks/t", json={"echo": secrets["token"]}, headers=token_headers(secrets["token"])
    )
    harness.call("POST", "/webhooks/h", json={}, headers={"X-Hub-Signature-256": "sha256=00"})
    harness.call("POST", "/webhooks/b", json={"a": 1}, headers=basic_auth("ci", secrets["password"]))

    browser = PageSession(harness)
    browser.login("root", admin.password)
    shown = [browser.get("/configuration/connections").text]
    for endpoint in made:
        shown.append(browser.get(f"/configuration/connections/webhooks/{endpoint['id']}").text)
        requests_page = browser.get(f"/configuration/connections/webhooks/{endpoint['id']}/requests")
        assert "********" in requests_page.text
        shown.append(requests_page.text)
    shown.append(json.dumps(harness.call("GET", API, as_user=admin).json))
    for endpoint in made:
        shown.append(json.dumps(stored(harness, admin, endpoint["id"])))
    shown.append(everything_stored(harness))
    for secret in secrets.values():
        assert all(secret not in text for text in shown), secret


def test_a_bad_body_limit_stops_the_startup(make_host):
    from host import StartupError

    with pytest.raises(StartupError, match=r"\[plugins.webhooks\] max_body_bytes"):
        make_host(plugins=["webhooks"], settings={"webhooks": {"max_body_bytes": 0}})
