"""The configuration API: `/api/v1/config/webhook-endpoints[/{id}[/requests]]`.

Secrets are write-only: responses say whether one is set, never what it is.
"""

from __future__ import annotations

from typing import Any

import falcon

from host import Host, json_body, query_int
from plugins.webhooks import endpoints
from plugins.webhooks.endpoints import InvalidEndpoint
from plugins.webhooks.models import WebhookEndpoint

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000


def _refuse(exc: InvalidEndpoint) -> falcon.HTTPError:
    if exc.status == 409:
        return falcon.HTTPConflict(title="Conflict", description=exc.message)
    return falcon.HTTPBadRequest(title="Bad Request", description=exc.message)


CHANGED = "webhook.endpoint_changed"


def _guarding(endpoint: WebhookEndpoint) -> tuple[Any, ...]:
    """What decides who may call an endpoint: its path, method of authentication and secrets."""
    return (
        endpoint.path,
        endpoint.authentication,
        endpoint.token_digest,
        endpoint.hmac_secret,
        endpoint.username,
        endpoint.password_digest,
    )


def _announce(
    host: Host, req: falcon.Request, endpoint: WebhookEndpoint, previous: tuple[Any, ...] | None
) -> None:
    """Before saving a new endpoint or a change of who may call one, tell the plugins whose
    triggers listen to it (they stop until their owners confirm), so no request can slip in."""
    if previous is not None and previous == _guarding(endpoint):
        return
    actor = req.context.actor
    payload = {
        "endpointId": endpoint.id,
        "endpointPath": endpoint.path,
        "previousPath": previous[0] if previous else None,
        "authentication": endpoint.authentication,
        "previousAuthentication": previous[1] if previous else None,
        "by": actor.username if actor else None,
    }
    host.emit(CHANGED, payload, actor=actor, source="webhooks")


def _endpoint(endpoint_id: str) -> WebhookEndpoint:
    endpoint = endpoints.find(endpoint_id)
    if endpoint is None:
        raise falcon.HTTPNotFound(title="Not Found", description=f"Webhook endpoint {endpoint_id} not found.")
    return endpoint


class EndpointCollection:
    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Endpoints by title, a page at a time: `?page=0&resultsPerPage=100` (at most 100)."""
        page = query_int(req, "page", 0, 0, MAX_PAGE)
        per_page = query_int(req, "resultsPerPage", MAX_PER_PAGE, 1, MAX_PER_PAGE)
        resp.media = endpoints.listing(self.host, page, per_page)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            endpoint = endpoints.apply(self.host, None, json_body(req))
            _announce(self.host, req, endpoint, None)
            endpoint = endpoints.save(endpoint, created=True)
        except InvalidEndpoint as exc:
            raise _refuse(exc) from None
        resp.status = falcon.HTTP_201
        resp.location = f"/api/v1/config/webhook-endpoints/{endpoint.id}"
        resp.media = endpoints.describe(self.host, endpoint)


class EndpointItem:
    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        resp.media = endpoints.describe(self.host, _endpoint(endpoint_id))

    def on_put(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        endpoint = _endpoint(endpoint_id)
        previous = _guarding(endpoint)
        try:
            endpoint = endpoints.apply(self.host, endpoint, json_body(req))
            _announce(self.host, req, endpoint, previous)
            endpoints.save(endpoint)
        except InvalidEndpoint as exc:
            raise _refuse(exc) from None
        resp.media = endpoints.describe(self.host, endpoint)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        endpoints.delete(_endpoint(endpoint_id))
        resp.status = falcon.HTTP_204


class EndpointRequests:
    """Retained requests, newest first: `?page=0&resultsPerPage=100` like the releases API."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        endpoint = _endpoint(endpoint_id)
        page = query_int(req, "page", 0, 0, MAX_PAGE)
        per_page = query_int(req, "resultsPerPage", MAX_PER_PAGE, 1, MAX_PER_PAGE)
        resp.media = endpoints.requests_of(endpoint, page, per_page)
