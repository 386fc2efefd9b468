"""Refusing a signed request replayed within the window.

An HMAC signature covers the body only: whoever saw one signed delivery (a proxy log, a
misdirected copy) could send it again, and each copy would fire the triggers. A signed request
is accepted once per window by its delivery id (`X-GitHub-Delivery`) and by its signature,
since the id header is not signed and could be changed. Only digests are stored, and only for
requests whose signature was valid, so an unauthenticated caller causes no write here.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import falcon
import peewee

from host import to_db, write_transaction
from plugins.webhooks.models import WebhookDelivery

DELIVERY_HEADER = "X-GitHub-Delivery"
WINDOW = timedelta(hours=24)


def _digest(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()}"


def keys(req: falcon.Request, signature: str) -> list[str]:
    """What identifies this delivery: its signature, and its delivery id when it has one."""
    found = [_digest("signature", signature.strip().lower())]
    delivery_id = (req.get_header(DELIVERY_HEADER) or "").strip()
    if delivery_id:
        found.append(_digest("delivery", delivery_id))
    return found


def first_time(endpoint_id: str, found: list[str], now: datetime) -> bool:
    """Record the delivery; False when its id or signature was accepted within the window."""
    at = to_db(now)
    of_endpoint = WebhookDelivery.endpoint == endpoint_id
    try:
        with write_transaction():
            WebhookDelivery.delete().where(
                of_endpoint & (WebhookDelivery.received_at < at - WINDOW)
            ).execute()
            if WebhookDelivery.select().where(of_endpoint & WebhookDelivery.key.in_(found)).exists():
                return False
            WebhookDelivery.insert_many(
                [{"endpoint": endpoint_id, "key": key, "received_at": at} for key in found]
            ).execute()
    except peewee.IntegrityError:
        return False
    return True
