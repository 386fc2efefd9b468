"""The secret's format: `rpa_` + 34 random base62 characters + a 6-character CRC32 checksum.

34 base62 characters carry about 202 bits of randomness; the checksum (CRC32 of the random
part, in base62, GitHub style) lets the server and secret scanners recognise a real token
offline, so a mistyped or made-up value is refused before any database query.
"""

from __future__ import annotations

import re
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

_SHAPE = re.compile(rf"{PREFIX}[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}")
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


def checksum(random_part: str) -> str:
    """CRC32 of the random part in base62; 62**6 > 2**32, so six characters always suffice."""
    return base62(zlib.crc32(random_part.encode("ascii")), CHECKSUM_LENGTH)


def new_token() -> str:
    """A fresh secret from the OS's CSPRNG."""
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return PREFIX + random_part + checksum(random_part)


def shape(candidate: str) -> Shape:
    """Check prefix, length, alphabet and checksum without touching the database."""
    if len(candidate) != TOKEN_LENGTH or not _SHAPE.fullmatch(candidate):
        return Shape.MALFORMED
    random_part = candidate[len(PREFIX) : -CHECKSUM_LENGTH]
    if checksum(random_part) != candidate[-CHECKSUM_LENGTH:]:
        return Shape.BAD_CHECKSUM
    return Shape.OK


def hint(token: str) -> str:
    """The non-secret label shown in lists and audit records: the prefix and the last 4 characters."""
    return f"{PREFIX}…{token[-4:]}"
