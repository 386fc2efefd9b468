"""Users, roles and the permissions roles grant: the host's own tables and operations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import falcon
import peewee

from host import limits
from host.actors import INTERNAL, USER_SOURCES, Actor
from host.db import BaseModel, PreparedQuery, database, to_db
from host.errors import AuthenticationFailed
from host.passwords import hash_password
from host.responses import unsafe_text
from host.usernames import MAX_LENGTH, MAX_SKELETON, UsernameError, check_username, skeleton, username_key

if TYPE_CHECKING:
    from host.app import Host


class User(BaseModel):
    username = peewee.CharField(max_length=MAX_LENGTH, unique=True)
    # `host.usernames`: NULL only for a row that, before the rule, collided with an older one.
    username_key = peewee.CharField(max_length=MAX_LENGTH, unique=True, null=True)
    username_skeleton = peewee.CharField(max_length=MAX_SKELETON, unique=True, null=True)
    source = peewee.CharField(max_length=20, default=INTERNAL)
    enabled = peewee.BooleanField(default=True)
    password_hash = peewee.CharField(max_length=100, null=True)
    display_name = peewee.CharField(max_length=200, default="")
    email = peewee.CharField(max_length=200, default="")
    time_zone = peewee.CharField(max_length=64, null=True, default="")  # IANA (host.contact); ""/NULL: UTC
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "host_users"


class Role(BaseModel):
    name = peewee.CharField(max_length=100, unique=True)
    description = peewee.CharField(max_length=300, default="")
    grants: peewee.ModelSelect[RolePermission]  # the backref RolePermission.role declares

    class Meta:
        table_name = "host_roles"


class RolePermission(BaseModel):
    role = peewee.ForeignKeyField(Role, on_delete="CASCADE", backref="grants")
    permission = peewee.CharField(max_length=100)

    class Meta:
        table_name = "host_role_permissions"
        indexes = ((("role", "permission"), True),)


class UserRole(BaseModel):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="roles")
    role = peewee.ForeignKeyField(Role, on_delete="CASCADE")

    class Meta:
        table_name = "host_user_roles"
        indexes = ((("user", "role"), True),)


MODELS = [User, Role, RolePermission, UserRole]

INVALID_LOGIN = "Invalid username or password."


def find_user(username: str) -> User | None:
    """The local user of that name, whatever its source, ignoring case and width (`Admin` is
    `admin`, as on GitHub and GitLab). A row left without a key by the m002 migration (it
    collided with an older one) is found by its exact name only, and before the older one."""
    found = list(
        User.select()
        .where((User.username_key == username_key(username)) | (User.username == username))
        .order_by(User.username_key.is_null().desc())
        .limit(1)
    )
    return found[0] if found else None


def look_alike(username: str, *, exclude: int | None = None) -> User | None:
    """The existing user whose name is the same as `username`, or confusable with it."""
    key, shape = username_key(username), skeleton(username)
    query = User.select().where((User.username_key == key) | (User.username_skeleton == shape))
    if exclude is not None:
        query = query.where(User.id != exclude)
    return query.first()


def _taken(username: str, other: User) -> UsernameError:
    if username_key(other.username) == username_key(username):
        return UsernameError(f"User {other.username!r} already exists (names ignore case and width).")
    return UsernameError(
        f"The username {username!r} looks like the existing user {other.username!r}; "
        "choose a name that cannot be mistaken for it."
    )


_PERMISSIONS_OF = PreparedQuery(
    lambda: (
        RolePermission.select(RolePermission.permission)
        .join(UserRole, on=(UserRole.role == RolePermission.role))
        .where(UserRole.user == 0)
    )
)


def permissions_of(user_id: int) -> frozenset[str]:
    """Every permission the user's roles grant (one prepared query)."""
    return frozenset(row[0] for row in _PERMISSIONS_OF.rows((user_id,)))


def actor_permissions(actor: Actor) -> frozenset[str]:
    """The actor's user's permissions, read once per request."""
    if actor._permissions is None:
        actor._permissions = permissions_of(actor.user_id)
    return actor._permissions


PERMISSION_SEPARATOR = ","  # no registered permission name holds one (`Host` checks at startup)


