"""Human passwords: bcrypt, with the 72-byte limit said plainly instead of crashing."""

from __future__ import annotations

import bcrypt

MAX_PASSWORD_BYTES = 72


class PasswordError(ValueError):
    """A password that cannot be used; the message is for the person who chose it."""


def hash_password(password: str, rounds: int) -> str:
    data = password.encode("utf-8")
    if not data:
        raise PasswordError("The password must not be empty.")
    if len(data) > MAX_PASSWORD_BYTES:
        raise PasswordError(
            f"The password is longer than {MAX_PASSWORD_BYTES} bytes, which bcrypt cannot check."
        )
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, hashed: str | None, rounds: int) -> bool:
    """Constant work whether or not the user exists: a missing hash checks against a dummy."""
    data = password.encode("utf-8")
    if hashed is None or not data or len(data) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(b"dummy", _dummy_hash(rounds))
        return False
    return bcrypt.checkpw(data, hashed.encode("ascii"))


_DUMMIES: dict[int, bytes] = {}


def _dummy_hash(rounds: int) -> bytes:
    if rounds not in _DUMMIES:
        _DUMMIES[rounds] = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds))
    return _DUMMIES[rounds]
