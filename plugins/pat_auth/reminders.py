"""Expiry reminders: at each point before expiry (default 7 days and 1 day), and once expired.

A run finds the tokens that reached a point, and per owner, in one transaction, claims each
(token, point) by inserting its unique `pat_reminders` key: of any number of workers and hosts
running at once, only the INSERT that succeeds sends, so each reminder goes once. The owner gets
**one** message listing all their tokens that reached a point in this run; each token is also
emitted as `pat.expiring` or `pat.expired`. Admins get a digest of everyone's tokens expiring
within the week, once a day. A token reaching a later point (1 day) after a missed earlier one
(7 days, the server was down) is reminded once, at the later point.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import peewee

from host import Host, User, database, from_db, iso, to_db, write_transaction
from plugins.pat_auth import messages
from plugins.pat_auth.models import PatReminder, PersonalAccessToken
from plugins.pat_auth.policy import reminder_points
from plugins.pat_auth.resources import ADMIN_PERMISSION

log = logging.getLogger("release_host.pat_auth")

EXPIRED = "expired"
EXPIRED_WINDOW = timedelta(days=1)  # tokens that expired longer ago are not announced any more
DIGEST_SPAN = timedelta(days=7)
_T = PersonalAccessToken


@dataclass
class Due:
    token: PersonalAccessToken
    point: str
    keys: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    messages: int = 0
    tokens: int = 0
    digest: bool = False


def run(host: Host) -> RunSummary:
    """One round: every owner's reminders, then the admins' digest."""
    now = host.now()
    summary = RunSummary()
    by_owner: dict[int, list[Due]] = defaultdict(list)
    for due in _due(host, now):
        by_owner[due.token.user_id].append(due)
    for user_id, found in by_owner.items():
        sent = _remind_owner(host, user_id, found, now)
        summary.tokens += sent
        summary.messages += 1 if sent else 0
    if host.settings("pat_auth").admin_digest:
        summary.digest = _digest(host, now)
    return summary


def _due(host: Host, now: datetime) -> list[Due]:
    """Tokens at a point: live or just expired, not deleted, not rotated out."""
    points = reminder_points(host.settings("pat_auth").reminders)
    if not points:
        return []
    longest = points[0][1]
    candidates = (
        _T.select(_T, User)
        .join(User, on=(_T.user == User.id))
        .where(
            _T.deleted_at.is_null()
            & _T.replaced_at.is_null()
            & _T.expires_at.is_null(False)
            & (_T.expires_at > to_db(now - EXPIRED_WINDOW))
            & (_T.expires_at <= to_db(now + longest))
            & User.enabled
        )
        .order_by(_T.expires_at, _T.id)
    )
    found = []
    for token in candidates:
        expires, created = from_db(token.expires_at), from_db(token.created_at)
        assert expires is not None and created is not None  # the query asks for an expiry
        if expires <= now:
            found.append(Due(token, EXPIRED, [f"token:{token.id}:{EXPIRED}"]))
            continue
        # a point the token was born past (a 7-day token at the 7-day point) is not a reminder
        reached = [name for name, span in points if expires - span <= now and created < expires - span]
        if reached:
            found.append(Due(token, reached[-1], [f"token:{token.id}:{name}" for name in reached]))
    return found


def _claim(key: str, due: Due | None, now: datetime) -> bool:
    """Insert the key; False when another run has it already (the unique index decides)."""
    token = due.token if due else None
    try:
        with database.atomic():  # a savepoint: a lost race leaves the transaction usable
            PatReminder.create(
                key=key,
                token_id=token.id if token else None,
                user_id=token.user_id if token else None,
                point=due.point if due else "digest",
                sent_at=to_db(now),
            )
    except peewee.IntegrityError:
        return False
    return True


def _remind_owner(host: Host, user_id: int, found: list[Due], now: datetime) -> int:
    """Claim, then (in the same transaction, so a claim and its message stand or fall together)
    emit the events and the owner's one message; returns the number of tokens in it."""
    with write_transaction(lock=User.select(User.id).where(User.id == user_id)):
        claimed = []
        for due in found:
            wins = [_claim(key, due, now) for key in due.keys]
            if wins[-1]:  # the point reported is the last key; the earlier ones are only marked
                claimed.append(due)
        if not claimed:
            return 0
        for due in claimed:
            host.emit(
                f"pat.{'expired' if due.point == EXPIRED else 'expiring'}", _event(due), source="pat_auth"
            )
        host.emit(messages.NOTIFY, messages.expiry_reminder(host, user_id, claimed), source="pat_auth")
    log.info("expiry reminder for user %s: %s token(s)", user_id, len(claimed))
    return len(claimed)


def _event(due: Due) -> dict[str, Any]:
    token = due.token
    return {
        "tokenId": token.id,
        "hint": token.hint,
        "tokenNote": token.name,
        "userId": token.user_id,
        "username": token.user.username,
        "expiresAt": iso(token.expires_at),
        "lastUsedAt": iso(token.last_used_at),
        "point": due.point,
    }


def _digest(host: Host, now: datetime) -> bool:
    """Once a day (claimed like a reminder): everyone's tokens expiring within the week."""
    tokens = list(
        _T.select(_T, User)
        .join(User, on=(_T.user == User.id))
        .where(
            _T.deleted_at.is_null()
            & _T.replaced_at.is_null()
            & (_T.expires_at > to_db(now))
            & (_T.expires_at <= to_db(now + DIGEST_SPAN))
        )
        .order_by(_T.expires_at, _T.id)
    )
    if not tokens:
        return False
    with write_transaction():
        if not _claim(f"digest:{now:%Y-%m-%d}", None, now):
            return False
        host.emit(messages.NOTIFY, messages.admin_digest(host, tokens, ADMIN_PERMISSION), source="pat_auth")
    return True
