"""Built-in plugin: the failed-attempt counters' table and `release-host security blocks | unblock`."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from host import limits
from host.db import iso
from host.hookimpl import hookimpl
from host.migrations import Migration, create_tables


@hookimpl
def register_models(host):
    return list(limits.MODELS)


@hookimpl
def register_migrations(host):
    return [Migration("m001_failed_attempts", create_tables(*limits.MODELS))]


def cmd_security(host, args: argparse.Namespace) -> int:
    if args.security_action == "unblock":
        return _unblock(host, args.address)
    rows = limits.current(host)
    if not rows:
        print("no failed attempts in the current window")
    for row in rows:
        state = "BLOCKED" if row["blocked"] else "counting"
        who = _printable(row["account"] or "(any account)")
        print(
            f"{_printable(row['address'])}\t{who}\t{row['failures']}/{row['limit']}"
            f"\t{state}\tuntil {iso(row['until'])}"
        )
    return 0


def _unblock(host, value: str) -> int:
    """Clear an address's counters. A typo must not look like success (the real address would
    stay blocked): what is neither an address, nor a network within one counter, nor a counted
    address as `security blocks` shows it (a Unix socket peer), is refused."""
    try:
        network = ipaddress.ip_network(value.strip().strip("[]").split("%", 1)[0], strict=False)
    except ValueError:
        network = None
    if network is not None and network.prefixlen < (64 if network.version == 6 else 32):
        print(
            f"release-host: {value!r} is wider than one counter: counters are kept per IPv4 address "
            "and per IPv6 /64 (see `release-host security blocks`)",
            file=sys.stderr,
        )
        return 2
    address = str(network.network_address) if network is not None else value
    removed = limits.clear(host, address)
    if network is None and not removed:
        print(
            f"release-host: {value!r} is not an IP address or network (nor a counted address); "
            "give a client address such as 203.0.113.7 or 2001:db8::/64",
            file=sys.stderr,
        )
        return 2
    print(f"cleared {removed} counter(s) of {limits.address_key(address)}")
    return 0


def _printable(text: str) -> str:
    """Accounts are whatever a client typed: no control character reaches the terminal."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


@hookimpl
def register_commands(host, subparsers):
    p = subparsers.add_parser("security", help="limits on failed password and token attempts")
    sub = p.add_subparsers(dest="security_action", required=True)
    sub.add_parser("blocks", help="counters of failed attempts in the current window, blocked first")
    unblock = sub.add_parser("unblock", help="clear every counter of a client address")
    unblock.add_argument("address", help="as shown by `security blocks` (an IPv6 address counts by its /64)")
    p.set_defaults(handler=cmd_security)
