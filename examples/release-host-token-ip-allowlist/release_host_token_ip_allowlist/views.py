"""`/api/v1/token-allowlist/{token_id}`: read, replace or clear a token's allowed ranges."""

from __future__ import annotations

import falcon

from host import AUTHENTICATED, Actor, Host, Route, bad_request, json_body

from . import store
from .ranges import InvalidRange, parse_ranges

EDIT = "token_allowlist#edit"
MANAGE_ANY = "security#edit"
"""The product's "manage users, roles and everyone's access tokens" (admins hold it)."""


def token_object(params: dict) -> str:
    """How the token is named in a refusal: `Permission … on PersonalAccessTokens/7 …`."""
    return f"PersonalAccessTokens/{params['token_id']}"


class TokenAllowlist:
    """The declared permission is checked by the host before these run; here we add the rule
    only this plugin knows: the caller must own the token, or manage everyone's tokens."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def _check_owner(self, req: falcon.Request, token_id: str) -> Actor:
        actor: Actor = req.context.actor
        try:
            info = store.describe_token(self.host, token_id)
        except store.UnknownToken as exc:
            raise falcon.HTTPNotFound(title="Not Found", description=str(exc)) from None
        if str(info["userId"]) != str(actor.user_id) and not self.host.allowed(actor, MANAGE_ANY):
            raise falcon.HTTPForbidden(
                title="Forbidden",
                description=f"Only the token's owner or an administrator may see or change the allowed "
                f"ranges of personal access token {token_id}.",
            )
        return actor

    def _check_not_itself(self, actor: Actor, token_id: str) -> None:
        """A token must not widen its own restriction: whoever holds a leaked one could."""
        if actor.via == "token" and actor.credential_id == token_id:
            raise falcon.HTTPForbidden(
                title="Forbidden",
                description="A token cannot change its own allowed ranges: use your password or "
                "another credential.",
            )

    def on_get(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        self._check_owner(req, token_id)
        resp.media = store.as_json(token_id, store.get_ranges(token_id))

    def on_put(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        actor = self._check_owner(req, token_id)
        self._check_not_itself(actor, token_id)
        body = json_body(req)
        if "ranges" not in body:
            raise bad_request('Give the allowed ranges as {"ranges": ["10.0.0.0/8", ...]}.')
        try:
            networks = parse_ranges(body["ranges"])
        except InvalidRange as exc:
            raise bad_request(str(exc)) from None
        ranges = store.set_ranges(self.host, token_id, networks, by=actor.username, actor=actor)
        resp.media = store.as_json(token_id, ranges)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        actor = self._check_owner(req, token_id)
        self._check_not_itself(actor, token_id)
        store.set_ranges(self.host, token_id, [], by=actor.username, actor=actor)
        resp.media = store.as_json(token_id, [])


def routes(host: Host) -> list[Route]:
    return [
        Route(
            "/api/v1/token-allowlist/{token_id}",
            TokenAllowlist(host),
            {"GET": AUTHENTICATED, "PUT": EDIT, "DELETE": EDIT},
            object_of=token_object,
            description="A personal access token's allowed client IP ranges",
        )
    ]
