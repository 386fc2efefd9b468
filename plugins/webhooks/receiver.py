"""`/webhooks/{path}`: a PUBLIC route, so the host authenticates nothing here; each endpoint's own
method does. Every request that reaches an enabled endpoint is retained, accepted or not; a
refusal anyone could cause (401, 405) without its body.

Credentials are scrubbed from every copy (stored and emitted); text no database takes (NUL,
lone surrogates) is refused with 400 and kept escaped, never passed on."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import falcon
import peewee

from host import (
    TOKEN_HEADER,
    AuthenticationFailed,
    Host,
    PreparedQuery,
    basic_credentials,
    check_attempts,
    presented_credentials,
    read_body,
    record_failure,
    same,
    to_db,
)
from plugins.webhooks import deliveries, payload, redaction, retention
from plugins.webhooks.endpoints import password_digest, token_digest
from plugins.webhooks.models import (
    ACCEPTED,
    AUTH_BASIC,
    AUTH_HMAC,
    AUTH_NONE,
    AUTH_TOKEN,
    DUPLICATE,
    POST,
    UNAUTHENTICATED,
    WebhookEndpoint,
)

log = logging.getLogger("release_host.webhooks")

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_ANONYMOUS_HEADER = 200
MAX_ANONYMOUS_HEADERS = 50
EVENT = "webhook.received"

_COLUMNS: tuple[peewee.Field, ...] = (
    WebhookEndpoint.id,
    WebhookEndpoint.title,
    WebhookEndpoint.enabled,
    WebhookEndpoint.path,
    WebhookEndpoint.method,
    WebhookEndpoint.authentication,
    WebhookEndpoint.username,
    WebhookEndpoint.password_digest,
    WebhookEndpoint.token_digest,
    WebhookEndpoint.hmac_secret,
)
_BY_PATH = PreparedQuery(lambda: WebhookEndpoint.select(*_COLUMNS).where(WebhookEndpoint.path == ""))


@dataclass
class Delivery:
    """What one request brought, and the secrets it presented (to scrub them from every copy)."""

    raw: bytes
    too_large: bool
    secrets: list[str] = field(default_factory=list)
    parsed: tuple[Any, str | None] | None = None

    def json(self) -> tuple[Any, str | None]:
        """The body as JSON and why it cannot be accepted (None: it can); parsed once."""
        if self.parsed is None:
            self.parsed = payload.parse(self.raw) if self.raw else (payload.UNPARSED, payload.NOT_JSON)
        return self.parsed


def find_endpoint(path: str) -> WebhookEndpoint | None:
    """The endpoint at `path`; None for text no database takes (PostgreSQL fails on NUL)."""
    if payload.unsafe_text(path):
        return None
    row = _BY_PATH.first((path,))
    if row is None:
        return None
    return WebhookEndpoint(**{column.name: value for column, value in zip(_COLUMNS, row, strict=True)})


def _bounded(headers: dict[str, str]) -> dict[str, str]:
    """The first headers of an unauthenticated refusal, names and values cut short, so that each
    such row stays small whatever the caller sends."""
    items = list(headers.items())[:MAX_ANONYMOUS_HEADERS]
    return {name[:MAX_ANONYMOUS_HEADER]: value[:MAX_ANONYMOUS_HEADER] for name, value in items}


def presented_secrets(req: falcon.Request) -> list[str]:
    """Every credential the caller sent, in each form it could be echoed in."""
    found = []
    token = req.get_header(TOKEN_HEADER)
    if token:
        found.append(token)
    authorization = req.get_header("Authorization")
    if authorization:
        found.append(authorization)
        scheme, _, value = authorization.strip().partition(" ")
        found.append(value.strip())
        if scheme.lower() == "basic":
            try:
                credentials = basic_credentials(req)
            except AuthenticationFailed:
                credentials = None
            if credentials:
                found.extend([f"{credentials[0]}:{credentials[1]}", credentials[1]])
    return sorted({s for s in found if s}, key=len, reverse=True)


class Receiver:
    """Answers every HTTP method so that a wrong one is retained too, then refused with 405."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.max_body = host.settings("webhooks").max_body_bytes

    def on_get(self, req: falcon.Request, resp: falcon.Response, path: str) -> None:
        self.receive(req, resp, path)

    on_head = on_post = on_put = on_patch = on_delete = on_get

    def receive(self, req: falcon.Request, resp: falcon.Response, path: str) -> None:
        endpoint = find_endpoint(path)
        if endpoint is None or not endpoint.enabled:
            raise falcon.HTTPNotFound(title="Not Found", description="No webhook endpoint at this path.")
        delivery = self._read(req)
        delivery.secrets = presented_secrets(req)

        if req.method != endpoint.method:
            self._store(req, endpoint, delivery, "method_not_allowed", 405, f"Expected {endpoint.method}.")
            raise falcon.HTTPMethodNotAllowed(
                [endpoint.method],
                title="Method Not Allowed",
                description=f"This webhook endpoint accepts {endpoint.method} requests only.",
            )
        if delivery.too_large:
            reason = f"The request body is larger than {self.max_body} bytes."
            self._store(req, endpoint, delivery, "too_large", 413, reason)
            raise falcon.HTTPContentTooLarge(title="Request body too large", description=reason)
        attempts = None if endpoint.authentication == AUTH_NONE else check_attempts(self.host, req)
        refusal = self._refusal(req, endpoint, delivery)
        if refusal is not None:
            if attempts is not None:
                record_failure(self.host, attempts)
            self._store(req, endpoint, delivery, "unauthorized", 401, refusal)
            log.info("webhook %s refused a request: %s", endpoint.id, refusal)
            raise falcon.HTTPUnauthorized(
                title="Unauthorized",
                description=f"Unauthorized request for '{endpoint.label()}' "
                f"(authentication method: {endpoint.authentication})",
            )
        body: Any = None
        problem = payload.header_problem(req.headers) or payload.query_problem(req.params)
        if endpoint.method == POST and problem is None:
            body, problem = delivery.json()
        if problem is not None:
            self._store(req, endpoint, delivery, "bad_request", 400, problem)
            raise falcon.HTTPBadRequest(title="Bad Request", description=problem)

        if endpoint.authentication == AUTH_HMAC and not deliveries.first_time(
            endpoint.id, deliveries.keys(req, req.get_header(SIGNATURE_HEADER) or ""), self.host.now()
        ):
            reason = "This signed delivery was already accepted (same delivery id or signature)."
            self._store(req, endpoint, delivery, DUPLICATE, 409, reason)
            raise falcon.HTTPConflict(title="Conflict", description=reason)
        request_id = self._store(req, endpoint, delivery, ACCEPTED, 200, "")
        if request_id is None:
            raise falcon.HTTPNotFound(title="Not Found", description="No webhook endpoint at this path.")
        self._emit(req, endpoint, delivery, request_id, body)
        resp.status = falcon.HTTP_200
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = ""

    def _read(self, req: falcon.Request) -> Delivery:
        """The body up to the limit; a declared length over it is not read at all."""
        raw = read_body(req, self.max_body)
        return Delivery(raw=raw or b"", too_large=raw is None)

    def _refusal(self, req: falcon.Request, endpoint: WebhookEndpoint, delivery: Delivery) -> str | None:
        """Why the endpoint's method refuses the request (kept for its operators), None to accept."""
        method = endpoint.authentication
        if method == AUTH_NONE:
            return None
        if method == AUTH_TOKEN:
            return self._token(req, endpoint)
        if method == AUTH_BASIC:
            return self._basic(req, endpoint)
        if method == AUTH_HMAC:
            return self._signature(req, endpoint, delivery)
        return f"Unknown authentication method {method!r}."

    def _token(self, req: falcon.Request, endpoint: WebhookEndpoint) -> str | None:
        """The PAT must be the endpoint's Secret Token AND still valid for the host (not deleted,
        not expired, owner enabled), so deleting it shuts callers out at once."""
        try:
            found = presented_credentials(req)
        except AuthenticationFailed as exc:
            return exc.message
        if found.basic is not None:
            return "Credentials other than a personal access token were presented."
        if found.token is None:
            return "No personal access token was presented."
        if not endpoint.token_digest or not same(token_digest(self.host, found.token), endpoint.token_digest):
            return "The personal access token is not this endpoint's Secret Token."
        try:
            actor = self.host.authenticate(req)
        except AuthenticationFailed as exc:
            return f"The Secret Token is no longer a valid personal access token: {exc.message}"
        if actor is None or actor.via != "token":
            return "The Secret Token is no longer a valid personal access token."
        return None

    def _basic(self, req: falcon.Request, endpoint: WebhookEndpoint) -> str | None:
        try:
            credentials = basic_credentials(req)
        except AuthenticationFailed as exc:
            return exc.message
        if credentials is None:
            return "No Basic credentials were presented."
        username, password = credentials
        user_ok = same(username, endpoint.username)
        password_ok = same(password_digest(self.host, password), endpoint.password_digest or "")
        return None if user_ok and password_ok and endpoint.password_digest else "Wrong username or password."

    def _signature(self, req: falcon.Request, endpoint: WebhookEndpoint, delivery: Delivery) -> str | None:
        """GitHub's `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`."""
        signature = (req.get_header(SIGNATURE_HEADER) or "").strip()
        if not signature.startswith("sha256="):
            return f"No {SIGNATURE_HEADER}: sha256=… header."
        secret = self.host.secrets.decrypt(endpoint.hmac_secret or "")
        if secret is None:
            log.warning(
                "webhook %s: its secret was encrypted under another server key; set it again", endpoint.id
            )
            return "The endpoint's secret cannot be decrypted (the server key changed); set it again."
        delivery.secrets.append(secret)
        expected = "sha256=" + hmac.new(secret.encode("utf-8"), delivery.raw, hashlib.sha256).hexdigest()
        return None if same(signature.lower(), expected) else "The signature does not match the body."

    def _store(
        self,
        req: falcon.Request,
        endpoint: WebhookEndpoint,
        delivery: Delivery,
        outcome: str,
        status: int,
        reason: str,
    ) -> int | None:
        body = None
        anonymous = outcome in UNAUTHENTICATED
        if delivery.raw and not delivery.too_large and not anonymous:
            body = redaction.stored_body(self.host, delivery.raw, delivery.json()[0], delivery.secrets)
        headers = redaction.headers(self.host, req.headers, delivery.secrets)
        row = {
            "received_at": to_db(self.host.now()),
            "method": req.method,
            "outcome": outcome,
            "status": status,
            "reason": reason,
            "client_ip": req.remote_addr or "",
            "headers": json.dumps(_bounded(headers) if anonymous else headers),
            "query": json.dumps(redaction.query(self.host, req.params, delivery.secrets)),
            "body": body,
        }
        return retention.store(endpoint.id, row)

    def _emit(
        self, req: falcon.Request, endpoint: WebhookEndpoint, delivery: Delivery, request_id: int, body: Any
    ) -> None:
        """Tell other plugins (releases_api's triggers) what was received, scrubbed like the stored
        copy (a trigger may copy any field into a release); keep what they did with the request."""
        event = {
            "endpointId": endpoint.id,
            "endpointPath": endpoint.path,
            "endpointTitle": endpoint.title,
            "requestId": request_id,
            "method": req.method,
            "body": redaction.scrub_value(self.host, body, delivery.secrets),
            "query": redaction.query(self.host, req.params, delivery.secrets),
            "headers": redaction.headers(self.host, req.headers, delivery.secrets),
        }
        results = self.host.emit(EVENT, event, source="webhooks")
        triggers: list[Any] = []
        for result in results:
            triggers.extend(result if isinstance(result, list) else [result])
        if triggers:
            text = redaction.scrub(self.host, json.dumps(triggers, default=str), delivery.secrets)
            retention.record_triggers(request_id, text)
