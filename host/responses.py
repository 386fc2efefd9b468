"""How errors and JSON bodies look: JSON under the API, HTML on pages, never a stack trace."""

from __future__ import annotations

import functools
import html
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import falcon
import peewee

from host import metrics
from host.bodies import read_body, too_large

log = logging.getLogger("release_host")


def wants_html(req: falcon.Request) -> bool:
    """A matched route says (`Route.page`); elsewhere a browser asking for HTML gets it, except
    under `/api/`, where every host route and plugin API answers JSON."""
    route = getattr(req.context, "route", None)
    if route is not None:
        return route.page
    return not req.path.startswith("/api/") and "text/html" in (req.accept or "")


ErrorPage = Callable[[falcon.Request, falcon.Response, str, str], None]
"""Renders an error as an HTML page (`host.pages.error_page` with the host: the layout, top bar)."""


def _plain_page(req: falcon.Request, resp: falcon.Response, title: str, message: str) -> None:
    """The fallback when no page renderer is installed, or it failed."""
    resp.text = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/static/host.css"></head><body>'
        f"<main class=page><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        '<p><a href="/">Home</a></p></main></body></html>'
    )


def _render(
    req: falcon.Request,
    resp: falcon.Response,
    status: str | int,
    title: str,
    message: str,
    page: ErrorPage | None = None,
) -> None:
    resp.status = status
    if wants_html(req):
        resp.content_type = falcon.MEDIA_HTML
        try:
            (page or _plain_page)(req, resp, title, message)
        except Exception:  # an error page must not fail: the database may be what is down
            log.exception("the error page failed on %s %s", req.method, req.path)
            _plain_page(req, resp, title, message)
        resp.status = status
    else:
        resp.content_type = falcon.MEDIA_JSON
        resp.text = json.dumps({"error": title, "message": message})


def _serialize_http_error(
    req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError, page: ErrorPage | None = None
) -> None:
    """One shape for every error: `error` is the status's reason phrase ("Bad Request", whatever
    title Falcon or a plugin chose, such as Falcon's "Invalid parameter"), `message` says why."""
    status = falcon.code_to_http_status(exc.status)
    phrase = status[4:] or status
    title = exc.title if exc.title not in (None, status, phrase) else None
    message = exc.description or title or _DEFAULT_MESSAGES.get(status[:3], phrase)
    _render(req, resp, status, phrase, message, page)


_DEFAULT_MESSAGES = {
    "404": "Nothing is at this address.",
    "405": "This address does not accept this HTTP method.",
}


def _handle_uncaught(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict, page: ErrorPage | None = None
) -> None:
    log.exception("unhandled error on %s %s", req.method, req.path)
    _render(
        req,
        resp,
        falcon.HTTP_500,
        "Internal Server Error",
        "The server failed; the error is in its log.",
        page,
    )


DATABASE_UNAVAILABLE = "The database is unreachable or busy; try again shortly."
RETRY_AFTER_SECONDS = 5


def _handle_database_down(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict, page: ErrorPage | None = None
) -> None:
    """The database went away (or SQLite stayed locked past its busy timeout) in the middle of a
    request: 503 with a message and `Retry-After`, never a 500; the pool reconnects by itself."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    log.error("database unavailable on %s %s: %s: %s", req.method, req.path, type(exc).__name__, first)
    metrics.count_database_error(type(exc).__name__)
    resp.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
    _render(req, resp, falcon.HTTP_503, "Service Unavailable", DATABASE_UNAVAILABLE, page)


def install_error_handling(app: falcon.App, page: ErrorPage | None = None) -> None:
    """JSON errors under the API, HTML pages elsewhere; `page` renders those in the layout."""
    app.set_error_serializer(functools.partial(_serialize_http_error, page=page))
    app.add_error_handler(Exception, functools.partial(_handle_uncaught, page=page))
    app.add_error_handler(
        (peewee.OperationalError, peewee.InterfaceError), functools.partial(_handle_database_down, page=page)
    )


def json_body(req: falcon.Request, limit: int = 1024 * 1024) -> dict[str, Any]:
    """The body as a JSON object, or a 400/413/415 that says what is wrong with it."""
    require_json_type(req)
    raw = read_body(req, limit)
    if raw is None:
        raise too_large(limit)
    if not raw.strip():
        raise bad_request("A JSON object is required as the request body.")
    try:
        body = json.loads(raw)
        problem = unsafe_json(body, "")
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise bad_request("The request body is nested too deeply.") from None
    if problem:
        raise bad_request(f"The request body contains {problem}.")
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def require_json_type(req: falcon.Request) -> None:
    """415 unless the body is declared JSON: a browser form (`enctype="text/plain"`) cannot send
    that type to another origin without CORS consent, so this also shuts out form-based CSRF."""
    media = (req.content_type or "").split(";")[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return
    raise falcon.HTTPUnsupportedMediaType(
        title="Unsupported Media Type",
        description=(
            "The request body must be JSON sent with Content-Type: application/json"
            + (f" (this request says {media[:100]})." if media else " (this request names no type).")
        ),
    )


def bad_request(message: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Bad Request", description=message)


_SURROGATE = re.compile("[\ud800-\udfff]")


def unsafe_text(value: str) -> str | None:
    """What in this text no database or UTF-8 encoder accepts (NUL, lone surrogates), or None."""
    if "\x00" in value:
        return "a NUL character"
    if _SURROGATE.search(value):
        return "invalid Unicode (an unpaired surrogate)"
    return None


def unsafe_json(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        problem = unsafe_text(value)
        return f"{problem} in {where or 'a value'}" if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = unsafe_text(key) and f"{unsafe_text(key)} in a field name"
            problem = problem or unsafe_json(item, f"{where}.{key}" if where else key)
            if problem:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = unsafe_json(item, f"{where}[{index}]")
            if problem:
                return problem
    return None
