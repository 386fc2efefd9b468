"""Built-in plugin: the failed-attempt counters' table and `release-host security blocks | unblock`."""

from __future__ import annotations

import argparse
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
        if not args.address.strip() or len(args.address) > 64:
            print("release-host: give a client address such as 203.0.113.7 or 2001:db8::1", file=sys.stderr)
            return 2
        removed = limits.clear(host, args.address)
        print(f"cleared {removed} counter(s) of {limits.address_key(args.address)}")
        return 0
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
