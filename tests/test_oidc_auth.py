"""oidc_auth without a browser: hostile callbacks are refused with a page before the provider is
asked or anything is written, settings are checked at startup, an unreachable provider is a page."""

from __future__ import annotations

import pytest

from host import StartupError
from host.testing import free_port
from host.users import User
from plugins.oidc_auth.flow import COOKIE, derived

ISSUER_DOWN = f"http://127.0.0.1:{free_port()}"
SETTINGS = {
    "issuer": ISSUER_DOWN,
    "client_id": "release-host",
    "client_secret": "s3cret-not-logged",
    "redirect_uri": "http://127.0.0.1:5516/oidc/callback",
    "timeout": 2,
}
FLOW = "f" * 43


@pytest.fixture(scope="module")
def harness(module_host):
    """One SQLite host for the module: nothing here depends on the database."""
    return module_host(plugins=["pat_auth", "oidc_auth"], settings={"oidc_auth": SETTINGS})


def callback(harness, query: str, flow: str | None = FLOW):
    cookies = {COOKIE: flow} if flow else {}
    return harness.client.simulate_get("/oidc/callback", query_string=query, cookies=cookies)


@pytest.mark.parametrize(
    ("query", "flow", "status"),
    [
        ("code=x&state=y", None, 400),  # no flow cookie: another browser, or a replay
        ("code=x&state=y", FLOW, 400),  # wrong state
        ("code=x&state=%ff%fe%E2%80%AE", FLOW, 400),
        ("state=" + "a" * 5000, FLOW, 400),
        ("code=x&state=y", "short", 400),
        ("code=x&state=y", "../../" + "a" * 60, 400),
    ],
)
def test_hostile_callbacks_are_refused_with_a_page_and_write_nothing(harness, query, flow, status):
    answer = callback(harness, query, flow)
    assert answer.status_code == status
    assert "text/html" in answer.headers["content-type"] and "Sign-in refused" in answer.text
    with harness.db():
        assert User.select().count() == 0


def test_a_provider_error_with_the_right_state_is_told_without_echoing_markup(harness):
    state = derived(harness.host, FLOW)[0]
    answer = callback(harness, f"state={state}&error=<script>alert(1)</script>")
    assert answer.status_code == 403 and "did not sign you in (unknown)" in answer.text
    assert "<script>alert" not in answer.text
    denied = callback(harness, f"state={state}&error=access_denied")
    assert "did not sign you in (access_denied)" in denied.text


def test_an_unreachable_provider_is_a_page_and_sets_no_flow_cookie(harness):
    answer = harness.client.simulate_get("/oidc/login")
    assert answer.status_code == 503 and "cannot be reached" in answer.text
    assert COOKIE not in answer.cookies
    state = derived(harness.host, FLOW)[0]
    failed = callback(harness, f"state={state}&code=abc")
    assert failed.status_code == 502 and "failed" in failed.text
    assert SETTINGS["client_secret"] not in failed.text


def test_the_login_page_offers_the_provider(harness):
    page = harness.client.simulate_get("/login")
    assert 'href="/oidc/login">Sign in with OpenID Connect</a>' in page.text


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"issuer": ""}, "issuer"),
        ({"client_secret": ""}, "client_secret"),
        ({"redirect_uri": "/oidc/callback"}, "redirect_uri"),
        ({"scopes": ["profile"]}, "openid"),
        ({"algorithms": ["HS256"]}, "HS256"),
        ({"post_logout_redirect_uri": "/login"}, "post_logout_redirect_uri"),
    ],
)
def test_wrong_settings_stop_the_startup_naming_the_setting(module_host, change, named):
    with pytest.raises(StartupError, match=named):
        module_host(plugins=["oidc_auth"], settings={"oidc_auth": {**SETTINGS, **change}})


def test_an_answer_naming_another_issuer_is_refused(harness):
    """RFC 9207 (the `iss` parameter the real provider sends): a mix-up with another provider."""
    state = derived(harness.host, FLOW)[0]
    answer = callback(harness, f"state={state}&code=abc&iss=https://evil.example")
    assert answer.status_code == 400 and "Sign-in refused" in answer.text
