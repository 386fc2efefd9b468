"""Keys derived from the server secret: keyed digests for lookups, encryption for readable secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A separate 32-byte key per purpose, so one leaked derived key exposes nothing else."""
    return hmac.new(secret_key.encode(), f"release-host:{purpose}".encode(), hashlib.sha256).digest()


class Secrets:
    """What a plugin uses to keep a secret out of the database in clear."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key
        self._digest_keys: dict[str, bytes] = {}
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "encrypt")))

    def digest(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 of `value` under a key for `purpose`, hex: store it, look it up, compare it."""
        key = self._digest_keys.get(purpose)
        if key is None:
            key = self._digest_keys[purpose] = derive_key(self._secret_key, f"digest:{purpose}")
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str | None:
        """None when the value was encrypted under another server secret."""
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            return None


def same(a: str, b: str) -> bool:
    """Constant-time equality for secrets."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
