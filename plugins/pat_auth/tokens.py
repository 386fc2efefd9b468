"""The secret's format: `rpa_` + 34 random base62 characters + a 6-character CRC32 checksum.

34 base62 characters carry about 202 bits of randomness; the checksum (CRC32 of the random
part, in base62, GitHub style) lets the server and secret scanners recognise a real token
offline, so a mistyped or made-up value is refused before any database query.
"""

from __future__ import annotations

import secrets
import string
import zlib
from enum import Enum

PREFIX = "rpa_"
RANDOM_LENGTH = 34
CHECKSUM_LENGTH = 6
TOKEN_LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
DIGEST_PURPOSE = "pat"

PATTERN = rf"(?<![0-9A-Za-z]){PREFIX}[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}(?![0-9A-Za-z])"
"""A token anywhere in a text, checksum not checked (a near-miss is redacted, not kept)."""


class Shape(Enum):
    """What an offline look at a presented value tells."""

    OK = "ok"
    MALFORMED = "malformed"
    BAD_CHECKSUM = "bad-checksum"


def base62(value: int, width: int) -> str:
    """`value` in base62, left-padded with zeros to `width` characters."""
    digits = []
    while value:
        value, rest = divmod(value, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


_PAIRS = [a + b for a in BASE62 for b in BASE62]  # every two-digit base62 string, by value
_PAIR = len(_PAIRS)


def checksum(random_part: str) -> str:
    """CRC32 of the random part in base62; 62**6 > 2**32, so six characters always suffice.
    Three two-digit steps instead of six: it runs on every token request."""
    high, rest = divmod(zlib.crc32(random_part.encode("ascii")), _PAIR * _PAIR)
    middle, low = divmod(rest, _PAIR)
    return _PAIRS[high] + _PAIRS[middle] + _PAIRS[low]


def new_token() -> str:
    """A fresh secret from the OS's CSPRNG."""
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return PREFIX + random_part + checksum(random_part)


def shape(candidate: str) -> Shape:
    """Check prefix, length, alphabet and checksum without touching the database."""
    body = candidate[len(PREFIX) :]
    # ASCII and alphanumeric is exactly [0-9A-Za-z]: cheaper than the regex on every request
    if (
        len(candidate) != TOKEN_LENGTH
        or not candidate.startswith(PREFIX)
        or not (body.isascii() and body.isalnum())
    ):
        return Shape.MALFORMED
    if checksum(body[:RANDOM_LENGTH]) != body[RANDOM_LENGTH:]:
        return Shape.BAD_CHECKSUM
    return Shape.OK


def hint(token: str) -> str:
    """The non-secret label shown in lists and audit records: the prefix and the last 4 characters."""
    return f"{PREFIX}…{token[-4:]}"
