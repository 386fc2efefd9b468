"""The audit trail: one table row and one host event per thing that happened to a token.

Every record names the token by id or hint; the secret is never passed in, so it cannot end
up in the table, an event payload or a log line. Refusals are the exception to "one row each":
anyone can send them, so they are aggregated per address, reason and minute (`refused`).
"""

from __future__ import annotations

import logging
from typing import Any

import peewee

from host import Actor, Host, database, iso, to_db
from plugins.pat_auth.bodies import AuditRecordOut
from plugins.pat_auth.models import PatAuditRecord

log = logging.getLogger("release_host.pat_auth")

CREATED = "created"
DELETED = "deleted"
REFUSED = "refused"
REUSED = "reused"
NARROWED = "narrowed"
CHANGED = "changed"
LEAKED = "leaked"
NEW_ADDRESS = "new-address"
MAX_SAMPLES = 5


def about(token: Any, username: str | None = None) -> dict[str, Any]:
    """The fields of `record` that name a token and its owner, from a token row; `username` when
    the caller has it already (else the row's owner, which may cost a query)."""
    return {
        "token_id": token.id,
        "hint": token.hint,
        "user_id": token.user_id,
        "username": token.user.username if username is None else username,
    }


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
    user_agent: str | None = None,
    samples: str | None = None,
    source: str | None = None,
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
            user_agent=user_agent,
            samples=samples,
            source=source,
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
    if action in (REFUSED, REUSED):
        payload.update(reason=reason, detail=detail)
    if user_agent is not None:
        payload["userAgent"] = user_agent
    return payload


_R = PatAuditRecord


def _aggregate(row: dict[str, Any]) -> peewee.Insert:
    """Insert the minute's row, or add one to its count (and a sample, while there are few)."""
    more_samples = _R.samples.concat(",").concat(peewee.EXCLUDED.hint)
    return (
        _R.insert(**row)
        .on_conflict(
            conflict_target=[_R.aggregate_key],
            update={
                _R.count: _R.count + 1,
                _R.last_at: peewee.EXCLUDED.last_at,
                _R.samples: peewee.Case(None, [(_R.count < MAX_SAMPLES, more_samples)], _R.samples),
            },
        )
        .returning(_R.count)
    )


def refused(
    host: Host,
    *,
    reason: str,
    detail: str,
    hint: str,
    ip: str | None,
    token_id: int | None = None,
    user_id: int | None = None,
    username: str | None = None,
) -> tuple[dict[str, Any], int]:
    """Count a refusal in its minute's row (one upsert); return the event payload and the count
    so far in that row (1: the row is new, which is when the refusal is logged)."""
    at = host.now()
    minute = at.strftime("%Y-%m-%dT%H:%MZ")
    key = f"{reason}|{detail}|{token_id or ''}|{ip or ''}|{minute}"
    query = _aggregate(
        {
            "at": to_db(at),
            "last_at": to_db(at),
            "action": REFUSED,
            "reason": reason,
            "detail": detail,
            "token_id": token_id,
            "hint": hint,
            "user_id": user_id,
            "username": username,
            "ip": ip,
            "count": 1,
            "samples": hint,
            "aggregate_key": key,
        }
    )
    count = database.execute_sql(*query.sql()).fetchone()[0]
    payload = {
        "tokenId": token_id,
        "hint": hint,
        "userId": user_id,
        "username": username,
        "by": None,
        "ip": ip,
        "at": iso(at),
        "reason": reason,
        "detail": detail,
    }
    return payload, count


def emit(
    host: Host, action: str, payload: dict[str, Any], actor: Actor | None = None, log_line: bool = True
) -> None:
    """Log a line (unless `log_line` is False: a refusal already logged this minute) and tell
    other plugins (`pat.created`, `pat.deleted`, `pat.refused`, `pat.narrowed`, `pat.changed`, `pat.leaked`,
    `pat.new_address`)."""
    if log_line:
        _log(action, payload)
    host.emit(f"pat.{action}", payload, actor=actor, source="pat_auth")


def _log(action: str, payload: dict[str, Any]) -> None:
    level = logging.WARNING if action in (REFUSED, REUSED) else logging.INFO
    log.log(
        level,
        "personal access token %s: id=%s hint=%s user=%s by=%s ip=%s%s",
        action,
        payload.get("tokenId"),
        payload.get("hint"),
        payload.get("username"),
        payload.get("by"),
        payload.get("ip"),
        f" reason={payload.get('reason')} detail={payload.get('detail')}"
        if action in (REFUSED, REUSED)
        else "",
    )


SECURITY_EVENTS = {
    "user.created": "User created",
    "user.enabled": "User enabled",
    "user.disabled": "User disabled",
    "user.roles-changed": "Roles changed",
    "role.created": "Role created",
    "role.changed": "Role changed",
}
"""The host's events about accounts (`host.builtin.admin`), kept here beside the token events."""


def record_security_event(host: Host, event: Any) -> None:
    """One row for a change to users or roles: who, by whom, from where; the roles or permissions
    it leaves go in `samples`, a role's name in `detail`."""
    payload = event.payload
    names = payload.get("roles") or payload.get("permissions") or []
    PatAuditRecord.create(
        at=to_db(event.at),
        action=event.name,
        detail=str(payload.get("role") or payload.get("reason") or "")[:40],
        username=payload.get("username"),
        actor=payload.get("by"),
        ip=payload.get("ip"),
        samples=",".join(names) or None,
    )


def _audit_query(
    username: str | None, action: str | None, reason: str | None
) -> peewee.ModelSelect[PatAuditRecord]:
    query = PatAuditRecord.select()
    if username is not None:
        query = query.where(PatAuditRecord.username == username)
    if action is not None:
        query = query.where(PatAuditRecord.action == action)
    if reason is not None:
        query = query.where(PatAuditRecord.reason == reason)
    return query


def recent(
    limit: int,
    username: str | None = None,
    offset: int = 0,
    action: str | None = None,
    reason: str | None = None,
) -> list[PatAuditRecord]:
    query = _audit_query(username, action, reason)
    return list(
        query.order_by(PatAuditRecord.at.desc(), PatAuditRecord.id.desc()).offset(offset).limit(limit)
    )


def count(username: str | None = None, action: str | None = None, reason: str | None = None) -> int:
    return _audit_query(username, action, reason).count()


def record_json(row: PatAuditRecord) -> AuditRecordOut:
    return AuditRecordOut(
        id=row.id,
        at=iso(row.at) or "",
        action=row.action,
        reason=row.reason,
        detail=row.detail,
        token_id=row.token_id,
        hint=row.hint,
        user_id=row.user_id,
        username=row.username,
        by=row.actor,
        ip=row.ip,
        user_agent=row.user_agent,
        source=row.source,
        count=row.count,
        last_at=iso(row.last_at or row.at) or "",
        samples=row.samples.split(",") if row.samples else [],
    )
