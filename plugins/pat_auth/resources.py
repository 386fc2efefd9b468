"""The JSON API: a user's own tokens, and every user's tokens for admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon
import msgspec

from host import (
    AUTHENTICATED,
    EXTERNAL,
    SECURITY_EDIT,
    Actor,
    ErrorBody,
    Host,
    Operation,
    Route,
    bad_request,
    read_json,
    read_query,
    send_json,
)
from plugins.pat_auth import audit, narrowing, store
from plugins.pat_auth.bodies import (
    AdminTokenOut,
    AdminTokensQuery,
    AuditQuery,
    AuditRecordOut,
    ChangeToken,
    CreatedToken,
    CreateToken,
    NarrowToken,
    Paging,
    TokenOut,
    TokensQuery,
)

TOKENS = "/api/v1/personal-access-tokens"
MANAGING_VIA = ("password", "session")
ADMIN_PERMISSION = SECURITY_EDIT
TOKEN_REFUSAL = (
    "Personal access tokens cannot be created, listed or deleted by a request authenticated with a "
    "personal access token: sign in with your password or through the login page."
)
_ERRORS: dict[int, tuple[Callable[..., falcon.HTTPError], str]] = {
    400: (falcon.HTTPBadRequest, "Bad Request"),
    403: (falcon.HTTPForbidden, "Forbidden"),
    404: (falcon.HTTPNotFound, "Not Found"),
    409: (falcon.HTTPConflict, "Conflict"),
}


def http_error(exc: store.PatError) -> falcon.HTTPError:
    kind, title = _ERRORS[exc.status]
    return kind(title=title, description=exc.message)


def token_manager(req: falcon.Request, own: bool = True) -> Actor:
    """The caller, if they may manage tokens: signed in by password or session, never by a token
    (a leaked token must not mint more); for their own tokens, not an external user."""
    actor: Actor = req.context.actor
    if own and actor.source == EXTERNAL:
        raise falcon.HTTPForbidden(title="Forbidden", description=store.EXTERNAL_REFUSAL)
    if actor.via not in MANAGING_VIA:
        raise falcon.HTTPForbidden(title="Forbidden", description=TOKEN_REFUSAL)
    return actor


def requested_permissions(body: CreateToken) -> list[str] | None:
    """None for all permissions (no `globalPermissions`, or `allPermissions: true`), else the list."""
    selected, everything = body.global_permissions, body.all_permissions
    if everything is None:
        return selected
    if everything:
        if selected:
            raise bad_request("Give either allPermissions: true or a globalPermissions list, not both.")
        return None
    if selected is None:
        raise bad_request(
            "allPermissions is false: list the permissions the token gets in globalPermissions."
        )
    return selected


def paging(query: Paging) -> tuple[int, int]:
    """`page` (from 0) and `resultsPerPage` as offset and limit."""
    return query.page * query.results_per_page, query.results_per_page


class Tokens:
    """`/api/v1/personal-access-tokens`: create one, list mine."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        actor = token_manager(req)
        body = read_json(req, CreateToken)
        try:
            created = store.create_token(
                self.host,
                actor,
                name=body.token_note,
                expiration=body.expiration,
                permissions=requested_permissions(body),
                by=actor.username,
                ip=req.remote_addr,
            )
        except store.PatError as exc:
            raise http_error(exc) from None
        listed = store.token_json(created.token, self.host.now())
        resp.set_header("Cache-Control", "no-store")
        send_json(resp, CreatedToken(**msgspec.structs.asdict(listed), token=created.secret), 201)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        actor = token_manager(req)
        query = read_query(req, TokensQuery)
        offset, limit = paging(query)
        found = store.list_tokens(
            self.host, user_id=actor.user_id, status=query.status, offset=offset, limit=limit
        )
        now = self.host.now()
        send_json(resp, [store.token_json(token, now) for token in found])


class Token:
    """`/api/v1/personal-access-tokens/{token_id}`: delete one of mine."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        actor = token_manager(req)
        try:
            store.delete_token(
                self.host, token_id, owner_id=actor.user_id, by=actor.username, ip=req.remote_addr
            )
        except store.PatError as exc:
            raise http_error(exc) from None
        resp.status = falcon.HTTP_204

    def on_patch(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        actor = token_manager(req)
        body = read_json(req, ChangeToken)
        try:
            token = narrowing.change_token(
                self.host,
                token_id,
                actor,
                name=body.token_note,
                permissions=body.global_permissions,
                by=actor.username,
                ip=req.remote_addr,
            )
        except store.PatError as exc:
            raise http_error(exc) from None
        send_json(resp, store.token_json(token, self.host.now()))


_OPTIONAL_NARROW: Any = NarrowToken | None


class Narrow:
    """`POST …/{token_id}/narrow`: one of my tokens, to the permissions it used (`narrowing.py`)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        actor = token_manager(req)
        # the body is optional: none, or `null`, means every default
        body: NarrowToken | None = read_json(req, _OPTIONAL_NARROW) if req.content_length else None
        body = body or NarrowToken()
        try:
            token = narrowing.narrow_token(
                self.host,
                token_id,
                owner_id=actor.user_id,
                days=body.days,
                by=actor.username,
                ip=req.remote_addr,
            )
        except store.PatError as exc:
            raise http_error(exc) from None
        send_json(resp, store.token_json(token, self.host.now()))


