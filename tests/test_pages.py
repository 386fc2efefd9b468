"""The page shell in-process, on both databases: login, sessions, CSRF, redirects, headers, static files."""

import re
from urllib.parse import urlencode

import pytest

from host import sessions, users
from host.builtin.pages import FORM_EXPIRED, NO_LOGIN_PERMISSION
from host.pages import CONTENT_SECURITY_POLICY, initials
from host.testing.browser import FORM, PageSession

DEMO = "tests.sample_plugins.pages_demo"
ECHO = "tests.sample_plugins.host_echo"
INVALID = "Invalid username or password."


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=[DEMO, ECHO], clock=clock)


@pytest.fixture
def alice(harness):
    return harness.user("alice", ["login", "echo#write"])


def logged_in(harness, user, next_path=None):
    page = PageSession(harness)
    result = page.login(user.username, user.password, next_path)
    assert result.status_code == 303, result.text
    return page


def session_rows(harness):
    with harness.db():
        return list(sessions.Session.select())


def test_login_page_is_html_with_a_strict_csp_and_no_inline_code(harness):
    result = harness.call("GET", "/login")
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("text/html")
    csp = result.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert result.headers["x-content-type-options"] == "nosniff"
    assert result.headers["cache-control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)", result.text), "inline script"
    assert "<style" not in result.text and " style=" not in result.text
    assert '<label for="username">Username</label>' in result.text
    assert '<label for="password">Password</label>' in result.text


def test_page_without_session_redirects_to_login_with_local_next(harness):
    result = harness.call("GET", "/demo/notes", params={"x": "1"})
    assert result.status_code == 303
    assert result.headers["location"] == "/login?next=%2Fdemo%2Fnotes%3Fx%3D1"
    assert harness.call("GET", "/").headers["location"] == "/login?next=%2F"


def test_login_sets_a_httponly_lax_session_cookie_and_follows_next(harness, alice):
    page = PageSession(harness)
    result = page.login("alice", alice.password, "/demo/notes?x=1")
    assert result.status_code == 303
    assert result.headers["location"] == "/demo/notes?x=1"
    cookie = result.cookies[sessions.COOKIE]
    assert cookie.http_only and cookie.same_site == "Lax" and cookie.path == "/"
    assert not cookie.secure
    assert cookie.max_age is None and cookie.expires is None
    assert page.get("/demo/notes").status_code == 200


def test_secure_cookies_when_configured(make_host):
    harness = make_host(plugins=[DEMO], secure_cookies=True)
    bob = harness.user("bob", ["login"])
    result = PageSession(harness).login("bob", bob.password)
    cookie = result.cookies["__Host-" + sessions.COOKIE]
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax" and cookie.path == "/"


def test_the_session_id_is_stored_only_as_a_keyed_digest(harness, alice):
    page = logged_in(harness, alice)
    [row] = session_rows(harness)
    assert row.digest == harness.host.secrets.digest(page.session_id, "session")
    with harness.db():
        dumped = [str(v) for r in sessions.Session.select().dicts() for v in r.values()]
    assert not any(page.session_id in value for value in dumped)


def test_failed_login_says_only_invalid_username_or_password(harness, alice):
    harness.user("dora", ["login"], source="ldap")
    disabled = harness.user("carl", ["login"])
    harness.set_enabled(disabled, False)
    attempts = [("alice", "wrong"), ("nobody", "whatever"), ("dora", "wrong"), ("carl", disabled.password)]
    for username, password in attempts:
        page = PageSession(harness)
        result = page.login(username, password)
        assert result.status_code == 200
        assert INVALID in result.text
        assert "directory refused" not in result.text
        assert f'value="{username}"' in result.text, "the typed username is kept"
        assert page.session_id is None
    assert session_rows(harness) == []


def test_empty_fields_are_an_invalid_login(harness, alice):
    result = PageSession(harness).login("alice", "")
    assert INVALID in result.text


def test_directory_users_log_in_through_the_password_chain(harness):
    harness.user("dora", ["login"], source="ldap")
    result = PageSession(harness).login("dora", "directory-secret")
    assert result.status_code == 303


