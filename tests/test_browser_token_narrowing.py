"""**Narrow to used permissions** on the Access tokens page, in a real Chromium against a real
gunicorn server with two workers: the issue's script (only `GET /api/v1/releases`) shows
`release#view` as used, keeps working after the click, and is refused `POST /api/v1/templates`."""

import re

import pytest
import requests

from host.testing.browser import SERIOUS, axe_violations, console_errors, describe_violations, sign_in

PAGE = "/profile/access-tokens"
API = "/api/v1/personal-access-tokens"
PLAN = {"title": "Nightly", "phases": [{"title": "Build", "tasks": [{"title": "Compile"}]}]}


@pytest.fixture(scope="module")
def site(module_host, module_server):
    harness = module_host(plugins=["pat_auth", "releases_api"])
    dana = harness.user("dana", ["login", "release#view", "template#create", "template#view"])
    return harness, module_server(harness), dana


def test_narrow_to_used_permissions_keeps_the_script_working_and_refuses_the_rest(site, new_page):
    from playwright.sync_api import expect

    harness, base, dana = site
    made = requests.post(
        f"{base}{API}", json={"tokenNote": "lister"}, auth=(dana.username, dana.password), timeout=30
    )
    assert made.status_code == 201, made.text
    headers = {"x-release-personal-token": made.json()["token"]}
    for _ in range(4):  # both workers, most likely: the first use is in the database for each
        assert requests.get(f"{base}/api/v1/releases", headers=headers, timeout=30).status_code == 200

    page = new_page(base, bypass_csp=True)  # for axe-core's script
    sign_in(page, harness, "dana", base)
    page.goto(PAGE)
    row = page.locator("tbody tr", has_text="lister")
    expect(row.locator(".scope-all")).to_have_text("All permissions")
    expect(row.locator(".used-list")).to_have_text("release#view")
    expect(row.locator(".refused-use")).to_contain_text("Tried admin")
    row.get_by_role("button", name="Narrow token lister to used permissions").click()
    dialog = page.get_by_role("dialog", name=re.compile("Narrow token"))
    expect(dialog.locator("#narrow-list")).to_have_text("release#view")
    serious = [v for v in axe_violations(page) if v.get("impact") in SERIOUS]
    assert serious == [], describe_violations(serious)
    dialog.get_by_role("button", name="Narrow to used permissions").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#tokens-status")).to_contain_text("now has only: release#view")
    expect(row.locator(".scope-all")).to_have_count(0)
    expect(row.locator("td[data-label=Permissions] > .cell-body > .chips")).to_have_text("release#view")

    for _ in range(4):
        assert requests.get(f"{base}/api/v1/releases", headers=headers, timeout=30).status_code == 200
        refused = requests.post(f"{base}/api/v1/templates", headers=headers, json=PLAN, timeout=30)
        assert refused.status_code == 403
    page.set_viewport_size({"width": 375, "height": 812})  # the used list and the button fit a phone
    expect(row.get_by_role("button", name="Narrow token lister to used permissions")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert console_errors(page) == []
