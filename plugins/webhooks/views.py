"""Configuration › Connections: the endpoint list, the endpoint form and the retained requests.

The server renders the pages; the form saves and deletes through the JSON API from the
browser (`static/webhooks.js`), so pages and scripts share one code path and one set of
validation messages. No page ever receives a secret: the form's secret fields start empty.
"""

from __future__ import annotations

import json
from typing import Any

import falcon

from host import Actor, Host, NavLink, Route, render_page
from plugins.webhooks import endpoints
from plugins.webhooks.models import AUTH_LABELS, AUTH_METHODS, DEFAULT_RETENTION, WebhookEndpoint

PACKAGE = "plugins.webhooks"
CONNECTIONS = "/configuration/connections"
NEW = CONNECTIONS + "/webhooks/new"
PAGE_SIZE = 100
LISTED = 500
"""The Connections page shows at most this many endpoints and says so; the API pages through all."""
TOKEN_PROBLEMS = {
    "expired": "Its Secret Token has expired: calls are refused. Set a new token.",
    "deleted": "Its Secret Token has been deleted: calls are refused. Set a new token.",
    "disabled": "Its Secret Token's owner cannot use it: calls are refused. Set a new token.",
    "unchecked": "Its Secret Token was saved before tokens were checked; set it again to have it checked.",
}
OUTCOME_LABELS = {
    "accepted": "Accepted",
    "unauthorized": "Unauthorized",
    "method_not_allowed": "Wrong method",
    "bad_request": "Bad request",
    "too_large": "Too large",
}


def edit_path(endpoint_id: str) -> str:
    return f"{CONNECTIONS}/webhooks/{endpoint_id}"


def _found(endpoint_id: str) -> WebhookEndpoint:
    endpoint = endpoints.find(endpoint_id)
    if endpoint is None:
        raise falcon.HTTPNotFound(title="Not Found", description=f"Webhook endpoint {endpoint_id} not found.")
    return endpoint


def _pretty(text: str | None) -> str:
    """A JSON body indented for reading; anything else as it came."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


class ConnectionsPage:
    """`GET /configuration/connections`: the endpoints under "Webhooks and Events"."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        render_page(
            self.host,
            req,
            resp,
            "connections.html",
            package=PACKAGE,
            title="Connections",
            endpoints=endpoints.listing(self.host, 0, LISTED),
            total=endpoints.count(),
            token_problems=TOKEN_PROBLEMS,
            auth_labels=AUTH_LABELS,
            new_path=NEW,
            edit_path=edit_path,
            base_url=req.prefix,
        )


class EndpointFormPage:
    """`GET …/webhooks/new` and `GET …/webhooks/{id}`: the HTTP Endpoint for Webhooks form."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def _render(self, req: falcon.Request, resp: falcon.Response, endpoint: dict[str, Any] | None) -> None:
        render_page(
            self.host,
            req,
            resp,
            "endpoint_form.html",
            package=PACKAGE,
            title=endpoint["title"] if endpoint else "New HTTP Endpoint for Webhooks",
            endpoint=endpoint,
            auth_methods=[(value, AUTH_LABELS[value]) for value in AUTH_METHODS],
            default_retention=DEFAULT_RETENTION,
            connections_path=CONNECTIONS,
            base_url=req.prefix,
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._render(req, resp, None)

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        self._render(req, resp, endpoints.describe(self.host, _found(endpoint_id)))


class RequestsPage:
    """`GET …/webhooks/{id}/requests`: what the endpoint received, newest first."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response, endpoint_id: str) -> None:
        endpoint = _found(endpoint_id)
        received = endpoints.requests_of(endpoint, 0, PAGE_SIZE)
        for request in received:
            request["prettyBody"] = _pretty(request["body"])
            request["prettyQuery"] = json.dumps(request["query"], indent=2, ensure_ascii=False)
        render_page(
            self.host,
            req,
            resp,
            "endpoint_requests.html",
            package=PACKAGE,
            title=f"Requests received by {endpoint.title}",
            endpoint=endpoint.to_json(),
            received=received,
            kept=endpoints.stored_count(endpoint),
            outcome_labels=OUTCOME_LABELS,
            connections_path=CONNECTIONS,
            edit_path=edit_path(endpoint.id),
            base_url=req.prefix,
        )


def page_routes(host: Host, permission: str) -> list[Route]:
    form = EndpointFormPage(host)
    return [
        Route(CONNECTIONS, ConnectionsPage(host), {"GET": permission}, page=True),
        Route(NEW, form, {"GET": permission}, page=True),
        Route(CONNECTIONS + "/webhooks/{endpoint_id}", form, {"GET": permission}, page=True, suffix="item"),
        Route(
            CONNECTIONS + "/webhooks/{endpoint_id}/requests",
            RequestsPage(host),
            {"GET": permission},
            page=True,
        ),
    ]


def navigation_links(host: Host, actor: Actor, permission: str) -> list[NavLink]:
    if not host.allowed(actor, permission):
        return []
    return [NavLink("Configuration › Connections", CONNECTIONS, order=60)]
