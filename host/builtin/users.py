"""Built-in plugin: users, roles, password authentication and the permission decision by role."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Annotated

import falcon
import msgspec
import peewee
from playhouse.migrate import SchemaMigrator, migrate

from host import accounts, contact, users
from host.actors import USER_SOURCES, Actor
from host.builtin.username_keys import m002_username_keys
from host.credentials import presented
from host.errors import AuthenticationFailed
from host.hookimpl import hookimpl
from host.migrations import Migration
from host.passwords import PasswordError, check_password
from host.permissions import ADMIN, PRODUCT_PERMISSIONS
from host.routes import AUTHENTICATED, Operation, Route
from host.typed_bodies import send_json
from host.users import INVALID_LOGIN, verify_login


@hookimpl
def register_permissions(host):
    return list(PRODUCT_PERMISSIONS)


@hookimpl
def register_models(host):
    return list(users.MODELS)


def _m003_user_time_zone(db: peewee.Database) -> None:
    """The users' time zone (messages show times in it); a database made after it has the column."""
    table = users.User._meta.table_name
    if "time_zone" not in {column.name for column in db.get_columns(table)}:
        migrate(SchemaMigrator.from_database(db).add_column(table, "time_zone", users.User.time_zone))


def _m001_users(db: peewee.Database) -> None:
    db.create_tables(users.MODELS, safe=True)
    users.ensure_role("admin", [ADMIN], "Everything")


@hookimpl
def register_migrations(host):
    return [
        Migration("m001_users_and_roles", _m001_users),
        Migration("m002_username_keys", m002_username_keys),
        Migration("m003_user_time_zone", _m003_user_time_zone),
    ]


@hookimpl(trylast=True)
def authenticate_password(host, username, password):
    """Last in the chain, so no one vouched: one bcrypt of the configured cost whoever the user
    is (unknown, of another source, or internal), so timing does not tell which."""
    user = users.find_user(username)
    internal = user is not None and user.source == users.INTERNAL
    rounds = host.config.bcrypt_rounds
    if not check_password(password, user.password_hash if internal else None, rounds):
        raise AuthenticationFailed(INVALID_LOGIN)
    return user


@hookimpl(trylast=True)
def actor_from_request(host, req):
    credentials = presented(req).basic
    if credentials is None:
        return None
    return users.actor_for(verify_login(host, *credentials, req), via="password")


@hookimpl
def permission_allowed(host, actor: Actor, permission, resource):
    if actor.scope is not None and permission not in actor.scope and ADMIN not in actor.scope:
        return False
    held = users.actor_permissions(actor)
    if ADMIN in held or permission in held:
        return True
    return None


class CredentialOut(msgspec.Struct, rename="camel"):
    """The token a request authenticated with, as its issuing plugin describes it."""

    id: str
    kind: str | None
    name: str | None
    expires_at: str | None
    permissions: Annotated[list[str] | None, msgspec.Meta(description="The token's scope; null: all.")]


class ProfileOut(msgspec.Struct, rename="camel"):
    """The caller as the server sees them: what this credential may do, not what its owner may."""

    username: str
    full_name: str
    source: str
    authenticated_by: str
    admin: bool
    permissions: list[str]
    credential: CredentialOut | None


class GlobalPermissions:
    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send_json(resp, [p.name for p in self.host.permissions.values() if p.is_global])


class Profile:
    """The caller as the server sees them: used by pages and by scripts checking a credential."""

    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """What this credential may do, not what its owner may: a token limited to `login` is not
        `admin` even when its owner is; `credential` names the token (None for a password)."""
        actor = req.context.actor
        effective = [p for p in self.host.permissions if self.host.allowed(actor, p)]
        profile = ProfileOut(
            username=actor.username,
            full_name=actor.display_name,
            source=actor.source,
            authenticated_by=actor.via,
            admin=self.host.allowed(actor, ADMIN),
            permissions=sorted(effective),
            credential=self._credential(actor),
        )
        send_json(resp, profile)

    def _credential(self, actor: Actor) -> CredentialOut | None:
        if actor.credential_id is None:
            return None
        info = self.host.pm.hook.credential_info(host=self.host, credential_id=actor.credential_id) or {}
        return CredentialOut(
            id=actor.credential_id,
            kind=info.get("kind"),
            name=info.get("name"),
            expires_at=info.get("expiresAt"),
            permissions=None if actor.scope is None else sorted(actor.scope),
        )


@hookimpl
def register_routes(host):
    return [
        Route(
            "/api/v1/global-permissions",
            GlobalPermissions(host),
            {"GET": AUTHENTICATED},
            operations={"GET": Operation("The global permission names", responses={200: list[str]})},
        ),
        Route(
            "/api/v1/profile",
            Profile(host),
            {"GET": AUTHENTICATED},
            operations={
                "GET": Operation("Who I am and what this credential may do", responses={200: ProfileOut})
            },
        ),
    ]


def _fail(message: str) -> SystemExit:
    return SystemExit(f"release-host: {message}")


def _read_password(args: argparse.Namespace) -> str | None:
    name = getattr(args, "password_env", None)
    if name:
        if name not in os.environ:
            raise _fail(f"environment variable {name} (--password-env) is not set")
        return os.environ[name]
    if getattr(args, "password", False):
        if not sys.stdin.isatty():  # getpass would warn, then read the password with echo
            raise _fail("--password asks on a terminal and there is none here: use --password-env NAME")
        try:
            return getpass.getpass("Password: ")
        except EOFError:
            raise _fail("no password typed (the input ended)") from None
    return None


