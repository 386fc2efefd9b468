"""Keeping credentials out of what is stored, emitted and shown about a received request."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from host import Host, secret_name
from plugins.webhooks.payload import UNPARSED, escape_for_storage

REDACTED = "********"
MIN_SCRUB_LENGTH = 4


def scrub(host: Host, text: str, secrets: Iterable[str]) -> str:
    """Replace every presented secret and anything shaped like a secret some plugin issues
    (`host.redact`): callers echo tokens they did not present, too."""
    for secret in secrets:
        if len(secret) >= MIN_SCRUB_LENGTH and secret in text:
            text = text.replace(secret, REDACTED)
    return host.redact(text, REDACTED)


def scrub_value(host: Host, value: Any, secrets: Iterable[str]) -> Any:
    """A parsed JSON value with every string (field names too) scrubbed.

    Only for values `payload.parse` accepted, whose depth is bounded.
    """
    secrets = list(secrets)
    if isinstance(value, str):
        return scrub(host, value, secrets)
    if isinstance(value, dict):
        return {scrub(host, key, secrets): scrub_value(host, item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_value(host, item, secrets) for item in value]
    return value


def stored_body(host: Host, raw: bytes, parsed: Any, secrets: Iterable[str]) -> str:
    """The body as it is kept: its own text, scrubbed, NUL and lone surrogates escaped.

    A JSON body can spell a secret with escapes (`"p\\u00e4ss"` from a serializer that escapes
    non-ASCII, `\\/` from one that escapes slashes) that a search of the text misses. When
    the scrubbed text does not read back as the scrubbed value, the scrubbed value is kept
    instead, re-serialized.
    """
    secrets = list(secrets)
    text = scrub(host, escape_for_storage(raw.decode("utf-8", errors="replace")), secrets)
    if parsed is UNPARSED:
        return text
    clean = scrub_value(host, parsed, secrets)
    try:
        if json.loads(text) == clean:
            return text
    except (ValueError, RecursionError):
        pass
    return json.dumps(clean)


def headers(host: Host, raw: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """Header names lower-cased, credential headers masked, presented secrets scrubbed elsewhere."""
    secrets = list(secrets)
    return {
        name.lower(): REDACTED if secret_name(name) else scrub(host, value, secrets)
        for name, value in sorted(raw.items())
    }


def query(host: Host, params: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    secrets = list(secrets)

    def clean(name: str, value: Any) -> Any:
        if secret_name(name):
            return REDACTED
        if isinstance(value, list):
            return [scrub(host, str(v), secrets) for v in value]
        return scrub(host, str(value), secrets)

    return {scrub(host, name, secrets): clean(name, value) for name, value in params.items()}
