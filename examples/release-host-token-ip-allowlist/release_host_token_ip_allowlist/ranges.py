"""CIDR ranges and the client address: pure functions, so the rules are easy to test and to read."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_RANGES = 50
"""Enough for real offices and CI runners; more is a sign of a mistake (and costs per request)."""


class InvalidRange(ValueError):
    """A value that is not a CIDR range; the message names it, for a 400 or a CLI error."""


def parse_range(value: Any) -> Network:
    """`10.0.0.0/8`, `2001:db8::/32`, or a single address (`/32` or `/128` implied).

    Host bits must be zero (`10.0.0.1/8` is refused) so that what is stored is what was meant.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidRange(f"Invalid CIDR range {value!r}: expected a string such as '10.0.0.0/8'.")
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        raise InvalidRange(f"Invalid CIDR range {value!r}: {exc}.") from None


def parse_ranges(values: Any) -> list[Network]:
    """A list of ranges, deduplicated, in the order given; an empty list lifts the restriction."""
    if not isinstance(values, list):
        raise InvalidRange("ranges must be a list of CIDR ranges such as ['10.0.0.0/8'].")
    if len(values) > MAX_RANGES:
        raise InvalidRange(f"At most {MAX_RANGES} ranges per token; got {len(values)}.")
    return list(dict.fromkeys(parse_range(value) for value in values))


def parse_address(value: str | None) -> Address | None:
    """An address as a WSGI server or a proxy reports it; IPv4-mapped IPv6 becomes IPv4."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def inside(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


@lru_cache(maxsize=1024)
def networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    """Stored or configured ranges, parsed once per distinct set (this runs on every token request)."""
    return tuple(parse_range(value) for value in values)


def client_address(
    remote_addr: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]
) -> Address | None:
    """The address the request came from.

    `X-Forwarded-For` is believed only when the direct peer is a trusted proxy; then the
    rightmost address that is not itself a trusted proxy is the client (a client can prepend
    anything to the header, but cannot change what our proxies appended). None when unknown.
    """
    peer = parse_address(remote_addr)
    if peer is None or not proxies or not forwarded_for or not inside(peer, proxies):
        return peer
    hops = [parse_address(hop) for hop in forwarded_for.split(",")]
    if any(hop is None for hop in hops):
        return None
    for hop in reversed(hops):
        if not inside(hop, proxies):
            return hop
    return hops[0]