def permissions_column(user_id: peewee.Node) -> peewee.Node:
    """A column for a query that reads a user, `user_id` being that query's user id: every
    permission the user's roles grant, as one string, read by the same statement. An
    authenticator that looks up its credential with it saves the permission query of each
    request (and a round trip on PostgreSQL) and still sees a role change on the next request;
    hand the value to `actor_with_permissions`. Build the query inside a `PreparedQuery` or on
    the database it runs on (the aggregate is spelt per database)."""
    grant, held = RolePermission.alias(), UserRole.alias()
    aggregate = (
        peewee.fn.string_agg
        if isinstance(database.obj, peewee.PostgresqlDatabase)
        else peewee.fn.group_concat
    )
    return (
        grant.select(aggregate(grant.permission, peewee.SQL(f"'{PERMISSION_SEPARATOR}'")))
        .join(held, on=(held.role == grant.role))
        .where(held.user == user_id)
    )


def actor_with_permissions(actor: Actor, column: str | None) -> Actor:
    """`actor`, its user's permissions taken from a `permissions_column` value read for this
    request (none when the user holds no role), so deciding a permission runs no query."""
    actor._permissions = frozenset(column.split(PERMISSION_SEPARATOR)) if column else frozenset()
    return actor


def create_user(
    username: str,
    *,
    now: datetime,
    password: str | None = None,
    rounds: int = 12,
    source: str = INTERNAL,
    display_name: str = "",
    email: str = "",
) -> User:
    """A local user; the name follows `host.usernames` (raises `UsernameError`, a `ValueError`)."""
    key = check_username(username)
    if source not in USER_SOURCES:
        raise ValueError(f"Unknown user source {source!r}: use one of {', '.join(USER_SOURCES)}.")
    other = look_alike(username)
    if other is not None:
        raise _taken(username, other)
    password_hash = hash_password(password, rounds) if password else None
    try:
        with database.atomic():  # a savepoint: a lost race leaves the caller's transaction usable
            return User.create(
                username=username,
                username_key=key,
                username_skeleton=skeleton(username),
                source=source,
                password_hash=password_hash,
                display_name=display_name or username,
                email=email,
                created_at=to_db(now),
            )
    except peewee.IntegrityError:
        other = look_alike(username)
        if other is None:
            raise
        raise _taken(username, other) from None


def rename_user(user: User, new_name: str) -> None:
    """Give the user another name under the same rule (how a look-alike left by m002 is resolved)."""
    key = check_username(new_name)
    other = look_alike(new_name, exclude=user.id)
    if other is not None:
        raise _taken(new_name, other)
    changed = {"username": new_name, "username_key": key, "username_skeleton": skeleton(new_name)}
    if user.display_name == user.username:
        changed["display_name"] = new_name
    try:
        with database.atomic():
            User.update(**changed).where(User.id == user.id).execute()
    except peewee.IntegrityError:
        raise UsernameError(f"The username {new_name!r} was taken meanwhile.") from None
    for name, value in changed.items():
        setattr(user, name, value)


def ensure_role(name: str, permissions: list[str] | tuple[str, ...] = (), description: str = "") -> Role:
    role, _ = Role.get_or_create(name=name, defaults={"description": description})
    have = {g.permission for g in role.grants}
    for permission in permissions:
        if permission not in have:
            RolePermission.create(role=role, permission=permission)
    return role


def grant_role(user: User, role: Role) -> None:
    UserRole.get_or_create(user=user, role=role)


def revoke_role(user: User, role: Role) -> None:
    UserRole.delete().where((UserRole.user == user) & (UserRole.role == role)).execute()


def roles_of(user: User) -> list[str]:
    return [r.name for r in Role.select().join(UserRole).where(UserRole.user == user).order_by(Role.name)]


def actor_for(user: User, via: str, **extra: Any) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        source=user.source,
        via=via,
        display_name=user.display_name or user.username,
        **extra,
    )


def verify_login(host: Host, username: str, password: str, req: falcon.Request) -> User:
    """Ask every password authenticator; refuse unknown or disabled users the same way.

    The client's failure counters are read first: over a limit, the answer is 429 and no
    authenticator (bcrypt, a directory bind) runs. Each refusal counts; a success clears the
    counter of its address + account, never the address's own.
    """
    if unsafe_text(username) or unsafe_text(password):
        raise AuthenticationFailed(INVALID_LOGIN)  # PostgreSQL cannot even compare such text
    attempts = limits.check_attempts(host, req, username)
    try:
        user = host.pm.hook.authenticate_password(host=host, username=username, password=password)
        if user is None or not user.enabled:
            raise AuthenticationFailed(INVALID_LOGIN)
    except AuthenticationFailed:
        limits.record_failure(host, attempts)
        raise
    if attempts.account_failures and attempts.account is not None:
        limits.forget(host, attempts.address, attempts.account)
    return user
