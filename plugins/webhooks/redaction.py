"""Keeping credentials out of what is stored, emitted and shown about a received request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "********"
# A header or query parameter whose name contains one of these carries a credential.
SECRET_WORDS = ("auth", "token", "secret", "password", "passwd", "cookie", "signature", "session", "key")
MIN_SCRUB_LENGTH = 4


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a presented secret, wherever a caller may have echoed it."""
    for secret in secrets:
        if len(secret) >= MIN_SCRUB_LENGTH and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def headers(raw: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """Header names lower-cased, credential headers masked, presented secrets scrubbed elsewhere."""
    secrets = list(secrets)
    return {
        name.lower(): REDACTED if is_secret_name(name) else scrub(value, secrets)
        for name, value in sorted(raw.items())
    }


def query(params: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    secrets = list(secrets)

    def clean(name: str, value: Any) -> Any:
        if is_secret_name(name):
            return REDACTED
        if isinstance(value, list):
            return [scrub(str(v), secrets) for v in value]
        return scrub(str(value), secrets)

    return {scrub(name, secrets): clean(name, value) for name, value in params.items()}
