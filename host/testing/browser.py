"""Browsers for page tests: one simulated in-process, one real (Chromium driven by Playwright).

Loaded with `host.testing` (which imports its fixtures), so any test file may use:

- `PageSession(harness)`: an in-process browser through `falcon.testing`: keeps cookies, logs in
  through the form, and sends the session's CSRF token with `post_form` and `api`.
- `browser` (fixture, one per test session): headless Debian Chromium; skipped with a reason
  when Chromium or the `playwright` package is missing (a failure in CI mode).
- `new_page(base_url, **context_options)` (fixture): a page in a fresh context (own cookies),
  closed after the test; options as for `browser.new_context` (`timezone_id`, `viewport`…).
  Defaults: locale en-GB, time zone UTC, 1280×860. `console_errors(page)` lists what it logged.
- `login(page, username, password, next_path="/")`: log in through the login form;
  `sign_in(page, harness, username, base_url)`: a session without the form, for tests about
  other pages (faster).
- `module_host(plugins=[...], settings={...})` and `module_server(harness)` (module-scoped
  fixtures): one SQLite host and one gunicorn server shared by a module's browser tests.
- `artifact_path(name)`: where to save screenshots (`test-artifacts/`, gitignored).
- `axe_violations(page)`: run axe-core (npm, `package.json`; `npm ci` installs it) on the page;
  its context needs `bypass_csp=True`, since the pages' CSP refuses an injected script.
- `sideways_overflow(page)`: what makes the page, or a table in it, scroll sideways.
"""

from __future__ import annotations

import os
import re
import subprocess
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import falcon.testing
import pytest

from host import sessions
from host.testing.components import PROJECT_ROOT, free_port, require
from host.testing.gunicorn import start_gunicorn, stop_process
from host.testing.harness import Harness, build_harness, test_config
from host.users import User

CHROMIUM = os.environ.get("RELEASE_HOST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


class PageSession:
    """An in-process browser: cookies kept between requests, the CSRF token sent when asked."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> falcon.testing.Result:
        cookies = {**self.cookies, **kwargs.pop("cookies", {})}
        result = self.harness.client.simulate_request(method, path, cookies=cookies, **kwargs)
        for name, cookie in result.cookies.items():
            if cookie.value:
                self.cookies[name] = cookie.value
            else:
                self.cookies.pop(name, None)
        return result

    def get(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        return self.request("GET", path, **kwargs)

    @property
    def session_id(self) -> str | None:
        return self.cookies.get(sessions.cookie_name(self.harness.config))

    @property
    def csrf(self) -> str:
        """The token the pages of this session carry (meta tag and hidden form fields)."""
        assert self.session_id, "not logged in"
        return sessions.csrf_for(self.harness.host, self.session_id)

    def post_form(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> falcon.testing.Result:
        fields = {**data, **({sessions.CSRF_FIELD: self.csrf} if csrf else {})}
        return self.request("POST", path, body=urlencode(fields, doseq=True), headers=FORM)

    def api(self, method: str, path: str, *, csrf: bool = True, **kwargs: Any) -> falcon.testing.Result:
        headers = dict(kwargs.pop("headers", {}))
        if csrf and self.session_id:
            headers[sessions.CSRF_HEADER] = self.csrf
        return self.request(method, path, headers=headers, **kwargs)

    def login(self, username: str, password: str, next_path: str | None = None) -> falcon.testing.Result:
        """GET the form (for its login CSRF token), then POST it as a browser would."""
        form = self.get("/login", params={"next": next_path} if next_path else None)
        found = _LOGIN_CSRF.search(form.text)
        assert found, f"no login CSRF field in the login form: {form.text[:200]}"
        token = found.group(1)
        data = {"username": username, "password": password, "login_csrf": token}
        if next_path:
            data["next"] = next_path
        return self.request("POST", "/login", body=urlencode(data), headers=FORM)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole test session."""
    require(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the Python playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


_console: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def console_errors(page: Any) -> list[str]:
    """Errors the page logged (script errors, CSP violations, failed requests)."""
    return _console.get(page, [])


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Factory: `new_page(base_url, timezone_id="Asia/Tokyo")` → a Playwright `Page`."""
    contexts = []

    def factory(base_url: str | None = None, **options: Any) -> Any:
        options.setdefault("locale", "en-GB")
        options.setdefault("timezone_id", "UTC")
        options.setdefault("viewport", {"width": 1280, "height": 860})
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        _console[page] = errors
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield factory
    for context in contexts:
        context.close()


def login(page: Any, username: str, password: str, next_path: str = "/") -> None:
    """Log in through the form and wait until the browser has left the login page."""
    page.goto(f"/login?next={quote(next_path, safe='')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def sign_in(page: Any, harness: Harness, username: str, base_url: str) -> None:
    """Give the page's browser a session for `username` without the form (tests about other pages)."""
    with harness.db():
        sid = sessions.create(harness.host, User.get(User.username == username).id)
    cookie = {"name": sessions.cookie_name(harness.config), "value": sid, "url": base_url}
    page.context.add_cookies([{**cookie, "httpOnly": True, "sameSite": "Lax"}])


def artifact_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@pytest.fixture(scope="module")
def module_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Factory: `module_host(plugins=[...], settings={...})` → a `Harness` on SQLite for a module."""
    built: list[Harness] = []

    def factory(plugins: list[str], settings: dict[str, dict[str, Any]] | None = None) -> Harness:
        tmp_path = tmp_path_factory.mktemp("browser-host")
        config = test_config(f"sqlite:///{tmp_path / 'release-host.db'}", tmp_path, plugins, settings)
        harness = build_harness(config, tmp_path)
        built.append(harness)
        return harness

    yield factory
    for harness in built:
        harness.host.shutdown()


@pytest.fixture(scope="module")
def module_server() -> Iterator[Any]:
    """Factory: `module_server(harness)` runs it under gunicorn for a module; returns the base URL."""
    running: list[subprocess.Popen] = []

    def factory(harness: Harness, workers: int = 2) -> str:
        port = free_port()
        log_path = harness.tmp_path / f"gunicorn-{port}.log"
        running.append(start_gunicorn(harness.write_conf(), port, log_path, workers))
        return f"http://127.0.0.1:{port}"

    yield factory
    for proc in running:
        stop_process(proc)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA rules and best practices)."""
    require(AXE.is_file(), f"axe-core is not installed at {AXE} (run `npm ci` in the project folder)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violation, most severe first: impact, rule, help and the first offending nodes."""
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    lines = []
    for found in sorted(violations, key=lambda v: order.get(v.get("impact") or "", 4)):
        targets = ", ".join(" ".join(node["target"]) for node in found["nodes"][:3])
        lines.append(f"{found['impact']}: {found['id']}: {found['help']} ({len(found['nodes'])}× {targets})")
    return "\n".join(lines)


_OVERFLOW = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    found.push(`the page is ${root.scrollWidth}px wide in ${root.clientWidth}px`);
  }
  for (const el of document.querySelectorAll("main *")) {
    const style = getComputedStyle(el);
    if (!/(auto|scroll)/.test(style.overflowX) || el.closest("pre, dialog")) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const name = `${el.tagName.toLowerCase()}.${el.className}`;
    found.push(`${name} scrolls: ${el.scrollWidth}px in ${el.clientWidth}px`);
  }
  return found;
}"""


def sideways_overflow(page: Any) -> list[str]:
    """Empty when nothing scrolls sideways: not the page, not a table's wrapper (a <pre> may)."""
    return page.evaluate(_OVERFLOW)
