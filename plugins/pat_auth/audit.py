"""The audit trail: one table row and one host event per thing that happened to a token.

Every record names the token by id or hint; the secret is never passed in, so it cannot end
up in the table, an event payload or a log line.
"""

from __future__ import annotations

import logging
from typing import Any

from host import Actor, Host, iso, to_db
from plugins.pat_auth.models import PatAuditRecord

log = logging.getLogger("release_host.pat_auth")

CREATED = "created"
DELETED = "deleted"
REFUSED = "refused"


def record(
    host: Host,
    action: str,
    *,
    token_id: int | None = None,
    hint: str | None = None,
    user_id: int | None = None,
    username: str | None = None,
    by: str | None = None,
    ip: str | None = None,
    reason: str | None = None,
    detail: str = "",
    persist: bool = True,
) -> dict[str, Any]:
    """Write the audit row and return the event payload (emitted by `emit` once committed).

    `persist=False` skips the row: a malformed or bad-checksum value is refused offline, and
    junk traffic must cost no database write (it is still logged and emitted).
    """
    at = host.now()
    if persist:
        PatAuditRecord.create(
            at=to_db(at),
            action=action,
            reason=reason,
            detail=detail,
            token_id=token_id,
            hint=hint,
            user_id=user_id,
            username=username,
            actor=by,
            ip=ip,
        )
    payload: dict[str, Any] = {
        "tokenId": token_id,
        "hint": hint,
        "userId": user_id,
        "username": username,
        "by": by,
        "ip": ip,
        "at": iso(at),
    }
    if action == REFUSED:
        payload.update(reason=reason, detail=detail)
    return payload


def emit(host: Host, action: str, payload: dict[str, Any], actor: Actor | None = None) -> None:
    """Log a line and tell other plugins (`pat.created`, `pat.deleted`, `pat.refused`)."""
    level = logging.WARNING if action == REFUSED else logging.INFO
    log.log(
        level,
        "personal access token %s: id=%s hint=%s user=%s by=%s ip=%s%s",
        action,
        payload.get("tokenId"),
        payload.get("hint"),
        payload.get("username"),
        payload.get("by"),
        payload.get("ip"),
        f" reason={payload.get('reason')} detail={payload.get('detail')}" if action == REFUSED else "",
    )
    host.emit(f"pat.{action}", payload, actor=actor, source="pat_auth")


def recent(limit: int, username: str | None = None, offset: int = 0) -> list[PatAuditRecord]:
    query = PatAuditRecord.select()
    if username is not None:
        query = query.where(PatAuditRecord.username == username)
    return list(
        query.order_by(PatAuditRecord.at.desc(), PatAuditRecord.id.desc()).offset(offset).limit(limit)
    )


def record_json(row: PatAuditRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "action": row.action,
        "reason": row.reason,
        "detail": row.detail,
        "tokenId": row.token_id,
        "hint": row.hint,
        "userId": row.user_id,
        "username": row.username,
        "by": row.actor,
        "ip": row.ip,
    }
