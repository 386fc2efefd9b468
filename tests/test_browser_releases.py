"""The seed's "Authentication for Automated Tasks" in a real Chromium against a real gunicorn server
(whose worker thread runs the tasks): make a scoped token on Access tokens, open a template, New
release with an empty username and the token, watch the tasks complete live; then the same with
the token deleted, and read why the task failed. Also the release dialogs by keyboard alone and
every Templates/Releases page at 1280 and 375 pixels without sideways scrolling.

SQLite only, like the other browser tests: the pages' database code runs on PostgreSQL in
tests/releases/test_release_pages.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import requests

from host.testing import Harness, TestUser
from host.testing.browser import artifact_path, console_errors, login, sign_in
from tests.test_browser_access_tokens import generate, save_screenshot

USE = ["login", "template#view", "release#create", "release#view", "release#start", "reports#view"]
WIDTHS = (1280, 375)


@dataclass
class Site:
    harness: Harness
    base: str
    admin: TestUser
    alice: TestUser
    template_id: str

    def api(self, method: str, path: str, **kwargs):
        auth = (self.admin.username, self.admin.password)
        return requests.request(method, f"{self.base}{path}", auth=auth, timeout=10, **kwargs)


def task(title: str, url: str, **fields) -> dict:
    return {
        "type": "xlrelease.WebhookTask",
        "title": title,
        "url": url,
        "expectedStatusCodes": [200],
        **fields,
    }


@pytest.fixture(scope="module")
def site(module_host, module_server):
    harness = module_host(
        plugins=["pat_auth", "releases_api"], settings={"releases_api": {"poll_seconds": 0.1}}
    )
    admin = harness.user("root", roles=("admin",))
    alice = harness.user("alice", USE)
    base = module_server(harness)
    made = requests.post(
        f"{base}/api/v1/templates",
        auth=(admin.username, admin.password),
        json={
            "title": "Deploy the web shop",
            "description": "Checks who the automation runs as, then records a follow-up release.",
            "tags": ["web"],
            "variables": {"version": "1.0"},
            "phases": [
                {
                    "title": "Check",
                    "tasks": [task("Who am I", "${server.url}/api/v1/profile", method="GET")],
                },
                {
                    "title": "Record",
                    "tasks": [
                        task(
                            "Record the follow-up",
                            "${server.url}/api/v1/releases",
                            method="POST",
                            body='{"title": "Follow-up of ${release.title} ${version}"}',
                        )
                    ],
                },
            ],
        },
        timeout=10,
    )
    assert made.status_code == 200, made.text
    return Site(harness, base, admin, alice, made.json()["id"])


def new_release_with_token(page, site: Site, title: str, token: str) -> None:
    """Templates › the template › New release: empty username, the token as password, start."""
    from playwright.sync_api import expect

    page.get_by_label("Account menu for alice").click()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Templates").click()
    expect(page.get_by_role("heading", name="Templates", level=1)).to_be_visible()
    page.get_by_role("link", name="Deploy the web shop").click()
    expect(page.get_by_role("heading", name="Who am I")).to_be_visible()
    page.get_by_role("link", name="New release").click()
    page.get_by_label("Release title").fill(title)
    expect(page.get_by_label("Run automated tasks as user")).to_have_value("")
    page.get_by_label("Password", exact=True).fill(token)
    page.get_by_role("button", name="Create and start").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    assert token not in page.content() and token not in page.url


def test_seed_automated_tasks_with_a_scoped_token_then_with_the_token_deleted(site, new_page):
    from playwright.sync_api import expect

    page = new_page(site.base)
    login(page, "alice", site.alice.password, "/profile/access-tokens")
    token = generate(page, "Automation", "7 days", ["release#create"])
    page.get_by_role("button", name="Done").click()

    new_release_with_token(page, site, "Web shop 1.0", token)
    page.evaluate("window.notReloaded = true")
    first, second = page.locator("li.task").all()
    expect(first.locator('[data-field="status"]')).to_have_text("Completed", timeout=30_000)
    expect(second.locator('[data-field="status"]')).to_have_text("Completed", timeout=30_000)
    expect(page.locator('[data-field="releaseStatus"]')).to_have_text("Completed")
    expect(page.locator('[data-field="releaseEnd"] time')).to_be_visible()
    expect(first.locator('[data-field="attempts"]')).to_have_text("1")
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)  # alice lacks release#edit
    assert page.evaluate("window.notReloaded") is True, "updated in place, not reloaded"
    expect(page.locator(".task-failure:visible")).to_have_count(0)
    follow_up = site.api(
        "POST", "/api/v1/releases/search", json={"title": "Follow-up of Web shop 1.0"}
    ).json()
    assert [r["owner"] for r in follow_up] == ["alice"], "the second task ran as alice's token"
    page.screenshot(path=str(artifact_path("release-completed.png")), full_page=True)

    page.goto("/profile/access-tokens")
    page.get_by_role("button", name="Delete token Automation").click()
    page.get_by_role("dialog", name="Delete token?").get_by_role("button", name="Delete token").click()
    expect(page.locator("tbody tr", has_text="Automation")).to_have_count(0)

    new_release_with_token(page, site, "Web shop 1.1", token)
    failed = page.locator("li.task").first
    expect(failed.locator('[data-field="status"]')).to_have_text("Failed", timeout=30_000)
    expect(page.locator('[data-field="releaseStatus"]')).to_have_text("Failed")
    reason = failed.get_by_role("group", name="Why Who am I failed")
    expect(reason).to_contain_text("Task failed: 401 Unauthorized")
    expect(reason.locator('[data-field="tokenState"]')).to_have_text("deleted")
    expect(reason).to_contain_text(
        f"The personal access token rpa_…{token[-4:]} (Automation) has been deleted."
    )
    expect(page.locator("li.task").nth(1).locator('[data-field="status"]')).to_have_text("Planned")
    save_screenshot(page, "release-failed-token.png")
    assert console_errors(page) == []


def planned_release(site: Site, title: str) -> str:
    made = site.api("POST", f"/api/v1/templates/{site.template_id}/create", json={"releaseTitle": title})
    assert made.status_code == 200, made.text
    return made.json()["id"]


def focused(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim() || document.activeElement.id")


def test_abort_and_delete_dialogs_work_by_keyboard_alone(site, new_page):
    from playwright.sync_api import expect

    release_id = planned_release(site, "Keyboard release")
    page = new_page(site.base)
    sign_in(page, site.harness, "root", site.base)
    page.goto(f"/releases/{release_id}")
    abort = page.get_by_role("button", name="Abort", exact=True)
    abort.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Abort release?")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "abort-comment"
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('dialog')"), "Tab stays in the dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page) == "Abort", "focus returns to the button that opened the dialog"

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.type("Replaced by 1.1")
    page.keyboard.press("Tab")
    assert focused(page) == "Cancel"
    page.keyboard.press("Tab")
    assert focused(page) == "Abort release"
    page.keyboard.press("Enter")
    expect(page.locator('[data-field="releaseStatus"]')).to_have_text("Aborted")
    expect(page.locator('[data-field="abortComment"]')).to_contain_text("Replaced by 1.1")

    delete = page.get_by_role("button", name="Delete", exact=True)
    delete.focus()
    page.keyboard.press("Space")
    confirm = page.get_by_role("dialog", name="Delete release?")
    expect(confirm).to_contain_text("Keyboard release")
    assert focused(page) == "Cancel", "the safe choice has the focus"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The release was deleted.")).to_be_visible()
    assert site.api("GET", f"/api/v1/releases/{release_id}").status_code == 404
    assert console_errors(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_every_templates_and_releases_page_fits_without_sideways_scrolling(site, new_page, width):
    release_id = planned_release(site, "A release title long enough to wrap on a phone " * 2)
    failed = site.api("POST", "/api/v1/releases/search", json={"failed": True}).json()
    page = new_page(site.base, viewport={"width": width, "height": 860}, is_mobile=width < 500)
    sign_in(page, site.harness, "root", site.base)
    pages = {
        "templates": "/templates",
        "template": f"/templates/{site.template_id}",
        "new-release": f"/templates/{site.template_id}/new-release",
        "releases": "/releases",
        "release": f"/releases/{release_id}",
    }
    if failed:
        pages["release-failed"] = f"/releases/{failed[0]['id']}"
    for name, path in pages.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} at {width} px scrolls sideways ({scroll} px)"
        page.screenshot(path=str(artifact_path(f"{name}-{width}.png")), full_page=True)
        if width == 1280 and name in ("templates", "new-release"):
            save_screenshot(page, f"{name}.png")
    assert console_errors(page) == []


def test_the_release_list_finds_a_release_by_status_and_title(site, new_page):
    from playwright.sync_api import expect

    planned_release(site, "Findable release")
    page = new_page(site.base)
    sign_in(page, site.harness, "alice", site.base)
    page.goto("/releases")
    page.get_by_label("Title").fill("findable")
    page.get_by_label("Status").select_option(label="Planned")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/releases\?title=findable&status=PLANNED$"))
    rows = page.locator("#releases-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Findable release")
    page.get_by_label("Status").select_option(label="Completed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No release matches.")).to_be_visible()
