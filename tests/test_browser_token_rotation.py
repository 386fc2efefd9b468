"""Rotating a token on the Access tokens page in a real Chromium against a real gunicorn server:
the Rotate action, the overlap choice, the once-shown secret, and the reminder's `?rotate=ID` link.
SQLite only, as the other browser tests (the rotation's database code is tested on both)."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from host import User
from host.testing import Harness, TestUser
from host.testing.browser import console_errors, sign_in
from plugins.notifications import delivery
from plugins.pat_auth import reminders
from tests.smtp import running_smtp

PAGE = "/profile/access-tokens"
API = "/api/v1/personal-access-tokens"
SECRET = re.compile(r"^rpa_[0-9A-Za-z]{40}$")
ROTATED = "This personal access token was rotated; use its replacement."


@pytest.fixture(scope="module")
def mailbox():
    with running_smtp() as server:
        yield server


@pytest.fixture(scope="module")
def site(module_host, module_server, mailbox):
    harness = module_host(
        plugins=["pat_auth", "notifications"], settings={"notifications": mailbox.settings()}
    )
    carol = harness.user("carol", ["login"])
    with harness.db():
        User.update(email="carol@example.org").where(User.id == carol.id).execute()
    return harness, module_server(harness), carol


def make(base: str, user: TestUser, name: str) -> dict:
    made = requests.post(
        f"{base}{API}",
        json={"tokenNote": name, "expiration": "30d"},
        auth=(user.username, user.password),
        timeout=5,
    )
    assert made.status_code == 201, made.text
    return made.json()


def profile(base: str, secret: str) -> requests.Response:
    return requests.get(f"{base}/api/v1/profile", headers={"x-release-personal-token": secret}, timeout=5)


def open_page(new_page, harness: Harness, base: str, path: str = PAGE):
    page = new_page(base)
    sign_in(page, harness, "carol", base)
    page.goto(path)
    return page


def test_rotate_beside_delete_with_an_overlap_shows_the_new_secret_once(site, new_page):
    from playwright.sync_api import expect

    harness, base, carol = site
    old = make(base, carol, "nightly")
    page = open_page(new_page, harness, base)
    row = page.locator("tbody tr", has_text="nightly")
    row.get_by_role("button", name="Rotate token nightly").click()
    dialog = page.get_by_role("dialog", name=re.compile("Rotate token"))
    expect(dialog).to_contain_text('"nightly"')
    dialog.get_by_label("Current secret keeps working for").select_option(label="1 hour")
    dialog.get_by_role("button", name="Rotate token").click()
    expect(dialog).to_be_hidden()
    field = page.get_by_label("Your new token")
    expect(field).to_have_value(SECRET)
    secret = field.input_value()
    assert profile(base, secret).json()["credential"]["name"] == "nightly"
    assert profile(base, old["token"]).status_code == 200, "the old secret works through the overlap"
    replaced = page.locator("tbody tr", has=page.locator(".badge-replaced"))
    expect(replaced).to_have_count(1)
    expect(replaced.locator(".replaced-note")).to_contain_text("replaced on")
    expect(replaced.locator(".replaced-note")).to_contain_text("valid until")
    expect(replaced.get_by_role("button", name="Rotate token nightly")).to_have_count(0)
    expect(replaced.get_by_role("button", name="Delete token nightly")).to_have_count(1)
    page.get_by_role("button", name="Done").click()
    page.reload()
    expect(page.locator("tbody tr", has_text="nightly")).to_have_count(2)
    assert secret not in page.content() and old["token"] not in page.content()
    assert console_errors(page) == []


def test_the_reminder_link_opens_the_rotate_dialog_for_its_token(site, new_page):
    from playwright.sync_api import expect

    harness, base, carol = site
    old = make(base, carol, "deploy")
    page = open_page(new_page, harness, base, f"{PAGE}?rotate={old['id']}")
    dialog = page.get_by_role("dialog", name=re.compile("Rotate token"))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text('"deploy"')
    dialog.get_by_label("Current secret keeps working for").select_option(value="0")
    dialog.get_by_role("button", name="Rotate token").click()
    expect(page.get_by_label("Your new token")).to_have_value(SECRET)
    refused = profile(base, old["token"])
    assert refused.status_code == 401 and refused.json()["message"] == ROTATED
    gone = open_page(new_page, harness, base, f"{PAGE}?rotate={old['id']}")
    expect(gone.locator("#tokens-status")).to_contain_text("can no longer be rotated")
    expect(gone.get_by_role("dialog")).to_have_count(0)
    assert console_errors(page) == [] and console_errors(gone) == []


def test_the_link_in_an_expiry_reminder_opens_the_rotate_dialog(site, mailbox, new_page, monkeypatch):
    from playwright.sync_api import expect

    harness, base, carol = site
    token = make(base, carol, "reminded")
    later = harness.host.now() + timedelta(days=24)  # the server's tokens are on the real clock
    monkeypatch.setattr(harness.host.config, "clock", lambda: later)
    with harness.host.connection():
        reminders.run(harness.host)
        delivery.deliver_due(harness.host)
    (message,) = [m for m in mailbox.to("carol@example.org") if '"reminded"' in m.text]
    (link,) = [
        line.split("Rotate it: ")[1] for line in message.text.splitlines() if f"rotate={token['id']}" in line
    ]
    parts = urlsplit(link)
    page = open_page(new_page, harness, base, f"{parts.path}?{parts.query}")
    dialog = page.get_by_role("dialog", name=re.compile("Rotate token"))
    expect(dialog).to_contain_text('"reminded"')
    dialog.get_by_role("button", name="Rotate token").click()
    expect(page.get_by_label("Your new token")).to_have_value(SECRET)
    assert token["token"] not in message.raw
