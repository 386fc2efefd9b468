"""Directory changes reach sessions and tokens: an LDAP user the directory no longer has (or whose
entry no longer matches `account_filter`) is disabled locally, with an audit event saying why.

At use: a session or token of an LDAP user whose last check is older than `recheck_minutes` asks
the directory (one indexed query otherwise: inside the interval no LDAP round trip). In the
worker: every `sync_minutes`, the users due are checked in the background. The last check lives
in `ldap_auth_checks`, and a check is claimed by a conditional UPDATE, so of several workers only
one asks the directory about a user per interval. An unreachable directory refuses nobody (it is
logged, and asked again after the interval): an outage must not lock everyone out.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import falcon
import peewee

from host import (
    INVALID_LOGIN,
    LDAP,
    Actor,
    AuthenticationFailed,
    Host,
    PreparedQuery,
    User,
    disable_user,
    to_db,
)
from plugins.ldap_auth.directory import Directory, DirectoryUnavailable
from plugins.ldap_auth.models import DirectoryCheck
from plugins.ldap_auth.settings import LdapSettings

log = logging.getLogger("release_host.ldap_auth")

GONE = "not in the directory"
BATCH = 200
_SAMPLE_TIME = datetime(2000, 1, 1)
_LAST_CHECK = PreparedQuery(
    lambda: DirectoryCheck.select(DirectoryCheck.checked_at <= _SAMPLE_TIME).where(DirectoryCheck.user == 0)
)
REFUSED = {"token": "Invalid personal access token."}


def _interval(settings: LdapSettings) -> timedelta:
    return timedelta(minutes=settings.recheck_minutes)


def record_check(host: Host, user_id: int) -> None:
    """The directory vouched for the user just now (a successful bind, or a check)."""
    now = to_db(host.now())
    updated = DirectoryCheck.update(checked_at=now).where(DirectoryCheck.user == user_id).execute()
    if not updated:
        DirectoryCheck.insert(user=user_id, checked_at=now).on_conflict_ignore().execute()


def _claim(host: Host, user_id: int, settings: LdapSettings) -> bool:
    """Take the check of this user for this interval; False when another worker just did."""
    now = host.now()
    due = to_db(now - _interval(settings))
    taken = (
        DirectoryCheck.update(checked_at=to_db(now))
        .where((DirectoryCheck.user == user_id) & (DirectoryCheck.checked_at <= due))
        .execute()
    )
    if taken:
        return True
    if DirectoryCheck.select().where(DirectoryCheck.user == user_id).exists():
        return False
    return bool(DirectoryCheck.insert(user=user_id, checked_at=to_db(now)).on_conflict_ignore().execute())


def check_user(host: Host, user: User, settings: LdapSettings) -> bool:
    """Ask the directory about one user; disable them when it no longer has them. Returns whether
    they may go on (True also when the directory cannot be asked)."""
    try:
        active = Directory(settings).active(user.username)
    except DirectoryUnavailable as exc:
        log.warning("LDAP re-check of %s not possible: %s", user.username, exc)
        return True
    if active:
        return True
    log.warning("LDAP user %s is %s: disabled locally", user.username, GONE)
    disable_user(host, user, reason=GONE, by="ldap_auth")
    return False


def validate_actor(host: Host, actor: Actor, req: falcon.Request) -> None:
    """At use: refuse the session or token of an LDAP user the directory dropped (checked at most
    once per interval); a password request has just been checked by its bind."""
    if actor.source != LDAP or actor.via == "password":
        return
    row = _LAST_CHECK.first((to_db(host.now() - _interval(host.settings("ldap_auth"))), actor.user_id))
    if row is not None and not row[0]:
        return  # checked inside the interval
    settings: LdapSettings = host.settings("ldap_auth")
    if not _claim(host, actor.user_id, settings):
        return
    user = User.get_or_none(User.id == actor.user_id)
    if user is None or not check_user(host, user, settings):
        raise AuthenticationFailed(REFUSED.get(actor.via, INVALID_LOGIN))


def sync(host: Host) -> int:
    """The worker's round: check the enabled LDAP users whose last check is due; returns how many
    were disabled."""
    settings: LdapSettings = host.settings("ldap_auth")
    due = to_db(host.now() - _interval(settings))
    users = list(
        User.select()
        .join(DirectoryCheck, peewee.JOIN.LEFT_OUTER, on=(DirectoryCheck.user == User.id))
        .where(
            (User.source == LDAP)
            & User.enabled
            & (DirectoryCheck.id.is_null() | (DirectoryCheck.checked_at <= due))
        )
        .order_by(User.id)
        .limit(BATCH)
    )
    disabled = 0
    for user in users:
        if _claim(host, user.id, settings) and not check_user(host, user, settings):
            disabled += 1
    return disabled
