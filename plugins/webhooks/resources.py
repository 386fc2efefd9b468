"""The configuration API: `/api/v1/config/webhook-endpoints[/{id}[/requests]]`.

Secrets are write-only: responses say whether one is set, never what it is.
"""

from __future__ import annotations

from typing import Any

import falcon
import msgspec

from host import ErrorBody, Host, Operation, read_json, read_query, send_json
from plugins.webhooks import endpoints
from plugins.webhooks.bodies import EndpointChange, EndpointOut, NewEndpoint, Paging, ReceivedRequest
from plugins.webhooks.endpoints import InvalidEndpoint
from plugins.webhooks.models import WebhookEndpoint


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
        query = read_query(req, Paging)
        send_json(
            resp, _out(endpoints.listing(self.host, query.page, query.results_per_page), list[EndpointOut])
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, NewEndpoint)
        try:
            endpoint = endpoints.apply(self.host, None, body)
            _announce(self.host, req, endpoint, None)
            endpoint = endpoints.save(endpoint, created=True)
        except InvalidEndpoint as exc:
            raise _refuse(exc) from None
        resp.location = f"/api/v1/config/webhook-endpoints/{endpoint.id}"
        send_json(resp, _out(endpoints.describe(self.host, endpoint), EndpointOut), 201)


class EndpointItem:
    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        send_json(resp, _out(endpoints.describe(self.host, _endpoint(endpoint_id)), EndpointOut))

    def on_put(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        endpoint = _endpoint(endpoint_id)
        previous = _guarding(endpoint)
        body = read_json(req, EndpointChange)
        try:
            endpoint = endpoints.apply(self.host, endpoint, body)
            _announce(self.host, req, endpoint, previous)
            endpoints.save(endpoint)
        except InvalidEndpoint as exc:
            raise _refuse(exc) from None
        send_json(resp, _out(endpoints.describe(self.host, endpoint), EndpointOut))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        endpoints.delete(_endpoint(endpoint_id))
        resp.status = falcon.HTTP_204


class EndpointRequests:
    """Retained requests, newest first: `?page=0&resultsPerPage=100` like the releases API."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        endpoint = _endpoint(endpoint_id)
        query = read_query(req, Paging)
        found = endpoints.requests_of(endpoint, query.page, query.results_per_page)
        send_json(resp, _out(found, list[ReceivedRequest]))


def _out(value: Any, kind: Any) -> Any:
    """The response as its declared type: a field the declaration lacks fails the tests, not a client."""
    return msgspec.convert(value, kind, str_keys=True)


NOT_FOUND = {404: ErrorBody}
CONFLICT = {400: ErrorBody, 409: ErrorBody}
OPERATIONS: dict[str, dict[str, Operation]] = {
    "collection": {
        "GET": Operation("List webhook endpoints", query=Paging, responses={200: list[EndpointOut]}),
        "POST": Operation(
            "Create a webhook endpoint", body=NewEndpoint, responses={201: EndpointOut, **CONFLICT}
        ),
    },
    "item": {
        "GET": Operation("Get a webhook endpoint", responses={200: EndpointOut, **NOT_FOUND}),
        "PUT": Operation(
            "Change a webhook endpoint",
            body=EndpointChange,
            responses={200: EndpointOut, **CONFLICT, **NOT_FOUND},
        ),
        "DELETE": Operation(
            "Delete a webhook endpoint and its retained requests", responses={204: None, **NOT_FOUND}
        ),
    },
    "requests": {
        "GET": Operation(
            "The requests an endpoint received and kept, newest first",
            query=Paging,
            responses={200: list[ReceivedRequest], **NOT_FOUND},
        )
    },
}
