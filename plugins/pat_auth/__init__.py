"""Personal access tokens: `rpa_…` secrets that scripts use instead of passwords.

Only hook implementations live here; see `tokens.py` (format), `auth.py` (the request path),
`store.py` (create, list, delete), `resources.py` (JSON API), `cli.py` and `docs/pat.md`.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from host import Periodic, Permission, hookimpl
from plugins.pat_auth import auth, cli, reminders, resources, rotation_api, status, store, tokens, views
from plugins.pat_auth.migrations import MIGRATIONS
from plugins.pat_auth.models import MODELS
from plugins.pat_auth.policy import PatSettings


@hookimpl
def register_settings(host):
    return PatSettings


@hookimpl
def register_permissions(host):
    return [Permission(resources.ADMIN_PERMISSION, "Manage users, roles and everyone's access tokens")]


@hookimpl
def register_routes(host):
    return resources.routes(host) + rotation_api.routes(host) + list(views.page_routes(host))


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
    return views.navigation_links(host, actor)


_reminder_threads: WeakKeyDictionary = WeakKeyDictionary()


@hookimpl
def startup(host):
    """In a server process, look for due expiry reminders every `reminder_interval_minutes`."""
    minutes = host.settings("pat_auth").reminder_interval_minutes
    if host.context == "server" and minutes:
        work = Periodic(host, "pat-reminders", minutes * 60, lambda: reminders.run(host))
        _reminder_threads[host] = work.start()


@hookimpl
def shutdown(host):
    work = _reminder_threads.pop(host, None)
    if work is not None:
        work.stop()
