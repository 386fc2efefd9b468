"""Retiring unused tokens: with `[plugins.pat_auth] revoke_unused_after = "365d"` (off by
default) a token not used for that long (by its last use, or its creation when never used) is
revoked, with a `deleted` audit row by `unused-policy` and the usual `pat.deleted` event.

Its owner is told `retire_warning` before (default 14 days), through the expiry reminders'
mechanism: the reminder is claimed by inserting a unique `pat_reminders` key that names the idle
period (`unused:<id>:<last use>`), so of any number of workers and hosts one sends it, and a token
used again and then left idle once more is warned again. Runs with the expiry reminders (every
`reminder_interval_minutes` in each server process, and `release-host tokens remind`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import peewee

from host import Host, User, from_db, iso, to_db, write_transaction
from plugins.pat_auth import messages, store
from plugins.pat_auth.models import PatReminder, PersonalAccessToken
from plugins.pat_auth.policy import lifetime

log = logging.getLogger("release_host.pat_auth")

REVOKER = "unused-policy"
WARNED = "unused"
_T = PersonalAccessToken


def spans(host: Host) -> tuple[timedelta, timedelta] | None:
    """(idle span that revokes, warning before it), or None when the policy is off."""
    settings = host.settings("pat_auth")
    if not settings.revoke_unused_after:
        return None
    after = lifetime(settings.revoke_unused_after)
    warning = lifetime(settings.retire_warning) if settings.retire_warning != "0d" else timedelta(0)
    assert after is not None and warning is not None  # checked at startup (`PatSettings`)
    return after, min(warning, after)


def _idle_since(now: datetime, span: timedelta) -> peewee.Expression:
    last = peewee.fn.COALESCE(_T.last_used_at, _T.created_at)
    return store.live(now) & _T.replaced_at.is_null() & (last <= to_db(now - span))


def run(host: Host) -> tuple[int, int]:
    """One round: warn the owners of tokens idle for (span - warning), revoke those idle for span.
    Returns (warned, revoked)."""
    found = spans(host)
    if found is None:
        return 0, 0
    after, warning = found
    now = host.now()
    revoked = 0
    for token_id in [row.id for row in _T.select(_T.id).where(_idle_since(now, after))]:
        try:
            store.delete_token(host, token_id, by=REVOKER)
        except store.NotFound:  # revoked meanwhile (another process's run, or its owner)
            continue
        revoked += 1
    warned = 0
    if warning:
        query = _T.select(_T, User).join(User).where(_idle_since(now, after - warning) & User.enabled)
        for token in query:
            warned += _warn(host, token, now, after)
    if revoked or warned:
        log.info("unused tokens: %s warned, %s revoked", warned, revoked)
    return warned, revoked


def _warn(host: Host, token: PersonalAccessToken, now: datetime, after: timedelta) -> int:
    """Claim this idle period's warning and send it in the same transaction; 1 when sent here."""
    last = from_db(token.last_used_at or token.created_at)
    assert last is not None
    with write_transaction():
        try:
            with host.database.atomic():
                PatReminder.create(
                    key=f"{WARNED}:{token.id}:{iso(last)}",
                    token_id=token.id,
                    user_id=token.user_id,
                    point=WARNED,
                    sent_at=to_db(now),
                )
        except peewee.IntegrityError:
            return 0
        host.emit(
            messages.NOTIFY,
            messages.unused_warning(host, token.user_id, token.name, token.hint, last, last + after),
            source="pat_auth",
        )
    return 1
