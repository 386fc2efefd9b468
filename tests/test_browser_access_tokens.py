"""The seed's path through the Access tokens page in a real Chromium, against a real gunicorn server.

One server and one user for the module; each test opens its own browser context. These tests run
on SQLite only: the pages' database code is the same on PostgreSQL and is tested there in-process
(tests/test_pages*.py); a second browser run would double the slowest part of CI for no new path.
"""

import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from host import users
from host.testing import Harness, TestUser
from host.testing.browser import PROJECT_ROOT, artifact_path, console_errors, login, sign_in

PAGE = "/profile/access-tokens"
API = "/api/v1/personal-access-tokens"
WARNING = "Copy and store the token securely. The token will not be visible after you leave the page."
SECRET = re.compile(r"^rpa_[0-9A-Za-z]{40}$")
DOCS_IMAGES = PROJECT_ROOT / "docs" / "images"


@dataclass
class Site:
    harness: Harness
    base: str
    alice: TestUser

    def api_token(self, name: str, expiration: str) -> dict:
        """A token made through the API with alice's password; returns it as the API lists it."""
        secret = self.harness.token(self.alice, name=name, expiration=expiration)
        listed = requests.get(f"{self.base}{API}", auth=(self.alice.username, self.alice.password), timeout=5)
        return {**next(t for t in listed.json() if t["tokenNote"] == name), "token": secret}


@pytest.fixture(scope="module")
def site(module_host, module_server):
    # releases_api registers release#create and template#create, the scopes the screenshots show
    harness = module_host(
        plugins=["pat_auth", "releases_api"], settings={"releases_api": {"run_worker": False}}
    )
    alice = harness.user(
        "alice", ["login", "release#create", "template#create", "reports#view", "runner#registration"]
    )
    with harness.db():
        users.User.update(display_name="Alice Martin").where(users.User.id == alice.id).execute()
    return Site(harness, module_server(harness), alice)


def calls(site: Site, secret: str) -> int:
    return requests.get(f"{site.base}/api/v1/profile", auth=("", secret), timeout=5).status_code


