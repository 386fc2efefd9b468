"""The admin pages and the page fixes in a real Chromium against gunicorn: an admin revokes
another user's token, the dialogs work from the keyboard alone, and what a new user hit on the
Access tokens and home pages (issue 14, item 4) stays fixed."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import requests

from host.testing import Harness, TestUser
from host.testing.browser import console_errors, login, sign_in

ACCESS_TOKENS = "/profile/access-tokens"
ALL_TOKENS = "/configuration/access-tokens"


@dataclass
class Site:
    harness: Harness
    base: str
    root: TestUser
    alice: TestUser

    def works(self, secret: str) -> bool:
        headers = {"x-release-personal-token": secret}
        return requests.get(f"{self.base}/api/v1/profile", headers=headers, timeout=5).status_code == 200


@pytest.fixture(scope="module")
def site(module_host, module_server):
    harness = module_host(plugins=["pat_auth", "webhooks"])
    root = harness.user("root", ["login", "security#edit"])
    alice = harness.user("alice", ["login", "reports#view"])
    return Site(harness, module_server(harness), root, alice)


def focused(page) -> str:
    """The accessible name of the focused element, as a keyboard user would hear it."""
    return page.evaluate(
        "() => { const el = document.activeElement; return el.getAttribute('aria-label')"
        " || el.labels?.[0]?.textContent.trim() || el.textContent.trim(); }"
    )


OUTSIDE_DIALOG = """id => {
  const active = document.activeElement;
  return active !== document.body && !document.getElementById(id).contains(active);
}"""


def tab_to(page, name: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_admin_revokes_another_users_token_from_the_page(site, new_page):
    from playwright.sync_api import expect

    secret = site.harness.token(site.alice, name="laptop script", expiration="30d")
    kept = site.harness.token(site.alice, name="CI", expiration="30d")
    page = new_page(site.base)
    login(page, "root", site.root.password)
    menu = page.get_by_role("navigation", name="Account")
    page.get_by_label("Account menu for root").click()
    menu.get_by_role("link", name="Configuration › All tokens").click()
    expect(page.get_by_role("heading", name="All tokens", level=1)).to_be_visible()
    page.get_by_label("User").fill("alice")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#all-tokens-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Revoke token laptop script of alice").click()
    dialog = page.get_by_role("dialog", name="Revoke token?")
    expect(dialog).to_contain_text('"laptop script" of alice will be refused')
    dialog.get_by_role("button", name="Revoke token").click()
    expect(page.locator("#outcome")).to_have_text("Token 'laptop script' of alice revoked.")
    expect(page).to_have_url(re.compile(r"username=alice"))
    expect(page.locator("#all-tokens-table tbody tr")).to_have_count(1)
    assert not site.works(secret) and site.works(kept)
    page.get_by_label("Account menu for root").click()
    menu.get_by_role("link", name="Configuration › Audit").click()
    expect(page.locator('#audit-table tr[data-action="refused"]').first).to_contain_text("invalid (deleted)")
    page.get_by_label("Event").select_option(label="Deleted")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    first = page.locator("#audit-table tbody tr").first
    expect(first).to_contain_text("Deleted")
    expect(first).to_contain_text("alice")
    expect(first.locator('td[data-label="By"]')).to_have_text("root")
    assert console_errors(page) == []


def test_the_dialogs_work_with_the_keyboard_alone(site, new_page):
    from playwright.sync_api import expect

    secret = site.harness.token(site.alice, name="keyboard", expiration="7d")
    page = new_page(site.base)
    sign_in(page, site.harness, "root", site.base)
    page.goto(f"{ALL_TOKENS}?username=alice")
    opener = "Revoke token keyboard of alice"
    tab_to(page, opener)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Revoke token?")
    expect(dialog).to_be_visible()
    assert focused(page) == "Cancel", "focus starts on the harmless choice"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page) == opener, "focus returns to the button that opened the dialog"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page) == "Revoke token"
    for _ in range(3):  # past the last button: the page behind the modal dialog is never focused
        page.keyboard.press("Tab")
        assert page.evaluate(OUTSIDE_DIALOG, "revoke-dialog") is False
    tab_to(page, "Revoke token", limit=3)
    page.keyboard.press("Enter")
    expect(page.locator("#outcome")).to_contain_text("Token 'keyboard' of alice revoked.")
    assert not site.works(secret)

    page.goto("/configuration/users")
    tab_to(page, "New user")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="New user")).to_be_visible()
    assert focused(page) == "Username"
    page.keyboard.type("kim")
    tab_to(page, "Password", limit=3)
    page.keyboard.type("a-long-password-1")
    tab_to(page, "Create user", limit=10)
    page.keyboard.press("Enter")
    expect(page.locator("#outcome")).to_have_text("User kim created.")
    tab_to(page, "Roles of kim")
    page.keyboard.press("Enter")
    roles = page.get_by_role("dialog", name="Roles of kim")
    expect(roles).to_be_visible()
    page.keyboard.press("Escape")
    expect(roles).to_be_hidden()
    assert focused(page) == "Roles of kim"

    page.goto(ACCESS_TOKENS)
    tab_to(page, "Generate new tokens")
    page.keyboard.press("Enter")
    assert focused(page) == "Token name"
    page.keyboard.type("typed by keyboard")
    tab_to(page, "Generate", limit=12)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your new token")).to_have_value(re.compile(r"^rpa_"))
    tab_to(page, "Done", limit=5)
    page.keyboard.press("Enter")
    tab_to(page, "Delete token typed by keyboard")
    page.keyboard.press("Enter")
    delete = page.get_by_role("dialog", name="Delete token?")
    expect(delete).to_be_visible()
    assert focused(page) == "Cancel"
    page.keyboard.press("Tab")
    assert focused(page) == "Delete token"
    page.keyboard.press("Enter")
    expect(delete).to_be_hidden()
    expect(page.locator("#tokens-status")).to_have_text('Token "typed by keyboard" deleted.')
    assert console_errors(page) == []


def test_the_empty_name_error_goes_once_a_name_is_typed(site, new_page):
    from playwright.sync_api import expect

    page = new_page(site.base)
    sign_in(page, site.harness, "alice", site.base)
    page.goto(ACCESS_TOKENS)
    page.get_by_role("button", name="Generate new tokens").click()
    page.get_by_role("button", name="Generate", exact=True).click()
    error = page.locator("#token-name-error")
    name = page.get_by_label("Token name")
    expect(error).to_have_text("Enter a token name.")
    expect(name).to_have_attribute("aria-invalid", "true")
    name.press_sequentially("CI")
    expect(error).to_be_hidden()
    expect(name).not_to_have_attribute("aria-invalid", "true")
    border = name.evaluate("el => getComputedStyle(el).borderTopColor")
    assert border != "rgb(198, 40, 40)", "the red border went with the message"


def test_token_names_count_characters_in_the_page_as_in_the_api(site, new_page):
    from playwright.sync_api import expect

    page = new_page(site.base)
    sign_in(page, site.harness, "alice", site.base)
    page.goto(ACCESS_TOKENS)
    page.get_by_role("button", name="Generate new tokens").click()
    name = page.get_by_label("Token name")
    name.fill("\U0001f680" * 101)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#token-name-error")).to_have_text(
        "Token name must be 1-100 characters once trimmed; it has 101."
    )
    name.fill("\U0001f680" * 100)
    assert name.input_value() == "\U0001f680" * 100, "nothing cut at 50 emoji"
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_label("Your new token")).to_have_value(re.compile(r"^rpa_"))
    page.get_by_role("button", name="Done").click()
    page.get_by_role("button", name="Generate new tokens").click()
    name.fill("e\u0301" * 60)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_label("Your new token")).to_have_value(re.compile(r"^rpa_"))
    page.get_by_role("button", name="Done").click()
    expect(page.locator("tbody tr", has_text="é" * 60)).to_have_count(1)


def test_expires_in_says_never_as_expires_does(site, new_page):
    from playwright.sync_api import expect

    site.harness.token(site.alice, name="forever", expiration="never")
    page = new_page(site.base)
    sign_in(page, site.harness, "alice", site.base)
    page.goto(ACCESS_TOKENS)
    row = page.locator("tbody tr", has_text="forever")
    expect(row.locator('td[data-label="Expires"]')).to_have_text("Never")
    expect(row.locator('td[data-label="Expires in"]')).to_have_text("Never")


@pytest.fixture(scope="module")
def operator(site):
    """An admin: every menu entry, "Configuration › Connections" among them (it wraps in a tile)."""
    return site.harness.user("ops", roles=("admin",))


@pytest.mark.parametrize("width", [1280, 700, 375])
def test_home_tiles_have_equal_heights(site, operator, new_page, width):
    page = new_page(site.base, viewport={"width": width, "height": 900})
    sign_in(page, site.harness, "ops", site.base)
    page.goto("/")
    heights = page.eval_on_selector_all(".tile", "tiles => tiles.map(t => t.getBoundingClientRect().height)")
    assert len(heights) >= 2
    assert max(heights) - min(heights) < 1, f"tiles differ in height: {heights}"
