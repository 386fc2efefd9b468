"""The `credential_status` hook: what state a presented token is in, without using it.

Other plugins ask before they store a token for later (a webhook endpoint's Secret Token), so a
value that could never authenticate is refused when it is saved rather than at every call. It
writes nothing: no audit row, no last-used time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from host import EXTERNAL, Host, User, from_db
from plugins.pat_auth import tokens
from plugins.pat_auth.models import PersonalAccessToken

ACTIVE = "active"
EXPIRED = "expired"
DELETED = "deleted"
DISABLED = "disabled"
UNKNOWN = "unknown"


def state_of(token: PersonalAccessToken, now: datetime) -> tuple[str, str]:
    """`(state, message)` of a stored token; `token.user` must be loaded."""
    name = f"personal access token {token.hint} ({token.name})"
    if token.deleted_at is not None:
        return DELETED, f"The {name} has been deleted."
    if not token.user.enabled or token.user.source == EXTERNAL:
        return DISABLED, f"The owner of the {name} cannot use it (disabled or external)."
    expires = from_db(token.expires_at)
    if expires is not None and expires <= now:
        return EXPIRED, f"The {name} has expired."
    return ACTIVE, f"The {name} is valid."


def credential_status(host: Host, secret: str) -> dict[str, Any] | None:
    """None for a value that is not a token (wrong form or checksum), else its state."""
    if not isinstance(secret, str) or tokens.shape(secret) is not tokens.Shape.OK:
        return None
    digest = host.secrets.digest(secret, tokens.DIGEST_PURPOSE)
    t = PersonalAccessToken
    token = t.select(t, User).join(User).where(t.digest == digest).first()
    if token is None:
        message = f"The personal access token {tokens.hint(secret)} is unknown to this server."
        return {"state": UNKNOWN, "message": message, "id": None}
    state, message = state_of(token, host.now())
    return {"state": state, "message": message, "id": str(token.id)}
