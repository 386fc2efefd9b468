"""Every page the host mounts, in Chromium at 1280 and 375 px: nothing scrolls sideways, and
axe-core finds no serious or critical accessibility violation.

The pages are found, not listed: the plugins are the ones `conf/host.toml` ships enabled, every
GET page route without parameters is opened, and links are followed (from the pages and the
menu) until each route with parameters has been reached too. A page another plugin adds is so
checked without this file changing; a route no link reaches fails the test, naming it, and the
seed data below (or the plugin's own pages) should then make one reach it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from host.config import load_config
from host.routes import PUBLIC
from host.testing import Harness, TestUser
from host.testing.browser import SERIOUS, axe_violations, describe_violations, sideways_overflow, sign_in
from tests.releases.support import make_template, manual, release_from
from tests.webhooks.support import create as create_endpoint

WIDTHS = (1280, 375)
MAX_PAGES = 150
SKIPPED_PREFIXES = ("/static/", "/api/", "/logout", "/webhooks/")


@dataclass
class Site:
    harness: Harness
    base: str
    root: TestUser


def shipped_plugins() -> list[str]:
    """The plugins the project's own configuration enables: the pages an operator gets."""
    from host.testing.components import PROJECT_ROOT

    return list(load_config(str(PROJECT_ROOT / "conf" / "host.toml")).enabled_plugins)


@pytest.fixture(scope="module")
def site(module_host, module_server):
    plugins = shipped_plugins()
    settings = {"releases_api": {"run_worker": False}} if "releases_api" in plugins else {}
    harness = module_host(plugins=plugins, settings=settings)
    root = harness.user("root", roles=("admin",))
    alice = harness.user("alice", ["login", "reports#view"])
    harness.token(root, name="Deploy bot with a rather long name to see how it wraps", expiration="7d")
    harness.token(alice, name="CI pipeline", expiration="30d")
    if "webhooks" in plugins:
        endpoint = create_endpoint(harness, root, title="Git pushes from the main repository")
        query = {"ref": "refs/heads/main", "q": "<b>ünïcode & more</b>" * 4}
        assert endpoint["id"]
        harness.call("POST", "/webhooks/git-pushes", json={"a": 1}, params=query)
    if "releases_api" in plugins:
        template = make_template(harness, root, [manual("Check the build")], title="Deploy the web shop")
        release_from(harness, root, template, title="Web shop 1.0")
    return Site(harness, module_server(harness), root)


def page_routes(harness: Harness) -> dict[str, re.Pattern[str]]:
    """Every GET page route, as its template and a pattern its paths match."""
    found = {}
    for template, (_, route) in harness.host.routes.items():
        if route.page and "GET" in route.access:
            pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
            found[template] = re.compile(f"^{pattern}$")
    return found


def route_of(path: str, routes: dict[str, re.Pattern[str]]) -> str | None:
    exact = [t for t in routes if t == path]
    return exact[0] if exact else next((t for t, p in routes.items() if p.match(path)), None)


def local_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith(SKIPPED_PREFIXES):
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def discover(site: Site, page) -> dict[str, str]:
    """One path per page route, found by opening what has no parameters and following links."""
    routes = page_routes(site.harness)
    chosen: dict[str, str] = {}
    queue = [t for t in routes if "{" not in t and routes[t].pattern != "^/login$"]
    seen: set[str] = set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        template = route_of(urlsplit(path).path, routes)
        if path in seen or template is None or (template in chosen and "?" in path):
            continue
        seen.add(path)
        response = page.goto(path)
        if response is None or response.status >= 400 or urlsplit(page.url).path != urlsplit(path).path:
            continue
        chosen.setdefault(template, path)
        queue.extend(p for p in local_links(page, site.base) if p not in seen)
    return chosen


def check(page, path: str, width: int) -> list[str]:
    """What is wrong with the page at this width: sideways scrolling, serious axe violations."""
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto(path)
    problems = [f"status {response.status}"] if response and response.status >= 500 else []
    problems += sideways_overflow(page)
    violations = axe_violations(page)
    serious = [v for v in violations if v.get("impact") in SERIOUS]
    if violations:
        print(f"\naxe on {path} at {width}px:\n{describe_violations(violations)}")
    if serious:
        problems.append(describe_violations(serious))
    return problems


def test_every_page_at_1280_and_375_px_scrolls_no_sideways_and_passes_axe(site, new_page):
    page = new_page(site.base, bypass_csp=True)
    sign_in(page, site.harness, "root", site.base)
    chosen = discover(site, page)
    routes = page_routes(site.harness)
    public = [t for t in routes if all(a == PUBLIC for a in site.harness.host.routes[t][1].access.values())]
    unreached = sorted(set(routes) - set(chosen) - set(public))
    assert not unreached, f"no link reaches these page routes (seed data for them here): {unreached}"
    assert {"/", "/configuration/users", "/configuration/access-tokens"} <= set(chosen)
    failures = {}
    for path in sorted(chosen.values()) + ["/no/such/page"]:
        for width in WIDTHS:
            problems = check(page, path, width)
            if problems:
                failures[f"{path} at {width}px"] = problems
    anonymous = new_page(site.base, bypass_csp=True)
    for template in public:
        for width in WIDTHS:
            problems = check(anonymous, template, width)
            if problems:
                failures[f"{template} (signed out) at {width}px"] = problems
    assert not failures, "\n".join(f"{where}: {problems}" for where, problems in failures.items())


def test_the_checks_find_what_they_look_for(new_page):
    """A page with an image without text and a table wider than its wrapper fails both checks."""
    page = new_page(bypass_csp=True, viewport={"width": 375, "height": 800})
    page.set_content(
        '<html lang="en"><title>t</title><main><img src="data:,">'
        '<div style="overflow-x:auto"><table><tr><td style="min-width:900px">x</td></tr></table></div>'
        '<p style="color:#ccc;background:#fff">faint</p></main></html>'
    )
    impacts = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert impacts.get("image-alt") == "critical" and impacts.get("color-contrast") == "serious"
    assert any(problem.startswith("div. scrolls: ") for problem in sideways_overflow(page))
