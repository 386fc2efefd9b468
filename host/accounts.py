"""Changes to an account that must end its browser sessions at once, whoever makes them.

A password change, disabling, and losing the `login` permission all mean "whoever holds a
session of this user may no longer act as them"; the CLI (and any future user API) changes an
account only through these functions, so the sessions end in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from host.db import write_transaction
from host.passwords import hash_password
from host.sessions import LOGIN_PERMISSION, end_user_sessions
from host.usernames import UsernameError
from host.users import Role, RolePermission, User, UserRole, actor_for, look_alike
from host.users import revoke_role as _revoke_role

if TYPE_CHECKING:
    from host.app import Host


def set_password(host: Host, user: User, password: str) -> None:
    """Store a new password hash (raises `PasswordError`) and end the user's sessions."""
    password_hash = hash_password(password, host.config.bcrypt_rounds)
    with write_transaction():
        User.update(password_hash=password_hash).where(User.id == user.id).execute()
        end_user_sessions(user.id)
    user.password_hash = password_hash


def set_enabled(host: Host, user: User, enabled: bool) -> None:
    """Enable or disable; disabling ends the sessions (tokens are refused by `enabled` itself).

    A look-alike that migration m002 disabled (no key) is enabled only once it is renamed.
    """
    if enabled and user.username_key is None:
        other = look_alike(user.username, exclude=user.id)
        raise UsernameError(
            f"User {user.username!r} looks like {other.username if other else 'another user'!r}; "
            "give it another name first (`release-host users rename`)."
        )
    with write_transaction():
        User.update(enabled=enabled).where(User.id == user.id).execute()
        if not enabled:
            end_user_sessions(user.id)
    user.enabled = enabled


def revoke_role(host: Host, user: User, role: Role) -> None:
    """Take the role away; when the user can no longer log in, their sessions end."""
    with write_transaction():
        _revoke_role(user, role)
        if not host.allowed(actor_for(user, via="session"), LOGIN_PERMISSION):
            end_user_sessions(user.id)


def set_role_permissions(host: Host, role: Role, permissions: list[str]) -> None:
    """Make the role grant exactly `permissions`; its users who can no longer log in lose their
    sessions, as when a role is revoked."""
    wanted = set(permissions)
    with write_transaction():
        have = {g.permission for g in role.grants}
        RolePermission.delete().where(
            (RolePermission.role == role) & RolePermission.permission.in_(sorted(have - wanted))
        ).execute()
        for permission in sorted(wanted - have):
            RolePermission.create(role=role, permission=permission)
        for user in User.select().join(UserRole).where(UserRole.role == role):
            if not host.allowed(actor_for(user, via="session"), LOGIN_PERMISSION):
                end_user_sessions(user.id)


def set_user_roles(host: Host, user: User, names: list[str]) -> list[str]:
    """Give the user exactly the roles `names` (created, without permissions, when missing), for a
    plugin whose identity provider decides them (OIDC groups); returns the names now held. When
    the user can no longer log in, their sessions end, as for `revoke_role`."""
    wanted = sorted(set(names))
    with write_transaction():
        held = {r.name: r for r in Role.select().join(UserRole).where(UserRole.user == user)}
        for name in wanted:
            if name not in held:
                UserRole.get_or_create(user=user, role=Role.get_or_create(name=name)[0])
        for name, role in held.items():
            if name not in wanted:
                _revoke_role(user, role)
        if not host.allowed(actor_for(user, via="session"), LOGIN_PERMISSION):
            end_user_sessions(user.id)
    return wanted


def disable_user(host: Host, user: User, reason: str, by: str) -> None:
    """Disable an account for a reason a plugin found (the directory no longer knows the user):
    their sessions end, their tokens are refused, and the `user.disabled` event (source "host",
    with `reason` and `by`) lets the audit trail say why."""
    if not user.enabled:
        return
    set_enabled(host, user, False)
    host.emit("user.disabled", {"username": user.username, "by": by, "reason": reason}, source="host")
