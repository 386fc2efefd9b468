"""Configuration › All tokens and Audit in-process, on both databases: filters, revoking one
token or all of a user's, and the audit of what happened."""

import re

import pytest

from host.testing import basic_auth
from host.testing.browser import PageSession
from plugins.pat_auth.models import PersonalAccessToken

TOKENS = "/configuration/access-tokens"
AUDIT = "/configuration/audit"


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth"], clock=clock)


@pytest.fixture
def root(harness):
    return harness.user("root", ["login", "security#edit"])


@pytest.fixture
def alice(harness):
    return harness.user("alice", ["login", "reports#view"])


def signed_in(harness, user):
    page = PageSession(harness)
    assert page.login(user.username, user.password).status_code == 303
    return page


def names(html):
    return re.findall(r'<span class="wrap token-name">([^<]*)</span>', html)


def works(harness, secret):
    return (
        harness.call("GET", "/api/v1/profile", headers={"x-release-personal-token": secret}).status_code
        == 200
    )


def test_only_security_edit_holders_see_the_pages_and_their_links(harness, root, alice):
    page = signed_in(harness, alice)
    assert page.get(TOKENS).status_code == 403 and page.get(AUDIT).status_code == 403
    assert "All tokens" not in page.get("/").text
    home = signed_in(harness, root).get("/").text
    assert "Configuration › All tokens" in home and "Configuration › Audit" in home


def test_filters_by_user_status_expiry_and_last_use(harness, root, alice, clock):
    bob = harness.user("bob", ["login"])
    week = harness.token(alice, name="week", expiration="7d")
    harness.token(alice, name="year", expiration="1y")
    harness.token(bob, name="bob month", expiration="30d")
    assert works(harness, week)
    page = signed_in(harness, root)
    assert sorted(names(page.get(TOKENS).text)) == ["bob month", "week", "year"]
    assert sorted(names(page.get(TOKENS, params={"username": "alice"}).text)) == ["week", "year"]
    assert names(page.get(TOKENS, params={"expiresWithinDays": "10"}).text) == ["week"]
    assert names(page.get(TOKENS, params={"lastUsed": "within-7"}).text) == ["week"]
    assert sorted(names(page.get(TOKENS, params={"lastUsed": "never"}).text)) == ["bob month", "year"]
    clock.advance(days=8)
    page = signed_in(harness, root)  # the session idled out meanwhile
    assert names(page.get(TOKENS, params={"status": "expired"}).text) == ["week"]
    assert sorted(names(page.get(TOKENS, params={"status": "active"}).text)) == ["bob month", "year"]
    assert names(page.get(TOKENS, params={"lastUsed": "not-30", "username": "alice"}).text) == ["year"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "gone"}, "status must be one of active, expired."),
        ({"lastUsed": "yesterday"}, "lastUsed must be one of never, within-7"),
        ({"expiresWithinDays": "-3"}, "expiresWithinDays must be a whole number"),
        ({"page": "x"}, "page must be a whole number"),
    ],
)
def test_bad_filters_are_a_400_page_that_says_why(harness, root, params, message):
    result = signed_in(harness, root).get(TOKENS, params=params, headers={"Accept": "text/html"})
    assert result.status_code == 400 and message in result.text
    assert 'class="topbar"' in result.text


def test_revoke_one_token_of_another_user_keeps_the_filters(harness, root, alice):
    secret = harness.token(alice, name="CI pipeline")
    other = harness.token(alice, name="deploy")
    with harness.db():
        token_id = PersonalAccessToken.get(PersonalAccessToken.name == "CI pipeline").id
    page = signed_in(harness, root)
    result = page.post_form(f"{TOKENS}/{token_id}/revoke", {"back": "username=alice&evil=1&status=active"})
    assert result.status_code == 303
    location = result.headers["location"]
    assert location.startswith(f"{TOKENS}?username=alice&status=active&done=revoked")
    assert "evil" not in location
    shown = page.get(location).text
    assert "Token &#39;CI pipeline&#39; of alice revoked." in shown
    assert names(shown) == ["deploy"]
    assert not works(harness, secret) and works(harness, other)
    listed = harness.call(
        "GET", "/api/v1/personal-access-tokens", headers=basic_auth("alice", alice.password)
    )
    assert [t["tokenNote"] for t in listed.json] == ["deploy"]
    assert page.post_form(f"{TOKENS}/{token_id}/revoke", {}).status_code == 404, "already revoked"
    assert page.post_form(f"{TOKENS}/{token_id}/revoke", {}, csrf=False).status_code == 403


