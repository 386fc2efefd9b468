"""Reading credentials from a request; malformed input is a 401, never a crash.

`presented(req)` is the one place that says which credentials a request brings, and the one
place where two different credentials in one request are refused."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import falcon

from host.errors import AuthenticationFailed

MAX_AUTHORIZATION = 4096
TOKEN_HEADER = "x-release-personal-token"
"""The header that carries a personal access token (`curl --header 'x-release-personal-token: …'`)."""

CONFLICTING = (
    "This request carries two different credentials (the x-release-personal-token header and an "
    "Authorization header); send only one."
)


def basic_credentials(req: falcon.Request) -> tuple[str, str] | None:
    """`(username, password)` from `Authorization: Basic …`, None when there is no Basic header."""
    header = req.get_header("Authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    if len(header) > MAX_AUTHORIZATION:
        raise AuthenticationFailed("Malformed Authorization header: too long.")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise AuthenticationFailed("Malformed Authorization header: not base64-encoded UTF-8.") from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise AuthenticationFailed("Malformed Authorization header: expected username:password.")
    return username, password


@dataclass(frozen=True)
class Presented:
    """What a request brings to prove who it is, before anyone checks it.

    `token` is a personal access token from the header or from Basic with an empty username;
    `basic` is a Basic username and password (a non-empty username); `authorization` is true
    for any Authorization header, whatever its scheme.
    """

    token: str | None = None
    basic: tuple[str, str] | None = None
    authorization: bool = False
    token_in_header: bool = False

    @property
    def any(self) -> bool:
        return self.authorization or self.token is not None


def presented(req: falcon.Request) -> Presented:
    """The credentials of this request, parsed once; two different ones → `AuthenticationFailed`."""
    cached = getattr(req.context, "presented_credentials", None)
    if cached is not None:
        return cached
    header = req.get_header(TOKEN_HEADER)
    # Present counts, not truthy: an empty `Authorization:` beside the token is a second credential.
    authorization = req.get_header("Authorization") is not None
    basic = basic_credentials(req) if authorization else None
    token = header.strip() if header is not None else None
    if token is not None and authorization and (basic is None or basic != ("", token)):
        raise AuthenticationFailed(CONFLICTING)
    if token is None and basic is not None and basic[0] == "":
        token, basic = basic[1], None
    found = Presented(
        token=token,
        basic=basic if basic is not None and basic[0] else None,
        authorization=authorization,
        token_in_header=header is not None,
    )
    req.context.presented_credentials = found
    return found
