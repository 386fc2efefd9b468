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
    actor_with_permissions,
    check_attempts,
    check_known_block,
    client_address,
    iso,
    permissions_column,
    presented_credentials,
    record_failure,
    to_db,
    write_transaction,
)
from plugins.pat_auth import addresses, audit, reuse, tokens, usage
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


def _lookup_query() -> peewee.Query:
    """The token by digest, its owner, the owner's permissions (`permissions_column`), and the
    two time comparisons done by the database (expired; last use a minute old or more), so that
    a request parses no datetime. Parameters: now, now - TOUCH_INTERVAL, digest."""
    return (
        _T.select(
            _T.id,
            _T.user,
            _T.scope,
            _T.expires_at <= _SAMPLE_TIME,  # NULL (never expires) reads as false
            _T.deleted_at,
            _T.last_used_at.is_null() | (_T.last_used_at <= _SAMPLE_TIME),
            User.username,
            User.source,
            User.enabled,
            User.display_name,
            permissions_column(User.id),
            _T.replaced_at.is_null(False),  # rotated out (`rotation.py`): told apart on refusal
            _T.permission_use,  # what it used (`usage.py`) and from where (`addresses.py`)
            _T.addresses,
        )
        .join(User, on=(_T.user == User.id))
        .where(_T.digest == "")
    )


_LOOKUP = PreparedQuery(_lookup_query)

# Conditional, so that of several workers serving the same token only one writes per interval;
# it also writes the last five addresses and this worker's permission counts (`usage.py`), read
# by the lookup and compared again here, so a first use another worker wrote meanwhile is kept.
# Parameters (peewee sets columns in the model's order): now, ip, permission use, addresses, id,
# now - TOUCH_INTERVAL, the use as read ("" for NULL).
_TOUCH = PreparedQuery(
    lambda: _T.update(last_used_at=_SAMPLE_TIME, last_used_ip="", addresses="", permission_use="").where(
        (_T.id == 0)
        & (_T.last_used_at.is_null() | (_T.last_used_at <= _SAMPLE_TIME))
        & (peewee.fn.COALESCE(_T.permission_use, peewee.SQL("''")) == "")
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
    now = to_db(host.now())
    digest = host.secrets.digest(secret, tokens.DIGEST_PURPOSE)
    row = _LOOKUP.first((now, now - TOUCH_INTERVAL, digest))
    if row is None:
        _refuse(host, req, INVALID, "unknown", secret=secret, digest=digest)
    (token_id, user_id, scope, expired, deleted_at, stale, username, source, enabled, name, held, rotated) = (
        row[:12]
    )
    used, places = row[12], row[13]
    refusal = _refusal(expired, deleted_at, enabled, source)
    if refusal is not None:
        reason, detail = refusal
        who = {"token_id": token_id, "user_id": user_id, "username": username}
        if reason == EXPIRED:
            _refuse_expired(host, req, rotated, secret=secret, digest=digest, **who)
        _refuse(host, req, reason, detail, secret=secret, digest=digest, **who)
    settings = host.settings("pat_auth")
    net = addresses.network(ip or "", settings.new_address_prefix_v4, settings.new_address_prefix_v6)
    addresses.seen(host, token_id, user_id, net, ip or "", places)
    if stale:
        _touch(host, token_id, now, ip, net, used, places)
    selected = decode_scope(scope)
    actor = Actor(
        user_id=user_id,
        username=username,
        source=source,
        via="token",
        scope=None if selected is None else frozenset(selected),
        credential_id=str(token_id),
        display_name=name or username,
        extra={usage.RAW: used},
    )
    return actor_with_permissions(actor, held)


def _refusal(expired: object, deleted_at: object, enabled: bool, source: str) -> tuple[str, str] | None:
    """(reason, detail) when the token found must not be used, in the order they are told."""
    if deleted_at is not None:
        return INVALID, "deleted"
    if not enabled:
        return OWNER_DISABLED, "owner-disabled"
    if source == EXTERNAL:
        return INVALID, "owner-external"
    if expired:
        return EXPIRED, "expired"
    return None


def _touch(
    host: Host, token_id: int, now: datetime, ip: str | None, net: str, used: str | None, places: str | None
) -> None:
    """Record the use (`now` is naive UTC) with this worker's permission counts; when another
    worker wrote first, keep the counts for a later turn. A busy database must not turn a good
    request into a failure."""
    counts = usage.pending(host)
    taken = counts.take(token_id)
    at = iso(now) or ""
    params = (
        now,
        (ip or "")[:45],
        usage.merge(used, taken),
        addresses.updated(places, net, at),
        token_id,
        now - TOUCH_INTERVAL,
        used or "",
    )
    written = 0
    try:
        written = host.database.execute_sql(_TOUCH.sql(), params).rowcount
    except peewee.DatabaseError as exc:
        log.warning("could not record the use of token %s: %s", token_id, type(exc).__name__)
    if written != 1:
        counts.give_back(token_id, taken)


def _refuse_offline(host: Host, detail: str, ip: str | None, hint: str | None) -> NoReturn:
    """Malformed or bad checksum: no query, no row; one log line per address and kind a minute."""
    payload = audit.record(
        host, audit.REFUSED, reason=INVALID, detail=detail, hint=hint, ip=ip, persist=False
    )
    audit.emit(host, audit.REFUSED, payload, log_line=_first_this_minute(host, (ip, detail)))
    raise AuthenticationFailed(MESSAGES[INVALID], reason=detail)


_logged_offline: weakref.WeakKeyDictionary[Host, dict[tuple[str | None, ...], str]] = (
    weakref.WeakKeyDictionary()
)


def _first_this_minute(host: Host, key: tuple[str | None, ...]) -> bool:
    """Per worker and bounded in size: whether this key has not been logged in this minute yet."""
    minute = host.now().strftime("%Y-%m-%dT%H:%M")
    logged = _logged_offline.setdefault(host, {})
    if logged.get(key) == minute:
        return False
    if len(logged) >= 10_000:
        logged.clear()
    logged[key] = minute
    return True


def _refuse_expired(
    host: Host, req: falcon.Request, rotated: object, *, secret: str, digest: str, **who: Any
) -> NoReturn:
    """Expired, or rotated out and past its overlap (`rotation.py`; the lookup reads which)."""
    if rotated:
        try:
            reuse.report(host, req, hint=tokens.hint(secret), **who)
        except peewee.DatabaseError as exc:
            log.warning("could not report the reuse of token %s: %s", who["token_id"], type(exc).__name__)
        _refuse(host, req, ROTATED, "rotated-out", secret=secret, digest=digest, **who)
    _refuse(host, req, EXPIRED, "expired", secret=secret, digest=digest, **who)


def _refuse(
    host: Host,
    req: falcon.Request,
    reason: str,
    detail: str,
    *,
    secret: str,
    digest: str,
    token_id: int | None = None,
    user_id: int | None = None,
    username: str | None = None,
) -> NoReturn:
    """Count the failure toward the address's limit (429 instead when it is already over: then
    nothing is written), audit it in its aggregated row, and stop the request with 401 (even
    when the database fails to count or audit it).

    The same value refused again from the same address within the minute is not counted or
    audited again by this worker: repeating one value is no guess (each new value still counts),
    and a script left running with a dead token must not cost a write per request."""
    if not _first_this_minute(host, (client_address(host, req), detail, digest)):
        raise AuthenticationFailed(MESSAGES[reason], reason=detail)
    hint = tokens.hint(secret)
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
    raise AuthenticationFailed(MESSAGES[reason], reason=detail)
