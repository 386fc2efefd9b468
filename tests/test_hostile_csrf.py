"""CSRF through a browser's cached credentials: a JSON API takes only JSON, and a state-changing
request authenticated by a cookie or Basic must come from the server's own origin.

The attack the issue reproduced: a page on another port of the same host auto-submits
`<form enctype="text/plain">` whose body happens to be JSON, and the browser adds the Basic
password it cached for the API. Here in-process on both databases, then in a real Chromium
against gunicorn.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import bcrypt
import pytest
import requests

from host.testing import basic_auth, free_port
from host.testing.browser import FORM, PageSession

ENDPOINTS = "/api/v1/config/webhook-endpoints"
TOKENS = "/api/v1/personal-access-tokens"
TEMPLATES = "/api/v1/templates"
ECHO = "tests.sample_plugins.host_echo"
SAME_ORIGIN = "http://falconframework.org"  # the Host the in-process test client sends
ENDPOINT = {"title": "evil", "path": "evil", "authentication": "none"}


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", "releases_api", "webhooks", ECHO])


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


def endpoint_count(harness, admin) -> int:
    return len(harness.call("GET", ENDPOINTS, as_user=admin).json)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (ENDPOINTS, ENDPOINT),
        (TOKENS, {"tokenNote": "evil"}),
        (TEMPLATES, {"title": "evil", "phases": []}),
    ],
)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_json_api_body_of_another_type_is_415(harness, admin, path, body, content_type):
    headers = {**admin.basic, **({"Content-Type": content_type} if content_type else {})}
    before = harness.call("GET", path, as_user=admin).json
    result = harness.client.simulate_post(path, body=json.dumps(body), headers=headers)
    assert result.status_code == 415, result.text
    assert result.json["error"] == "Unsupported Media Type"
    assert "Content-Type: application/json" in result.json["message"]
    assert harness.call("GET", path, as_user=admin).json == before


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_json_with_its_type_is_accepted(harness, admin, content_type):
    result = harness.call(
        "POST", ENDPOINTS, body=json.dumps(ENDPOINT), headers={**admin.basic, "Content-Type": content_type}
    )
    assert result.status_code == 201, result.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:9999"},
        {"Origin": "http://falconframework.org:8080"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": SAME_ORIGIN},
    ],
)
def test_basic_authenticated_write_from_another_origin_is_403(harness, admin, headers):
    result = harness.call("POST", ENDPOINTS, json=ENDPOINT, headers={**admin.basic, **headers})
    assert result.status_code == 403, result.text
    assert result.json["message"].startswith("Cross-site requests may not change anything here")
    assert endpoint_count(harness, admin) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl and scripts send neither header
        {"Origin": SAME_ORIGIN},
        {"Origin": SAME_ORIGIN, "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed by the user
    ],
)
def test_basic_authenticated_write_from_this_origin_or_no_browser_is_accepted(harness, admin, headers):
    result = harness.call("POST", ENDPOINTS, json=ENDPOINT, headers={**admin.basic, **headers})
    assert result.status_code == 201, result.text


def test_a_token_in_basic_is_basic_and_gets_the_origin_check(harness, admin):
    pat = harness.token(admin)
    foreign = {"Origin": "http://127.0.0.1:9999"}
    refused = harness.call(
        "POST", "/api/v1/echo", json={"a": 1}, token=pat, token_style="basic", headers=foreign
    )
    assert refused.status_code == 403


def test_the_token_header_needs_no_origin_check(harness, admin):
    """Browsers never add the header on their own, and a page cannot add it cross-origin
    without CORS consent, which the server never gives."""
    pat = harness.token(admin)
    foreign = {"Origin": "http://127.0.0.1:9999", "Sec-Fetch-Site": "cross-site"}
    result = harness.call("POST", "/api/v1/echo", json={"a": 1}, token=pat, headers=foreign)
    assert result.status_code == 200, result.text
    assert "access-control-allow-origin" not in {k.lower() for k in result.headers}


def test_a_session_write_from_another_origin_is_403_even_with_the_csrf_token(harness, admin):
    page = PageSession(harness)
    page.login("root", admin.password)
    foreign = page.api("POST", ENDPOINTS, json=ENDPOINT, headers={"Origin": "http://127.0.0.1:9999"})
    assert foreign.status_code == 403
    same = page.api("POST", ENDPOINTS, json=ENDPOINT, headers={"Origin": SAME_ORIGIN})
    assert same.status_code == 201, same.text


def post_login(page, user, headers):
    """The login form as a browser posts it: the nonce cookie and token from `GET /login`."""
    form = page.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    body = urlencode({"username": user.username, "password": user.password, "login_csrf": token})
    return page.request("POST", "/login", body=body, headers={**FORM, **headers})


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:9999"},
        {"Origin": "http://falconframework.org:8080", "Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": SAME_ORIGIN},
    ],
)
def test_a_login_form_from_another_origin_is_403_before_any_bcrypt(harness, admin, headers, monkeypatch):
    """Login CSRF: a foreign page must not sign the browser in (to the attacker's account)."""
    page = PageSession(harness)

    def no_bcrypt(*args):
        raise AssertionError("a cross-site login ran bcrypt")

    monkeypatch.setattr(bcrypt, "checkpw", no_bcrypt)
    result = post_login(page, admin, headers)
    assert result.status_code == 403, result.text
    assert "Cross-site requests may not change anything here" in result.text
    assert page.session_id is None


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": SAME_ORIGIN}, {"Origin": SAME_ORIGIN, "Sec-Fetch-Site": "same-origin"}],
)
def test_a_login_form_from_this_origin_or_no_browser_logs_in(harness, admin, headers):
    page = PageSession(harness)
    result = post_login(page, admin, headers)
    assert result.status_code == 303, result.text
    assert page.session_id is not None


ATTACK_PAGE = """<!doctype html><html><body>
<form id="f" method="POST" enctype="text/plain" action="{target}">
<input type="hidden" name='{name}' value='{value}'>
</form>
<script>document.getElementById("f").submit();</script>
</body></html>"""


@pytest.fixture
def attacker():
    """A page on another port of the same host, as in the issue."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}", pages
    server.shutdown()


def test_a_foreign_page_cannot_use_the_browsers_cached_basic_password(
    module_host, module_server, new_page, attacker
):
    """Chromium (SQLite only, like the other browser tests; the rule is tested on both databases
    above) holds root's Basic password, then opens a page on another port that submits a
    text/plain form to the API."""
    harness = module_host(plugins=["pat_auth", "webhooks"])
    admin = harness.user("root", roles=("admin",))
    base = module_server(harness)
    page = new_page(http_credentials={"username": "root", "password": admin.password})
    assert page.goto(f"{base}/api/v1/profile").status == 200  # the browser now holds the password
    attacker_base, pages = attacker
    name = '{"title": "evil", "path": "evil", "authentication": "none", "x": "'
    pages["/attack"] = ATTACK_PAGE.format(target=f"{base}{ENDPOINTS}", name=name, value='"}')
    with page.expect_response(lambda r: r.url == f"{base}{ENDPOINTS}") as answered:
        page.goto(f"{attacker_base}/attack")
    assert answered.value.status == 403
    root = basic_auth("root", admin.password)
    assert requests.get(f"{base}{ENDPOINTS}", headers=root, timeout=10).json() == []
    made = requests.post(f"{base}{ENDPOINTS}", json=ENDPOINT, headers=root, timeout=10)
    assert made.status_code == 201, "a script without Origin still works"
