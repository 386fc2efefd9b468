"""Endpoint configuration rules shared by the JSON API and the pages: validation, secrets, storage."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any, cast

import peewee
from msgspec import UNSET

from host import Host, database, to_db, unsafe_text, write_transaction
from plugins.webhooks import retention
from plugins.webhooks.bodies import MAX_RETENTION, EndpointChange
from plugins.webhooks.models import (
    AUTH_BASIC,
    AUTH_HMAC,
    AUTH_METHODS,
    AUTH_TOKEN,
    DEFAULT_RETENTION,
    METHODS,
    POST,
    WebhookEndpoint,
    WebhookRequest,
)

TOKEN_PURPOSE = "webhook-token"
PASSWORD_PURPOSE = "webhook-basic-password"
PATH_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$")
# ASCII digits only: str.isdigit() and int() also take "²" or "٣", and disagree about them.
RETENTION_TEXT = re.compile(rf"[0-9]{{1,{len(str(MAX_RETENTION))}}}")
TOKEN_ACTIVE = "active"
TOKEN_DELETED = "deleted"
TOKEN_UNCHECKED = "unchecked"


class InvalidEndpoint(ValueError):
    """A configuration the server refuses; `status` is 400, or 409 for a path already taken."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def new_id() -> str:
    return "Webhook" + secrets.token_hex(8)


def token_digest(host: Host, token: str) -> str:
    return host.secrets.digest(token, TOKEN_PURPOSE)


def password_digest(host: Host, password: str) -> str:
    """A keyed digest, not bcrypt: webhook callers are machines sending long random secrets,
    and a slow hash per delivery would let anyone tie up workers."""
    return host.secrets.digest(password, PASSWORD_PURPOSE)


def _retention(value: int | str) -> int:
    if isinstance(value, str) and RETENTION_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= MAX_RETENTION:
        raise InvalidEndpoint(f"Request Retention must be a whole number from 1 to {MAX_RETENTION}.")
    return value


def apply(host: Host, endpoint: WebhookEndpoint | None, data: EndpointChange) -> WebhookEndpoint:
    """Apply `data` over `endpoint` (None: a new one) and return the unsaved result (`read_json`
    already refused NUL and lone surrogates in it).

    Fields left out keep their current value (or the default for a new endpoint).
    """
    now = to_db(host.now())
    change = endpoint is not None
    if endpoint is None:
        endpoint = WebhookEndpoint(
            id=new_id(),
            title="",
            enabled=True,
            path="",
            method=POST,
            authentication=AUTH_TOKEN,
            request_retention=DEFAULT_RETENTION,
            created_at=now,
        )

    if data.title is not None:
        endpoint.title = data.title.strip()
    if not endpoint.title:
        raise InvalidEndpoint("Title is required.")

    if data.enabled is not UNSET:
        endpoint.enabled = data.enabled

    if data.path is not None:
        endpoint.path = data.path.strip().strip("/")
    if not endpoint.path:
        raise InvalidEndpoint("Endpoint Path is required.")
    if not PATH_PATTERN.match(endpoint.path):
        raise InvalidEndpoint(
            "Endpoint Path must be 1-100 characters: letters, digits, '-', '_', '.' or '~', "
            "starting with a letter or digit (no '/')."
        )

    if data.method is not None:
        endpoint.method = data.method
    if endpoint.method not in METHODS:
        raise InvalidEndpoint(f"HTTP method must be one of {', '.join(METHODS)}.")

    if data.authentication is not None:
        endpoint.authentication = data.authentication
    if endpoint.authentication not in AUTH_METHODS:
        raise InvalidEndpoint(f"Authentication Method must be one of {', '.join(AUTH_METHODS)}.")

    if data.request_retention is not UNSET:
        endpoint.request_retention = _retention(data.request_retention)

    _apply_secrets(host, endpoint, data, MISSING_ON_CHANGE if change else 400)
    endpoint.updated_at = now
    return endpoint


MISSING_ON_CHANGE = 409
"""A change that leaves its endpoint without the secret its authentication needs is refused with
409: the same body is right for an endpoint whose secret is set (the conflict is with the
endpoint's state), while a new endpoint's schema states what each method needs (400)."""


def _apply_secrets(host: Host, endpoint: WebhookEndpoint, data: EndpointChange, missing: int) -> None:
    """Keep only the secret the chosen method uses, so a switched-away secret does not linger.
    An empty secret means "keep the one already set" (forms never show it back)."""
    secret = data.secret_token or None
    password = data.password or None
    username = data.username
    method = endpoint.authentication
    if method != AUTH_TOKEN:
        endpoint.token_digest = None
        endpoint.token_credential_id = None
    if method != AUTH_HMAC:
        endpoint.hmac_secret = None
    if method != AUTH_BASIC:
        endpoint.password_digest = None
        endpoint.username = ""

    if method == AUTH_TOKEN:
        if secret is not None:
            endpoint.token_credential_id = live_token_id(host, secret.strip())
            endpoint.token_digest = token_digest(host, secret.strip())
        if not endpoint.token_digest:
            raise InvalidEndpoint("Secret Token is required for Token Authentication.", missing)
    elif method == AUTH_HMAC:
        if secret is not None:
            endpoint.hmac_secret = host.secrets.encrypt(secret)
        if not endpoint.hmac_secret:
            raise InvalidEndpoint("Secret Token is required for the hmac-sha256 signature.", missing)
    elif method == AUTH_BASIC:
        if username is not None:
            endpoint.username = username.strip()
        if not endpoint.username or ":" in endpoint.username:
            raise InvalidEndpoint(
                "Username is required for Basic Authentication and may not contain ':'.", missing
            )
        if password is not None:
            endpoint.password_digest = password_digest(host, password)
        if not endpoint.password_digest:
            raise InvalidEndpoint("Password is required for Basic Authentication.", missing)


