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


def _point_label(point: str) -> str:
    if point == "expired":
        return "has expired"
    days = int(point[:-1])
    return f"expires within {days} day{'s' if days != 1 else ''}"


def expiry_reminder(host: Host, user_id: int, due: list[Any]) -> dict[str, Any]:
    """One message for all of an owner's tokens that reached a point in this run (`reminders.Due`)."""
    zone = owner_zone(user_id)
    rows = []
    for item in due:
        token = item.token
        rows.append(
            {
                "name": token.name,
                "hint": token.hint,
                "state": _point_label(item.point),
                "expires": when(token.expires_at, zone),
                "used": when(token.last_used_at, zone) if token.last_used_at else "not yet",
                "link": rotate_link(host, token.id),
            }
        )
    count = len(rows)
    subject = (
        f'Your personal access token "{rows[0]["name"]}" {rows[0]["state"]}'
        if count == 1
        else f"{count} of your personal access tokens "
        f"{'have expired or expire soon' if any(item.point == 'expired' for item in due) else 'expire soon'}"
    )
    lines = [f"{count} of your personal access tokens need attention:" if count > 1 else subject + ".", ""]
    for row in rows:
        lines += [
            f'- "{row["name"]}" ({row["hint"]}) {row["state"]}: expires {row["expires"]}, '
            f"last used: {row['used']}.",
            f"  Rotate it: {row['link']}",
        ]
    lines += ["", "Rotating keeps the name and permissions and lets the old secret work for an overlap."]
    items = "".join(
        f"<li><strong>{escape(r['name'])}</strong> <code>{escape(r['hint'])}</code> {escape(r['state'])}: "
        f"expires {escape(r['expires'])}, last used: {escape(r['used'])}. "
        f'<a href="{escape(r["link"])}">Rotate {escape(r["name"])}</a></li>'
        for r in rows
    )
    html = f"<p>{escape(lines[0])}</p><ul>{items}</ul><p>{escape(lines[-1])}</p>"
    return request(kind="pat.expiring", subject=subject, lines=lines, html=html, user_id=user_id)


def admin_digest(host: Host, tokens: list[Any], permission: str) -> dict[str, Any]:
    """Everyone's tokens expiring within the week, for the holders of `permission` (times in UTC)."""
    lines = [f"{len(tokens)} personal access token(s) expire within the next 7 days:", ""]
    lines += [
        f'- {t.user.username}: "{t.name}" ({t.hint}) expires {when(t.expires_at, None)}, '
        f"last used {when(t.last_used_at, None) if t.last_used_at else 'never'}."
        for t in tokens
    ]
    items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines[2:])
    html = f"<p>{escape(lines[0])}</p><ul>{items}</ul>"
    return request(
        kind="pat.digest",
        subject=f"{len(tokens)} personal access token(s) expire this week",
        lines=lines,
        html=html,
        permission=permission,
    )


def _simple(host: Host, kind: str, subject: str, lines: list[str], user_id: int) -> dict[str, Any]:
    """A message of a few paragraphs and the link to the Access tokens page."""
    lines = [*lines, f"Access tokens: {public_url(host)}{PAGE}"]
    html = "".join(f"<p>{escape(line)}</p>" for line in lines[:-1]) + (
        f'<p><a href="{escape(public_url(host) + PAGE)}">Access tokens</a></p>'
    )
    return request(kind=kind, subject=subject, lines=lines, html=html, user_id=user_id)


def new_address(
    host: Host, user_id: int, name: str, hint: str, ip: str, net: str, at: datetime
) -> dict[str, Any]:
    where = ip if ip == net else f"{ip} (network {net})"
    return _simple(
        host,
        "pat.new_address",
        f'Your personal access token "{name}" was used from a new address',
        [
            f'The personal access token "{name}" ({hint}) was used from {where} for the first time, '
            f"at {when(at, owner_zone(user_id))}.",
            "If this was not you or your scripts, delete the token now and create a new one.",
        ],
        user_id,
    )


def leak_report(
    host: Host, user_id: int, name: str, hint: str, source: str | None, at: datetime
) -> dict[str, Any]:
    found = f" It was found at: {source}" if source else ""
    return _simple(
        host,
        "pat.leaked",
        f'Your personal access token "{name}" was reported as leaked and has been revoked',
        [
            f'Someone reported the personal access token "{name}" ({hint}) as published where others '
            f"can read it, at {when(at, owner_zone(user_id))}.{found}",
            "The token was revoked at once: requests with it are refused. Create a new token for "
            "the scripts that used it, and remove the old secret from where it was found.",
        ],
        user_id,
    )


def unused_warning(
    host: Host, user_id: int, name: str, hint: str, last: datetime, revoked_at: datetime
) -> dict[str, Any]:
    zone = owner_zone(user_id)
    return _simple(
        host,
        "pat.unused",
        f'Your personal access token "{name}" is unused and will be revoked',
        [
            f'The personal access token "{name}" ({hint}) has not been used since {when(last, zone)}. '
            f"Under this server's policy it will be revoked on {when(revoked_at, zone)} unless it is "
            "used before then.",
            "If nothing needs it, delete it now; if a script does, nothing is lost by letting it run.",
        ],
        user_id,
    )
