"""`release-host tokens create | list | revoke | rotate | narrow | scan | remind | audit`: the API's
rules, for operators."""

from __future__ import annotations

import argparse
import sys

import msgspec

from host import Host, User, actor_for, find_user, iso, number_argument
from plugins.pat_auth import audit, narrowing, reminders, retire, rotation, scan, store
from plugins.pat_auth.models import PersonalAccessToken

MAX_LIMIT = 100_000  # rows one command prints


def _fail(message: str) -> SystemExit:
    return SystemExit(f"release-host: {message}")


def cmd_create(host: Host, args: argparse.Namespace) -> int:
    user = find_user(args.user)
    if user is None:
        raise _fail(f"no user {args.user!r}")
    if not user.enabled:
        raise _fail(f"user {user.username!r} is disabled; a token of theirs would not work")
    try:
        created = store.create_token(
            host,
            actor_for(user, via="cli"),
            name=args.name,
            expiration=args.expires,
            permissions=args.permission,
            by="cli",
        )
    except store.PatError as exc:
        raise _fail(exc.message) from None
    token = created.token
    print(created.secret)
    scope = ", ".join(token.permissions) if token.permissions is not None else "all permissions"
    print(
        f"Created token {token.id} ({token.name}) for {user.username}: {scope}; expires "
        f"{iso(token.expires_at) or 'never'}. The secret above is shown once: store it now.",
        file=sys.stderr,
    )
    return 0


def cmd_list(host: Host, args: argparse.Namespace) -> int:
    try:
        found = store.list_tokens(host, username=args.user, status=args.status, limit=args.limit)
    except store.PatError as exc:
        raise _fail(exc.message) from None
    now = host.now()
    for token in found:
        row = msgspec.to_builtins(store.token_json(token, now, with_username=True))
        scope = ",".join(row["globalPermissions"]) or "all"
        print(
            "\t".join(
                str(value)
                for value in (
                    row["id"],
                    row["username"],
                    row["tokenNote"],
                    row["hint"],
                    row["status"],
                    f"expires={row['expiresAt'] or 'never'}",
                    f"last-used={row['lastUsedAt'] or 'never'}",
                    f"scope={scope}",
                )
            )
        )
    return 0


def cmd_revoke(host: Host, args: argparse.Namespace) -> int:
    try:
        token = store.delete_token(host, args.id, by="cli")
    except store.PatError as exc:
        raise _fail(exc.message) from None
    print(f"revoked token {token.id} ({token.name}) of {token.user.username}")
    return 0


def cmd_rotate(host: Host, args: argparse.Namespace) -> int:
    number = store.parse_id(args.id)
    token = PersonalAccessToken.get_or_none(PersonalAccessToken.id == number) if number is not None else None
    if token is None:
        raise _fail(f"There is no personal access token {args.id}.")
    owner = User.get_by_id(token.user_id)
    try:
        created, valid_until = rotation.rotate_token(
            host,
            actor_for(owner, via="cli"),
            number,
            overlap=args.overlap,
            expiration=args.expires,
            by="cli",
        )
    except store.PatError as exc:
        raise _fail(exc.message) from None
    new = created.token
    print(created.secret)
    print(
        f"Rotated token {token.id} ({token.name}) of {owner.username}: the replacement is token {new.id}, "
        f"expiring {iso(new.expires_at) or 'never'}; the old secret works until {iso(valid_until)}. "
        f"The secret above is shown once: store it now.",
        file=sys.stderr,
    )
    return 0


def cmd_narrow(host: Host, args: argparse.Namespace) -> int:
    try:
        token = narrowing.narrow_token(host, args.id, owner_id=None, days=args.days, by="cli", ip=None)
    except store.PatError as exc:
        raise _fail(exc.message) from None
    print(f"narrowed token {token.id} ({token.name}) to: {', '.join(token.permissions or [])}")
    return 0


def cmd_remind(host: Host, args: argparse.Namespace) -> int:
    done = reminders.run(host)
    warned, revoked = retire.run(host)
    print(
        f"sent {done.messages} reminder message(s) about {done.tokens} token(s)"
        f"{'; and the admins digest' if done.digest else ''}"
        + (f"; unused tokens: {warned} warned, {revoked} revoked" if retire.spans(host) else "")
    )
    return 0


def cmd_audit(host: Host, args: argparse.Namespace) -> int:
    for row in audit.recent(args.limit, username=args.user):
        found = msgspec.to_builtins(audit.record_json(row))
        print(
            "\t".join(
                str(found[key] if found[key] is not None else "-")
                for key in ("at", "action", "reason", "detail", "tokenId", "hint", "username", "by", "ip")
            )
            + f"\tcount={found['count']}"
        )
    return 0


def register(host: Host, subparsers: argparse._SubParsersAction) -> None:
    rules = store.policy(host)
    parser = subparsers.add_parser("tokens", help="create, list and revoke personal access tokens")
    sub = parser.add_subparsers(dest="tokens_action", required=True)
    create = sub.add_parser("create", help="create a token for a user and print its secret once")
    create.add_argument("--user", required=True, help="the owner's username")
    create.add_argument("--name", required=True, help="the token's name (tokenNote), unique per user")
    create.add_argument(
        "--expires",
        choices=list(rules.expirations),
        default=rules.default_expiration,
        help=f"lifetime (default {rules.default_expiration})",
    )
    create.add_argument(
        "--permission",
        action="append",
        metavar="NAME",
        help="a permission the token gets (repeatable); without any, all of the owner's permissions",
    )
    create.set_defaults(handler=cmd_create)
    listing = sub.add_parser("list", help="tokens that are not deleted, newest first")
    listing.add_argument("--user", help="only this user's tokens")
    listing.add_argument("--status", choices=store.STATUSES)
    listing.add_argument("--limit", type=number_argument(1, MAX_LIMIT), default=1000)
    listing.set_defaults(handler=cmd_list)
    revoke = sub.add_parser("revoke", help="delete a token: refused from the next request on")
    revoke.add_argument("id", help="the token id shown by `tokens list`")
    revoke.set_defaults(handler=cmd_revoke)
    rotate = sub.add_parser("rotate", help="replace a token's secret; the old one works for an overlap")
    rotate.add_argument("id", help="the token id shown by `tokens list`")
    rotate.add_argument("--overlap", default=rotation.DEFAULT_OVERLAP, help=f"{rotation.OVERLAP_HELP}")
    rotate.add_argument(
        "--expires", choices=list(rules.expirations), help="lifetime (default: the original token's)"
    )
    rotate.set_defaults(handler=cmd_rotate)
    narrow = sub.add_parser("narrow", help="set a token's permissions to those it used (never wider)")
    narrow.add_argument("id", help="the token id shown by `tokens list`")
    narrow.add_argument(
        "--days", type=number_argument(1, 366), default=narrowing.DEFAULT_DAYS, help="the window of use"
    )
    narrow.set_defaults(handler=cmd_narrow)
    scan.register(sub)
    remind = sub.add_parser("remind", help="send the expiry reminders that are due (each only once)")
    remind.set_defaults(handler=cmd_remind)
    trail = sub.add_parser("audit", help="the audit trail, newest first")
    trail.add_argument("--user", help="only records about this user's tokens")
    trail.add_argument("--limit", type=number_argument(1, MAX_LIMIT), default=50)
    trail.set_defaults(handler=cmd_audit)
