"""Security headers on every response: API and pages, answers and errors (401, 404, 413, 500),
redirects, and under real gunicorn as in-process."""

import pytest
import requests

from host.pages import static_url

ECHO = "tests.sample_plugins.host_echo"
TOKENS = "/api/v1/personal-access-tokens"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database question here


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", ECHO], max_body_bytes=1024)


def assert_hardened(headers, page: bool = False) -> None:
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "same-origin"
    assert headers.get("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")
    assert headers.get("Cache-Control") == "no-store"
    if page:
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_api_answers_and_errors_carry_the_headers(harness):
    alice = harness.user("alice", ["echo#write"])
    made = harness.call("POST", TOKENS, as_user=alice, json={"tokenNote": "ci"})
    assert made.status_code == 201
    assert_hardened(made.headers)
    cases = [
        ("GET", "/api/v1/health", {}, 200),
        ("GET", "/api/v1/whoami", {}, 401),
        ("GET", "/api/v1/whoami", {"as_user": alice}, 200),
        ("GET", "/api/v1/no-such-route", {}, 404),
        ("GET", "/api/v1/boom", {}, 500),
        ("POST", "/api/v1/echo", {"as_user": alice, "json": {"x": "y" * 2000}}, 413),
    ]
    for method, path, extra, status in cases:
        result = harness.call(method, path, **extra)
        assert result.status_code == status, (path, result.text)
        assert_hardened(result.headers)


def test_pages_redirects_and_page_errors_carry_the_headers(harness):
    login = harness.call("GET", "/login")
    assert login.status_code == 200
    assert_hardened(login.headers, page=True)
    redirect = harness.call("GET", "/echo-page")
    assert redirect.status_code == 303
    assert_hardened(redirect.headers)
    missing = harness.call("GET", "/no-such-page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert_hardened(missing.headers, page=True)


def test_static_files_keep_their_own_caching(harness):
    result = harness.call("GET", static_url("host.css").split("?")[0])
    assert result.status_code == 200
    assert result.headers["X-Content-Type-Options"] == "nosniff"
    assert result.headers["Cache-Control"] != "no-store"


def test_under_gunicorn_the_token_creation_answer_is_not_cached(harness, serve):
    alice = harness.user("alice")
    base = serve(harness, workers=1)
    made = requests.post(
        f"{base}{TOKENS}", json={"tokenNote": "ci"}, auth=(alice.username, alice.password), timeout=30
    )
    assert made.status_code == 201
    assert_hardened(made.headers)
    for path, status in (("/api/v1/boom", 500), ("/api/v1/whoami", 401), ("/nope", 404)):
        answer = requests.get(f"{base}{path}", timeout=30)
        assert answer.status_code == status
        assert_hardened(answer.headers)