class AdminTokens:
    """`/api/v1/admin/personal-access-tokens`: everyone's tokens, filtered by `username` and `status`."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        token_manager(req, own=False)
        query = read_query(req, AdminTokensQuery)
        offset, limit = paging(query)
        found = store.list_tokens(
            self.host, username=query.username, status=query.status, offset=offset, limit=limit
        )
        now = self.host.now()
        send_json(resp, [store.token_json(token, now, with_username=True) for token in found])


class AdminToken:
    """`/api/v1/admin/personal-access-tokens/{token_id}`: revoke anyone's token."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        actor = token_manager(req, own=False)
        try:
            store.delete_token(self.host, token_id, by=actor.username, ip=req.remote_addr)
        except store.PatError as exc:
            raise http_error(exc) from None
        resp.status = falcon.HTTP_204


class AdminAudit:
    """`/api/v1/admin/personal-access-tokens/audit`: the audit trail, newest first."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        token_manager(req, own=False)
        query = read_query(req, AuditQuery)
        offset, limit = paging(query)
        rows = audit.recent(limit, username=query.username, offset=offset)
        send_json(resp, [audit.record_json(row) for row in rows])


REFUSED = {403: ErrorBody}  # external users, and requests authenticated by a token
TOKEN_ID = "The token's id, as listed."


def routes(host: Host) -> list[Route]:
    admin = "/api/v1/admin/personal-access-tokens"
    return [
        Route(
            TOKENS,
            Tokens(host),
            {"POST": AUTHENTICATED, "GET": AUTHENTICATED},
            operations={
                "POST": Operation(
                    "Create a personal access token",
                    body=CreateToken,
                    responses={201: CreatedToken, 400: ErrorBody, 409: ErrorBody, **REFUSED},
                    description="Signed in by password or session only. " + TOKEN_REFUSAL,
                ),
                "GET": Operation(
                    "List my personal access tokens",
                    query=TokensQuery,
                    responses={200: list[TokenOut], **REFUSED},
                    description="Newest first, never the secrets.",
                ),
            },
        ),
        Route(
            TOKENS + "/{token_id}",
            Token(host),
            {"DELETE": AUTHENTICATED, "PATCH": AUTHENTICATED},
            operations={
                "DELETE": Operation(
                    "Delete one of my personal access tokens",
                    responses={204: None, 404: ErrorBody, **REFUSED},
                    description=TOKEN_ID,
                ),
                "PATCH": Operation(
                    "Rename or narrow one of my personal access tokens",
                    body=ChangeToken,
                    responses={200: TokenOut, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, **REFUSED},
                    description=(
                        "A new tokenNote, and/or globalPermissions its current scope covers: a scope is "
                        "never widened (400; create a new token for more). " + TOKEN_REFUSAL
                    ),
                ),
            },
        ),
        Route(
            TOKENS + "/{token_id}/narrow",
            Narrow(host),
            {"POST": AUTHENTICATED},
            operations={
                "POST": Operation(
                    "Narrow one of my personal access tokens to the permissions it used",
                    body=NarrowToken,
                    responses={200: TokenOut, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, **REFUSED},
                    description=(
                        "The token's scope becomes exactly the permissions its requests were granted in "
                        "the last `days` days (default 90); the body is optional. 409 when it used none. "
                        + TOKEN_REFUSAL
                    ),
                )
            },
        ),
        Route(
            admin,
            AdminTokens(host),
            {"GET": ADMIN_PERMISSION},
            operations={
                "GET": Operation(
                    "List everyone's personal access tokens",
                    query=AdminTokensQuery,
                    responses={200: list[AdminTokenOut]},
                )
            },
        ),
        Route(
            admin + "/audit",
            AdminAudit(host),
            {"GET": ADMIN_PERMISSION},
            operations={
                "GET": Operation(
                    "The audit trail of personal access tokens",
                    query=AuditQuery,
                    responses={200: list[AuditRecordOut]},
                    description="Newest first: creations, deletions and refused tokens.",
                )
            },
        ),
        Route(
            admin + "/{token_id}",
            AdminToken(host),
            {"DELETE": ADMIN_PERMISSION},
            operations={
                "DELETE": Operation(
                    "Revoke anyone's personal access token",
                    responses={204: None, 404: ErrorBody},
                    description=TOKEN_ID,
                )
            },
        ),
    ]
