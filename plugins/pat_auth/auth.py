"""The request path: find a presented token, check it offline, then one prepared indexed query.

This runs on every token request, so it avoids what is slow: no bcrypt, no peewee query
building (the SQL is built once per database), no write unless `last_used_at` is a minute old.
Nothing about token validity is cached in the process, so a deletion or a disabled owner is
seen by every worker on its next request.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NoReturn

import falcon
import peewee

from host import (
    EXTERNAL,
    TOKEN_HEADER,
    Actor,
    AuthenticationFailed,
    Host,
    PreparedQuery,
    User,
    from_db,
    presented_credentials,
    to_db,
)
from plugins.pat_auth import audit, tokens
from plugins.pat_auth.models import PersonalAccessToken, decode_scope

log = logging.getLogger("release_host.pat_auth")

HEADER = TOKEN_HEADER
TOUCH_INTERVAL = timedelta(seconds=60)

INVALID = "invalid"
EXPIRED = "expired"
OWNER_DISABLED = "owner-disabled"
MESSAGES = {
    INVALID: "Invalid personal access token.",
    OWNER_DISABLED: "Invalid personal access token.",
    EXPIRED: "The personal access token has expired.",
}

_T = PersonalAccessToken
_SAMPLE_TIME = datetime(2000, 1, 1)

_LOOKUP = PreparedQuery(
    lambda: (
        _T.select(
            _T.id,
            _T.user,
            _T.scope,
            _T.expires_at,
            _T.deleted_at,
            _T.last_used_at,
            User.username,
            User.source,
            User.enabled,
            User.display_name,
        )
        .join(User, on=(_T.user == User.id))
        .where(_T.digest == "")
    )
)

# Conditional, so that of several workers serving the same token only one writes per interval.
_TOUCH = PreparedQuery(
    lambda: _T.update(last_used_at=_SAMPLE_TIME, last_used_ip="").where(
        (_T.id == 0) & (_T.last_used_at.is_null() | (_T.last_used_at <= _SAMPLE_TIME))
    )
)


def presented_token(req: falcon.Request) -> str | None:
    """The header's value, else the password of a Basic header with an empty username."""
    return presented_credentials(req).token


def actor_for_token(host: Host, req: falcon.Request, secret: str) -> Actor:
    """The owner acting through this token, or `AuthenticationFailed` (401) saying expired or invalid."""
    ip = req.remote_addr
    shape = tokens.shape(secret)
    if shape is not tokens.Shape.OK:
        _refuse(
            host,
            INVALID,
            shape.value,
            ip,
            hint=tokens.hint(secret) if shape is tokens.Shape.BAD_CHECKSUM else None,
            persist=False,
        )
    hint = tokens.hint(secret)
    row = _LOOKUP.first((host.secrets.digest(secret, tokens.DIGEST_PURPOSE),))
    if row is None:
        _refuse(host, INVALID, "unknown", ip, hint=hint)
    token_id, user_id, scope, expires_at, deleted_at, last_used_at, username, source, enabled, name = row
    who = {"hint": hint, "token_id": token_id, "user_id": user_id, "username": username}
    if deleted_at is not None:
        _refuse(host, INVALID, "deleted", ip, **who)
    if not enabled:
        _refuse(host, OWNER_DISABLED, "owner-disabled", ip, **who)
    if source == EXTERNAL:
        _refuse(host, INVALID, "owner-external", ip, **who)
    now = host.now()
    expires = from_db(expires_at)
    if expires is not None and expires <= now:
        _refuse(host, EXPIRED, "expired", ip, **who)
    last_used = from_db(last_used_at)
    if last_used is None or now - last_used >= TOUCH_INTERVAL:
        _touch(host, token_id, now, ip)
    selected = decode_scope(scope)
    return Actor(
        user_id=user_id,
        username=username,
        source=source,
        via="token",
        scope=None if selected is None else frozenset(selected),
        credential_id=str(token_id),
        display_name=name or username,
    )


def _touch(host: Host, token_id: int, now: datetime, ip: str | None) -> None:
    """Record the use; a busy database must not turn a good request into a failure."""
    params = (to_db(now), (ip or "")[:45], token_id, to_db(now - TOUCH_INTERVAL))
    try:
        host.database.execute_sql(_TOUCH.sql(), params)
    except peewee.DatabaseError as exc:
        log.warning("could not record the use of token %s: %s", token_id, type(exc).__name__)


def _refuse(
    host: Host,
    reason: str,
    detail: str,
    ip: str | None,
    *,
    hint: str | None = None,
    token_id: int | None = None,
    user_id: int | None = None,
    username: str | None = None,
    persist: bool = True,
) -> NoReturn:
    """Audit the refusal, tell other plugins, and stop the request with 401 (even if auditing fails)."""
    try:
        payload = audit.record(
            host,
            audit.REFUSED,
            reason=reason,
            detail=detail,
            token_id=token_id,
            hint=hint,
            user_id=user_id,
            username=username,
            ip=ip,
            persist=persist,
        )
        audit.emit(host, audit.REFUSED, payload)
    except peewee.DatabaseError as exc:
        log.warning("could not audit a refused token (%s): %s", detail, type(exc).__name__)
    raise AuthenticationFailed(MESSAGES[reason])
