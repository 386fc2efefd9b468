"""OpenID Connect sign-in in a real Chromium, through the real `oidc-provider`'s login and consent
pages, against a real gunicorn server: external users, groups → roles, refusals, key rotation.

One provider and one server for the module (SQLite, as the other browser tests); each test has
its own browser context, so its own provider session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import pytest
import requests

from host import users
from host.testing import FileClock, Harness, free_port, start_gunicorn, stop_process
from host.testing.browser import axe_violations, describe_violations
from host.testing.browser import login as form_login
from tests.oidc_provider import OidcProvider

SEED_REFUSAL = (
    "Personal access tokens are not available to external users: sign in and authenticate "
    "scripts through OIDC instead."
)
CLOCK = "tests.sample_plugins.shared_clock"
ROLES = {"release-admins": "release-admin", "staff": "staff", "viewers": "viewer"}


@dataclass
class Site:
    harness: Harness
    base: str
    provider: OidcProvider
    clock: FileClock


@pytest.fixture(scope="module")
def site(module_host, oidc_provider):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider = oidc_provider(f"{base}/oidc/callback")
    harness = module_host(
        plugins=["pat_auth", "oidc_auth", CLOCK],
        settings={
            "oidc_auth": provider.settings(
                roles=ROLES, jwks_refresh_min_seconds=0, post_logout_redirect_uri=f"{base}/login?logged_out=1"
            )
        },
    )
    with harness.db():
        users.ensure_role("release-admin", ["login", "admin"])
        users.ensure_role("staff", ["login"])
        users.ensure_role("viewer", [])  # no login: a viewer is refused
    harness.user("ines", ["login"])  # an internal user whose name the provider must not take over
    # one worker: the key rotation test needs the worker that cached the old keys to serve it
    clock = FileClock(harness.tmp_path / "clock", start=datetime.now(UTC))
    env = {"RELEASE_HOST_TEST_CLOCK": str(clock.path)}
    proc = start_gunicorn(harness.write_conf(), port, harness.tmp_path / "gunicorn.log", workers=1, env=env)
    yield Site(harness, base, provider, clock)
    stop_process(proc)


def provider_login(page, site: Site, account: str, authorize_url: str | None = None) -> None:
    """From our login page (or straight to `authorize_url`), through the provider's own login and
    consent pages."""
    if authorize_url is None:
        page.goto("/login")
        page.get_by_role("link", name="Sign in with Partner ID").click()
    else:
        page.goto(authorize_url)
    page.wait_for_url(re.compile(rf"^{re.escape(site.provider.issuer)}/interaction/"))
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("any-password")
    page.get_by_role("button", name="Sign-in").click()
    for _ in range(100):  # the consent page comes once per provider session and client
        if page.url.startswith(site.base):
            return
        consent = page.get_by_role("button", name="Continue")
        if consent.count():
            consent.click()
            page.wait_for_url(lambda url: url.startswith(site.base))
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the sign-in did not come back from the provider: {page.url}")


def roles_of(site: Site, username: str) -> tuple[str, list[str]]:
    with site.harness.db():
        user = users.User.get(users.User.username == username)
        return user.source, users.roles_of(user)


def test_external_user_signs_in_with_roles_from_groups_and_cannot_have_tokens(site, new_page):
    page = new_page(site.base)
    provider_login(page, site, "olga")
    assert page.url == f"{site.base}/"
    assert roles_of(site, "olga") == ("external", ["release-admin", "staff"])
    page.goto("/profile/access-tokens")
    note = page.locator("#external-note")
    assert note.is_visible() and "not available to your account" in note.inner_text()
    assert page.get_by_role("button", name="Generate new tokens").count() == 0
    made = page.evaluate(
        """async () => {
          const csrf = document.querySelector('meta[name=csrf-token]').content;
          const r = await fetch('/api/v1/personal-access-tokens', {method: 'POST',
            headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
            body: JSON.stringify({tokenNote: 'ci'})});
          return {status: r.status, body: await r.json()};
        }"""
    )
    assert made["status"] == 403 and made["body"]["message"] == SEED_REFUSAL
    log = (site.harness.tmp_path / "gunicorn.log").read_text(errors="replace")
    assert site.provider.client_secret not in log, "the client secret never reaches a log"


def test_a_group_without_login_is_refused_with_a_page(site, new_page):
    page = new_page(site.base)
    provider_login(page, site, "eric")
    assert "none of your groups gives you access" in page.locator("main").inner_text()
    assert roles_of(site, "eric") == ("external", ["viewer"])
    page.goto("/")
    assert "/login" in page.url  # no session was started


def test_a_callback_with_another_state_or_without_the_flow_cookie_is_refused(site, new_page):
    page = new_page(site.base)
    page.goto("/login")
    page.get_by_role("link", name="Sign in with Partner ID").click()
    page.wait_for_url(re.compile(rf"^{re.escape(site.provider.issuer)}/interaction/"))
    page.goto("/oidc/callback?code=forged&state=forged")
    assert "expired or was started in another browser" in page.locator("main").inner_text()
    bare = requests.get(f"{site.base}/oidc/callback?code=x&state=y", timeout=5, allow_redirects=False)
    assert bare.status_code == 400 and "Sign-in refused" in bare.text


def test_an_id_token_with_another_nonce_is_refused(site, new_page):
    page = new_page(site.base)
    begun = page.request.get("/oidc/login", max_redirects=0)  # the page's cookies: the flow cookie is set
    assert begun.status == 303
    forged = re.sub(r"nonce=[^&]+", "nonce=not-this-browsers", begun.headers["location"])
    provider_login(page, site, "olga", authorize_url=forged)
    assert "was refused" in page.locator("main").inner_text() and "nonce" in page.locator("main").inner_text()
    page.goto("/")
    assert "/login" in page.url


def test_an_expired_id_token_is_refused(site, new_page):
    site.clock.advance(hours=2)  # the provider's ID tokens live one hour
    try:
        page = new_page(site.base)
        provider_login(page, site, "olga")
        text = page.locator("main").inner_text()
        assert "was refused" in text and "expired" in text.lower(), text
    finally:
        site.clock.advance(hours=-2)


def test_a_key_rotation_to_es256_at_the_provider_is_followed(site, new_page):
    first = new_page(site.base)
    provider_login(first, site, "olga")
    site.provider.id_token_alg = "ES256"
    site.provider.restart()  # new signing keys, now EC; our worker still caches the old set
    page = new_page(site.base)
    provider_login(page, site, "olga")
    assert page.url == f"{site.base}/"
    page.goto("/profile/access-tokens")
    assert page.locator("#external-note").is_visible()


def test_the_provider_cannot_take_over_a_local_account(site, new_page):
    page = new_page(site.base)
    provider_login(page, site, "ines")  # a provider account named like an internal user
    assert "is not managed by Partner ID" in page.locator("main").inner_text()
    assert roles_of(site, "ines")[0] == "internal"
    form_login(page, "ines", "pw-" + "x" * 8)
    assert page.url == f"{site.base}/"


def test_logout_ends_the_session_here_and_at_the_provider(site, new_page):
    page = new_page(site.base)
    provider_login(page, site, "olga")
    page.locator("summary").first.click()  # the user menu
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(rf"^{re.escape(site.provider.issuer)}/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's end-session page
    page.wait_for_url(f"{site.base}/login?logged_out=1")
    assert page.get_by_text("You have logged out.").is_visible()
    page.get_by_role("link", name="Sign in with Partner ID").click()
    page.wait_for_url(re.compile(rf"^{re.escape(site.provider.issuer)}/interaction/"))
    assert page.locator("input[name=login]").is_visible(), "the provider asks for a login again"


def test_the_login_page_with_the_provider_button_passes_axe(site, new_page):
    page = new_page(site.base, bypass_csp=True)  # axe is injected as a script
    page.goto("/login")
    assert page.get_by_role("link", name="Sign in with Partner ID").is_visible()
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not serious, describe_violations(serious)


@pytest.mark.parametrize("account", ["INES", "Ｉｎｅｓ", "іnеs"])
def test_the_provider_cannot_take_over_a_local_account_in_another_case_or_width(site, new_page, account):
    page = new_page(site.base)
    provider_login(page, site, account)
    text = page.locator("main").inner_text()
    assert "is not managed by Partner ID" in text or "cannot be used here" in text, text
    assert roles_of(site, "ines")[0] == "internal"


def test_a_code_used_twice_is_refused_with_a_4xx_page(site):
    """A double-submitted callback (same browser, same code): the provider refuses the second
    exchange, and that is the browser's fault, not a bad gateway."""
    browser = requests.Session()
    url = browser.get(f"{site.base}/oidc/login", allow_redirects=False, timeout=10).headers["location"]
    for _ in range(20):  # the provider's own login and consent forms, driven by hand
        if url.startswith(site.base):
            break
        answer = browser.get(url, allow_redirects=False, timeout=10)
        if answer.is_redirect:
            url = urljoin(url, answer.headers["location"])
            continue
        action = urljoin(url, re.search(r'<form[^>]*action="([^"]+)"', answer.text).group(1))
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', answer.text))
        if 'name="login"' in answer.text:
            fields.update(login="olga", password="any-password")
        url = urljoin(
            action, browser.post(action, data=fields, allow_redirects=False, timeout=10).headers["location"]
        )
    flow = {"release_host_oidc": browser.cookies["release_host_oidc"]}
    first, again = (requests.get(url, cookies=flow, allow_redirects=False, timeout=10) for _ in range(2))
    assert first.status_code == 303, first.text
    assert again.status_code == 400, again.status_code
    assert "Sign-in refused" in again.text and "try again" in again.text
