"""Reuse detection: a rotated-out secret presented after its overlap may have been stolen.

Such a request is refused like any other (`auth.py`), and in addition recorded as a possible
theft (address, user agent), emitted as `pat.reused` and reported to the owner. With
`revoke_family_on_reuse` the replacements are revoked too, as GitLab revokes a token family.

Writes bounded per token, not per request: only a holder of a real old secret reaches this code
(the digest must match a rotated row), and the report is claimed by a conditional UPDATE of
`reuse_reported_at`, so of any number of requests, workers and hosts one report is made per
token and `REPORT_INTERVAL`; the other requests only count in the aggregated refusal row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import falcon

from host import Host, client_address, to_db, write_transaction
from plugins.pat_auth import audit, messages
from plugins.pat_auth.models import PersonalAccessToken

log = logging.getLogger("release_host.pat_auth")

REPORT_INTERVAL = timedelta(hours=1)
MAX_FAMILY = 1000  # replacements followed when revoking a family (a chain is one per rotation)
POSSIBLE_THEFT = "possible-theft"
REVOKER = "reuse-detection"
_T = PersonalAccessToken


def report(host: Host, req: falcon.Request, *, token_id: int, hint: str, user_id: int, username: str) -> None:
    """Record, emit and report the reuse once per token and interval; revoke the family if set."""
    now = host.now()
    ip = client_address(host, req)
    agent = host.redact(req.user_agent or "")[:300] or None  # a client may put anything there
    with write_transaction():
        claimed = (
            _T.update(reuse_reported_at=to_db(now))
            .where(
                (_T.id == token_id)
                & (_T.reuse_reported_at.is_null() | (_T.reuse_reported_at <= to_db(now - REPORT_INTERVAL)))
            )
            .execute()
        )
        if not claimed:
            return
        revoked = (
            _revoke_family(host, token_id, username, now)
            if host.settings("pat_auth").revoke_family_on_reuse
            else []
        )
        payload = audit.record(
            host,
            audit.REUSED,
            token_id=token_id,
            hint=hint,
            user_id=user_id,
            username=username,
            ip=ip,
            user_agent=agent,
            reason=POSSIBLE_THEFT,
            detail=f"revoked {len(revoked)} replacement(s)" if revoked else "",
        )
        name = _T.select(_T.name).where(_T.id == token_id).scalar()
    payload.update(tokenNote=name, revokedIds=[token.id for token in revoked])
    audit.emit(host, audit.REUSED, payload)
    for token in revoked:
        deleted = {"tokenId": token.id, "hint": token.hint, "userId": user_id, "username": username}
        audit.emit(host, audit.DELETED, {**deleted, "by": REVOKER, "ip": ip, "at": payload["at"]})
    host.emit(
        messages.NOTIFY,
        messages.reuse_report(host, user_id, name, hint, ip, agent, now, revoked),
        source="pat_auth",
    )


def _revoke_family(host: Host, token_id: int, username: str, now: datetime) -> list[Any]:
    """Delete every live replacement down the chain from `token_id`; each gets its audit row."""
    revoked = []
    current = _T.select(_T.replaced_by_id).where(_T.id == token_id).scalar()
    for _ in range(MAX_FAMILY):
        if current is None:
            break
        token = _T.get_or_none(_T.id == current)
        if token is None:
            break
        if token.deleted_at is None:
            _T.update(deleted_at=to_db(now)).where((_T.id == token.id) & _T.deleted_at.is_null()).execute()
            audit.record(
                host,
                audit.DELETED,
                **audit.about(token, username=username),
                by=REVOKER,
            )
            revoked.append(token)
        current = token.replaced_by_id
    return revoked
