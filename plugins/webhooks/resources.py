"""The configuration API: `/api/v1/config/webhook-endpoints[/{id}[/requests]]`.

Secrets are write-only: responses say whether one is set, never what it is.
"""

from __future__ import annotations

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
            endpoint = endpoints.save(endpoints.apply(self.host, None, json_body(req)), created=True)
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
        try:
            endpoint = endpoints.save(endpoints.apply(self.host, endpoint, json_body(req)))
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
