"""Reading and replacing a token's ranges, shared by the JSON route and the CLI."""

from __future__ import annotations

from typing import Any

from host import Actor, Host, PluginSettings, to_db

from .models import AllowedRange, ranges_of
from .ranges import InvalidRange, Network, networks

PLUGIN = "token_ip_allowlist"
EVENT_CHANGED = "token_allowlist.changed"
EVENT_REFUSED = "token_allowlist.refused"


class AllowlistSettings(PluginSettings):
    """`[plugins.token_ip_allowlist]`, parsed once by the host at startup."""

    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            networks(self.trusted_proxies)
        except InvalidRange as exc:
            raise ValueError(f"trusted_proxies: {exc}") from None


def trusted_proxies(host: Host) -> tuple[Network, ...]:
    """The configured proxies as networks (parsed once per distinct setting: `networks` caches)."""
    return networks(host.settings(PLUGIN).trusted_proxies)


class UnknownToken(LookupError):
    """No plugin knows a credential by this id (never issued, or deleted)."""


def describe_token(host: Host, token_id: str) -> dict[str, Any]:
    """What the issuing plugin says about the token (`credential_info` hook), or `UnknownToken`.

    This is how we learn the owner without importing pat_auth: any plugin issuing credentials
    answers this hook for its own ids.
    """
    info = host.credential_info(token_id)
    if info is None:
        raise UnknownToken(f"There is no personal access token {token_id}.")
    return info


def as_json(token_id: str, ranges: list[str]) -> dict[str, Any]:
    return {"tokenId": token_id, "restricted": bool(ranges), "ranges": ranges}


def get_ranges(token_id: str) -> list[str]:
    return ranges_of(token_id)


def set_ranges(
    host: Host, token_id: str, networks: list[Network], *, by: str, actor: Actor | None = None
) -> list[str]:
    """Replace the token's ranges (an empty list lifts the restriction) and tell other plugins."""
    cidrs = [str(net) for net in networks]
    now = to_db(host.now())
    with host.database.atomic():
        AllowedRange.delete().where(AllowedRange.credential_id == token_id).execute()
        if cidrs:
            AllowedRange.insert_many(
                [{"credential_id": token_id, "cidr": c, "created_at": now, "created_by": by} for c in cidrs]
            ).execute()
    host.emit(EVENT_CHANGED, {"tokenId": token_id, "ranges": cidrs, "by": by}, actor=actor, source=PLUGIN)
    return cidrs


def forget(token_id: str) -> int:
    """Drop a deleted token's ranges, so nothing outlives the token it restricted."""
    return AllowedRange.delete().where(AllowedRange.credential_id == token_id).execute()
