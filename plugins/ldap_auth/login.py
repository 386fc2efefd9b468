"""Deciding a password login for directory users, and creating their local account the first time.

Local users of another source are not ours (None); for a user the directory does not know we
also say None, so the built-in check answers with the same message as for any unknown user.
"""

from __future__ import annotations

import logging

import peewee

from host import (
    INVALID_LOGIN,
    LDAP,
    AuthenticationFailed,
    Host,
    User,
    UsernameError,
    check_username,
    create_user,
    ensure_role,
    find_user,
    grant_role,
    username_key,
)
from plugins.ldap_auth.directory import Directory, DirectoryUnavailable, Entry
from plugins.ldap_auth.recheck import record_check
from plugins.ldap_auth.settings import LdapSettings

log = logging.getLogger("release_host.ldap_auth")


def authenticate(host: Host, username: str, password: str) -> User | None:
    try:
        check_username(username)  # a name the host would refuse never reaches the directory
    except UsernameError:
        return None
    user = find_user(username)
    if user is not None and user.source != LDAP:
        return None
    if user is not None and not user.enabled:
        raise AuthenticationFailed(INVALID_LOGIN)
    if not password:
        # An empty password is an anonymous bind, which the server would accept.
        if user is not None:
            raise AuthenticationFailed(INVALID_LOGIN)
        return None
    settings: LdapSettings = host.settings("ldap_auth")
    try:
        entry = Directory(settings).verify(username, password)
    except DirectoryUnavailable as exc:
        log.warning("LDAP directory unavailable at %s: %s", settings.url, exc)
        entry = None
    if entry is None:
        if user is not None:
            raise AuthenticationFailed(INVALID_LOGIN)
        return None
    canonical = (
        entry.username
        if entry.username and username_key(entry.username) == username_key(username)
        else username
    )
    if canonical != username:
        user = find_user(canonical)
        if user is not None and user.source != LDAP:
            return None
    if user is None:
        user = provision(host, canonical, entry, settings)
    else:
        refresh(user, entry)
    if user is not None:
        record_check(host, user.id)  # the bind just vouched for them
    return user


def provision(host: Host, username: str, entry: Entry, settings: LdapSettings) -> User | None:
    """The first login of a directory user: a local account with source `ldap` and default roles."""
    try:
        with host.database.atomic():
            user = create_user(
                username,
                now=host.now(),
                source=LDAP,
                display_name=entry.display_name,
                email=entry.email,
            )
            for role in settings.default_roles:
                grant_role(user, ensure_role(role))
    except (ValueError, peewee.IntegrityError) as exc:
        existing = find_user(username)
        if existing is not None and existing.source == LDAP:
            return existing  # another worker provisioned it first
        log.warning("no local account for LDAP user %r: %s", username, exc)
        return None
    log.info("created local account %s for an LDAP user", username)
    return user


def refresh(user: User, entry: Entry) -> None:
    """Keep the name and email the directory holds."""
    changed = {}
    if entry.display_name and entry.display_name != user.display_name:
        changed["display_name"] = entry.display_name
    if entry.email and entry.email != user.email:
        changed["email"] = entry.email
    if changed:
        User.update(**changed).where(User.id == user.id).execute()
        for key, value in changed.items():
            setattr(user, key, value)
