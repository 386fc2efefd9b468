"""Schema steps, applied once each by the host's migration runner."""

from __future__ import annotations

from host import Migration, create_tables
from plugins.webhooks.models import WebhookEndpoint, WebhookRequest

MIGRATIONS = [Migration("m001_create_endpoints_and_requests", create_tables(WebhookEndpoint, WebhookRequest))]
