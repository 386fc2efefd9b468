"""`POST /api/v1/personal-access-tokens/{id}/rotate` and `…/self/rotate` (GitLab's names).

Managing tokens needs a password or a session, with one exception here: a token may rotate
itself. That mints nothing new in reach of a leaked secret: the replacement has the same owner
and scope, and the old secret stops at the end of the overlap.
"""

from __future__ import annotations

import falcon
import msgspec

from host import AUTHENTICATED, Actor, ErrorBody, Host, Operation, Route, iso, read_json, send_json
from plugins.pat_auth import resources, rotation, store
from plugins.pat_auth.bodies import RotateBody, RotatedToken


def _body(req: falcon.Request) -> RotateBody:
    """The body is optional: none at all means every default."""
    if not req.content_length:
        return RotateBody()
    return read_json(req, RotateBody)


def _rotator(req: falcon.Request, token_id: str) -> Actor:
    """A password or session may rotate any of its owner's tokens; a token only itself."""
    actor: Actor = req.context.actor
    if actor.via == "token":
        if actor.credential_id is None or actor.credential_id != token_id:
            raise falcon.HTTPForbidden(
                title="Forbidden",
                description=(
                    "A personal access token may rotate only itself: sign in with your password "
                    "or through the login page to rotate another token."
                ),
            )
        return actor
    return resources.token_manager(req)


def _rotate(host: Host, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
    actor = _rotator(req, token_id)
    body = _body(req)
    try:
        created, valid_until = rotation.rotate_token(
            host,
            actor,
            token_id,
            overlap=body.overlap,
            expiration=body.expiration,
            by=actor.username,
            ip=req.remote_addr,
        )
    except store.PatError as exc:
        raise resources.http_error(exc) from None
    resp.set_header("Cache-Control", "no-store")
    answer = RotatedToken(
        **msgspec.structs.asdict(store.token_json(created.token, host.now())),
        token=created.secret,
        replaces=int(token_id),
        previous_valid_until=iso(valid_until),
    )
    send_json(resp, answer, 201)


class Rotate:
    """`POST …/{token_id}/rotate`."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        _rotate(self.host, req, resp, token_id)


class SelfRotate:
    """`POST …/self/rotate`: the token the request is authenticated with."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        actor: Actor = req.context.actor
        if actor.via != "token" or actor.credential_id is None:
            raise falcon.HTTPForbidden(
                title="Forbidden",
                description="self/rotate rotates the personal access token the request is authenticated "
                "with; this request presents none. Use /api/v1/personal-access-tokens/{id}/rotate.",
            )
        _rotate(self.host, req, resp, actor.credential_id)


_ANSWERS = {201: RotatedToken, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody}


def routes(host: Host) -> list[Route]:
    operation = Operation(
        summary="Rotate a personal access token", body=RotateBody, body_required=False, responses=_ANSWERS
    )
    return [
        Route(
            resources.TOKENS + "/self/rotate",
            SelfRotate(host),
            {"POST": AUTHENTICATED},
            operations={"POST": operation},
        ),
        Route(
            resources.TOKENS + "/{token_id}/rotate",
            Rotate(host),
            {"POST": AUTHENTICATED},
            operations={"POST": operation},
        ),
    ]
