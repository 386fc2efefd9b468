"""Who is calling: the result of the authentication chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INTERNAL = "internal"
LDAP = "ldap"
EXTERNAL = "external"
USER_SOURCES = (INTERNAL, LDAP, EXTERNAL)


@dataclass
class Actor:
    """An authenticated caller acting as a local user.

    `via` says how they proved it (`password`, `session`, `token`, …). `scope`, when set,
    limits what this credential may do to those permissions, on top of the user's own.
    `credential_id` names the credential (a token id) for audit and per-credential rules.
    """

    user_id: int
    username: str
    source: str = INTERNAL
    via: str = "password"
    scope: frozenset[str] | None = None
    credential_id: str | None = None
    display_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    _permissions: frozenset[str] | None = field(default=None, repr=False)