def save_screenshot(page, name: str) -> None:
    """Into test-artifacts/ (kept by CI); with RELEASE_HOST_UPDATE_SCREENSHOTS=1 also the
    commit-ready copy in docs/images/ (opt-in, so a test run leaves tracked files alone)."""
    target = artifact_path(name)
    page.screenshot(path=str(target), animations="disabled", full_page=True)
    if os.environ.get("RELEASE_HOST_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, DOCS_IMAGES / name)


def open_generate_panel(page):
    page.get_by_role("button", name="Generate new tokens").click()
    return page.locator("#generate-panel")


def generate(page, name: str, expiration: str, permissions: list[str] | None = None, screenshot: str = ""):
    """Fill the Generate panel as a person would and return the secret shown once."""
    from playwright.sync_api import expect

    open_generate_panel(page)
    page.get_by_label("Token name").fill(name)
    page.get_by_label("Token expiration").select_option(label=expiration)
    preview = page.locator("#token-expiration-preview")
    expect(preview).to_contain_text("never" if expiration == "No expiration" else "The token will expire on")
    if permissions is None:
        page.get_by_label("Use all permissions").check()
        expect(page.locator("#permission-list")).to_be_hidden()
    else:
        page.get_by_label("Let me select permissions").check()
        for permission in permissions:
            page.get_by_label(permission).check()
    if screenshot:
        save_screenshot(page, screenshot)
    page.get_by_role("button", name="Generate", exact=True).click()
    field = page.get_by_label("Your new token")
    expect(field).to_have_value(SECRET)
    expect(page.get_by_text(WARNING)).to_be_visible()
    return field.input_value()


def test_seed_path_login_menu_generate_each_scope_use_reload_delete(site, new_page):
    from playwright.sync_api import expect

    page = new_page(site.base, permissions=["clipboard-read", "clipboard-write"])
    login(page, "alice", site.alice.password)
    page.get_by_label("Account menu for Alice Martin").click()
    menu_link = page.get_by_role("navigation", name="Account").get_by_role("link", name="Access tokens")
    expect(menu_link).to_be_visible()
    menu_link.click()
    expect(page).to_have_url(f"{site.base}{PAGE}")
    expect(page.get_by_role("heading", name="Access tokens", level=1)).to_be_visible()

    everything = generate(page, "CI pipeline", "7 days")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == everything
    assert calls(site, everything) == 200
    header = requests.get(
        f"{site.base}/api/v1/profile", headers={"x-release-personal-token": everything}, timeout=5
    )
    assert header.json()["permissions"] == sorted(
        ["login", "release#create", "template#create", "reports#view", "runner#registration"]
    )
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#generate-panel")).to_be_hidden()
    ci_row = page.locator("tbody tr", has_text="CI pipeline")
    expect(ci_row.locator('td[data-label="Permissions"]')).to_have_text("All permissions")
    expect(ci_row.locator('td[data-label="Expires in"]')).to_have_text(re.compile(r"^6 days 23 h 5\d min$"))

    selected = generate(
        page, "Deploy bot", "30 days", ["release#create", "reports#view"], screenshot="generate-token.png"
    )
    scoped = requests.get(f"{site.base}/api/v1/profile", auth=("", selected), timeout=5)
    assert scoped.status_code == 200
    assert scoped.json()["permissions"] == ["release#create", "reports#view"]
    bot_row = page.locator("tbody tr", has_text="Deploy bot")
    expect(bot_row.locator(".chip")).to_have_text(["release#create", "reports#view"])

    page.reload()
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_label("Your new token")).to_be_hidden()
    html = page.content()
    assert everything not in html and selected not in html
    assert everything not in page.url and selected not in page.url
    assert page.evaluate("JSON.stringify(sessionStorage) + JSON.stringify(localStorage)") == "{}{}"
    expect(ci_row.locator('td[data-label="Token"]')).to_have_text("rpa_…" + everything[-4:])
    save_screenshot(page, "access-tokens.png")

    ci_row.get_by_role("button", name="Delete token CI pipeline").click()
    dialog = page.get_by_role("dialog", name="Delete token?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("CI pipeline")
    dialog.get_by_role("button", name="Delete token", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(ci_row).to_have_count(0)
    expect(page.locator("tbody tr")).to_have_count(1)
    assert calls(site, everything) == 401
    assert calls(site, selected) == 200
    assert console_errors(page) == []


def expected_local(iso: str, zone: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))


def test_expires_and_expires_in_follow_the_browsers_time_zone(site, new_page):
    from playwright.sync_api import expect

    week = site.api_token("time zones", "7d")
    forever = site.api_token("forever", "never")
    assert forever["expiresAt"] is None
    shown = {}
    for zone in ("Asia/Tokyo", "America/New_York"):
        page = new_page(site.base, timezone_id=zone)
        page.clock.install()
        sign_in(page, site.harness, "alice", site.base)
        page.goto(PAGE)
        row = page.locator("tbody tr", has_text="time zones")
        expires = row.locator('td[data-label="Expires"] time')
        expect(expires).to_have_attribute("datetime", week["expiresAt"])
        local = expected_local(week["expiresAt"], zone)
        text = expires.inner_text()
        assert text.startswith(f"{local.day} ") and f" {local.year}, {local:%H:%M} " in text, (zone, text)
        counter = row.locator('td[data-label="Expires in"]')
        expect(counter).to_have_text(re.compile(r"^6 days 23 h \d\d min$"))
        shown[zone] = (local.hour, counter.inner_text())
        never_row = page.locator("tbody tr", has_text="forever")
        expect(never_row.locator('td[data-label="Expires"]')).to_have_text("Never")
        expect(never_row.locator('td[data-label="Expires in"]')).to_have_text("Never")
        page.clock.fast_forward(8 * 24 * 3600 * 1000)
        expect(counter).to_have_text("expired")
        expect(never_row.locator('td[data-label="Expires in"]')).to_have_text("Never")
        assert console_errors(page) == []
    (tokyo_hour, tokyo_counter), (ny_hour, ny_counter) = shown["Asia/Tokyo"], shown["America/New_York"]
    assert (tokyo_hour - ny_hour) % 24 in (13, 14), "the same instant, local hours apart"
    assert tokyo_counter[:12] == ny_counter[:12], "the counter does not depend on the time zone"


def test_forms_and_api_calls_without_their_csrf_token_are_refused(site, new_page):
    from playwright.sync_api import expect

    page = new_page(site.base)
    sign_in(page, site.harness, "alice", site.base)
    page.goto(PAGE)
    refused = page.evaluate(
        """async () => {
            const r = await fetch("/api/v1/personal-access-tokens", {method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({tokenNote: "forged", expiration: "7d"})});
            return [r.status, (await r.json()).message];
        }"""
    )
    assert refused[0] == 403 and "CSRF token" in refused[1]
    page.evaluate("document.querySelector('.menu-logout input[name=csrf_token]').remove()")
    page.get_by_label("Account menu for Alice Martin").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    expect(page.locator("body")).to_contain_text("CSRF token")
    page.goto(PAGE)
    expect(page).to_have_url(f"{site.base}{PAGE}")
    page.get_by_label("Account menu for Alice Martin").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.goto(PAGE)
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fprofile%2Faccess-tokens$"))


def test_validation_errors_appear_next_to_the_field_and_keep_the_input(site, new_page):
    from playwright.sync_api import expect

    site.api_token("taken name", "7d")
    page = new_page(site.base)
    sign_in(page, site.harness, "alice", site.base)
    page.goto(PAGE)
    open_generate_panel(page)
    name = page.get_by_label("Token name")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#token-name-error")).to_have_text("Enter a token name.")
    expect(name).to_have_attribute("aria-invalid", "true")
    name.fill("taken name")
    page.get_by_label("Token expiration").select_option(label="45 days")
    page.get_by_label("Let me select permissions").check()
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#permissions-error")).to_contain_text("Select at least one permission")
    page.get_by_label("reports#view").check()
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#token-name-error")).to_contain_text(
        "already have an active token named 'taken name'"
    )
    expect(name).to_have_value("taken name")
    expect(page.get_by_label("Token expiration")).to_have_value("45d")
    expect(page.get_by_label("reports#view")).to_be_checked()
    expect(page.get_by_label("Your new token")).to_be_hidden()


def test_the_token_cap_is_reported_beside_the_generate_button(site, new_page):
    from playwright.sync_api import expect

    bob = site.harness.user("bob", ["login"])
    for number in range(50):
        site.harness.token(bob, name=f"bulk {number}", expiration="7d")
    page = new_page(site.base)
    sign_in(page, site.harness, "bob", site.base)
    page.goto(PAGE)
    open_generate_panel(page)
    page.get_by_label("Token name").fill("one too many")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#generate-error")).to_contain_text("50 active personal access tokens, the maximum")
    expect(page.get_by_label("Token name")).to_have_value("one too many")


def test_the_page_works_375_pixels_wide(site, new_page):
    from playwright.sync_api import expect

    site.api_token("phone", "60d")
    page = new_page(site.base, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    sign_in(page, site.harness, "alice", site.base)
    page.goto(PAGE)
    expect(page.locator("tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("Account menu for Alice Martin").click()
    menu = page.locator(".menu-panel")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    open_generate_panel(page)
    for label in ("Token name", "Token expiration"):
        control = page.get_by_label(label)
        expect(control).to_be_visible()
        assert control.bounding_box()["x"] + control.bounding_box()["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(artifact_path("access-tokens-375.png")), full_page=True)
    assert console_errors(page) == []
