"""Personal access tokens: `rpa_…` secrets that scripts use instead of passwords.

Only hook implementations live here; see `tokens.py` (format), `auth.py` (the request path),
`store.py` (create, list, delete), `resources.py` (JSON API), `cli.py` and `docs/pat.md`.
"""

from __future__ import annotations

import logging
from weakref import WeakKeyDictionary

import peewee

from host import Periodic, hookimpl
from plugins.pat_auth import (
    admin_views,
    audit,
    auth,
    cli,
    leaks,
    reminders,
    resources,
    retire,
    rotation_api,
    status,
    store,
    tokens,
    usage,
    views,
)
from plugins.pat_auth.migrations import MIGRATIONS
from plugins.pat_auth.models import MODELS
from plugins.pat_auth.policy import PatSettings

log = logging.getLogger("release_host.pat_auth")


@hookimpl
def register_settings(host):
    return PatSettings


@hookimpl
def register_routes(host):
    return (
        resources.routes(host)
        + rotation_api.routes(host)
        + leaks.routes(host)
        + list(views.page_routes(host))
        + admin_views.admin_routes(host)
    )


@hookimpl
def register_models(host):
    return list(MODELS)


@hookimpl
def register_migrations(host):
    return list(MIGRATIONS)


@hookimpl
def actor_from_request(host, req):
    secret = auth.presented_token(req)
    if secret is None:
        return None
    return auth.actor_for_token(host, req, secret)


@hookimpl
def permission_decided(host, actor, permission, allowed):
    if actor.via == "token":
        usage.decided(host, actor, permission, allowed)


@hookimpl
def secret_patterns(host):
    return [tokens.PATTERN]


@hookimpl
def credential_info(host, credential_id):
    return store.credential_info(host, credential_id)


@hookimpl
def credential_status(host, secret):
    return status.credential_status(host, secret)


@hookimpl
def register_commands(host, subparsers):
    cli.register(host, subparsers)


@hookimpl
def navigation_links(host, actor):
    return views.navigation_links(host, actor) + admin_views.admin_links(host, actor)


@hookimpl
def handle_event(host, event):
    if event.source == "host" and event.name in audit.SECURITY_EVENTS:
        audit.record_security_event(host, event)


_reminder_threads: WeakKeyDictionary = WeakKeyDictionary()


@hookimpl
def startup(host):
    """In a server process, look for due expiry reminders every `reminder_interval_minutes`."""
    minutes = host.settings("pat_auth").reminder_interval_minutes
    if host.context == "server" and minutes:
        work = Periodic(host, "pat-reminders", minutes * 60, lambda: _round(host))
        _reminder_threads[host] = work.start()


def _round(host):
    reminders.run(host)
    retire.run(host)


@hookimpl
def shutdown(host):
    work = _reminder_threads.pop(host, None)
    if work is not None:
        work.stop()
    try:
        usage.flush(host)  # this worker's permission counts not written yet
    except peewee.DatabaseError as exc:
        log.warning("could not write the permission counts at shutdown: %s", type(exc).__name__)
