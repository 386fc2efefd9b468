"""Creating, listing, deleting and describing tokens: what the JSON API, the CLI and the pages share.

Errors are `PatError`s carrying the HTTP status they mean, so each caller words them its own
way (JSON, CLI message, form error) without re-deciding them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from host import EXTERNAL, Actor, Host, User, from_db, iso, to_db, write_transaction
from plugins.pat_auth import addresses, audit, status, tokens, usage
from plugins.pat_auth.bodies import REFUSED_IN_NOTE, AddressOut, AdminTokenOut, PermissionUseOut, TokenOut
from plugins.pat_auth.models import PersonalAccessToken, decode_scope, encode_scope
from plugins.pat_auth.policy import Policy, load_policy

ACTIVE = "active"
EXPIRED = "expired"
STATUSES = (ACTIVE, EXPIRED)
MAX_NAME_LENGTH = 100

EXTERNAL_REFUSAL = (
    "Personal access tokens are not available to external users: sign in and authenticate "
    "scripts through OIDC instead."
)


class PatError(Exception):
    """A refusal worded for the person asking; `status` is the HTTP status it stands for."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(PatError):
    status = 400


class Forbidden(PatError):
    status = 403


class NotFound(PatError):
    status = 404


class Conflict(PatError):
    status = 409


@dataclass(frozen=True)
class Created:
    """A new token and its secret, which exists only here and in the one response that shows it."""

    token: PersonalAccessToken
    secret: str


def policy(host: Host) -> Policy:
    return load_policy(host.settings("pat_auth"))


def live(now: datetime) -> peewee.Expression:
    """Tokens that still work: not deleted, not expired."""
    t = PersonalAccessToken
    return t.deleted_at.is_null() & (t.expires_at.is_null() | (t.expires_at > to_db(now)))


def status_of(token: PersonalAccessToken, now: datetime) -> str:
    expires = from_db(token.expires_at)
    return EXPIRED if expires is not None and expires <= now else ACTIVE


