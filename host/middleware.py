"""Per-request plumbing: body limit, database connection, and where each request is authenticated
and its route's declared permission enforced."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import falcon
import peewee

from host import metrics
from host.credentials import presented
from host.errors import AuthenticationFailed
from host.origins import refuse_foreign_origin
from host.permissions import refusal
from host.responses import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, unsafe_text
from host.routes import AUTHENTICATED, PUBLIC, UNSAFE_METHODS

if TYPE_CHECKING:
    from host.app import Host

log = logging.getLogger("release_host")
CHALLENGE = 'Basic realm="release-host"'


class BodyLimitMiddleware:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.content_length is not None and req.content_length > self.max_bytes:
            raise falcon.HTTPContentTooLarge(
                title="Request body too large",
                description=f"The request body is larger than the limit of {self.max_bytes} bytes.",
            )


class MetricsMiddleware:
    """Counts every answer by route template, method and status (first in the list, so its
    `process_response` runs last and sees the final status)."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        try:
            metrics.count_request(req.uri_template, req.method, str(resp.status_code))
        except Exception:  # counting must never turn an answer into a 500
            log.exception("could not count a request for /metrics")


class ConnectionMiddleware:
    """One pooled connection per request, returned in `process_response`. When the database
    cannot be reached the request gets 503, except on a resource that says it answers without
    one (`answers_without_database`, the health route: it reports the outage itself)."""

    def __init__(self, host: Host) -> None:
        self.db = host.database

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.database_down = False
        try:
            req.context.opened_connection = self.db.connect(reuse_if_open=True)
        except peewee.OperationalError as exc:
            log.warning("database unreachable")
            metrics.count_database_error(type(exc).__name__)
            req.context.database_down = True

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict
    ) -> None:
        if req.context.database_down and not getattr(resource, "answers_without_database", False):
            raise falcon.HTTPServiceUnavailable(
                title="Service Unavailable", description=DATABASE_UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS
            )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        if getattr(req.context, "opened_connection", False) and not self.db.is_closed():
            self.db.close()


class TextMiddleware:
    """Text no database accepts (NUL, lone surrogates) in the URL is refused before any resource
    sees it: in a path parameter → 404, in a query parameter → 400."""

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict
    ) -> None:
        if any(isinstance(v, str) and unsafe_text(v) for v in params.values()):
            raise falcon.HTTPNotFound()
        for name, value in req.params.items():
            for item in value if isinstance(value, list) else [value]:
                problem = unsafe_text(name) or unsafe_text(item)
                if problem:
                    raise falcon.HTTPBadRequest(
                        title="Bad Request", description=f"The query parameter {name!r} contains {problem}."
                    )


class AuthMiddleware:
    """Resolve the actor once, then check what the matched route declares, before it runs."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.actor = None
        req.context.route = None

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict
    ) -> None:
        if resource is None:
            return
        declared = self.host.routes.get(req.uri_template)
        if declared is None:
            raise falcon.HTTPNotFound()  # mounted without a declaration: fail closed
        _, route = declared
        req.context.route = route
        access = route.access.get(req.method)
        if access is None:
            if req.method == "OPTIONS":
                return  # Falcon's own answer: the Allow header, nothing else
            raise falcon.HTTPMethodNotAllowed(
                sorted(route.access),
                title="Method Not Allowed",
                description=f"{req.method} is not allowed here; allowed: {', '.join(sorted(route.access))}.",
            )
        if access == PUBLIC:
            return
        try:
            if req.method in UNSAFE_METHODS:
                refuse_foreign_origin(req)
            actor = self.host.authenticate(req)
        except AuthenticationFailed as exc:
            raise falcon.HTTPUnauthorized(
                title="Unauthorized", description=exc.message, challenges=[CHALLENGE]
            ) from None
        if actor is None:
            if route.page:
                raise falcon.HTTPSeeOther(f"/login?next={quote(req.relative_uri, safe='')}")
            if presented(req).any:
                raise falcon.HTTPUnauthorized(
                    title="Unauthorized",
                    description="These credentials are not accepted here.",
                    challenges=[CHALLENGE],
                )
            raise falcon.HTTPUnauthorized(
                title="Unauthorized", description="Authentication required.", challenges=[CHALLENGE]
            )
        if route.page and req.method in ("GET", "HEAD") and not self.host.allowed(actor, "login"):
            raise falcon.HTTPForbidden(title="Forbidden", description=refusal("login", None))
        if access == AUTHENTICATED:
            return
        target = route.object_of(params) if route.object_of else None
        if not self.host.allowed(actor, access, target):
            raise falcon.HTTPForbidden(title="Forbidden", description=refusal(access, target))
