"""The Access tokens page in-process, on both databases: what the server renders, and the API the
page's script calls through the session (with its CSRF token)."""

import re

import pytest

from host import sessions
from host.testing_browser import PageSession

ECHO = "tests.sample_plugins.host_echo"
PAGE = "/profile/access-tokens"
API = "/api/v1/personal-access-tokens"
SECRET = re.compile(r"rpa_[0-9A-Za-z]{40}")


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", ECHO])


@pytest.fixture
def alice(harness):
    return harness.user("alice", ["login", "reports#view", "runner#registration", "echo#read"])


@pytest.fixture
def page(harness, alice):
    session = PageSession(harness)
    assert session.login("alice", alice.password).status_code == 303
    return session


def options(html):
    return re.findall(r'<option value="([^"]+)" data-seconds="(\d*)"( selected)?>([^<]+)</option>', html)


def test_the_page_needs_a_login(harness):
    result = harness.call("GET", PAGE)
    assert result.status_code == 303
    assert result.headers["location"] == "/login?next=%2Fprofile%2Faccess-tokens"


def test_the_menu_links_to_the_page(page):
    assert '<a href="/profile/access-tokens">Access tokens</a>' in page.get("/").text


def test_the_page_offers_the_products_expirations_and_the_users_global_permissions(page, harness):
    html = page.get(PAGE).text
    assert [(value, label) for value, _, _, label in options(html)] == [
        ("7d", "7 days"),
        ("30d", "30 days"),
        ("45d", "45 days"),
        ("60d", "60 days"),
        ("1y", "1 year"),
        ("never", "No expiration"),
    ]
    assert [(value, seconds) for value, seconds, _, _ in options(html)][0] == ("7d", str(7 * 86400))
    assert [value for value, _, selected, _ in options(html) if selected] == ["30d"]
    boxes = re.findall(r'name="globalPermissions" value="([^"]+)"', html)
    assert boxes == ["login", "reports#view", "runner#registration"], "held global permissions only"
    assert harness.host.permissions["reports#view"].description in html
    for control in ("token-name", "token-expiration"):
        assert f'<label for="{control}">' in html
    assert "Use all permissions" in html and "Let me select permissions" in html
    assert '<dialog id="delete-dialog"' in html and ">Delete token</button>" in html


def test_configured_expirations_are_what_the_page_offers(make_host):
    harness = make_host(
        plugins=["pat_auth"],
        settings={"pat_auth": {"expirations": ["7d", "90d", "never"], "max_lifetime_days": 90}},
    )
    bob = harness.user("bob", ["login"])
    session = PageSession(harness)
    session.login("bob", bob.password)
    html = session.get(PAGE).text
    assert [(value, label) for value, _, _, label in options(html)] == [("7d", "7 days"), ("90d", "90 days")]


def test_the_page_manages_tokens_through_the_api_with_the_sessions_csrf_token(page, harness):
    refused = page.api("POST", API, json={"tokenNote": "ci", "expiration": "7d"}, csrf=False)
    assert refused.status_code == 403
    assert refused.json["message"] == sessions.CSRF_REFUSED
    created = page.api("POST", API, json={"tokenNote": "ci", "expiration": "7d"})
    assert created.status_code == 201, created.text
    secret = created.json["token"]
    assert harness.call("GET", "/api/v1/profile", token=secret).status_code == 200
    assert page.api("DELETE", f"{API}/{created.json['id']}", csrf=False).status_code == 403
    assert page.api("DELETE", f"{API}/{created.json['id']}").status_code == 204
    assert harness.call("GET", "/api/v1/profile", token=secret).status_code == 401


def test_a_secret_never_comes_back_from_the_server(page, harness):
    created = page.api("POST", API, json={"tokenNote": "once", "expiration": "30d"})
    secret = created.json["token"]
    assert secret not in page.get(PAGE).text
    assert secret not in page.get("/").text
    assert secret not in page.api("GET", API).text
    assert not SECRET.search(page.get(PAGE).text)
    assert all(secret not in value for value in page.cookies.values())
    with harness.db():
        rows = [str(v) for r in sessions.Session.select().dicts() for v in r.values()]
    assert not any(secret in value for value in rows)


def test_external_users_see_an_explanation_instead_of_the_generate_button(harness):
    oidc = harness.user("olga", ["login"], source="external")
    with harness.db():
        sid = sessions.create(harness.host, oidc.id)
    session = PageSession(harness)
    session.cookies[sessions.cookie_name(harness.config)] = sid
    html = session.get(PAGE).text
    assert "Personal access tokens are not available to your account." in html
    assert "OIDC" in html
    assert 'id="generate-open"' not in html and 'id="generate-form"' not in html
