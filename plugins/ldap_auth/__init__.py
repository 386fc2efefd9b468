"""LDAP login: directory users sign in with their directory password and get a local account; a
user the directory drops is disabled locally within `recheck_minutes` (sessions and tokens too).

Only hook implementations live here; see `directory.py` (ldap3), `login.py`, `recheck.py` and
`settings.py`.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from host import Periodic, hookimpl
from plugins.ldap_auth import login, recheck
from plugins.ldap_auth.models import MIGRATIONS, MODELS
from plugins.ldap_auth.settings import LdapSettings

_sync_threads: WeakKeyDictionary = WeakKeyDictionary()


@hookimpl
def register_settings(host):
    return LdapSettings


@hookimpl
def register_models(host):
    return list(MODELS)


@hookimpl
def register_migrations(host):
    return list(MIGRATIONS)


@hookimpl
def authenticate_password(host, username, password):
    return login.authenticate(host, username, password)


@hookimpl
def validate_actor(host, actor, req):
    recheck.validate_actor(host, actor, req)


@hookimpl
def startup(host):
    """In a server process, re-check the LDAP users who are due every `sync_minutes`."""
    minutes = host.settings("ldap_auth").sync_minutes
    if host.context == "server" and minutes:
        work = Periodic(host, "ldap-sync", minutes * 60, lambda: recheck.sync(host))
        _sync_threads[host] = work.start()


@hookimpl
def shutdown(host):
    work = _sync_threads.pop(host, None)
    if work is not None:
        work.stop()
