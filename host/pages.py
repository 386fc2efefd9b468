"""The page shell: Jinja2 templates, static files and `render_page`, which every plugin uses so
that its pages share the layout, the user menu, the CSRF token and the security headers.

A plugin keeps its templates in `<package>/templates/` and its CSS/JS in `<package>/static/`.
Its templates extend `host/base.html`; `static_url("x.js", "plugins.webhooks")` gives the URL of
one of its static files. Pages carry a Content-Security-Policy without `unsafe-inline`: scripts
and styles come from files only.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import falcon
import jinja2

from host import sessions
from host.credentials import presented
from host.errors import AuthenticationFailed
from host.routes import UNSAFE_METHODS

if TYPE_CHECKING:
    from host.actors import Actor
    from host.app import Host

HOST_PACKAGE = "host"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
AVATAR_COLOURS = 8


def package_dir(package: str) -> Path:
    """The folder of an importable package (where its `templates/` and `static/` live)."""
    module = importlib.import_module(package)
    if module.__file__ is None:
        raise ValueError(f"{package} is a namespace package: it has no folder of its own")
    return Path(module.__file__).resolve().parent


@cache
def environment(package: str = HOST_PACKAGE) -> jinja2.Environment:
    """Templates of `package`, with the host's own reachable as `host/<name>`."""
    host_templates = jinja2.FileSystemLoader(str(package_dir(HOST_PACKAGE) / "templates"))
    loaders: list[jinja2.BaseLoader] = [jinja2.PrefixLoader({HOST_PACKAGE: host_templates})]
    if package != HOST_PACKAGE:
        loaders.append(jinja2.FileSystemLoader(str(package_dir(package) / "templates")))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    return env


@cache
def _fingerprint(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(filename: str, package: str = HOST_PACKAGE) -> str:
    """The URL of `<package>/static/<filename>`, with a content hash so browsers may cache it long."""
    path = package_dir(package) / "static" / filename
    version = _fingerprint(path, path.stat().st_mtime_ns) if path.is_file() else "missing"
    prefix = "/static/" if package == HOST_PACKAGE else f"/static/{package}/"
    return f"{prefix}{filename}?v={version}"


def static_file(host: Host, filename: str) -> Path | None:
    """Resolve a `/static/…` path to a file of the host or of a loaded plugin; None if there is none.

    Only packages of registered plugins are served, and nothing outside their `static/` folder.
    """
    if "/" in filename:
        package, rest = filename.split("/", 1)
        if package not in _plugin_packages(host):
            return None
    else:
        package, rest = HOST_PACKAGE, filename
    if not rest or any(part.startswith(".") or not part for part in rest.split("/")):
        return None
    root = (package_dir(package) / "static").resolve()
    candidate = (root / rest).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _plugin_packages(host: Host) -> set[str]:
    return {
        module.__name__
        for _, module in host.pm.list_name_plugin()
        if isinstance(module, ModuleType) and hasattr(module, "__path__")
    }


def initials(actor: Actor) -> str:
    """Up to two letters for the avatar: "Alice Martin" → "AM", "alice" → "A"."""
    words = (actor.display_name or actor.username).replace(".", " ").replace("_", " ").split()
    return "".join(word[0] for word in words[:2]).upper() or "?"


def avatar_colour(actor: Actor) -> int:
    """A stable colour class per user (a class, not a style attribute: the CSP forbids those)."""
    return hashlib.sha256(actor.username.encode()).digest()[0] % AVATAR_COLOURS


def _actor(host: Host, req: falcon.Request) -> Actor | None:
    """The signed-in user, also on public pages (the top bar shows them when they have a session)."""
    if getattr(req.context, "authenticated", False):
        return req.context.actor
    if req.method in UNSAFE_METHODS:
        return None
    try:
        return host.authenticate(req)
    except (AuthenticationFailed, falcon.HTTPError):
        return None


def page_context(host: Host, req: falcon.Request, actor: Actor | None | bool = True) -> dict[str, Any]:
    """What every page template receives besides its own context (`actor=True`: find the user)."""
    if actor is True:
        actor = _actor(host, req)
    actor = actor or None
    return {
        "actor": actor,
        "nav_links": host.navigation(actor) if actor else [],
        "initials": initials(actor) if actor else "",
        "avatar_colour": avatar_colour(actor) if actor else 0,
        "csrf_token": sessions.csrf_token(req),
        "csrf_field_name": sessions.CSRF_FIELD,
        "request_path": req.path,
    }


def render_page(
    host: Host,
    req: falcon.Request,
    resp: falcon.Response,
    template: str,
    *,
    package: str = HOST_PACKAGE,
    status: str = falcon.HTTP_200,
    **context: Any,
) -> None:
    """Render `<package>/templates/<template>` into `resp` as an HTML page with the host's headers.

    The template usually `{% extends "host/base.html" %}` and fills `content` (and `title`,
    `head`, `scripts`). Besides `context` it receives `actor`, `nav_links`, `csrf_token`,
    `csrf_field_name`, `request_path` and `static_url`.
    """
    html = environment(package).get_template(template).render(**{**page_context(host, req), **context})
    resp.status = status
    resp.content_type = falcon.MEDIA_HTML
    resp.set_headers(PAGE_HEADERS)
    resp.text = html


def error_page(host: Host, req: falcon.Request, resp: falcon.Response, title: str, message: str) -> None:
    """An error (404, 403, 500 …) as a page in the layout, with the top bar and the user menu.

    The menu shows the user of the request, or of its session cookie; other credentials are not
    checked for an error page (a wrong password sent to any address must cost no bcrypt, no write).
    """
    actor = req.context.actor if getattr(req.context, "authenticated", False) else None
    if actor is None and not presented(req).any:
        actor = sessions.session_actor(host, req)
    context = {**page_context(host, req, actor=actor or False), "title": title, "message": message}
    resp.content_type = falcon.MEDIA_HTML
    resp.set_headers(PAGE_HEADERS)
    resp.text = environment().get_template("host/error.html").render(**context)


@dataclass(frozen=True)
class Pager:
    """Where a paged list stands, for the `ui.pager` macro: `page` counts from 1; `pages` and
    `total` are None when the list is not counted (it only knows whether another page follows)."""

    page: int
    previous: str
    next: str
    pages: int | None = None
    total: int | None = None


def pager(
    req: falcon.Request,
    page: int,
    size: int,
    *,
    total: int | None = None,
    more: bool = False,
    keep: Mapping[str, object] | None = None,
) -> Pager:
    """Previous/next links for page `page` (from 0) of `size` rows. Give `total` when the list is
    counted, else `more` (whether another page follows). The links keep `keep`'s non-empty values,
    by default the request's other query parameters (not `page`), so filters survive paging."""
    kept = req.params if keep is None else keep
    params = {
        k: str(v) for k, v in kept.items() if k != "page" and v not in ("", None) and not isinstance(v, list)
    }

    def link(number: int) -> str:
        return req.path + "?" + urlencode({**params, **({"page": str(number)} if number else {})})

    pages = None if total is None else max(1, -(-total // size))
    following = page + 1 < pages if pages is not None else more
    return Pager(
        page=page + 1,
        previous=link(page - 1) if page > 0 else "",
        next=link(page + 1) if following else "",
        pages=pages,
        total=total,
    )
