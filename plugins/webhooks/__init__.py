"""HTTP endpoints for webhooks: configuration, authenticated receiving, retention, events.

Only hook implementations live here; see `docs/webhooks.md`.
"""

from __future__ import annotations

from typing import Any

from host import (
    PUBLIC,
    Actor,
    BaseModel,
    ErrorBody,
    Host,
    Migration,
    NavLink,
    Operation,
    Permission,
    Route,
    hookimpl,
)
from plugins.webhooks import resources, views
from plugins.webhooks.migrations import MIGRATIONS
from plugins.webhooks.models import MODELS
from plugins.webhooks.receiver import Receiver
from plugins.webhooks.settings import WebhookSettings

CONFIGURE = "configuration#edit"
RECEIVER_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
RECEIVED = (
    "Authenticated by the endpoint's own method: none, Basic (its username and password), a "
    "personal access token (its Secret Token), or an `X-Hub-Signature-256: sha256=<HMAC of the "
    "body>` header. Accepted: 200 with an empty body; every request is retained."
)
REFUSED = {status: ErrorBody for status in (400, 401, 404, 405, 409, 413, 429)}
WRONG_METHOD = {status: ErrorBody for status in (404, 405, 413)}


def _receiver_operations() -> dict[str, Operation]:
    """POST takes a JSON body, GET none; an endpoint answers only its configured method, so the
    others are always refused (405, retained) or find no endpoint (404)."""
    security = ("basic", "personalAccessToken")
    accepted = {200: None, **REFUSED}
    found = {
        "POST": Operation(
            "Deliver a webhook (an endpoint whose method is POST)",
            body=Any,
            responses=accepted,
            security=security,
            description=RECEIVED,
        ),
        "GET": Operation(
            "Deliver a webhook (an endpoint whose method is GET)",
            responses=accepted,
            security=security,
            description=RECEIVED,
        ),
    }
    for method in ("HEAD", "PUT", "PATCH", "DELETE"):
        found[method] = Operation(
            f"Refused: no endpoint takes {method} (retained, then 405)", responses=WRONG_METHOD
        )
    return found


@hookimpl
def register_settings(host: Host) -> type[WebhookSettings]:
    return WebhookSettings


@hookimpl
def register_permissions(host: Host) -> list[Permission]:
    return [Permission(CONFIGURE, "Edit configuration: connections and HTTP endpoints for webhooks")]


@hookimpl
def register_models(host: Host) -> list[type[BaseModel]]:
    return list(MODELS)


@hookimpl
def register_migrations(host: Host) -> list[Migration]:
    return list(MIGRATIONS)


@hookimpl
def register_routes(host: Host) -> list[Route]:
    api = "/api/v1/config/webhook-endpoints"
    return [
        Route(
            api,
            resources.EndpointCollection(host),
            {"GET": CONFIGURE, "POST": CONFIGURE},
            operations=resources.OPERATIONS["collection"],
        ),
        Route(
            api + "/{endpoint_id}",
            resources.EndpointItem(host),
            {"GET": CONFIGURE, "PUT": CONFIGURE, "DELETE": CONFIGURE},
            operations=resources.OPERATIONS["item"],
        ),
        Route(
            api + "/{endpoint_id}/requests",
            resources.EndpointRequests(host),
            {"GET": CONFIGURE},
            operations=resources.OPERATIONS["requests"],
        ),
        Route(
            "/webhooks/{path}",
            Receiver(host),
            dict.fromkeys(RECEIVER_METHODS, PUBLIC),
            description="webhook receiver: each endpoint authenticates by its own method",
            operations=_receiver_operations(),
        ),
        *views.page_routes(host, CONFIGURE),
    ]


@hookimpl
def navigation_links(host: Host, actor: Actor) -> list[NavLink]:
    return views.navigation_links(host, actor, CONFIGURE)
