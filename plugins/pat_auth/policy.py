"""The token policy an admin sets in `[plugins.pat_auth]`, checked when the host starts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from host import StartupError

NEVER = "never"
PRODUCT_EXPIRATIONS = ("7d", "30d", "45d", "60d", "1y", NEVER)
DEFAULT_EXPIRATION = "30d"
DEFAULT_MAX_TOKENS = 50
SETTINGS = {"expirations", "default_expiration", "max_lifetime_days", "max_tokens_per_user"}

_CHOICE = re.compile(r"([1-9][0-9]{0,4})([dy])")


def lifetime(choice: str) -> timedelta | None:
    """`7d` → 7 days, `1y` → 365 days, `never` → None; ValueError for anything else."""
    if choice == NEVER:
        return None
    match = _CHOICE.fullmatch(choice)
    if not match:
        raise ValueError(choice)
    count, unit = int(match.group(1)), match.group(2)
    return timedelta(days=count * (365 if unit == "y" else 1))


@dataclass(frozen=True)
class Policy:
    """What users may choose: `expirations` in the order offered, the default, and the cap."""

    expirations: dict[str, timedelta | None]
    default_expiration: str
    max_lifetime_days: int | None
    max_tokens_per_user: int

    def describe_choices(self) -> str:
        return ", ".join(self.expirations)


def _positive_int(settings: dict[str, Any], key: str, default: int | None) -> int | None:
    value = settings.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StartupError(f"[plugins.pat_auth] {key} must be a positive integer, not {value!r}")
    return value


def load_policy(settings: dict[str, Any]) -> Policy:
    """Validate the settings; a mistake stops the startup with a message naming the setting."""
    unknown = sorted(set(settings) - SETTINGS)
    if unknown:
        known = ", ".join(sorted(SETTINGS))
        raise StartupError(f"[plugins.pat_auth] unknown setting(s) {', '.join(unknown)}; known: {known}")
    max_days = _positive_int(settings, "max_lifetime_days", None)
    max_tokens = _positive_int(settings, "max_tokens_per_user", DEFAULT_MAX_TOKENS)
    configured = settings.get("expirations", list(PRODUCT_EXPIRATIONS))
    if not isinstance(configured, list) or not configured:
        raise StartupError("[plugins.pat_auth] expirations must be a non-empty list such as ['7d', '30d']")
    offered: dict[str, timedelta | None] = {}
    for choice in configured:
        try:
            span = lifetime(choice) if isinstance(choice, str) else lifetime("")
        except ValueError:
            raise StartupError(
                f"[plugins.pat_auth] expirations: {choice!r} is not a number of days (30d), "
                f"years (1y) or 'never'"
            ) from None
        if max_days is not None and (span is None or span > timedelta(days=max_days)):
            continue
        offered[choice] = span
    if not offered:
        raise StartupError(
            f"[plugins.pat_auth] max_lifetime_days = {max_days} forbids every configured expiration"
        )
    default = settings.get("default_expiration")
    if default is None:
        default = DEFAULT_EXPIRATION if DEFAULT_EXPIRATION in offered else _longest(offered)
    elif default not in offered:
        raise StartupError(
            f"[plugins.pat_auth] default_expiration {default!r} is not one of the allowed "
            f"expirations ({', '.join(offered)})"
        )
    return Policy(offered, default, max_days, max_tokens or DEFAULT_MAX_TOKENS)


def _longest(offered: dict[str, timedelta | None]) -> str:
    return max(offered, key=lambda choice: offered[choice] or timedelta.max)
