"""Token IP allowlist: an admin or a token's owner restricts a personal access token to CIDR
ranges; the token is refused (401) from anywhere else.

Only hook implementations live here; see `views.py` (JSON route), `models.py` (table,
migrations), `guard.py` (the `validate_actor` rule), `ranges.py` (CIDR and client address
rules), `store.py` and `commands.py`.
Everything it uses from the host is a public name of `host`; it learns who owns a token through
the `credential_info` hook and hears of deleted tokens through the `pat.deleted` event.

Settings (`[plugins.token_ip_allowlist]` in `conf/host.toml`):

- `trusted_proxies`: CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed.
  Empty (the default): the client address is the TCP peer and `X-Forwarded-For` is ignored.
"""

from __future__ import annotations

from host import Permission, hookimpl

from . import commands, guard, store, views
from .models import MIGRATIONS, MODELS

__version__ = "0.1.0"
PLUGIN = store.PLUGIN


@hookimpl
def register_settings(host):
    """Parsed at startup, so a bad setting refuses the start rather than the first request."""
    return store.AllowlistSettings


@hookimpl
def register_permissions(host):
    return [
        Permission(
            views.EDIT,
            "Restrict your personal access tokens to client IP ranges (everyone's, with security#edit)",
        )
    ]


@hookimpl
def register_routes(host):
    return views.routes(host)


@hookimpl
def register_models(host):
    return list(MODELS)


@hookimpl
def register_migrations(host):
    return list(MIGRATIONS)


@hookimpl
def validate_actor(host, actor, req):
    guard.check(host, actor, req)


@hookimpl
def handle_event(host, event):
    """A deleted token's ranges go with it."""
    if event.name == "pat.deleted" and event.payload.get("tokenId") is not None:
        store.forget(str(event.payload["tokenId"]))


@hookimpl
def register_commands(host, subparsers):
    commands.register(subparsers)
