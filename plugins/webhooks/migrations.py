"""Schema steps, applied once each by the host's migration runner."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from host import Migration, create_tables
from plugins.webhooks import retention
from plugins.webhooks.endpoints import MAX_RETENTION
from plugins.webhooks.models import UNAUTHENTICATED, WebhookDelivery, WebhookEndpoint, WebhookRequest


def _m002_token_credential_id(db: peewee.Database) -> None:
    """Remember which credential a Secret Token is; endpoints saved before stay NULL ("unchecked")."""
    table = WebhookEndpoint._meta.table_name
    if "token_credential_id" in {c.name for c in db.get_columns(table)}:
        return  # created by m001 from the current model on a new database
    column = peewee.CharField(max_length=100, null=True)
    migrate(SchemaMigrator.from_database(db).add_column(table, "token_credential_id", column))


def cap_request_retention(db: peewee.Database) -> None:
    """Endpoints saved when the retention could be 100000 keep at most MAX_RETENTION requests,
    and unauthenticated refusals kept before lose their bodies (see `receiver`)."""
    WebhookEndpoint.update(request_retention=MAX_RETENTION).where(
        WebhookEndpoint.request_retention > MAX_RETENTION
    ).execute()
    WebhookRequest.update(body=None).where(WebhookRequest.outcome.in_(UNAUTHENTICATED)).execute()
    for endpoint in WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.request_retention):
        retention.trim(endpoint.id, endpoint.request_retention)


MIGRATIONS = [
    Migration("m001_create_endpoints_and_requests", create_tables(WebhookEndpoint, WebhookRequest)),
    Migration("m002_token_credential_id", _m002_token_credential_id),
    Migration("m003_cap_request_retention", cap_request_retention),
    Migration("m004_signed_deliveries", create_tables(WebhookDelivery)),
]
