"""Reading credentials from a request; malformed input is a 401, never a crash."""

from __future__ import annotations

import base64
import binascii

import falcon

from host.errors import AuthenticationFailed

MAX_AUTHORIZATION = 4096


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
