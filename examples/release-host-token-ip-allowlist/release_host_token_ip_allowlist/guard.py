"""The request-time rule: a restricted token is refused from outside its ranges."""

from __future__ import annotations

import falcon

from host import Actor, AuthenticationFailed, Host

from . import store
from .ranges import client_address, inside, networks


def check(host: Host, actor: Actor, req: falcon.Request) -> None:
    """Refuse (401) a token used from outside its ranges; anything else is not ours to judge.

    One prepared query per token request; no rows means the token is not restricted.
    """
    if actor.via != "token" or actor.credential_id is None:
        return
    allowed = store.get_ranges(actor.credential_id)
    if not allowed:
        return
    address = client_address(req.remote_addr, req.get_header("X-Forwarded-For"), store.trusted_proxies(host))
    if address is not None and inside(address, networks(tuple(allowed))):
        return
    shown = str(address) if address is not None else "an unknown address"
    host.emit(
        store.EVENT_REFUSED,
        {"tokenId": actor.credential_id, "clientIp": shown, "username": actor.username},
        actor=actor,
        source=store.PLUGIN,
    )
    raise AuthenticationFailed(
        f"This personal access token may not be used from {shown}: the address is outside the "
        f"token's allowed IP ranges."
    )
