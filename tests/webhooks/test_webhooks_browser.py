"""The seed's webhook steps in a real Chromium against a real gunicorn server.

Generate a PAT on the Access tokens page, add an HTTP Endpoint for Webhooks with Token
Authentication and that PAT under Configuration › Connections, then call it from outside: with
that PAT (200), another PAT (401), none (401), and after deleting the PAT on its page (401).
SQLite only, like the other browser tests: the database code is tested on both in-process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from host.testing import Harness, TestUser
from host.testing.browser import console_errors, login

API = "/api/v1/config/webhook-endpoints"


@dataclass
class Site:
    harness: Harness
    base: str
    admin: TestUser


@pytest.fixture(scope="module")
def site(module_host, module_server):
    harness = module_host(plugins=["pat_auth", "webhooks"])
    admin = harness.user("root", roles=("admin",))
    return Site(harness, module_server(harness), admin)


def open_menu_link(page, name: str) -> None:
    page.get_by_label("Account menu for root").click()
    page.get_by_role("navigation", name="Account").get_by_role("link", name=name).click()


def generate_token(page, name: str) -> str:
    """Through the Access tokens page, as the seed's first part does."""
    from playwright.sync_api import expect

    open_menu_link(page, "Access tokens")
    page.get_by_role("button", name="Generate new tokens").click()
    page.get_by_label("Token name").fill(name)
    page.get_by_role("button", name="Generate", exact=True).click()
    field = page.get_by_label("Your new token")
    expect(field).to_have_value(re.compile(r"^rpa_[0-9A-Za-z]{40}$"))
    secret = field.input_value()
    page.get_by_role("button", name="Done").click()
    return secret


def delete_token(page, name: str) -> None:
    from playwright.sync_api import expect

    open_menu_link(page, "Access tokens")
    page.get_by_role("button", name=f"Delete token {name}").click()
    page.get_by_role("button", name="Delete token", exact=True).click()
    expect(page.get_by_role("button", name=f"Delete token {name}")).to_have_count(0)


def post(site: Site, headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None):
    return requests.post(
        f"{site.base}/webhooks/git-pushes",
        json={"ref": "refs/heads/main"},
        headers=headers,
        auth=auth,
        timeout=10,
    )


def test_seed_steps_token_authenticated_endpoint_through_the_ui(site, new_page):
    from playwright.sync_api import expect

    page = new_page(site.base)
    login(page, "root", site.admin.password)
    pat = generate_token(page, "webhook caller")
    other = site.harness.token(site.admin, "another token")

    open_menu_link(page, "Configuration › Connections")
    expect(page.get_by_role("heading", name="Connections", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Webhooks and Events")).to_be_visible()
    page.get_by_role("link", name="Add HTTP Endpoint for Webhooks").click()

    page.get_by_label("Title").fill("Git pushes")
    expect(page.get_by_label("Enabled")).to_be_checked()
    page.get_by_label("Endpoint Path").fill("git-pushes")
    expect(page.locator("#endpoint-url")).to_have_text(f"{site.base}/webhooks/git-pushes")
    page.get_by_label("HTTP method").select_option("POST")
    page.get_by_label("Authentication Method").select_option(label="Token Authentication")
    expect(page.get_by_label("Username")).to_be_hidden()
    page.get_by_label("Secret Token").fill(pat)
    page.get_by_label("Request Retention").fill("10")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{site.base}/configuration/connections")
    row = page.get_by_role("row").filter(has_text="Git pushes")
    expect(row).to_contain_text("Token Authentication")
    expect(row).to_contain_text("Enabled")

    accepted = post(site, headers={"x-release-personal-token": pat})
    assert (accepted.status_code, accepted.text) == (200, "")
    assert post(site, auth=("", pat)).status_code == 200
    (endpoint,) = requests.get(f"{site.base}{API}", auth=("root", site.admin.password), timeout=10).json()
    refused = {
        "error": "Unauthorized",
        "message": f"Unauthorized request for '{endpoint['id']} (Git pushes)' (authentication method: token)",
    }
    for attempt in (post(site, headers={"x-release-personal-token": other}), post(site)):
        assert attempt.status_code == 401
        assert attempt.json() == refused

    delete_token(page, "webhook caller")
    after_delete = post(site, headers={"x-release-personal-token": pat})
    assert after_delete.status_code == 401
    assert after_delete.json() == refused

    # The retained requests, through the list's link; the form shows no secret back.
    open_menu_link(page, "Configuration › Connections")
    page.get_by_role("link", name="5 of 10").click()
    expect(page.get_by_role("heading", name="Received requests")).to_be_visible()
    outcomes = page.locator("#received-table tbody tr td:nth-child(3) .badge")
    expect(outcomes).to_have_text(["401 Unauthorized"] * 3 + ["200 Accepted"] * 2)
    page.locator("#received-table details").first.click()
    expect(page.locator("#received-table pre").first).to_contain_text("x-release-personal-token: ********")
    requests_html = page.content()
    page.get_by_role("link", name="Git pushes").click()
    expect(page.get_by_label("Secret Token")).to_have_value("")
    expect(page.locator("#endpoint-secret-token-hint")).to_contain_text("A secret token is set")
    form_html = page.content()

    stored = requests.get(
        f"{site.base}{API}/{endpoint['id']}/requests", auth=("root", site.admin.password), timeout=10
    ).json()
    with site.harness.db():
        dump = "\n".join(
            json.dumps(row, default=str)
            for model in site.harness.host.models
            for row in model.select().dicts()
        )
    logs = "".join(p.read_text(errors="replace") for p in Path(site.harness.tmp_path).glob("gunicorn-*.log"))
    for where in (requests_html, form_html, json.dumps(stored), json.dumps(endpoint), dump, logs):
        assert pat not in where and other not in where
    assert console_errors(page) == []


def test_form_shows_the_servers_reason_next_to_the_field(site, new_page):
    from playwright.sync_api import expect

    page = new_page(site.base)
    login(page, "root", site.admin.password, next_path="/configuration/connections/webhooks/new")
    page.get_by_label("Title").fill("Bad path")
    page.get_by_label("Endpoint Path").fill("a/b")
    page.get_by_label("Authentication Method").select_option("none")
    expect(page.get_by_label("Secret Token")).to_be_hidden()
    page.get_by_role("button", name="Save").click()
    error = page.locator("#endpoint-path-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Endpoint Path must be")
    expect(page.get_by_label("Endpoint Path")).to_have_attribute("aria-invalid", "true")
    assert [e for e in console_errors(page) if "status of 400" not in e] == []
