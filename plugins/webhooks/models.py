"""The webhook tables: configured endpoints and the requests they received."""

from __future__ import annotations

import json
from typing import Any

import peewee

from host import BaseModel, iso

POST = "POST"
GET = "GET"
METHODS = (POST, GET)

AUTH_NONE = "none"
AUTH_BASIC = "basic"
AUTH_TOKEN = "token"
AUTH_HMAC = "hmac-sha256"
AUTH_METHODS = (AUTH_NONE, AUTH_BASIC, AUTH_TOKEN, AUTH_HMAC)
AUTH_LABELS = {
    AUTH_NONE: "None",
    AUTH_BASIC: "Basic Authentication",
    AUTH_TOKEN: "Token Authentication",
    AUTH_HMAC: "GitHub signature (HMAC-SHA256)",
}

DEFAULT_RETENTION = 100

# A retained request's outcome; every other outcome (unauthorized, bad_request, …) is a refusal.
ACCEPTED = "accepted"
DUPLICATE = "duplicate"
UNAUTHENTICATED = ("unauthorized", "method_not_allowed", DUPLICATE)
"""Refusals anyone who knows the URL (or saw one signed request) can cause: kept without their
body, headers bounded."""


class WebhookEndpoint(BaseModel):
    """One HTTP endpoint. Secrets are kept only in a form that cannot be shown back:
    a keyed digest for a token or password, encrypted text only where HMAC needs the key."""

    id = peewee.CharField(primary_key=True, max_length=40)
    title = peewee.CharField(max_length=200)
    enabled = peewee.BooleanField(default=True)
    path = peewee.CharField(max_length=100, unique=True)
    method = peewee.CharField(max_length=10, default=POST)
    authentication = peewee.CharField(max_length=20, default=AUTH_TOKEN)
    username = peewee.CharField(max_length=150, default="")
    password_digest = peewee.CharField(max_length=64, null=True)
    token_digest = peewee.CharField(max_length=64, null=True)
    # Which credential the Secret Token is (`credential_status` answered it when saved), so the
    # pages can say when it has expired or been deleted since; never the token itself.
    token_credential_id = peewee.CharField(max_length=100, null=True)
    hmac_secret = peewee.TextField(null=True)
    request_retention = peewee.IntegerField(default=DEFAULT_RETENTION)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "webhooks_endpoints"

    @property
    def url_path(self) -> str:
        return f"/webhooks/{self.path}"

    @property
    def has_secret(self) -> bool:
        """Whether the secret the authentication method needs is set (never the secret itself)."""
        if self.authentication == AUTH_TOKEN:
            return bool(self.token_digest)
        if self.authentication == AUTH_HMAC:
            return bool(self.hmac_secret)
        if self.authentication == AUTH_BASIC:
            return bool(self.password_digest)
        return False

    def label(self) -> str:
        """How the product names an endpoint in messages: `<id> (<title>)`."""
        return f"{self.id} ({self.title})"

    def to_json(self, stored_requests: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "enabled": self.enabled,
            "path": self.path,
            "url": self.url_path,
            "method": self.method,
            "authentication": self.authentication,
            "username": self.username if self.authentication == AUTH_BASIC else "",
            "secretTokenSet": self.authentication in (AUTH_TOKEN, AUTH_HMAC) and self.has_secret,
            "passwordSet": self.authentication == AUTH_BASIC and self.has_secret,
            "requestRetention": self.request_retention,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        if stored_requests is not None:
            data["storedRequests"] = stored_requests
        return data


class WebhookRequest(BaseModel):
    """A received request as retained: credentials already redacted before it was written."""

    endpoint = peewee.ForeignKeyField(WebhookEndpoint, on_delete="CASCADE", backref="requests")
    endpoint_id: str  # the column peewee adds for the foreign key (for type checkers)
    received_at = peewee.DateTimeField()
    method = peewee.CharField(max_length=10)
    outcome = peewee.CharField(max_length=30)
    status = peewee.IntegerField()
    reason = peewee.TextField(default="")
    client_ip = peewee.CharField(max_length=64, default="")
    headers = peewee.TextField(default="{}")
    query = peewee.TextField(default="{}")
    body = peewee.TextField(null=True)
    triggers = peewee.TextField(default="[]")

    class Meta:
        table_name = "webhooks_requests"
        indexes = ((("endpoint", "id"), False),)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpointId": self.endpoint_id,
            "receivedAt": iso(self.received_at),
            "method": self.method,
            "outcome": self.outcome,
            "status": self.status,
            "reason": self.reason,
            "clientIp": self.client_ip,
            "headers": json.loads(self.headers or "{}"),
            "query": json.loads(self.query or "{}"),
            "body": self.body,
            "triggers": json.loads(self.triggers or "[]"),
        }


class WebhookDelivery(BaseModel):
    """A signed delivery accepted recently, by digests of its delivery id and of its signature,
    so that the same signed request replayed within the window is refused (`deliveries`)."""

    endpoint = peewee.ForeignKeyField(WebhookEndpoint, on_delete="CASCADE")
    key = peewee.CharField(max_length=80)
    received_at = peewee.DateTimeField()

    class Meta:
        table_name = "webhooks_deliveries"
        indexes = ((("endpoint", "key"), True), (("endpoint", "received_at"), False))


MODELS = [WebhookEndpoint, WebhookRequest, WebhookDelivery]
