"""The request path: find a presented token, check it offline, then one prepared indexed query.

This runs on every token request, so it avoids what is slow: no bcrypt, no peewee query
building (the SQL is built once per database), no write unless `last_used_at` is a minute old.
Nothing about token validity is cached in the process, so a deletion or a disabled owner is
seen by every worker on its next request.

A well-formed token that is refused (unknown, deleted, expired…) counts as a failed attempt
toward the host's per-address limit (`check_attempts`), and is audited in an aggregated row:
once the address is over its limit the answer is 429, with no lookup and no write.
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime, timedelta
from typing import Any, NoReturn

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
    check_attempts,
    check_known_block,
    client_address,
    from_db,
    presented_credentials,
    record_failure,
    to_db,
    write_transaction,
)
from plugins.pat_auth import audit, reuse, tokens
from plugins.pat_auth.models import PersonalAccessToken, decode_scope

log = logging.getLogger("release_host.pat_auth")

HEADER = TOKEN_HEADER
TOUCH_INTERVAL = timedelta(seconds=60)

INVALID = "invalid"
EXPIRED = "expired"
OWNER_DISABLED = "owner-disabled"
ROTATED = "rotated"
MESSAGES = {
    INVALID: "Invalid personal access token.",
    OWNER_DISABLED: "Invalid personal access token.",
    EXPIRED: "The personal access token has expired.",
    ROTATED: "This personal access token was rotated; use its replacement.",
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
    ip = client_address(host, req)
    shape = tokens.shape(secret)
    if shape is not tokens.Shape.OK:
        _refuse_offline(
            host, shape.value, ip, tokens.hint(secret) if shape is tokens.Shape.BAD_CHECKSUM else None
        )
    check_known_block(host, req)  # a block this worker already read: no lookup at all
    hint = tokens.hint(secret)
    row = _LOOKUP.first((host.secrets.digest(secret, tokens.DIGEST_PURPOSE),))
    if row is None:
        _refuse(host, req, INVALID, "unknown", hint=hint)
    token_id, user_id, scope, expires_at, deleted_at, last_used_at, username, source, enabled, name = row
    who = {"hint": hint, "token_id": token_id, "user_id": user_id, "username": username}
    if deleted_at is not None:
        _refuse(host, req, INVALID, "deleted", **who)
    if not enabled:
        _refuse(host, req, OWNER_DISABLED, "owner-disabled", **who)
    if source == EXTERNAL:
        _refuse(host, req, INVALID, "owner-external", **who)
    now = host.now()
    expires = from_db(expires_at)
    if expires is not None and expires <= now:
        _refuse_expired(host, req, **who)
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


def _refuse_offline(host: Host, detail: str, ip: str | None, hint: str | None) -> NoReturn:
    """Malformed or bad checksum: no query, no row; one log line per address and kind a minute."""
    payload = audit.record(
        host, audit.REFUSED, reason=INVALID, detail=detail, hint=hint, ip=ip, persist=False
    )
    audit.emit(host, audit.REFUSED, payload, log_line=_first_this_minute(host, (ip, detail)))
    raise AuthenticationFailed(MESSAGES[INVALID])


_logged_offline: weakref.WeakKeyDictionary[Host, dict[tuple[str | None, str], str]] = (
    weakref.WeakKeyDictionary()
)


def _first_this_minute(host: Host, key: tuple[str | None, str]) -> bool:
    """Per worker and bounded in size: whether this key has not been logged in this minute yet."""
    minute = host.now().strftime("%Y-%m-%dT%H:%M")
    logged = _logged_offline.setdefault(host, {})
    if logged.get(key) == minute:
        return False
    if len(logged) >= 10_000:
        logged.clear()
    logged[key] = minute
    return True


def _refuse_expired(host: Host, req: falcon.Request, **who: Any) -> NoReturn:
    """Expired, or rotated out and past its overlap (`rotation.py`): which one is read here, on the
    refusal path only, so the lookup of a good token stays one query."""
    if _T.select(_T.replaced_at).where(_T.id == who["token_id"]).scalar() is not None:
        try:
            reuse.report(host, req, **who)
        except peewee.DatabaseError as exc:
            log.warning("could not report the reuse of token %s: %s", who["token_id"], type(exc).__name__)
        _refuse(host, req, ROTATED, "rotated-out", **who)
    _refuse(host, req, EXPIRED, "expired", **who)


def _refuse(
    host: Host,
    req: falcon.Request,
    reason: str,
    detail: str,
    *,
    hint: str,
    token_id: int | None = None,
    user_id: int | None = None,
    username: str | None = None,
) -> NoReturn:
    """Count the failure toward the address's limit (429 instead when it is already over: then
    nothing is written), audit it in its aggregated row, and stop the request with 401 (even
    when the database fails to count or audit it)."""
    try:
        attempts = check_attempts(host, req)
        with write_transaction():
            record_failure(host, attempts)
            payload, count = audit.refused(
                host,
                reason=reason,
                detail=detail,
                hint=hint,
                ip=client_address(host, req),
                token_id=token_id,
                user_id=user_id,
                username=username,
            )
        audit.emit(host, audit.REFUSED, payload, log_line=count == 1)
    except peewee.DatabaseError as exc:
        log.warning("could not audit a refused token (%s): %s", detail, type(exc).__name__)
    raise AuthenticationFailed(MESSAGES[reason])
