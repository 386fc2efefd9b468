"""Permissions: the registry known at startup and the one place a permission is decided."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from host.actors import Actor
    from host.app import Host


@dataclass(frozen=True)
class Permission:
    """A permission name such as `release#view`, shown to users with its description."""

    name: str
    description: str
    is_global: bool = True


ADMIN = "admin"
SECURITY_EDIT = "security#edit"

# The host's own permissions and the product's global permissions that nothing here checks yet,
# kept so that token scopes and `GET /api/v1/global-permissions` offer what the product does.
# A permission a plugin checks is registered by that plugin.
PRODUCT_PERMISSIONS = (
    Permission(ADMIN, "Everything: administer the server"),
    Permission("login", "Log in to the user interface"),
    Permission(SECURITY_EDIT, "Manage users, roles and everyone's access tokens"),
    Permission("reports#view", "View reports"),
    Permission("global_variables#edit", "Edit global variables"),
    Permission("folder#create_top_level", "Create top-level folders"),
    Permission("global_calendar#edit_blackout", "Edit blackout periods in the global calendar"),
    Permission("risk_profile#edit", "Edit risk profiles"),
    Permission("runner#registration", "Register remote runners"),
)


def combine(answers: Iterable[bool | None]) -> bool:
    """The veto rule: any False denies, else any True allows, else deny."""
    allowed = False
    for answer in answers:
        if answer is False:
            return False
        if answer is True:
            allowed = True
    return allowed


def decide(host: Host, actor: Actor | None, permission: str, resource: str | None = None) -> bool:
    """Ask every `permission_allowed` implementation and combine their answers; then tell the
    `permission_decided` implementations what was decided."""
    if actor is None:
        return False
    if permission not in host.permissions:
        raise KeyError(f"unknown permission {permission!r}")
    answers = host.permission_chain.all(host=host, actor=actor, permission=permission, resource=resource)
    allowed = combine(answers)
    host.decided_chain.all(host=host, actor=actor, permission=permission, resource=resource, allowed=allowed)
    return allowed


def refusal(permission: str, resource: str | None) -> str:
    """The product's wording of a refusal."""
    where = f" on {resource}" if resource else ""
    return f"Permission {permission}{where} is not granted to you."
