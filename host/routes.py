"""Route declarations: every responder says which permission it needs before it can be mounted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from falcon.constants import COMBINED_METHODS

PUBLIC = "public"
"""No authentication: anyone may call (health, login page, webhook receivers)."""

AUTHENTICATED = "authenticated"
"""Any authenticated caller, whatever their permissions."""

HTTP_METHODS = tuple(COMBINED_METHODS)
"""Every method Falcon routes to an `on_<method>` responder (WebDAV and custom ones included)."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
UNSAFE_METHODS = frozenset(m for m in HTTP_METHODS if m not in SAFE_METHODS)


@dataclass(frozen=True)
class Operation:
    """What one method of a route takes and answers: the host's OpenAPI document is built from it.

    `body` and the values of `responses` are msgspec types (a `Struct`, `list[Struct]`, ...) or
    None for no body; `responses` maps every status the method can answer on success or refusal
    (the host adds 401/403/415/429 where the access and the body imply them; a body of `Any` is
    read raw, so no 415). `query` is a Struct whose fields are the query parameters (read them
    with `read_query`). `also` names a permission checked in the responder beyond the route's
    own. `security` names the security schemes the responder checks itself (a PUBLIC route
    whose resource authenticates on its own, such as a webhook receiver); None: the host's.
    `body_required=False` documents a body the responder reads as optional (no body: defaults).
    """

    summary: str = ""
    body: Any = None
    responses: Mapping[int, Any] = field(default_factory=dict)
    query: Any = None
    also: str = ""
    description: str = ""
    security: tuple[str, ...] | None = None
    body_required: bool = True


def access_label(access: str) -> str:
    """How `release-host routes` and the API document name an access: PUBLIC, AUTHENTICATED or
    the permission."""
    return {PUBLIC: "PUBLIC", AUTHENTICATED: "AUTHENTICATED"}.get(access, access)


@dataclass(frozen=True)
class Route:
    """A URI template, its resource, and per HTTP method the access it requires.

    `access` maps a method to `PUBLIC`, `AUTHENTICATED` or a permission name. `object_of`
    turns the URI parameters into the id of the object the permission is checked on
    (it appears in the 403 message). `page` marks HTML pages: their errors are HTML and a
    missing login redirects to the login page. `operations` documents each method (`Operation`)
    for the API document.
    """

    template: str
    resource: Any
    access: Mapping[str, str]
    suffix: str | None = None
    page: bool = False
    object_of: Callable[[dict[str, Any]], str | None] | None = None
    description: str = ""
    operations: Mapping[str, Operation] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def responders(self) -> list[str]:
        """The HTTP methods the resource answers, from its `on_<method>[_suffix]` attributes."""
        tail = f"_{self.suffix}" if self.suffix else ""
        return [m for m in HTTP_METHODS if callable(getattr(self.resource, f"on_{m.lower()}{tail}", None))]

    def undeclared(self) -> list[str]:
        return [m for m in self.responders() if m not in self.access]