def test_login_needs_the_login_permission(harness):
    harness.user("nologin", ["echo#write"])
    result = PageSession(harness).login("nologin", harness.users["nologin"].password)
    assert result.status_code == 200
    assert NO_LOGIN_PERMISSION in result.text


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/login", " /x"],
)
def test_only_local_next_targets_are_followed(harness, alice, target):
    result = PageSession(harness).login("alice", alice.password, target)
    assert result.headers["location"] == "/"


def test_login_form_posted_without_its_csrf_token_is_refused(harness, alice):
    page = PageSession(harness)
    page.get("/login")
    body = urlencode({"username": "alice", "password": alice.password})
    result = page.request("POST", "/login", body=body, headers=FORM)
    assert result.status_code == 403
    assert FORM_EXPIRED in result.text
    assert page.session_id is None


def test_login_rotates_the_session_id(harness, alice):
    page = logged_in(harness, alice)
    first = page.session_id
    form = PageSession(harness)
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.get("/login").text).group(1)
    page.cookies.update(form.cookies)
    body = urlencode({"username": "alice", "password": alice.password, "login_csrf": token})
    again = page.request("POST", "/login", body=body, headers=FORM)
    assert again.status_code == 303
    assert page.session_id != first
    assert len(session_rows(harness)) == 1
    stale = harness.call("GET", "/demo/notes", headers={"Cookie": f"{sessions.COOKIE}={first}"})
    assert stale.status_code == 303


def test_idle_sessions_expire_and_activity_keeps_them(harness, alice, clock):
    idle = harness.config.session_idle_minutes
    page = logged_in(harness, alice)
    for _ in range(3):
        clock.advance(minutes=idle - 5)
        assert page.get("/demo/notes").status_code == 200
    clock.advance(minutes=idle + 1)
    result = page.get("/demo/notes")
    assert result.status_code == 303 and result.headers["location"].startswith("/login?next=")
    assert session_rows(harness) == []