def test_revoke_all_of_a_users_tokens(harness, root, alice):
    bob = harness.user("bob", ["login"])
    mine = [harness.token(alice, name=f"t{i}") for i in range(3)]
    bobs = harness.token(bob, name="bob's")
    page = signed_in(harness, root)
    shown = page.get(TOKENS, params={"username": "alice"}).text
    assert "Revoke all of alice's tokens" in shown
    result = page.post_form(f"{TOKENS}/revoke-all", {"username": "alice", "back": "username=alice"})
    assert result.status_code == 303
    after = page.get(result.headers["location"]).text
    assert "3 tokens of alice revoked." in after and names(after) == []
    assert not any(works(harness, secret) for secret in mine) and works(harness, bobs)
    assert page.post_form(f"{TOKENS}/revoke-all", {"username": "nobody"}).status_code == 404
    audit = page.get(AUDIT, params={"action": "deleted"}).text
    assert audit.count('data-action="deleted"') == 3 and ">root<" in audit


def test_audit_lists_created_deleted_and_refused_filtered_and_paged(harness, root, alice):
    secret = harness.token(alice, name="soon gone")
    with harness.db():
        token_id = PersonalAccessToken.get(PersonalAccessToken.name == "soon gone").id
    page = signed_in(harness, root)
    page.post_form(f"{TOKENS}/{token_id}/revoke", {})
    for _ in range(3):
        assert not works(harness, secret)
    shown = page.get(AUDIT).text
    actions = re.findall(r'data-action="(\w+)"', shown)
    assert actions == ["refused", "deleted", "created"]
    assert "invalid (deleted)" in shown  # the same value again within the minute is audited once
    assert re.findall(r'data-action="(\w+)"', page.get(AUDIT, params={"action": "refused"}).text) == [
        "refused"
    ]
    assert re.findall(r'data-action="(\w+)"', page.get(AUDIT, params={"username": "nobody"}).text) == []
    assert secret not in shown
    bob = harness.user("bob", ["login"])
    for i in range(55):
        harness.token(alice if i < 30 else bob, name=f"n{i}", expiration="7d")
    first = page.get(AUDIT, params={"action": "created"}).text
    assert first.count('data-action="created"') == 50 and "56 records · page 1 of 2" in first
    second = page.get(AUDIT, params={"action": "created", "page": "1"}).text
    assert second.count('data-action="created"') == 6 and 'rel="prev"' in second


def test_the_audit_shows_what_admins_changed_on_users_and_roles(harness, root, alice):
    page = signed_in(harness, root)
    made = page.post_form("/configuration/users", {"username": "dan", "password": "a-long-password-1"})
    assert made.status_code == 303
    assert page.post_form(f"/configuration/users/{alice.id}", {"action": "disable"}).status_code == 303
    role = page.post_form(
        "/configuration/roles", {"name": "auditors", "permission": ["login", "reports#view"]}
    )
    assert role.status_code == 303
    shown = page.get(AUDIT).text
    assert re.findall(r'data-action="([\w.-]+)"', shown) == ["role.created", "user.disabled", "user.created"]
    assert "Role created" in shown and "User disabled" in shown and "User created" in shown
    row = re.search(r'data-action="role.created">(.*?)</tr>', shown, re.S).group(1)
    assert "auditors" in row and '<li class="chip">reports#view</li>' in row and ">root<" in row
    only = page.get(AUDIT, params={"action": "user.disabled"}).text
    assert re.findall(r'data-action="([\w.-]+)"', only) == ["user.disabled"] and "alice" in only