def live_token_id(host: Host, secret: str) -> str:
    """The credential id of a Secret Token that would authenticate now, else the 400 saying why
    (the receiver accepts only a live personal access token, so any other could never work)."""
    status = host.credential_status(secret)
    if status is None:
        raise InvalidEndpoint(
            "Secret Token is not a personal access token: generate one on the Access tokens page."
        )
    if status.get("state") != TOKEN_ACTIVE or not status.get("id"):
        raise InvalidEndpoint(f"Secret Token cannot be used: {status.get('message') or status.get('state')}")
    return str(status["id"])


def token_state(host: Host, endpoint: WebhookEndpoint) -> str | None:
    """Whether the Secret Token still works, as the issuing plugin says now: "active", "expired",
    "deleted", "disabled"; "unchecked" for one saved before this was recorded; None without one."""
    if endpoint.authentication != AUTH_TOKEN or not endpoint.token_digest:
        return None
    if not endpoint.token_credential_id:
        return TOKEN_UNCHECKED
    info = host.credential_info(endpoint.token_credential_id)
    if info is None:
        return TOKEN_DELETED
    return str(info.get("state") or TOKEN_ACTIVE)


def save(endpoint: WebhookEndpoint, created: bool = False) -> WebhookEndpoint:
    """Insert (`created`) or update; a path taken meanwhile by another endpoint is a 409, not a 500."""
    taken = WebhookEndpoint.select().where(
        (WebhookEndpoint.path == endpoint.path) & (WebhookEndpoint.id != endpoint.id)
    )
    if taken.exists():
        raise InvalidEndpoint(f"Endpoint Path '{endpoint.path}' is already used by another endpoint.", 409)
    try:
        with write_transaction():
            endpoint.save(force_insert=created)
            retention.trim(endpoint.id, endpoint.request_retention)
    except peewee.IntegrityError:
        raise InvalidEndpoint(
            f"Endpoint Path '{endpoint.path}' is already used by another endpoint.", 409
        ) from None
    return endpoint


def delete(endpoint: WebhookEndpoint) -> None:
    with database.atomic():
        WebhookRequest.delete().where(WebhookRequest.endpoint == endpoint.id).execute()
        endpoint.delete_instance()


def find(endpoint_id: str) -> WebhookEndpoint | None:
    """The endpoint; None for an id no database takes (PostgreSQL fails on NUL, not "not found")."""
    if unsafe_text(endpoint_id):
        return None
    return WebhookEndpoint.get_or_none(WebhookEndpoint.id == endpoint_id)


def describe(host: Host, endpoint: WebhookEndpoint, stored_requests: int | None = None) -> dict[str, Any]:
    """The endpoint as the API and pages show it, with whether its Secret Token still works."""
    return {**endpoint.to_json(stored_requests), "secretTokenState": token_state(host, endpoint)}


def listing(host: Host, page: int = 0, per_page: int = 100) -> list[dict[str, Any]]:
    """One page of endpoints by title, each with its count of stored requests (one grouped
    query for the page, not one per row)."""
    endpoints = list(
        WebhookEndpoint.select()
        .order_by(WebhookEndpoint.title, WebhookEndpoint.id)
        .offset(page * per_page)
        .limit(per_page)
    )
    rows = (
        WebhookRequest.select(WebhookRequest.endpoint, peewee.fn.COUNT(WebhookRequest.id))
        .where(WebhookRequest.endpoint.in_([e.id for e in endpoints]))
        .group_by(WebhookRequest.endpoint)
        .tuples()
    )
    # (endpoint id, count) rows; peewee's stubs type `tuples()` as the model query it came from
    counts: dict[str, int] = dict(cast("Iterable[tuple[str, int]]", rows))
    return [describe(host, e, counts.get(e.id, 0)) for e in endpoints]


def count() -> int:
    return WebhookEndpoint.select().count()


def stored_count(endpoint: WebhookEndpoint) -> int:
    return WebhookRequest.select().where(WebhookRequest.endpoint == endpoint.id).count()


def requests_of(endpoint: WebhookEndpoint, page: int = 0, per_page: int = 100) -> list[dict[str, Any]]:
    """Retained requests, newest first."""
    rows = (
        WebhookRequest.select()
        .where(WebhookRequest.endpoint == endpoint.id)
        .order_by(WebhookRequest.id.desc())
        .offset(page * per_page)
        .limit(per_page)
    )
    return [r.to_json() for r in rows]
