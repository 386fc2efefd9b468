"""Screenshots of the admin pages for the README: `python docs/make_screenshots.py [--out DIR]`.

Builds a throwaway host (SQLite in a temporary folder, the plugins `conf/host.toml` enables),
fills it with a few users, roles and tokens through the same code the pages use, runs it under
gunicorn, and photographs each page in headless Chromium at 1280 px (and All tokens at 375 px)
into `docs/images/` unless `--out` says otherwise. Needs the test install (`.[test]`) and Chromium.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import requests

from host import users
from host.config import load_config
from host.testing.browser import CHROMIUM, CHROMIUM_ARGS
from host.testing.components import PROJECT_ROOT, free_port
from host.testing.gunicorn import start_gunicorn, stop_process
from host.testing.harness import build_harness, test_config

PAGES = {
    "admin-users.png": ("/configuration/users", 1280),
    "admin-roles.png": ("/configuration/roles", 1280),
    "all-tokens.png": ("/configuration/access-tokens", 1280),
    "all-tokens-narrow.png": ("/configuration/access-tokens", 375),
    "audit.png": ("/configuration/audit", 1280),
}
TOKENS = "/api/v1/personal-access-tokens"


def seed(harness, base: str) -> None:
    """Users, roles and tokens an operator would have after a week, made through the API."""
    with harness.db():
        users.ensure_role("developers", ["login", "release#create", "reports#view"], "Start releases")
        users.ensure_role("auditors", ["login", "reports#view", "security#edit"], "Read the audit")
    harness.user("root", roles=("admin",), password="screenshot-password")
    for name, role in (("alice", "developers"), ("bob", "developers"), ("carol", "auditors")):
        harness.user(name, roles=(role,), password="screenshot-password")
    made = [
        ("alice", "CI pipeline", "30d", None),
        ("alice", "Deploy bot", "7d", ["release#create"]),
        ("bob", "Laptop script", "never", ["reports#view"]),
        ("carol", "Audit export", "60d", ["reports#view"]),
        ("bob", "Old script", "30d", None),
    ]
    for username, name, expiration, permissions in made:
        body = {"tokenNote": name, "expiration": expiration}
        if permissions:
            body["globalPermissions"] = permissions
        auth = (username, "screenshot-password")
        created = requests.post(f"{base}{TOKENS}", json=body, auth=auth, timeout=10)
        if created.status_code != 201:
            raise SystemExit(f"seeding failed: {created.text}")
        secret, token_id = created.json()["token"], created.json()["id"]
        if name != "Laptop script":
            requests.get(f"{base}/api/v1/profile", auth=("", secret), timeout=10)
        if name == "Old script":  # revoked by the admin, then still used: a refusal in the audit
            admin = ("root", "screenshot-password")
            requests.delete(f"{base}/api/v1/admin/personal-access-tokens/{token_id}", auth=admin, timeout=10)
            requests.get(f"{base}/api/v1/profile", auth=("", secret), timeout=10)


def photograph(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for filename, (path, width) in PAGES.items():
            context = browser.new_context(
                base_url=base, viewport={"width": width, "height": 760}, locale="en-GB", timezone_id="UTC"
            )
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("Username").fill("root")
            page.get_by_label("Password").fill("screenshot-password")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            page.goto(path)
            target = out / filename
            page.screenshot(path=str(target), full_page=True, animations="disabled")
            saved.append(target)
            context.close()
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    plugins = load_config(str(PROJECT_ROOT / "conf" / "host.toml")).enabled_plugins
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = {"releases_api": {"run_worker": False}} if "releases_api" in plugins else {}
        harness = build_harness(test_config(f"sqlite:///{tmp / 'screens.db'}", tmp, plugins, settings), tmp)
        port = free_port()
        server = start_gunicorn(harness.write_conf(), port, tmp / "gunicorn.log")
        try:
            base = f"http://127.0.0.1:{port}"
            seed(harness, base)
            for target in photograph(base, args.out):
                print(target)
        finally:
            stop_process(server)
            harness.host.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
