"""What a new user hit on the pages and the CLI (issue 14, item 4), in-process and through the CLI:
each test failed before its fix."""

import html
import re
import socket
import unicodedata

import pytest

from host.testing import basic_auth
from host.testing.browser import PageSession
from tests.webhooks.support import create


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", "webhooks"])


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


def visible_text(html: str) -> str:
    """The text a person reads: no <head>, no tags."""
    body = html.split("<body", 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


def test_an_error_page_has_the_layout_and_says_not_found_once(harness, admin):
    anonymous = harness.call("GET", "/no/such/page", headers={"Accept": "text/html"})
    assert anonymous.status_code == 404
    assert '<header class="topbar">' in anonymous.text
    assert visible_text(anonymous.text).count("Not Found") == 1
    assert "<title>Not Found · Release Host</title>" in anonymous.text
    assert anonymous.headers["content-security-policy"].startswith("default-src 'none'")
    page = PageSession(harness)
    page.login("root", admin.password)
    missing = page.get("/configuration/connections/webhooks/999", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert 'aria-label="Account menu for root"' in missing.text, "the signed-in user's menu"
    assert visible_text(missing.text).count("Not Found") == 1
    assert harness.call("GET", "/api/v1/nothing").json == {
        "error": "Not Found",
        "message": "Nothing is at this address.",
    }


def test_received_requests_show_query_characters_not_json_escapes(harness, admin):
    endpoint = create(harness, admin)
    query = {"q": "<b>&'é"}
    assert harness.call("POST", "/webhooks/git-pushes", json={}, params=query).status_code == 200
    page = PageSession(harness)
    page.login("root", admin.password)
    shown = page.get(f"/configuration/connections/webhooks/{endpoint['id']}/requests").text
    assert "\\u003c" not in shown and "\\u0026" not in shown and "\\u00e9" not in shown
    assert '"q": "<b>&\'é"' in html.unescape(shown)
    assert "&lt;b&gt;" in shown, "still escaped as HTML"


DECOMPOSED = "e\u0301" * 60  # 60 letters é, 120 code points before NFC


def test_token_name_length_counts_characters_after_nfc(harness, admin):
    made = harness.call(
        "POST",
        "/api/v1/personal-access-tokens",
        json={"tokenNote": DECOMPOSED, "expiration": "7d"},
        headers=basic_auth("root", admin.password),
    )
    assert made.status_code == 201, made.text
    assert made.json["tokenNote"] == unicodedata.normalize("NFC", DECOMPOSED) == "é" * 60
    emoji = harness.call(
        "POST",
        "/api/v1/personal-access-tokens",
        json={"tokenNote": "\U0001f680" * 101, "expiration": "7d"},
        headers=basic_auth("root", admin.password),
    )
    assert emoji.status_code == 400
    assert emoji.json["message"] == "tokenNote must be 1-100 characters once trimmed; it has 101."
    duplicate = harness.call(
        "POST",
        "/api/v1/personal-access-tokens",
        json={"tokenNote": "é" * 60, "expiration": "7d"},
        headers=basic_auth("root", admin.password),
    )
    assert duplicate.status_code == 409, "the composed and decomposed names are the same name"


def test_the_token_page_states_the_servers_length_rule_not_a_utf16_maxlength(harness, admin):
    page = PageSession(harness)
    page.login("root", admin.password)
    html = page.get("/profile/access-tokens").text
    field = re.search(r'<input id="token-name"[^>]*>', html, re.S).group(0)
    assert "maxlength" not in field
    assert 'data-max-characters="100"' in field


def test_serve_when_the_port_is_taken_names_release_host_bind(harness):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bind = f"127.0.0.1:{taken.getsockname()[1]}"
        result = harness.cli("serve", "--bind", bind, env={"RELEASE_HOST_BIND": bind})
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert f"cannot serve on {bind!r}: Address already in use" in line
    assert "RELEASE_HOST_BIND" in line and "--bind" in line
    assert "Serving on" not in result.stdout


def test_serve_help_shows_the_effective_bind(harness):
    result = harness.cli("serve", "--help", env={"RELEASE_HOST_BIND": "127.0.0.1:6001"})
    assert result.returncode == 0
    assert "127.0.0.1:6001" in " ".join(result.stdout.split())
    assert "RELEASE_HOST_BIND" in result.stdout


def test_roles_list_has_help_text(harness):
    result = harness.cli("roles", "--help")
    assert result.returncode == 0
    assert re.search(r"list\s+every role with its permissions", result.stdout)


def test_an_error_page_checks_no_password_sent_with_the_request(harness, admin):
    from host import limits

    wrong = basic_auth("root", "not-the-password")
    result = harness.call("GET", "/no/such/page", headers={"Accept": "text/html", **wrong})
    assert result.status_code == 404 and '<header class="topbar">' in result.text
    assert "Account menu" not in result.text
    with harness.db():
        assert limits.current(harness.host) == [], "no failed attempt was counted (nothing written)"
