"""What pat_auth tells people, as `notification.requested` events (delivered by the notifications
plugin, or by any plugin that handles the event; pat_auth never imports one).

Each message has a subject, a text and an HTML part, built from names, hints, times and links:
a secret is never passed in, so none can end up in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from host import Host, User

NOTIFY = "notification.requested"
PAGE = "/profile/access-tokens"


def public_url(host: Host) -> str:
    configured = host.settings("pat_auth").public_url
    return (configured or f"http://{host.config.bind}").rstrip("/")


def rotate_link(host: Host, token_id: int) -> str:
    return f"{public_url(host)}{PAGE}?rotate={token_id}"


def owner_zone(user_id: int) -> ZoneInfo | None:
    """The owner's time zone when they set one (`users set-time-zone`), else None (UTC is shown)."""
    name = User.select(User.time_zone).where(User.id == user_id).scalar()
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def when(instant: datetime | None, zone: ZoneInfo | None) -> str:
    """`2026-12-05 14:00 Europe/Paris`, or `… UTC` without a zone; `never` for None."""
    if instant is None:
        return "never"
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    local = aware.astimezone(zone or UTC)
    return f"{local:%Y-%m-%d %H:%M} {zone.key if zone else 'UTC'}"


def request(
    *, kind: str, subject: str, lines: list[str], html: str, user_id: int | None = None, permission: str = ""
) -> dict[str, Any]:
    """The `notification.requested` payload: to one user, or to every user holding `permission`."""
    return {
        "kind": kind,
        "userId": user_id,
        "permission": permission or None,
        "subject": subject,
        "text": "\n".join(lines) + "\n",
        "html": html,
    }


def reuse_report(
    host: Host,
    user_id: int,
    name: str,
    hint: str,
    ip: str | None,
    agent: str | None,
    at: datetime,
    revoked: Iterable[Any],
) -> dict[str, Any]:
    zone = owner_zone(user_id)
    revoked = list(revoked)
    consequence = (
        f"Its replacement{'s' if len(revoked) > 1 else ''} ({', '.join(t.hint for t in revoked)}) "
        "were revoked as well: create a new token."
        if revoked
        else "If this was not you, rotate or delete the replacement now."
    )
    lines = [
        f'The personal access token "{name}" ({hint}) was rotated, and its old secret was presented '
        f"again after its overlap ended, at {when(at, zone)}.",
        f"From address {ip or 'unknown'}, user agent {agent or 'unknown'}.",
        "The request was refused. The old secret may have been copied by someone else.",
        consequence,
        f"Access tokens: {public_url(host)}{PAGE}",
    ]
    html = "".join(f"<p>{escape(line)}</p>" for line in lines[:-1]) + (
        f'<p><a href="{escape(public_url(host) + PAGE)}">Access tokens</a></p>'
    )
    return request(
        kind="pat.reused",
        subject=f'Possible theft of your personal access token "{name}"',
        lines=lines,
        html=html,
        user_id=user_id,
    )