def clean_name(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidRequest("tokenNote is required: a name for the token (1-100 characters).")
    name = unicodedata.normalize("NFC", raw).strip()  # "é" is one character however it was typed
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(
            f"tokenNote must be 1-{MAX_NAME_LENGTH} characters once trimmed; it has {len(name)}."
        )
    if any(unicodedata.category(ch) in REFUSED_IN_NOTE for ch in name):
        raise InvalidRequest("tokenNote must not contain control characters such as line breaks.")
    return name


def clean_permissions(host: Host, owner: Actor, requested: Any) -> list[str] | None:
    """None for all permissions; else the selection, each registered and held by the owner."""
    if requested is None:
        return None
    if not isinstance(requested, list) or not all(isinstance(p, str) for p in requested):
        raise InvalidRequest("globalPermissions must be a list of permission names.")
    if not requested:
        raise InvalidRequest(
            "globalPermissions is empty: select at least one permission, or leave the key out "
            "for a token with all of your permissions."
        )
    chosen = sorted(set(requested))
    unknown = [p for p in chosen if p not in host.permissions]
    if unknown:
        raise InvalidRequest(f"Unknown permission(s) in globalPermissions: {', '.join(unknown)}.")
    lacking = [p for p in chosen if not host.allowed(owner, p)]
    if lacking:
        raise InvalidRequest(
            f"You do not hold the permission(s) {', '.join(lacking)}; a token can only be given "
            f"permissions its owner holds."
        )
    return chosen


def expiry(rules: Policy, choice: Any, now: datetime) -> datetime | None:
    if choice is None:
        choice = rules.default_expiration
    if not isinstance(choice, str) or choice not in rules.expirations:
        limit = (
            f" (the maximum lifetime is {rules.max_lifetime_days} days)" if rules.max_lifetime_days else ""
        )
        raise InvalidRequest(f"expiration must be one of {rules.describe_choices()}{limit}; got {choice!r}.")
    span = rules.expirations[choice]
    return None if span is None else now + span


def check_name_free(owner_id: int, name: str, now: datetime, besides: int | None = None) -> None:
    """`Conflict` when another live, unreplaced token of the owner (not `besides`) has `name`."""
    t = PersonalAccessToken
    taken = t.select().where((t.user == owner_id) & live(now) & t.replaced_at.is_null() & (t.name == name))
    if besides is not None:
        taken = taken.where(t.id != besides)
    if taken.exists():
        raise Conflict(f"tokenNote: you already have an active token named {name!r}; choose another name.")


def create_token(
    host: Host,
    owner: Actor,
    *,
    name: Any,
    expiration: Any = None,
    permissions: Any = None,
    by: str,
    ip: str | None = None,
) -> Created:
    """Validate everything, then insert the digest; the secret leaves only through `Created`."""
    if owner.source == EXTERNAL:
        raise Forbidden(EXTERNAL_REFUSAL)
    rules = policy(host)
    now = host.now()
    name = clean_name(name)
    expires_at = expiry(rules, expiration, now)
    scope = clean_permissions(host, owner, permissions)
    t = PersonalAccessToken
    with write_transaction(lock=User.select(User.id).where(User.id == owner.user_id)):
        mine = t.select().where((t.user == owner.user_id) & live(now) & t.replaced_at.is_null())
        if mine.count() >= rules.max_tokens_per_user:
            raise Conflict(
                f"You already have {rules.max_tokens_per_user} active personal access tokens, the "
                f"maximum; delete one before creating another."
            )
        check_name_free(owner.user_id, name, now)
        token, secret = insert_token(host, owner.user_id, name, encode_scope(scope), now, expires_at)
        payload = audit.record(
            host,
            audit.CREATED,
            **audit.about(token, username=owner.username),
            by=by,
            ip=ip,
        )
    payload.update(
        tokenNote=name,
        expiresAt=iso(expires_at),
        allPermissions=scope is None,
        globalPermissions=scope or [],
    )
    audit.emit(host, audit.CREATED, payload, actor=owner)
    return Created(token, secret)


def insert_token(
    host: Host, user_id: int, name: str, scope: str | None, now: datetime, expires_at: datetime | None
) -> tuple[PersonalAccessToken, str]:
    """The row of a fresh secret (its digest and hint only) and the secret, for the caller to show once."""
    secret = tokens.new_token()
    token = PersonalAccessToken.create(
        user=user_id,
        name=name,
        digest=host.secrets.digest(secret, tokens.DIGEST_PURPOSE),
        hint=tokens.hint(secret),
        scope=scope,
        created_at=to_db(now),
        expires_at=to_db(expires_at),
    )
    return token, secret


def parse_id(token_id: Any) -> int | None:
    if isinstance(token_id, int):
        return token_id
    if isinstance(token_id, str) and token_id.isascii() and token_id.isdigit() and len(token_id) < 19:
        return int(token_id)
    return None


@dataclass(frozen=True)
class TokenFilter:
    """What the admin listing narrows to; every field is optional (None: no condition)."""

    user_id: int | None = None
    username: str | None = None
    status: str | None = None
    expires_before: datetime | None = None
    used_since: datetime | None = None
    unused_since: datetime | None = None
    never_used: bool = False


def _filtered(host: Host, found: TokenFilter) -> peewee.ModelSelect[PersonalAccessToken]:
    t = PersonalAccessToken
    now = to_db(host.now())
    query = t.select(t, User.id, User.username).join(User).where(t.deleted_at.is_null())
    # a rotated-out token is listed during its overlap only
    query = query.where(t.replaced_at.is_null() | (t.expires_at > now))
    if found.user_id is not None:
        query = query.where(t.user == found.user_id)
    if found.username is not None:
        query = query.where(User.username == found.username)
    if found.status == ACTIVE:
        query = query.where(t.expires_at.is_null() | (t.expires_at > now))
    elif found.status == EXPIRED:
        query = query.where(t.expires_at <= now)
    elif found.status is not None:
        raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}; got {found.status!r}.")
    if found.expires_before is not None:
        query = query.where((t.expires_at > now) & (t.expires_at <= to_db(found.expires_before)))
    if found.used_since is not None:
        query = query.where(t.last_used_at >= to_db(found.used_since))
    if found.unused_since is not None:
        query = query.where(t.last_used_at.is_null() | (t.last_used_at < to_db(found.unused_since)))
    if found.never_used:
        query = query.where(t.last_used_at.is_null())
    return query


