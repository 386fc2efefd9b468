"""HTTP endpoints for webhooks: configuration, authenticated receiving, retention, events.

Only hook implementations live here; see `docs/webhooks.md`.
"""

from __future__ import annotations

from host import PUBLIC, Actor, BaseModel, Host, Migration, NavLink, Permission, Route, hookimpl
from plugins.webhooks import resources, views
from plugins.webhooks.migrations import MIGRATIONS
from plugins.webhooks.models import MODELS
from plugins.webhooks.receiver import Receiver
from plugins.webhooks.settings import WebhookSettings

CONFIGURE = "configuration#edit"
RECEIVER_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


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
        Route(api, resources.EndpointCollection(host), {"GET": CONFIGURE, "POST": CONFIGURE}),
        Route(
            api + "/{endpoint_id}",
            resources.EndpointItem(host),
            {"GET": CONFIGURE, "PUT": CONFIGURE, "DELETE": CONFIGURE},
        ),
        Route(api + "/{endpoint_id}/requests", resources.EndpointRequests(host), {"GET": CONFIGURE}),
        Route(
            "/webhooks/{path}",
            Receiver(host),
            dict.fromkeys(RECEIVER_METHODS, PUBLIC),
            description="webhook receiver: each endpoint authenticates by its own method",
        ),
        *views.page_routes(host, CONFIGURE),
    ]


@hookimpl
def navigation_links(host: Host, actor: Actor) -> list[NavLink]:
    return views.navigation_links(host, actor, CONFIGURE)
