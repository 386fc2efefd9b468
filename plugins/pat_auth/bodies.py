"""The JSON bodies of the token API, declared once: they validate requests (`read_json`,
`read_query`), encode responses (`send_json`) and are the schemas of the API document.

Types only: what depends on the server (the lifetimes its policy offers, the permissions the
owner holds, the name not already taken) is checked by `store`, which the CLI and pages share;
`openapi_schema` states the rules the schema can carry (the policy's lifetimes, the host's
permission names, which of `allPermissions`/`globalPermissions` go together) so that the
document accepts what `store` does.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import Meta

from plugins.pat_auth.policy import load_policy

if TYPE_CHECKING:
    from host import Host

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 1000

Instant = Annotated[str, Meta(description="ISO 8601, UTC", extra_json_schema={"format": "date-time"})]
Status = Literal["active", "expired"]
REFUSED_IN_NOTE = ("Cc", "Cf")
"""Control and format characters (line breaks, zero-width and bidi overrides): `store.clean_name`
refuses them in a token's name, where they would hide or reorder what a list shows."""


@cache
def note_text() -> str:
    """The pattern of a token name: no character of `REFUSED_IN_NOTE` between the spaces the
    store trims, from the same Unicode database the store asks."""
    refused = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in REFUSED_IN_NOTE]
    spans: list[list[int]] = []
    for code in refused:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])

    def char(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    chars = "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in spans)
    return f"^\\s*[^{chars}]*[^\\s{chars}][^{chars}]*\\s*$"


OVERLAP = r"^(0|[1-7]d|([1-9][0-9]?|1[0-5][0-9]|16[0-8])h|([1-9][0-9]{0,3}|100[0-7][0-9]|10080)m)$"
"""`"0"` or minutes, hours or days up to seven days, as `rotation.parse_overlap` reads them."""


def _expirations(host: Host) -> dict[str, Any]:
    """The lifetimes the server's policy offers (null: its default)."""
    offered = list(load_policy(host.settings("pat_auth")).expirations)
    return {"anyOf": [{"type": "string", "enum": offered}, {"type": "null"}], "default": None}


class CreateToken(msgspec.Struct, rename="camel"):
    """A new token: its name, its lifetime, and all of the owner's permissions or some."""

    token_note: Annotated[
        str,
        Meta(
            description=(
                "What the token is for: 1-100 characters once in NFC and trimmed (a decomposed é is"
                " one), no line breaks; the store checks the length, since a schema counts code points."
            ),
        ),
    ]
    expiration: Annotated[
        str | None, Meta(description="One of the server's lifetimes (such as 30d, 1y, never).")
    ] = None
    global_permissions: Annotated[
        list[str] | None,
        Meta(description="The global permissions the token gets (each held by its owner); absent: all."),
    ] = None
    all_permissions: Annotated[
        bool | None, Meta(description="true: every permission of the owner (then no globalPermissions).")
    ] = None

    @classmethod
    def openapi_schema(cls, schema: dict[str, Any], host: Host) -> dict[str, Any]:
        """The server's lifetimes and permission names; `allPermissions: false` needs a list,
        `allPermissions: true` takes none (`resources.requested_permissions`)."""
        properties = schema["properties"]
        properties["tokenNote"]["pattern"] = note_text()
        properties["expiration"] = {**properties["expiration"], **_expirations(host)}
        names = {"type": "array", "items": {"type": "string", "enum": sorted(host.permissions)}}
        listed = {**names, "minItems": 1}
        properties["globalPermissions"] = {
            **properties["globalPermissions"],
            "anyOf": [names, {"type": "null"}],
        }
        schema["anyOf"] = [
            {
                "properties": {
                    "allPermissions": {"type": "null"},
                    "globalPermissions": {"anyOf": [listed, {"type": "null"}]},
                }
            },
            {
                "required": ["allPermissions"],
                "properties": {
                    "allPermissions": {"const": True},
                    "globalPermissions": {
                        "anyOf": [
                            {"type": "array", "items": {"type": "string"}, "maxItems": 0},
                            {"type": "null"},
                        ]
                    },
                },
            },
            {
                "required": ["allPermissions", "globalPermissions"],
                "properties": {"allPermissions": {"const": False}, "globalPermissions": listed},
            },
        ]
        return schema


class RotateBody(msgspec.Struct, forbid_unknown_fields=True):
    """`overlap`: how long the old secret keeps working (`"0"` … `"7d"`, default `"1d"`);
    `expiration`: as at creation, by default the original token's lifetime."""

    overlap: Annotated[str, Meta(extra_json_schema={"pattern": OVERLAP})] | None = None
    expiration: str | None = None

    @classmethod
    def openapi_schema(cls, schema: dict[str, Any], host: Host) -> dict[str, Any]:
        """The lifetimes the server's policy offers."""
        schema["properties"]["expiration"] = _expirations(host)
        return schema


class PermissionUseOut(msgspec.Struct, rename="camel"):
    """A permission the host decided for the token's requests: granted or not, how many requests
    and when (counts after the first use are written once a minute, so they may lag that much)."""

    permission: str
    granted: Annotated[bool, Meta(description="false: the token tried it and was refused.")]
    count: Annotated[int, Meta(description="Requests that needed it.")]
    first_used_at: Instant
    last_used_at: Instant


class AddressOut(msgspec.Struct, rename="camel"):
    """A client network the token was used from (an IPv4 address, or its configured prefix)."""

    network: str
    first_used_at: Instant
    last_used_at: Instant


class TokenOut(msgspec.Struct, rename="camel"):
    """A token as listed: never the secret, which the server does not keep."""

    id: int
    token_note: str
    hint: Annotated[str, Meta(description="The first characters of the secret, to recognise it.")]
    created_at: Instant
    expires_at: Instant | None
    last_used_at: Instant | None
    last_used_ip: str | None
    all_permissions: bool
    global_permissions: list[str]
    status: Status
    replaced_at: Annotated[Instant | None, Meta(description="When the token was rotated, if it was.")]
    replaced_by_id: Annotated[int | None, Meta(description="The token that replaced it by rotation.")]
    used_permissions: Annotated[
        list[PermissionUseOut], Meta(description="What its requests needed, granted first.")
    ]
    recent_addresses: Annotated[
        list[AddressOut], Meta(description="Its last five client networks, newest first.")
    ]


class AdminTokenOut(TokenOut):
    """A token as an administrator lists it: with its owner."""

    username: str


class CreatedToken(TokenOut):
    """The new token, with its secret: shown in this response only."""

    token: Annotated[str, Meta(description="The secret (rpa_…): send it as the password or header.")]


class RotatedToken(CreatedToken):
    """The replacement token, with its secret (shown in this response only), and until when the
    secret it replaces keeps working."""

    replaces: int
    previous_valid_until: Instant | None


class AuditRecordOut(msgspec.Struct, rename="camel"):
    """Who did what to which token, from where; refusals aggregated per minute (`count`)."""

    id: int
    at: Instant
    action: Annotated[
        str,
        Meta(
            description=(
                "created, deleted, refused, reused, narrowed, leaked, new-address, or a user.* / role.*"
                " change made on the pages"
            )
        ),
    ]
    reason: str | None
    detail: str
    token_id: int | None
    hint: str | None
    user_id: int | None
    username: str | None
    by: str | None
    ip: str | None
    user_agent: str | None
    source: Annotated[str | None, Meta(description="Where a leaked token was found, as reported.")]
    count: int
    last_at: Instant
    samples: list[str]


class Paging(msgspec.Struct, rename="camel"):
    page: Annotated[int, Meta(ge=0, le=MAX_PAGE, description="The page, from 0.")] = 0
    results_per_page: Annotated[int, Meta(ge=1, le=MAX_PAGE_SIZE, description="Rows per page.")] = 100


class TokensQuery(Paging):
    status: Annotated[Status | None, Meta(description="Only active or only expired tokens.")] = None


class AdminTokensQuery(TokensQuery):
    username: Annotated[str | None, Meta(description="Only this user's tokens.")] = None


class AuditQuery(Paging):
    username: Annotated[str | None, Meta(description="Only records about this user.")] = None


class ChangeToken(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A new name, a narrower scope, or both; a field left out is unchanged."""

    token_note: Annotated[
        str | None,
        Meta(description="The new name (as at creation)."),
    ] = None
    global_permissions: Annotated[
        list[str] | None,
        Meta(description="The new scope: permissions its current scope already covers (never wider)."),
    ] = None

    @classmethod
    def openapi_schema(cls, schema: dict[str, Any], host: Host) -> dict[str, Any]:
        """The name's pattern and the permission names, as at creation (`CreateToken`); one of the
        two is given (`narrowing.change_token`: else there is nothing to change)."""
        properties = schema["properties"]
        for choice in properties["tokenNote"].get("anyOf", []):
            if choice.get("type") == "string":
                choice["pattern"] = note_text()
        names = {
            "type": "array",
            "items": {"type": "string", "enum": sorted(host.permissions)},
            "minItems": 1,
        }
        properties["globalPermissions"] = {
            **properties["globalPermissions"],
            "anyOf": [names, {"type": "null"}],
        }
        schema["anyOf"] = [
            {"required": ["tokenNote"], "properties": {"tokenNote": {"type": "string"}}},
            {
                "required": ["globalPermissions"],
                "properties": {"globalPermissions": {"type": "array", "items": {"type": "string"}}},
            },
        ]
        return schema


class NarrowToken(msgspec.Struct, forbid_unknown_fields=True):
    """How far back the use counts: permissions used in the last `days` days (default 90)."""

    days: Annotated[int, Meta(ge=1, le=366, description="The window of use, in days.")] = 90


class LeakReport(msgspec.Struct, forbid_unknown_fields=True):
    """Strings found somewhere public (a repository, a log, a paste) that may be tokens."""

    tokens: Annotated[
        list[Annotated[str, Meta(max_length=200)]],
        Meta(min_length=1, max_length=1000, description="Up to 1,000 candidate strings, as found."),
    ]
    source: Annotated[
        Annotated[str, Meta(max_length=2000)] | None,
        Meta(description="Where they were found, such as a URL."),
    ] = None


class LeakReceived(msgspec.Struct, rename="camel"):
    """The same answer whatever was sent: it tells nothing about whether a string is a token."""

    received: Annotated[int, Meta(description="How many strings the report held.")]