def list_tokens(
    host: Host,
    *,
    user_id: int | None = None,
    username: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
    where: TokenFilter | None = None,
) -> list[PersonalAccessToken]:
    """Tokens not deleted, newest first, each with `token.user.username` loaded in the same query."""
    t = PersonalAccessToken
    found = where or TokenFilter(user_id=user_id, username=username, status=status)
    query = _filtered(host, found)
    return list(query.order_by(t.created_at.desc(), t.id.desc()).offset(offset).limit(limit))


def count_tokens(host: Host, where: TokenFilter) -> int:
    return _filtered(host, where).count()


def delete_user_tokens(host: Host, user_id: int, *, by: str, ip: str | None = None) -> int:
    """Revoke every token of one user (each with its own audit record); how many were revoked."""
    t = PersonalAccessToken
    ids = [row.id for row in t.select(t.id).where((t.user == user_id) & t.deleted_at.is_null())]
    revoked = 0
    for token_id in ids:
        try:
            delete_token(host, token_id, by=by, ip=ip)
        except NotFound:  # revoked meanwhile by someone else
            continue
        revoked += 1
    return revoked


def delete_token(
    host: Host, token_id: Any, *, owner_id: int | None = None, by: str, ip: str | None = None
) -> PersonalAccessToken:
    """Mark the token deleted (only someone else's when `owner_id` is None, i.e. an admin)."""
    number = parse_id(token_id)
    t = PersonalAccessToken
    missing = NotFound(f"There is no personal access token {token_id}.")
    if number is None:
        raise missing
    with write_transaction():
        query = (
            t.select(t, User.id, User.username).join(User).where((t.id == number) & t.deleted_at.is_null())
        )
        if owner_id is not None:
            query = query.where(t.user == owner_id)
        token = query.first()
        if token is None:
            raise missing
        changed = (
            t.update(deleted_at=to_db(host.now())).where((t.id == number) & t.deleted_at.is_null()).execute()
        )
        if not changed:
            raise missing
        payload = audit.record(
            host,
            audit.DELETED,
            **audit.about(token),
            by=by,
            ip=ip,
        )
    payload.update(tokenNote=token.name)
    audit.emit(host, audit.DELETED, payload)
    return token


def credential_info(host: Host, credential_id: Any) -> dict[str, Any] | None:
    """The `credential_info` hook's answer for a token that exists and is not deleted."""
    number = parse_id(credential_id)
    if number is None:
        return None
    t = PersonalAccessToken
    token = t.select(t, User).join(User).where((t.id == number) & t.deleted_at.is_null()).first()
    if token is None:
        return None
    return {
        "id": str(token.id),
        "userId": token.user_id,
        "username": token.user.username,
        "name": token.name,
        "kind": "personal-access-token",
        "state": status.state_of(token, host.now())[0],
        "expiresAt": iso(token.expires_at),
    }


def token_json(token: PersonalAccessToken, now: datetime, with_username: bool = False) -> TokenOut:
    """A token as listed: never the secret, which the server does not have."""
    permissions = decode_scope(token.scope)
    fields: dict[str, Any] = {
        "id": token.id,
        "token_note": token.name,
        "hint": token.hint,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "last_used_ip": token.last_used_ip,
        "all_permissions": permissions is None,
        "global_permissions": permissions or [],
        "status": status_of(token, now),
        "replaced_at": iso(token.replaced_at),
        "replaced_by_id": token.replaced_by_id,
        "used_permissions": [
            PermissionUseOut(u.permission, u.granted, u.count, u.first_at, u.last_at)
            for u in usage.stored_uses(token.permission_use)
        ],
        "recent_addresses": [
            AddressOut(a["network"], a["firstAt"], a["lastAt"]) for a in addresses.recent(token.addresses)
        ],
    }
    if with_username:
        return AdminTokenOut(**fields, username=token.user.username)
    return TokenOut(**fields)
