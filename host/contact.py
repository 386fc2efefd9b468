"""How to reach a user: an optional e-mail address and time zone (`users set-email`,
`users set-time-zone`, the profile API; LDAP's `mail` attribute fills the address at login).

Checked before they are stored, so a message is never sent to a malformed address or rendered
in an unknown zone; an empty value clears them.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from host.users import User

MAX_EMAIL = 200
# one @, no whitespace, no control characters, a dot in the domain: what a person types
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f<>,;\"']+@[^@\s\x00-\x1f\x7f<>,;\"']+\.[^@\s\x00-\x1f\x7f<>,;\"'.]+")


def clean_email(raw: str) -> str:
    """The address trimmed, or ValueError saying what is wrong; "" clears it."""
    address = raw.strip()
    if not address:
        return ""
    if len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address):
        raise ValueError(
            f"{raw!r} is not an e-mail address such as alice@example.org (at most {MAX_EMAIL} characters)"
        )
    return address


def clean_time_zone(raw: str) -> str:
    """An IANA zone name such as Europe/Paris, or ValueError; "" clears it (UTC is then shown)."""
    name = raw.strip()
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{raw!r} is not a time zone name such as Europe/Paris or America/New_York"
        ) from None
    if name not in available_timezones() and name != "UTC":
        raise ValueError(f"{raw!r} is not a time zone name such as Europe/Paris or America/New_York")
    return name


def set_contact(user: User, *, email: str | None = None, time_zone: str | None = None) -> None:
    """Store what is given (checked; raises ValueError); None leaves a value as it is."""
    changed = {}
    if email is not None:
        changed["email"] = clean_email(email)
    if time_zone is not None:
        changed["time_zone"] = clean_time_zone(time_zone)
    if changed:
        User.update(**changed).where(User.id == user.id).execute()
        for name, value in changed.items():
            setattr(user, name, value)
