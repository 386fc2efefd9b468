"""The token policy an admin sets in `[plugins.pat_auth]`, parsed and checked when the host starts."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import msgspec

from host import PluginSettings

NEVER = "never"
PRODUCT_EXPIRATIONS = ("7d", "30d", "45d", "60d", "1y", NEVER)
DEFAULT_EXPIRATION = "30d"
DEFAULT_MAX_TOKENS = 50

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


class PatSettings(PluginSettings, frozen=True):  # frozen restated for type checkers (msgspec inherits it)
    """`[plugins.pat_auth]` as typed (parsed once by the host, see `register_settings`)."""

    expirations: tuple[str, ...] = PRODUCT_EXPIRATIONS
    default_expiration: str | None = None
    max_lifetime_days: Annotated[int, msgspec.Meta(ge=1)] | None = None
    max_tokens_per_user: Annotated[int, msgspec.Meta(ge=1)] = DEFAULT_MAX_TOKENS
    # a rotated-out secret presented after its overlap also revokes its replacements (GitLab's rule)
    revoke_family_on_reuse: bool = False
    # a token's client addresses are told apart by network: IPv4 by this many bits (32: each
    # address), IPv6 by its /64; a first use from a new one is audited and announced (`addresses.py`)
    new_address_prefix_v4: Annotated[int, msgspec.Meta(ge=8, le=32)] = 32
    new_address_prefix_v6: Annotated[int, msgspec.Meta(ge=16, le=128)] = 64
    # reports of leaked tokens (`leaks.py`): at most this many strings per report
    max_leak_report: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1000
    # the server's address as people reach it, for links in messages; empty: http://<bind>
    public_url: str = ""
    # expiry reminders: how long before expiry ("<n>d"), how often each server process looks
    # (0: never, run `release-host tokens remind` from cron instead), and the admins' weekly digest
    reminders: tuple[str, ...] = ("7d", "1d")
    reminder_interval_minutes: Annotated[int, msgspec.Meta(ge=0)] = 60
    admin_digest: bool = True
    # retire unused tokens (`retire.py`): revoke a token not used for this long ("<n>d" or
    # "<n>y"; empty: never), its owner told `retire_warning` before ("0d": not told)
    revoke_unused_after: str = ""
    retire_warning: str = "14d"

    def __post_init__(self) -> None:
        load_policy(self)  # the rules between settings, so that a mistake stops the startup
        reminder_points(self.reminders)
        _check_retirement(self.revoke_unused_after, self.retire_warning)


@functools.lru_cache(maxsize=32)
def load_policy(settings: PatSettings) -> Policy:
    """The policy the settings describe; ValueError naming the setting when they contradict."""
    max_days = settings.max_lifetime_days
    if not settings.expirations:
        raise ValueError("expirations must be a non-empty list such as ['7d', '30d']")
    offered: dict[str, timedelta | None] = {}
    for choice in settings.expirations:
        try:
            span = lifetime(choice)
        except ValueError:
            raise ValueError(
                f"expirations: {choice!r} is not a number of days (30d), years (1y) or 'never'"
            ) from None
        if max_days is not None and (span is None or span > timedelta(days=max_days)):
            continue
        offered[choice] = span
    if not offered:
        raise ValueError(f"max_lifetime_days = {max_days} forbids every configured expiration")
    default = settings.default_expiration
    if default is None:
        default = DEFAULT_EXPIRATION if DEFAULT_EXPIRATION in offered else _longest(offered)
    elif default not in offered:
        raise ValueError(
            f"default_expiration {default!r} is not one of the allowed expirations ({', '.join(offered)})"
        )
    return Policy(offered, default, max_days, settings.max_tokens_per_user)


def reminder_points(choices: tuple[str, ...]) -> list[tuple[str, timedelta]]:
    """The reminder points, longest first; ValueError naming a choice that is not `<n>d`."""
    points = []
    for choice in choices:
        try:
            span = lifetime(choice) if choice.endswith("d") else None
        except ValueError:
            span = None
        if span is None or span > timedelta(days=365):
            raise ValueError(f"reminders: {choice!r} is not a number of days such as '7d' (at most 365d)")
        points.append((choice, span))
    return sorted(set(points), key=lambda point: point[1], reverse=True)


def _check_retirement(after: str, warning: str) -> None:
    """ValueError naming the setting when `revoke_unused_after` or `retire_warning` is no span."""
    for name, value, optional in (("revoke_unused_after", after, True), ("retire_warning", warning, False)):
        if optional and not value:
            continue
        try:
            span = lifetime(value) if value != "0d" else timedelta(0)
        except ValueError:
            span = None
        if span is None:
            raise ValueError(f"{name}: {value!r} is not a number of days (365d) or years (1y)")


def _longest(offered: dict[str, timedelta | None]) -> str:
    return max(offered, key=lambda choice: offered[choice] or timedelta.max)
