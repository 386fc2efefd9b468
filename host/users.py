"""Users, roles and the permissions roles grant: the host's own tables and operations."""

from __future__ import annotations

import peewee

from host.actors import INTERNAL, USER_SOURCES, Actor
from host.db import BaseModel, PreparedQuery, to_db
from host.passwords import hash_password


class User(BaseModel):
    username = peewee.CharField(max_length=150, unique=True)
    source = peewee.CharField(max_length=20, default=INTERNAL)
    enabled = peewee.BooleanField(default=True)
    password_hash = peewee.CharField(max_length=100, null=True)
    display_name = peewee.CharField(max_length=200, default="")
    email = peewee.CharField(max_length=200, default="")
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
    """The local user of that name, whatever its source."""
    return User.get_or_none(User.username == username)


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


def create_user(
    username: str,
    *,
    now,
    password: str | None = None,
    rounds: int = 12,
    source: str = INTERNAL,
    display_name: str = "",
    email: str = "",
) -> User:
    username = username.strip()
    if not username or ":" in username or len(username) > 150:
        raise ValueError("A username must be 1-150 characters without ':'.")
    if source not in USER_SOURCES:
        raise ValueError(f"Unknown user source {source!r}: use one of {', '.join(USER_SOURCES)}.")
    if User.select().where(User.username == username).exists():
        raise ValueError(f"User {username!r} already exists.")
    return User.create(
        username=username,
        source=source,
        password_hash=hash_password(password, rounds) if password else None,
        display_name=display_name or username,
        email=email,
        created_at=to_db(now),
    )


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


def actor_for(user: User, via: str, **extra) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        source=user.source,
        via=via,
        display_name=user.display_name or user.username,
        **extra,
    )