def _find(username: str) -> users.User:
    user = users.find_user(username)
    if user is None:
        raise _fail(f"no user {username!r}")
    return user


def _role(name: str) -> users.Role:
    """An existing role: a typo must not create a new, empty one."""
    role = users.Role.get_or_none(users.Role.name == name)
    if role is None:
        raise _fail(f"no role {name!r}; create it first with `release-host roles create {name}`")
    return role


def _create(host, args: argparse.Namespace) -> None:
    roles = [_role(name) for name in args.role or []]
    password = _read_password(args)
    try:
        with host.database.atomic():
            user = users.create_user(
                args.username,
                now=host.now(),
                password=password,
                rounds=host.config.bcrypt_rounds,
                source=args.source,
            )
            for role in roles:
                users.grant_role(user, role)
    except (ValueError, PasswordError) as exc:
        raise _fail(str(exc)) from None
    print(f"created user {user.username} ({user.source})")


def _set_password(host, user: users.User, args: argparse.Namespace) -> None:
    if user.source != users.INTERNAL:
        raise _fail(f"user {user.username!r} is a {user.source} user: their password is not kept here")
    password = _read_password(args)
    if not password:
        raise _fail("give --password (prompt) or --password-env NAME")
    try:
        accounts.set_password(host, user, password)
    except PasswordError as exc:
        raise _fail(str(exc)) from None
    print(f"password set for {user.username}; their browser sessions have ended")


def cmd_users(host, args: argparse.Namespace) -> int:
    action = args.users_action
    if action == "list":
        for user in users.User.select().order_by(users.User.username):
            state = "enabled" if user.enabled else "disabled"
            if user.username_key is None:
                state += " (looks like an older user: rename it to enable it)"
            print(f"{user.username}\t{user.source}\t{state}\t{','.join(users.roles_of(user))}")
        return 0
    if action == "create":
        _create(host, args)
        return 0
    user = _find(args.username)
    if action in ("disable", "enable"):
        try:
            accounts.set_enabled(host, user, action == "enable")
        except ValueError as exc:
            raise _fail(str(exc)) from None
        print(f"{action}d user {user.username}")
    elif action == "grant":
        users.grant_role(user, _role(args.role))
        print(f"granted role {args.role} to {user.username}")
    elif action == "revoke":
        accounts.revoke_role(host, user, _role(args.role))
        print(f"revoked role {args.role} from {user.username}")
    elif action == "set-password":
        _set_password(host, user, args)
    elif action in ("set-email", "set-time-zone"):
        field = "email" if action == "set-email" else "time_zone"
        try:
            contact.set_contact(user, **{field: args.value})
        except ValueError as exc:
            raise _fail(str(exc)) from None
        print(f"{action[4:].replace('-', ' ')} of {user.username}: {getattr(user, field) or '(none)'}")
    elif action == "rename":
        old = user.username
        try:
            users.rename_user(user, args.new_name)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        print(f"renamed user {old} to {user.username}")
    return 0


def cmd_roles(host, args: argparse.Namespace) -> int:
    if args.roles_action == "create":
        unknown = [p for p in args.permission or [] if p not in host.permissions]
        if unknown:
            raise _fail(f"unknown permission(s): {', '.join(unknown)}")
        users.ensure_role(args.name, args.permission or [], args.description)
        print(f"role {args.name}: {', '.join(args.permission or []) or 'no permissions'}")
    else:
        for role in users.Role.select().order_by(users.Role.name):
            print(f"{role.name}\t{','.join(sorted(g.permission for g in role.grants))}")
    return 0


@hookimpl
def register_commands(host, subparsers):
    p = subparsers.add_parser("users", help="create, list, disable users and grant roles")
    sub = p.add_subparsers(dest="users_action", required=True)
    sub.add_parser("list", help="every user with source, state and roles")
    create = sub.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--source", choices=USER_SOURCES, default="internal")
    create.add_argument("--role", action="append", help="grant this role (repeatable)")
    create.add_argument("--password", action="store_true", help="prompt for a password")
    create.add_argument("--password-env", metavar="NAME", help="read the password from this variable")
    for name in ("disable", "enable"):
        sub.add_parser(name, help=f"{name} a user").add_argument("username")
    for name in ("grant", "revoke"):
        g = sub.add_parser(name, help=f"{name} a role")
        g.add_argument("username")
        g.add_argument("role")
    rename = sub.add_parser("rename", help="give a user another name (roles and tokens stay)")
    rename.add_argument("username")
    rename.add_argument("new_name")
    setpw = sub.add_parser("set-password", help="set an internal user's password")
    setpw.add_argument("username")
    setpw.add_argument("--password", action="store_true", help="prompt for a password")
    setpw.add_argument("--password-env", metavar="NAME")
    email = sub.add_parser("set-email", help='set a user\'s e-mail address ("" clears it)')
    email.add_argument("username")
    email.add_argument("value", metavar="ADDRESS")
    zone = sub.add_parser("set-time-zone", help='set a user\'s time zone, such as Europe/Paris ("" for UTC)')
    zone.add_argument("username")
    zone.add_argument("value", metavar="ZONE")
    p.set_defaults(handler=cmd_users)

    r = subparsers.add_parser("roles", help="create and list roles")
    rsub = r.add_subparsers(dest="roles_action", required=True)
    rsub.add_parser("list")
    rc = rsub.add_parser("create", help="create a role or add permissions to it")
    rc.add_argument("name")
    rc.add_argument("--permission", action="append", help="a permission name (repeatable)")
    rc.add_argument("--description", default="")
    r.set_defaults(handler=cmd_roles)
