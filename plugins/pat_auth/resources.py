"""The JSON API: a user's own tokens, and every user's tokens for admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from host import AUTHENTICATED, EXTERNAL, SECURITY_EDIT, Actor, Host, Route, bad_request, json_body, query_int
from plugins.pat_auth import audit, store

TOKENS = "/api/v1/personal-access-tokens"
MANAGING_VIA = ("password", "session")
ADMIN_PERMISSION = SECURITY_EDIT
TOKEN_REFUSAL = (
    "Personal access tokens cannot be created, listed or deleted by a request authenticated with a "
    "personal access token: sign in with your password or through the login page."
)
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 1000

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


def requested_permissions(body: dict[str, Any]) -> Any:
    """None for all permissions (no `globalPermissions`, or `allPermissions: true`), else the list."""
    selected = body.get("globalPermissions")
    everything = body.get("allPermissions")
    if everything is None:
        return selected
    if not isinstance(everything, bool):
        raise bad_request("allPermissions must be true or false.")
    if everything:
        if selected:
            raise bad_request("Give either allPermissions: true or a globalPermissions list, not both.")
        return None
    if selected is None:
        raise bad_request(
            "allPermissions is false: list the permissions the token gets in globalPermissions."
        )
    return selected


def paging(req: falcon.Request) -> tuple[int, int]:
    """`page` (from 0) and `resultsPerPage` (default 100) as offset and limit."""
    page = query_int(req, "page", 0, 0, MAX_PAGE)
    size = query_int(req, "resultsPerPage", 100, 1, MAX_PAGE_SIZE)
    return page * size, size


def status_filter(req: falcon.Request) -> str | None:
    status = req.get_param("status")
    if status is not None and status not in store.STATUSES:
        raise bad_request(f"status must be one of {', '.join(store.STATUSES)}; got {status!r}.")
    return status


class Tokens:
    """`/api/v1/personal-access-tokens`: create one, list mine."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        actor = token_manager(req)
        body = json_body(req)
        try:
            created = store.create_token(
                self.host,
                actor,
                name=body.get("tokenNote"),
                expiration=body.get("expiration"),
                permissions=requested_permissions(body),
                by=actor.username,
                ip=req.remote_addr,
            )
        except store.PatError as exc:
            raise http_error(exc) from None
        resp.status = falcon.HTTP_201
        resp.set_header("Cache-Control", "no-store")
        resp.media = {"token": created.secret, **store.token_json(created.token, self.host.now())}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        actor = token_manager(req)
        offset, limit = paging(req)
        found = store.list_tokens(
            self.host, user_id=actor.user_id, status=status_filter(req), offset=offset, limit=limit
        )
        now = self.host.now()
        resp.media = [store.token_json(token, now) for token in found]


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


class AdminTokens:
    """`/api/v1/admin/personal-access-tokens`: everyone's tokens, filtered by `username` and `status`."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        token_manager(req, own=False)
        offset, limit = paging(req)
        found = store.list_tokens(
            self.host,
            username=req.get_param("username"),
            status=status_filter(req),
            offset=offset,
            limit=limit,
        )
        now = self.host.now()
        resp.media = [store.token_json(token, now, with_username=True) for token in found]


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
        offset, limit = paging(req)
        rows = audit.recent(limit, username=req.get_param("username"), offset=offset)
        resp.media = [audit.record_json(row) for row in rows]


def routes(host: Host) -> list[Route]:
    admin = "/api/v1/admin/personal-access-tokens"
    return [
        Route(TOKENS, Tokens(host), {"POST": AUTHENTICATED, "GET": AUTHENTICATED}),
        Route(TOKENS + "/{token_id}", Token(host), {"DELETE": AUTHENTICATED}),
        Route(admin, AdminTokens(host), {"GET": ADMIN_PERMISSION}),
        Route(admin + "/audit", AdminAudit(host), {"GET": ADMIN_PERMISSION}),
        Route(admin + "/{token_id}", AdminToken(host), {"DELETE": ADMIN_PERMISSION}),
    ]
