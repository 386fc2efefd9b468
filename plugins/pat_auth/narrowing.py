"""Narrow a token to what it used: its scope becomes exactly the permissions its requests were
granted in the last N days (`usage.py`), so a script keeps working and nothing else does.

Never a widening: only permissions the current scope already covers are kept (a token with all
permissions becomes one with selected permissions). Permissions it tried and was refused are not
added; the page shows them so the owner sees what a script is missing, and a wider token is a new
token. `POST /api/v1/personal-access-tokens/{id}/narrow`, the page's button and `tokens narrow`;
`PATCH /api/v1/personal-access-tokens/{id}` (`change_token`) renames a token or narrows it to a
scope of the owner's choosing, under the same rule.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import peewee

from host import ADMIN, Actor, Host, User, write_transaction
from plugins.pat_auth import audit, store, usage
from plugins.pat_auth.models import PersonalAccessToken, decode_scope, encode_scope

DEFAULT_DAYS = 90
WIDENING = (
    "A token's permissions can be narrowed, never widened: {names} {verb} not in its scope. "
    "Create a new token for more."
)
_T = PersonalAccessToken


def _live_token(host: Host, token_id: Any, owner_id: int | None) -> PersonalAccessToken:
    """The token, live and not rotated out (only the owner's unless `owner_id` is None)."""
    number = store.parse_id(token_id)
    if number is not None:
        query = (
            _T.select(_T, User.id, User.username)
            .join(User)
            .where((_T.id == number) & store.live(host.now()) & _T.replaced_at.is_null())
        )
        if owner_id is not None:
            query = query.where(_T.user == owner_id)
        token = query.first()
        if token is not None:
            return token
    raise store.NotFound(f"There is no personal access token {token_id}.")


def covered(scope: list[str] | None, permission: str) -> bool:
    """Whether a token of this scope may already use `permission` (all permissions; admin)."""
    return scope is None or ADMIN in scope or permission in scope


def narrow_token(
    host: Host, token_id: Any, *, owner_id: int | None, days: int = DEFAULT_DAYS, by: str, ip: str | None
) -> PersonalAccessToken:
    """Set the scope to the permissions used in `days`; `Conflict` when none was (only someone
    else's token when `owner_id` is None, i.e. an admin)."""
    with write_transaction():
        token = _live_token(host, token_id, owner_id)
        current = decode_scope(token.scope)
        kept = [
            p
            for p in usage.used_permissions(host, token, timedelta(days=days))
            if p in host.permissions and covered(current, p)
        ]
        if not kept:
            raise store.Conflict(
                f"The token was granted no permission in the last {days} days, so there is nothing "
                f"to narrow it to: delete it if nothing uses it."
            )
        _T.update(scope=encode_scope(kept)).where(_T.id == token.id).execute()
        token.scope = encode_scope(kept)
        payload = audit.record(
            host,
            audit.NARROWED,
            **audit.about(token),
            by=by,
            ip=ip,
            detail=f"{days}d: {len(kept)} permission(s)",
            samples=",".join(kept),
        )
    payload.update(tokenNote=token.name, before=current, globalPermissions=kept, days=days)
    audit.emit(host, audit.NARROWED, payload)
    return token


def change_token(
    host: Host,
    token_id: Any,
    owner: Actor,
    *,
    name: Any = None,
    permissions: Any = None,
    by: str,
    ip: str | None,
) -> PersonalAccessToken:
    """Rename one of the owner's tokens and/or set its scope to `permissions`, which the current
    scope must cover (`InvalidRequest` for a widening, `Conflict` for a name taken)."""
    if name is None and permissions is None:
        raise store.InvalidRequest("Give tokenNote, globalPermissions or both: there is nothing to change.")
    changes: dict[peewee.Field, Any] = {}
    with write_transaction(lock=User.select(User.id).where(User.id == owner.user_id)):
        token = _live_token(host, token_id, owner.user_id)
        current = decode_scope(token.scope)
        if name is not None:
            clean = store.clean_name(name)
            store.check_name_free(owner.user_id, clean, host.now(), besides=token.id)
            changes[_T.name] = token.name = clean
        if permissions is not None:
            chosen = store.clean_permissions(host, owner, permissions) or []
            wider = [p for p in chosen if not covered(current, p)]
            if wider:
                verb = "is" if len(wider) == 1 else "are"
                raise store.InvalidRequest(WIDENING.format(names=", ".join(wider), verb=verb))
            changes[_T.scope] = token.scope = encode_scope(chosen)
        _T.update(changes).where(_T.id == token.id).execute()
        payload = audit.record(
            host,
            audit.CHANGED,
            **audit.about(token),
            by=by,
            ip=ip,
            detail="+".join(f.name for f in changes),
            samples=",".join(decode_scope(token.scope) or []) if _T.scope in changes else None,
        )
    payload.update(tokenNote=token.name, before=current, globalPermissions=decode_scope(token.scope))
    audit.emit(host, audit.CHANGED, payload)
    return token
