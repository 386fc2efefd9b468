"""Keeping exactly the newest N requests per endpoint, whatever number of workers write at once.

Each store is one transaction that first takes a per-endpoint lock (PostgreSQL: the endpoint row
`FOR UPDATE`; SQLite: the database write lock, taken up front by `BEGIN IMMEDIATE`), then inserts
and deletes everything older than the Nth newest. Two writers for one endpoint therefore never
interleave, and ids, which grow in lock order, say which requests are the newest.

Refused requests (anyone who knows the URL can send them) are first trimmed to their own cap,
half the retention and at most MAX_REFUSED: a flood of them cannot push out more than half of
the accepted ones, nor fill the disk.
"""

from __future__ import annotations

from typing import Any

import peewee

from host import PreparedQuery, database, write_transaction
from plugins.webhooks.models import ACCEPTED, WebhookEndpoint, WebhookRequest

_RETENTION = PreparedQuery(
    lambda: WebhookEndpoint.select(WebhookEndpoint.request_retention).where(WebhookEndpoint.id == "")
)
_RETENTION_LOCKED = PreparedQuery(
    lambda: (
        WebhookEndpoint.select(WebhookEndpoint.request_retention).where(WebhookEndpoint.id == "").for_update()
    )
)


def _is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def _lock(endpoint_id: str) -> int | None:
    """Lock the endpoint for this transaction; its current retention, None if it was deleted."""
    query = _RETENTION if _is_sqlite() else _RETENTION_LOCKED
    row = query.first((endpoint_id,))
    return row[0] if row else None


MAX_REFUSED = 50


def refused_cap(keep: int) -> int:
    """How many refused requests an endpoint keeps: half its retention, at least one (so with a
    retention of 1 the one request kept is simply the newest), at most MAX_REFUSED: with their
    bodies left out (see `receiver`) what anyone can make an endpoint store stays small."""
    return min(MAX_REFUSED, max(1, keep // 2))


def _trim_where(condition: Any, keep: int) -> int:
    """Delete all but the `keep` newest requests matching `condition`."""
    nth_newest = (
        WebhookRequest.select(WebhookRequest.id)
        .where(condition)
        .order_by(WebhookRequest.id.desc())
        .limit(1)
        .offset(keep - 1)
    )
    return WebhookRequest.delete().where(condition & (WebhookRequest.id < nth_newest)).execute()


def trim(endpoint_id: str, keep: int) -> int:
    """Enforce the retention (refused requests within their cap, then all within `keep`);
    the caller holds the lock."""
    of_endpoint = WebhookRequest.endpoint == endpoint_id
    refused = _trim_where(of_endpoint & (WebhookRequest.outcome != ACCEPTED), refused_cap(keep))
    return refused + _trim_where(of_endpoint, keep)


def store(endpoint_id: str, row: dict[str, Any]) -> int | None:
    """Insert one received request and enforce the retention; the new id, None if the endpoint
    was deleted meanwhile."""
    with write_transaction():
        keep = _lock(endpoint_id)
        if keep is None:
            return None
        request_id = WebhookRequest.insert(endpoint=endpoint_id, **row).execute()
        trim(endpoint_id, keep)
    return int(request_id)


def record_triggers(request_id: int, triggers: str) -> None:
    """Attach the trigger results to a stored request (a no-op if it was already evicted)."""
    WebhookRequest.update(triggers=triggers).where(WebhookRequest.id == request_id).execute()
