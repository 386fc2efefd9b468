"""Browser sessions and the CSRF tokens bound to them.

The cookie carries a random session id; the table keeps only its keyed digest
(`host.secrets.digest(sid, "session")`), so a copy of the database opens no session. The CSRF
token is derived from the same id (`digest(sid, "csrf")`): nothing more is stored, and it is
worth nothing without that session's cookie. A session ends when it is idle for
`config.session_idle_minutes`, after `MAX_AGE` in any case, at logout, and when its user's
password changes, the user is disabled or loses the `login` permission: `host.accounts` deletes
the rows at the change (so re-enabling a user brings no old session back), and `session_actor`
refuses a row whose user is disabled or lacks `login` for any other reason (a plugin's veto).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import falcon
import peewee

from host.actors import Actor
from host.crypto import same
from host.db import BaseModel, PreparedQuery, from_db, to_db
from host.users import User

if TYPE_CHECKING:
    from host.app import Host
    from host.config import Config

COOKIE = "release_host_session"
LOGIN_COOKIE = "release_host_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
LOGIN_PERMISSION = "login"
MAX_AGE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
CSRF_REFUSED = (
    "This request needs the page's CSRF token (the X-CSRF-Token header or the form's csrf_token "
    "field) and it is missing or wrong. Reload the page and try again."
)
_SID = re.compile(r"[A-Za-z0-9_-]{20,128}")
FORM_TYPE = "application/x-www-form-urlencoded"


class Session(BaseModel):
    """One signed-in browser; `digest` is the only trace of the id the cookie holds."""

    digest = peewee.CharField(max_length=64, unique=True)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="sessions")
    created_at = peewee.DateTimeField()
    last_seen_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "host_sessions"


MODELS = [Session]

_LOOKUP = PreparedQuery(
    lambda: (
        Session.select(
            Session.id,
            Session.created_at,
            Session.last_seen_at,
            User.id,
            User.username,
            User.source,
            User.enabled,
            User.display_name,
        )
        .join(User, on=(Session.user == User.id))
        .where(Session.digest == "")
    )
)


def cookie_name(config: Config, base: str = COOKIE) -> str:
    """With secure cookies the `__Host-` prefix makes the browser refuse a cookie set by a subdomain."""
    return f"__Host-{base}" if config.secure_cookies else base


def _cookie(req: falcon.Request, name: str) -> str | None:
    values = req.get_cookie_values(name)
    if not values or not _SID.fullmatch(values[0]):
        return None
    return values[0]


def set_cookie(host: Host, resp: falcon.Response, base: str, value: str) -> None:
    resp.set_cookie(
        cookie_name(host.config, base),
        value,
        path="/",
        http_only=True,
        secure=host.config.secure_cookies,
        same_site="Lax",
    )


def clear_cookie(host: Host, resp: falcon.Response, base: str) -> None:
    resp.unset_cookie(cookie_name(host.config, base), same_site="Lax", path="/")


def create(host: Host, user_id: int) -> str:
    """A new session row for the user; returns the id that goes into the cookie."""
    sid = secrets.token_urlsafe(32)
    now = to_db(host.now())
    Session.create(digest=host.secrets.digest(sid, "session"), user=user_id, created_at=now, last_seen_at=now)
    return sid


def purge_expired(host: Host) -> int:
    """Delete sessions nobody can use any more (called at each login, so the table stays small)."""
    now = host.now()
    idle_cutoff = to_db(now - timedelta(minutes=host.config.session_idle_minutes))
    age_cutoff = to_db(now - MAX_AGE)
    return (
        Session.delete()
        .where((Session.last_seen_at < idle_cutoff) | (Session.created_at < age_cutoff))
        .execute()
    )


def start_session(host: Host, req: falcon.Request, resp: falcon.Response, user: User) -> str:
    """Sign `user` in on this browser: the previous session (if any) ends, a new id is issued.

    Rotating the id at login means an id planted in the browser before login is worthless.
    For plugins that authenticate users their own way (OIDC) and then need a browser session.
    Returns the new session's CSRF token.
    """
    _delete(host, req)
    purge_expired(host)
    sid = create(host, user.id)
    set_cookie(host, resp, COOKIE, sid)
    return csrf_for(host, sid)


def _delete(host: Host, req: falcon.Request) -> bool:
    sid = _cookie(req, cookie_name(host.config))
    if sid is None:
        return False
    Session.delete().where(Session.digest == host.secrets.digest(sid, "session")).execute()
    return True


def end_user_sessions(user_id: int) -> int:
    """Delete every session of the user (password changed, disabled, `login` lost)."""
    return Session.delete().where(Session.user == user_id).execute()


def end_session(host: Host, req: falcon.Request, resp: falcon.Response) -> None:
    """Delete the request's session (if any) and tell the browser to forget the cookie."""
    if _delete(host, req):
        clear_cookie(host, resp, COOKIE)


def csrf_for(host: Host, sid: str) -> str:
    return host.secrets.digest(sid, "csrf")


def csrf_token(req: falcon.Request) -> str | None:
    """The CSRF token of the session that authenticated this request, for pages to embed."""
    return getattr(req.context, "csrf_token", None)


def _expired(host: Host, now: datetime, created: datetime, last_seen: datetime) -> bool:
    idle = timedelta(minutes=host.config.session_idle_minutes)
    return now - last_seen > idle or now - created > MAX_AGE


def session_actor(host: Host, req: falcon.Request) -> Actor | None:
    """The actor of a live session cookie, or None; ends sessions that may no longer be used."""
    sid = _cookie(req, cookie_name(host.config))
    if sid is None:
        return None
    row = _LOOKUP.first((host.secrets.digest(sid, "session"),))
    if row is None:
        return None
    session_id, created, last_seen, user_id, username, source, enabled, display_name = row
    now = host.now()
    created, last_seen = from_db(created), from_db(last_seen)
    if not enabled or _expired(host, now, created, last_seen):
        Session.delete().where(Session.id == session_id).execute()
        return None
    actor = Actor(
        user_id=user_id,
        username=username,
        source=source,
        via="session",
        display_name=display_name or username,
    )
    if not host.allowed(actor, LOGIN_PERMISSION):
        Session.delete().where(Session.id == session_id).execute()
        return None
    if now - last_seen >= TOUCH_EVERY:
        Session.update(last_seen_at=to_db(now)).where(Session.id == session_id).execute()
    req.context.csrf_token = csrf_for(host, sid)
    return actor


def presented_csrf(req: falcon.Request) -> str | None:
    """The CSRF token a request carries: the header (scripts), else the form field (HTML forms)."""
    header = req.get_header(CSRF_HEADER)
    if header:
        return header
    if (req.content_type or "").split(";")[0].strip().lower() != FORM_TYPE:
        return None
    try:
        form = req.get_media()
    except falcon.HTTPError:
        return None
    value = form.get(CSRF_FIELD) if isinstance(form, dict) else None
    return value if isinstance(value, str) else None


def require_csrf(req: falcon.Request) -> None:
    """Refuse (403) a state-changing request whose CSRF token does not match its session."""
    expected = csrf_token(req)
    presented = presented_csrf(req)
    if not expected or not presented or not same(presented, expected):
        raise falcon.HTTPForbidden(title="Forbidden", description=CSRF_REFUSED)