def test_sessions_end_after_the_maximum_age_even_when_active(harness, alice, clock):
    page = logged_in(harness, alice)
    steps = int(sessions.MAX_AGE.total_seconds() // 1800)
    for _ in range(steps):
        clock.advance(minutes=30)
        assert page.get("/demo/notes").status_code == 200
    clock.advance(minutes=30)
    assert page.get("/demo/notes").status_code == 303


def test_a_disabled_users_session_stops_working(harness, alice):
    page = logged_in(harness, alice)
    harness.set_enabled(alice, False)
    assert page.get("/demo/notes").status_code == 303
    assert page.api("POST", "/api/v1/echo", json={"a": 1}).status_code == 401
    assert session_rows(harness) == []


def test_losing_the_login_permission_ends_the_session(harness, alice):
    page = logged_in(harness, alice)
    harness.set_permissions(alice, ["echo#write"])
    assert page.get("/demo/notes").status_code == 303


def test_logout_needs_the_csrf_token_then_deletes_the_session(harness, alice):
    page = logged_in(harness, alice)
    refused = page.post_form("/logout", {}, csrf=False)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "CSRF token" in refused.text
    assert page.get("/demo/notes").status_code == 200
    sid = page.session_id
    done = page.post_form("/logout", {})
    assert done.status_code == 303 and done.headers["location"] == "/login?logged_out=1"
    assert page.session_id is None
    assert session_rows(harness) == []
    assert "You have logged out." in page.get("/login?logged_out=1").text
    stale = harness.call("GET", "/demo/notes", headers={"Cookie": f"{sessions.COOKIE}={sid}"})
    assert stale.status_code == 303


def test_state_changing_api_calls_by_session_need_the_csrf_header(harness, alice):
    page = logged_in(harness, alice)
    missing = page.api("POST", "/api/v1/echo", json={"a": 1}, csrf=False)
    assert missing.status_code == 403
    assert missing.json == {"error": "Forbidden", "message": sessions.CSRF_REFUSED}
    wrong = page.api("POST", "/api/v1/echo", json={"a": 1}, csrf=False, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    other = logged_in(harness, harness.user("bob", ["login", "echo#write"]))
    stolen = page.api("POST", "/api/v1/echo", json={"a": 1}, csrf=False, headers={"X-CSRF-Token": other.csrf})
    assert stolen.status_code == 403
    assert page.api("POST", "/api/v1/echo", json={"a": 1}).json == {"a": 1}
    assert page.api("GET", "/api/v1/whoami", csrf=False).json == {"username": "alice", "via": "session"}


def test_explicit_credentials_win_over_the_cookie_and_need_no_csrf(harness, alice):
    page = logged_in(harness, alice)
    bob = harness.user("bob", ["echo#write"])
    result = page.request("POST", "/api/v1/echo", json={"b": 2}, headers=bob.basic)
    assert result.status_code == 200
    assert page.request("GET", "/api/v1/whoami", headers=bob.basic).json["username"] == "bob"


def test_plugin_pages_render_in_the_shell_and_their_forms_carry_the_csrf_field(harness, alice):
    with harness.db():
        users.User.update(display_name="Alice Martin").where(users.User.id == alice.id).execute()
    page = logged_in(harness, alice)
    result = page.get("/demo/notes")
    assert result.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html = result.text
    assert 'aria-label="Account menu for Alice Martin"' in html
    assert '<span aria-hidden="true">AM</span>' in html
    assert '<a href="/demo/notes" aria-current="page">Notes</a>' in html
    assert f'<meta name="csrf-token" content="{page.csrf}">' in html
    assert f'name="csrf_token" value="{page.csrf}"' in html
    assert '<label for="note-text">Note</label>' in html
    assert "/static/tests.sample_plugins.pages_demo/demo.css?v=" in html
    assert page.post_form("/demo/notes", {"text": "<script>alert(1)</script>"}, csrf=False).status_code == 403
    assert page.post_form("/demo/notes", {"text": "<script>alert(1)</script>"}).status_code == 303
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.get("/demo/notes").text


def test_home_lists_the_menu_entries(harness, alice):
    page = logged_in(harness, alice)
    assert '<a class="tile" href="/demo/notes">Notes</a>' in page.get("/").text


def test_logged_in_user_opening_login_goes_on_to_next(harness, alice):
    page = logged_in(harness, alice)
    result = page.get("/login", params={"next": "/demo/notes"})
    assert result.status_code == 303 and result.headers["location"] == "/demo/notes"


def test_static_files_of_the_host_and_of_loaded_plugins(harness):
    css = harness.call("GET", "/static/host.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "no-cache"
    versioned = harness.call("GET", "/static/host.css", params={"v": "abc"})
    assert "immutable" in versioned.headers["cache-control"]
    assert (
        harness.call("GET", "/static/host.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )
    assert harness.call("GET", f"/static/{DEMO}/demo.css").text.startswith(".notes")
    for path in [
        "/static/nothing.css",
        f"/static/{DEMO}/../__init__.py",
        f"/static/{DEMO}/%2e%2e/__init__.py",
        "/static/..%2Fapp.py",
        "/static/json/__init__.py",
        "/static/host/app.py",
        "/static/plugins.releases_api/x.js",
    ]:
        assert harness.call("GET", path).status_code == 404, path


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [("Alice Martin", "AM"), ("alice", "A"), ("jean.luc_picard", "JL"), ("", "B")],
)
def test_avatar_initials(display_name, expected):
    from host.actors import Actor

    assert initials(Actor(user_id=1, username="bob", display_name=display_name)) == expected


def test_directory_users_log_in_on_the_login_page_against_real_slapd(make_host, slapd):
    settings = {"ldap_auth": {**slapd.settings(), "default_roles": ["ui-users"]}}
    harness = make_host(plugins=["ldap_auth", DEMO], settings=settings)
    with harness.db():
        users.ensure_role("ui-users", ["login"])
    wrong = PageSession(harness).login("lara", "not-her-password")
    assert wrong.status_code == 200 and INVALID in wrong.text
    page = PageSession(harness)
    result = page.login("lara", slapd.people["lara"], "/demo/notes")
    assert result.status_code == 303 and result.headers["location"] == "/demo/notes"
    html = page.get("/demo/notes").text
    assert 'aria-label="Account menu for Lara Directory"' in html
    assert "lara · ldap" in html
