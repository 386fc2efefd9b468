"""Schema steps, applied once each by the host's migration runner."""

from __future__ import annotations

import peewee

from host import Migration, create_tables
from plugins.webhooks import retention
from plugins.webhooks.endpoints import MAX_RETENTION
from plugins.webhooks.models import UNAUTHENTICATED, WebhookDelivery, WebhookEndpoint, WebhookRequest


def cap_request_retention(db: peewee.Database) -> None:
    """Endpoints saved when the retention could be 100000 keep at most MAX_RETENTION requests,
    and unauthenticated refusals kept before lose their bodies (see `receiver`)."""
    WebhookEndpoint.update(request_retention=MAX_RETENTION).where(
        WebhookEndpoint.request_retention > MAX_RETENTION
    ).execute()
    WebhookRequest.update(body=None).where(WebhookRequest.outcome.in_(UNAUTHENTICATED)).execute()
    for endpoint_id, keep in WebhookEndpoint.select(
        WebhookEndpoint.id, WebhookEndpoint.request_retention
    ).tuples():
        retention.trim(endpoint_id, keep)


MIGRATIONS = [
    Migration("m001_create_endpoints_and_requests", create_tables(WebhookEndpoint, WebhookRequest)),
    Migration("m002_cap_request_retention", cap_request_retention),
    Migration("m003_signed_deliveries", create_tables(WebhookDelivery)),
]
