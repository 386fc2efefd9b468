"""The one list of words that make a name (a header, a query parameter, a setting) a secret's."""

from __future__ import annotations

SECRET_WORDS = (
    "auth",
    "token",
    "secret",
    "pass",
    "cookie",
    "session",
    "credential",
    "signature",
    "key",
)
"""`pass` covers password, passwd and passphrase; `key` covers api-key, apikey and api_key."""


def secret_name(name: str) -> bool:
    """Whether a value named `name` is a credential (`Authorization`, `X-Deploy-Pass`, `api_key`)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)
