"""The JSON bodies of the endpoint configuration API and of the receiver, declared once: they
decode requests (`read_json`, `read_query`), encode responses and are the document's schemas.

Types and lengths are checked by msgspec as the body is read. The rules a person fixes in the
form (the path's characters, the method and authentication choices, the retention range) are
checked by `endpoints.apply` with messages in the page's words; `extra_json_schema` states the
same rules in the schema so that the document accepts exactly what the server does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from plugins.webhooks.models import AUTH_BASIC, AUTH_HMAC, AUTH_METHODS, AUTH_NONE, AUTH_TOKEN, METHODS

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100
MAX_RETENTION = 1_000
MAX_SECRET = 1024
PATH_TEXT = r"^\s*/*[A-Za-z0-9][A-Za-z0-9._~-]{0,99}/*\s*$"
READ_ONLY = "Read-only: accepted back (a client may send what it read) and ignored."

Instant = Annotated[str, Meta(description="ISO 8601, UTC", extra_json_schema={"format": "date-time"})]
NOT_BLANK = r"[^\s\x1c-\x1f]"
"""Not only whitespace as `str.strip` sees it: Python counts U+001C-U+001F as whitespace,
the Unicode `White_Space` of other regex engines (the fuzzer's, a client's) does not."""
Title = Annotated[str, Meta(max_length=200, extra_json_schema={"pattern": NOT_BLANK})]
Path = Annotated[
    str,
    Meta(
        max_length=200,
        description="1-100 letters, digits, '-', '_', '.' or '~' (slashes around it are dropped).",
        extra_json_schema={"pattern": PATH_TEXT},
    ),
]
Method = Annotated[str, Meta(extra_json_schema={"enum": list(METHODS)})]
Authentication = Annotated[str, Meta(extra_json_schema={"enum": list(AUTH_METHODS)})]
Secret = Annotated[str, Meta(max_length=MAX_SECRET, description="Write-only; empty keeps the one set.")]
Retention = (
    Annotated[int, Meta(extra_json_schema={"minimum": 1, "maximum": MAX_RETENTION})]
    | Annotated[
        str,
        Meta(extra_json_schema={"pattern": r"^\s*(0{0,3}[1-9]|0{0,2}[1-9][0-9]|0?[1-9][0-9]{2}|1000)\s*$"}),
    ]
)


class ReadOnly(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """What GET answers besides the writable fields: accepted back (a client may send what it
    read) and ignored."""

    id: Annotated[str | None, Meta(description=READ_ONLY)] = None
    url: Annotated[str | None, Meta(description=READ_ONLY)] = None
    secret_token_set: Annotated[bool | None, Meta(description=READ_ONLY)] = None
    secret_token_state: Annotated[str | None, Meta(description=READ_ONLY)] = None
    password_set: Annotated[bool | None, Meta(description=READ_ONLY)] = None
    created_at: Annotated[str | None, Meta(description=READ_ONLY)] = None
    updated_at: Annotated[str | None, Meta(description=READ_ONLY)] = None
    stored_requests: Annotated[int | None, Meta(description=READ_ONLY)] = None


class EndpointChange(ReadOnly, kw_only=True):
    """A change of an endpoint's configuration: the fields left out keep their value. The secret
    its `authentication` uses must be set (`secretToken`: a live personal access token for
    `token`, the HMAC key for `hmac-sha256`; `username` and `password` for `basic`)."""

    title: Title | None = None
    enabled: bool | UnsetType = UNSET
    path: Path | None = None
    method: Method | None = None
    authentication: Authentication | None = None
    secret_token: Secret | None = None
    username: Annotated[str, Meta(max_length=150)] | None = None
    password: Secret | None = None
    request_retention: Annotated[
        Retention | UnsetType, Meta(description=f"How many received requests are kept: 1-{MAX_RETENTION}.")
    ] = UNSET


class NewEndpoint(EndpointChange, kw_only=True):
    """A new endpoint: `title` and `path` are required; `authentication` is `token` unless said."""

    title: Title
    path: Path

    @classmethod
    def openapi_schema(cls, schema: dict[str, Any], host: object) -> dict[str, Any]:
        """The secrets `endpoints.apply` requires of a new endpoint for each `authentication`
        (a change keeps the secrets already set, so only a new endpoint states them)."""
        schema["anyOf"] = [
            {
                "description": "token (the default): secretToken is a live personal access token.",
                "required": ["secretToken"],
                "properties": {
                    "authentication": {"anyOf": [{"const": AUTH_TOKEN}, {"type": "null"}]},
                    "secretToken": {"type": "string", "pattern": NOT_BLANK},
                },
            },
            {
                "required": ["authentication", "secretToken"],
                "properties": {
                    "authentication": {"const": AUTH_HMAC},
                    "secretToken": {"type": "string", "minLength": 1},
                },
            },
            {
                "required": ["authentication", "username", "password"],
                "properties": {
                    "authentication": {"const": AUTH_BASIC},
                    "username": {"type": "string", "pattern": r"^[^:]*[^\s\x1c-\x1f:][^:]*$"},
                    "password": {"type": "string", "minLength": 1},
                },
            },
            {"required": ["authentication"], "properties": {"authentication": {"const": AUTH_NONE}}},
        ]
        return schema


class EndpointOut(msgspec.Struct, rename="camel"):
    """An endpoint as configured: whether its secret is set, never the secret."""

    id: str
    title: str
    enabled: bool
    path: str
    url: str
    method: Literal["POST", "GET"]
    authentication: Literal["none", "basic", "token", "hmac-sha256"]
    username: str
    secret_token_set: bool
    password_set: bool
    request_retention: int
    created_at: Instant
    updated_at: Instant
    secret_token_state: Annotated[
        str | None, Meta(description="Whether the Secret Token still works: active, expired, deleted...")
    ]
    stored_requests: int | UnsetType = UNSET


class ReceivedRequest(msgspec.Struct, rename="camel"):
    """A request the endpoint received and kept, credentials already redacted."""

    id: int
    endpoint_id: str
    received_at: Instant
    method: str
    outcome: str
    status: int
    reason: str
    client_ip: str
    headers: dict[str, str]
    query: dict[str, Any]
    body: str | None
    triggers: list[dict[str, Any]]


class Paging(msgspec.Struct, rename="camel"):
    page: Annotated[int, Meta(ge=0, le=MAX_PAGE, description="The page, from 0.")] = 0
    results_per_page: Annotated[int, Meta(ge=1, le=MAX_PER_PAGE, description="Rows per page.")] = 100
