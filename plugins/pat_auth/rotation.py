"""Rotating a token: a new secret for the same name, scope and owner, the old one kept for an overlap.

The old row stays (its digest is how a rotated-out secret is recognised later, see `reuse.py`):
it gets `replaced_at`, `replaced_by_id`, and `expires_at` cut to the end of the overlap, so the
request path refuses it afterwards with no extra column to read. Scripts switch to the new
secret during the overlap; nothing breaks at the moment of rotation.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from host import Actor, Host, User, from_db, iso, to_db, write_transaction
from plugins.pat_auth import audit, store
from plugins.pat_auth.models import PersonalAccessToken
from plugins.pat_auth.policy import NEVER, Policy

ROTATED = "rotated"
DEFAULT_OVERLAP = "1d"
MAX_OVERLAP = timedelta(days=7)
_DURATION = re.compile(r"([1-9][0-9]{0,5})([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
OVERLAP_HELP = '"0" or a duration such as "30m", "1h" or "1d", at most "7d"'


def parse_overlap(raw: Any) -> timedelta:
    """`"0"` → no overlap, `"1h"` → one hour…; `InvalidRequest` past seven days or for anything else."""
    if raw is None:
        raw = DEFAULT_OVERLAP
    if raw == "0":
        return timedelta(0)
    match = _DURATION.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise store.InvalidRequest(f"overlap must be {OVERLAP_HELP}; got {raw!r}.")
    span = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if span > MAX_OVERLAP:
        raise store.InvalidRequest(f"overlap must be at most 7d; got {raw!r}.")
    return span


def new_expiry(rules: Policy, token: PersonalAccessToken, choice: Any, now: datetime) -> datetime | None:
    """The chosen expiration as at creation, by default the original token's lifetime (while the
    policy still allows that long)."""
    if choice is not None:
        return store.expiry(rules, choice, now)
    created, expires = from_db(token.created_at), from_db(token.expires_at)
    if expires is None:
        if NEVER not in rules.expirations:
            raise store.InvalidRequest(
                f"The token never expires, which the policy no longer allows: choose an expiration "
                f"({rules.describe_choices()})."
            )
        return None
    span = expires - created
    if rules.max_lifetime_days is not None and span > timedelta(days=rules.max_lifetime_days):
        raise store.InvalidRequest(
            f"The token's lifetime is longer than the {rules.max_lifetime_days} days now allowed: "
            f"choose an expiration ({rules.describe_choices()})."
        )
    return now + span


def rotate_token(
    host: Host,
    owner: Actor,
    token_id: Any,
    *,
    overlap: Any = None,
    expiration: Any = None,
    by: str,
    ip: str | None = None,
) -> tuple[store.Created, datetime]:
    """Replace one of `owner`'s live tokens; return the replacement and when the old secret stops."""
    number = store.parse_id(token_id)
    missing = store.NotFound(f"There is no personal access token {token_id}.")
    if number is None:
        raise missing
    span = parse_overlap(overlap)
    now = host.now()
    t = PersonalAccessToken
    with write_transaction(lock=User.select(User.id).where(User.id == owner.user_id)):
        old = t.get_or_none((t.id == number) & (t.user == owner.user_id) & t.deleted_at.is_null())
        if old is None:
            raise missing
        _check_rotatable(old, now)
        expires_at = new_expiry(store.policy(host), old, expiration, now)
        old_expiry = from_db(old.expires_at)
        valid_until = now + span if old_expiry is None else min(old_expiry, now + span)
        token, secret = store.insert_token(host, owner.user_id, old.name, old.scope, now, expires_at)
        changed = (
            t.update(replaced_at=to_db(now), replaced_by_id=token.id, expires_at=to_db(valid_until))
            .where((t.id == old.id) & t.replaced_at.is_null() & t.deleted_at.is_null())
            .execute()
        )
        if not changed:  # rotated or deleted meanwhile (only possible without row locks)
            raise store.Conflict(f"Personal access token {old.id} was changed meanwhile; try again.")
        # A name has at most two live secrets: rotating again ends the overlap of the one before,
        # so repeated rotations cannot pile up secrets that work for days beside the limit.
        t.update(expires_at=to_db(now)).where(
            (t.replaced_by_id == old.id) & (t.expires_at > to_db(now)) & t.deleted_at.is_null()
        ).execute()
        payload = audit.record(
            host,
            ROTATED,
            token_id=old.id,
            hint=old.hint,
            user_id=owner.user_id,
            username=owner.username,
            by=by,
            ip=ip,
            detail=f"replacement {token.id}",
        )
    payload.update(
        tokenNote=old.name,
        replacementId=token.id,
        replacementHint=token.hint,
        validUntil=iso(valid_until),
        expiresAt=iso(expires_at),
    )
    audit.emit(host, ROTATED, payload, actor=owner)
    return store.Created(token, secret), valid_until


def _check_rotatable(token: PersonalAccessToken, now: datetime) -> None:
    if token.replaced_at is not None:
        raise store.Conflict(
            f"Personal access token {token.id} was already rotated; rotate its replacement "
            f"(token {token.replaced_by_id})."
        )
    expires = from_db(token.expires_at)
    if expires is not None and expires <= now:
        raise store.Conflict(
            f"Personal access token {token.id} has expired; create a new token instead of rotating it."
        )
