"""From verified claims to a local external user: created at the first sign-in, kept up to date
(name, e-mail, roles from the groups claim) at every later one."""

from __future__ import annotations

import logging
from typing import Any

import peewee

from host import (
    EXTERNAL,
    Host,
    User,
    UsernameError,
    check_username,
    create_user,
    find_user,
    set_user_roles,
    write_transaction,
)
from plugins.oidc_auth.settings import OidcSettings

log = logging.getLogger("release_host.oidc_auth")


class Refused(Exception):
    """This person may not sign in here; the message is for them."""


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip()[:200] if isinstance(value, str) else ""


def roles_for(settings: OidcSettings, claims: dict[str, Any]) -> list[str]:
    """The default roles plus those `[plugins.oidc_auth.roles]` maps the user's groups to."""
    groups = claims.get(settings.groups_claim)
    if isinstance(groups, str):
        groups = [groups]
    names = [settings.roles[g] for g in groups or [] if isinstance(g, str) and g in settings.roles]
    return sorted({*settings.default_roles, *names})


def sign_in(host: Host, settings: OidcSettings, claims: dict[str, Any]) -> User:
    """The local external user these claims describe (created or refreshed), or `Refused`."""
    username = _text(claims, settings.username_claim)
    if not username:
        raise Refused(f"The identity provider did not send the {settings.username_claim!r} claim.")
    try:
        check_username(username)
    except UsernameError as exc:
        raise Refused(f"Your name at the identity provider cannot be used here: {exc}") from None
    email, name = _text(claims, settings.email_claim), _text(claims, settings.name_claim)
    user = find_user(username)
    if user is not None and user.source != EXTERNAL:
        log.warning("OIDC sign-in refused: %r is a local %s account", user.username, user.source)
        raise Refused(
            f"The account {user.username!r} here is not managed by {settings.provider_name}; "
            "ask an administrator."
        )
    if user is not None and not user.enabled:
        raise Refused("Your account here is disabled; ask an administrator.")
    with write_transaction():
        if user is None:
            user = _create(host, username, name, email)
        else:
            changed = {
                k: v for k, v in (("display_name", name), ("email", email)) if v and getattr(user, k) != v
            }
            if changed:
                User.update(**changed).where(User.id == user.id).execute()
        set_user_roles(host, user, roles_for(settings, claims))
    return user


def _create(host: Host, username: str, name: str, email: str) -> User:
    try:
        user = create_user(username, now=host.now(), source=EXTERNAL, display_name=name, email=email)
    except (ValueError, peewee.IntegrityError) as exc:
        existing = find_user(username)
        if existing is not None and existing.source == EXTERNAL:
            return existing  # another worker created it first
        raise Refused(f"No account can be made for {username!r}: {exc}") from None
    log.info("created local account %s for an external (OIDC) user", username)
    return user
