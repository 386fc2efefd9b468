"""`release-host token-allowlist set|add|show|clear TOKEN_ID [CIDR ...]` for administrators on the
server (the CLI acts with the server's own authority, like `release-host users`)."""

from __future__ import annotations

import argparse
import sys

from host import Host

from . import store
from .ranges import InvalidRange, parse_ranges

CLI_ACTOR = "cli"


def _fail(message: str) -> int:
    print(f"release-host: {message}", file=sys.stderr)
    return 2


def run(host: Host, args: argparse.Namespace) -> int:
    """Runs inside a database connection opened by `release-host`; returns the exit code."""
    token_id = args.token_id
    try:
        info = store.describe_token(host, token_id)
        current = store.get_ranges(token_id)
        if args.allowlist_action == "show":
            ranges = current
        elif args.allowlist_action == "clear":
            ranges = store.set_ranges(host, token_id, [], by=CLI_ACTOR)
        else:
            wanted = args.cidr if args.allowlist_action == "set" else [*current, *args.cidr]
            ranges = store.set_ranges(host, token_id, parse_ranges(wanted), by=CLI_ACTOR)
    except (store.UnknownToken, InvalidRange) as exc:
        return _fail(str(exc))
    owner = f"{info['name']!r} of {info['username']}"
    shown = ", ".join(ranges) if ranges else "any address (not restricted)"
    print(f"token {token_id} ({owner}): {shown}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "token-allowlist", help="restrict a personal access token to client IP ranges (CIDR)"
    )
    actions = parser.add_subparsers(dest="allowlist_action", required=True)
    for name, text in (
        ("set", "replace the token's ranges"),
        ("add", "add ranges to the token's ranges"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument(
            "token_id", help="the token's id (`release-host tokens list`, or `id` in the API)"
        )
        action.add_argument("cidr", nargs="+", help="a range such as 10.0.0.0/8 or 2001:db8::/32")
    for name, text in (("show", "print the token's ranges"), ("clear", "lift the restriction")):
        actions.add_parser(name, help=text).add_argument("token_id")
    parser.set_defaults(handler=run)
