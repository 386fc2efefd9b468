"""Narrow a token to what it used: its scope becomes exactly the permissions its requests were
granted in the last N days (`usage.py`), so a script keeps working and nothing else does.

Never a widening: only permissions the current scope already covers are kept (a token with all
permissions becomes one with selected permissions). Permissions it tried and was refused are not
added; the page shows them so the owner sees what a script is missing, and a wider token is a new
token. `POST /api/v1/personal-access-tokens/{id}/narrow`, the page's button and `tokens narrow`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import falcon

from host import (
    ADMIN,
    AUTHENTICATED,
    ErrorBody,
    Host,
    Operation,
    Route,
    User,
    read_json,
    send_json,
    write_transaction,
)
from plugins.pat_auth import audit, resources, store, usage
from plugins.pat_auth.bodies import NarrowToken, TokenOut
from plugins.pat_auth.models import PersonalAccessToken, decode_scope, encode_scope

DEFAULT_DAYS = 90
_OPTIONAL: Any = NarrowToken | None


def narrow_token(
    host: Host, token_id: Any, *, owner_id: int | None, days: int = DEFAULT_DAYS, by: str, ip: str | None
) -> PersonalAccessToken:
    """Set the scope to the permissions used in `days`; `Conflict` when none was (only someone
    else's token when `owner_id` is None, i.e. an admin)."""
    number = store.parse_id(token_id)
    missing = store.NotFound(f"There is no personal access token {token_id}.")
    if number is None:
        raise missing
    t = PersonalAccessToken
    now = host.now()
    with write_transaction():
        query = t.select(t, User.id, User.username).join(User).where((t.id == number) & store.live(now))
        if owner_id is not None:
            query = query.where(t.user == owner_id)
        token = query.where(t.replaced_at.is_null()).first()
        if token is None:
            raise missing
        current = decode_scope(token.scope)
        kept = [
            p
            for p in usage.used_permissions(host, token, timedelta(days=days))
            if p in host.permissions and (current is None or ADMIN in current or p in current)
        ]
        if not kept:
            raise store.Conflict(
                f"The token was granted no permission in the last {days} days, so there is nothing "
                f"to narrow it to: delete it if nothing uses it."
            )
        t.update(scope=encode_scope(kept)).where(t.id == number).execute()
        token.scope = encode_scope(kept)
        payload = audit.record(
            host,
            audit.NARROWED,
            token_id=token.id,
            hint=token.hint,
            user_id=token.user_id,
            username=token.user.username,
            by=by,
            ip=ip,
            detail=f"{days}d: {len(kept)} permission(s)",
            samples=",".join(kept),
        )
    payload.update(tokenNote=token.name, before=current, globalPermissions=kept, days=days)
    audit.emit(host, audit.NARROWED, payload)
    return token


class Narrow:
    """`POST …/{token_id}/narrow`: one of my tokens, to what it used."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        actor = resources.token_manager(req)
        # the body is optional: none, or `null`, means every default
        body: NarrowToken | None = read_json(req, _OPTIONAL) if req.content_length else None
        body = body or NarrowToken()
        try:
            token = narrow_token(
                self.host,
                token_id,
                owner_id=actor.user_id,
                days=body.days,
                by=actor.username,
                ip=req.remote_addr,
            )
        except store.PatError as exc:
            raise resources.http_error(exc) from None
        send_json(resp, store.token_json(token, self.host.now()))


def routes(host: Host) -> list[Route]:
    return [
        Route(
            resources.TOKENS + "/{token_id}/narrow",
            Narrow(host),
            {"POST": AUTHENTICATED},
            operations={
                "POST": Operation(
                    "Narrow one of my personal access tokens to the permissions it used",
                    body=NarrowToken,
                    responses={
                        200: TokenOut,
                        400: ErrorBody,
                        404: ErrorBody,
                        409: ErrorBody,
                        **resources.REFUSED,
                    },
                    description=(
                        "The token's scope becomes exactly the permissions its requests were granted in "
                        "the last `days` days (default 90); the body is optional. 409 when it used none. "
                        + resources.TOKEN_REFUSAL
                    ),
                )
            },
        )
    ]
