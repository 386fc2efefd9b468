"""The application factory and the `Host` object every hook receives."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import falcon
import peewee
import pluggy
from pluggy import HookImpl

from host import db as storage
from host import logsafe, metrics
from host.actors import Actor
from host.bodies import ChunkedBodyMiddleware
from host.config import Config, ensure_secret_key, load_config
from host.credentials import Presented, presented
from host.crypto import Secrets
from host.dispatch import Chain
from host.errors import AuthenticationFailed, StartupError
from host.events import Event
from host.jsonlog import RequestIdMiddleware
from host.middleware import (
    AuthMiddleware,
    BodyLimitMiddleware,
    ConnectionMiddleware,
    MetricsMiddleware,
    TextMiddleware,
)
from host.migrations import Migration, apply_migrations
from host.navigation import NavLink
from host.pages import error_page
from host.permissions import Permission, decide, refusal
from host.plugins import make_plugin_manager
from host.responses import install_error_handling
from host.routes import AUTHENTICATED, PUBLIC, Route
from host.security_headers import SecurityHeadersMiddleware
from host.settings import parse_settings, settings_as_dict
from host.users import PERMISSION_SEPARATOR

log = logging.getLogger("release_host")


def call_impl(impl: HookImpl, **arguments: Any) -> Any:
    """Call one hook implementation with just the arguments it names, as pluggy itself does, so
    `def register_routes():` or `def handle_event(event):` work as the plugin guide promises."""
    return impl.function(*(arguments[name] for name in impl.argnames))


def _kind(shown: Presented) -> str:
    """The credential kind a refused request presented, for metrics."""
    return "token" if shown.token else "password" if shown.basic else "other"


class Host:
    """What plugins see of the running server: config, permissions, routes, events, clock."""

    def __init__(self, config: Config, pm: pluggy.PluginManager, context: str = "server") -> None:
        self.config = config
        self.pm = pm
        self.context = context
        self.secrets = Secrets(ensure_secret_key(config))
        # a connection per request thread, and a few for plugins' background threads
        self.database: peewee.Database = storage.open_database(
            config.database_url, connections=config.threads + 4
        )
        storage.bind(self.database)
        self._settings: dict[str, Any] = self._parse_settings()
        self.permissions: dict[str, Permission] = self._collect_permissions()
        self.routes: dict[str, tuple[str, Route]] = self._collect_routes()
        self.models: list[type[peewee.Model]] = [
            m for _, models in self._per_plugin("register_models") for m in models
        ]
        self._secret_shapes = self._collect_secret_patterns()
        # the hooks every protected request calls, resolved once (host/dispatch.py)
        self.actor_chain = Chain(pm, "actor_from_request")
        self.validate_chain = Chain(pm, "validate_actor")
        self.permission_chain = Chain(pm, "permission_allowed")
        self.decided_chain = Chain(pm, "permission_decided")

    def _per_plugin(self, hook_name: str) -> list[tuple[str, list[Any]]]:
        """Call a list-returning hook one implementation at a time, in registration order,
        remembering who answered (for error messages and per-plugin migrations)."""
        caller = getattr(self.pm.hook, hook_name)
        answers = []
        for impl in caller.get_hookimpls():
            result = call_impl(impl, host=self)
            if result:
                answers.append((impl.plugin_name, list(result)))
        return answers

    def _parse_settings(self) -> dict[str, Any]:
        parsed = {}
        for impl in self.pm.hook.register_settings.get_hookimpls():
            kind = call_impl(impl, host=self)
            if kind is not None:
                name = impl.plugin_name
                parsed[name] = parse_settings(name, kind, self.config.plugin(name))
        return parsed

    def settings(self, plugin: str) -> Any:
        """The plugin's parsed `[plugins.NAME]` table (see the `register_settings` hook)."""
        try:
            return self._settings[plugin]
        except KeyError:
            raise StartupError(f"plugin {plugin!r} declares no settings (register_settings)") from None

    def settings_shown(self) -> dict[str, Any]:
        """Every plugin's parsed settings with their defaults, as plain values."""
        return {name: settings_as_dict(value) for name, value in self._settings.items()}

    def _collect_permissions(self) -> dict[str, Permission]:
        found: dict[str, Permission] = {}
        owner: dict[str, str] = {}
        for plugin, permissions in self._per_plugin("register_permissions"):
            for permission in permissions:
                if PERMISSION_SEPARATOR in permission.name or not permission.name:
                    raise StartupError(
                        f"plugin {plugin!r}: permission name {permission.name!r} must be non-empty "
                        f"and hold no {PERMISSION_SEPARATOR!r}"
                    )
                if permission.name in owner:
                    raise StartupError(
                        f"permission {permission.name!r} is registered twice: by "
                        f"{owner[permission.name]!r} and by {plugin!r}"
                    )
                owner[permission.name] = plugin
                found[permission.name] = permission
        return found

    def _collect_routes(self) -> dict[str, tuple[str, Route]]:
        routes: dict[str, tuple[str, Route]] = {}
        for plugin, declared in self._per_plugin("register_routes"):
            for route in declared:
                if route.template in routes:
                    raise StartupError(
                        f"route {route.template} is registered twice: by "
                        f"{routes[route.template][0]!r} and by {plugin!r}"
                    )
                missing = route.undeclared()
                if missing:
                    raise StartupError(
                        f"plugin {plugin!r}: route {route.template} declares no permission for "
                        f"{', '.join(missing)}"
                    )
                for method, access in route.access.items():
                    if access not in (PUBLIC, AUTHENTICATED) and access not in self.permissions:
                        raise StartupError(
                            f"plugin {plugin!r}: route {route.template} {method} requires "
                            f"unknown permission {access!r}"
                        )
                routes[route.template] = (plugin, route)
        return routes

    def _collect_secret_patterns(self) -> re.Pattern[str] | None:
        patterns = []
        for plugin, found in self._per_plugin("secret_patterns"):
            for pattern in found:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise StartupError(
                        f"plugin {plugin!r}: secret pattern {pattern!r} is invalid: {exc}"
                    ) from None
                patterns.append(f"(?:{pattern})")
        return re.compile("|".join(patterns)) if patterns else None

    def redact(self, text: str, replacement: str = "********") -> str:
        """`text` with everything shaped like a secret some plugin issues replaced."""
        return self._secret_shapes.sub(replacement, text) if self._secret_shapes else text

    def migrations(self) -> list[tuple[str, Migration]]:
        return [(plugin, step) for plugin, steps in self._per_plugin("register_migrations") for step in steps]

    def migrate(self) -> list[str]:
        """Apply pending migrations of every loaded plugin."""
        with storage.bound(self.database):
            return apply_migrations(self.migrations())

    def now(self) -> datetime:
        """The current UTC instant; tests replace `config.clock` to move time."""
        return self.config.clock()

    def plugin_config(self, name: str) -> dict[str, Any]:
        return self.config.plugin(name)

    def authenticate(self, req: falcon.Request) -> Actor | None:
        """Run the authentication chain once per request; raises `AuthenticationFailed`, also for
        a request that presents two different credentials."""
        if getattr(req.context, "authenticated", False):
            return req.context.actor
        shown = presented(req)
        try:
            actor = self.actor_chain.first(host=self, req=req)
            if actor is not None:
                self.validate_chain.all(host=self, actor=actor, req=req)
        except AuthenticationFailed as exc:
            metrics.count_authentication(_kind(shown), exc.reason)
            raise
        except falcon.HTTPTooManyRequests:
            metrics.count_authentication(_kind(shown), "limited")
            raise
        if actor is not None:
            metrics.count_authentication(actor.via, "ok")
        req.context.actor = actor
        req.context.authenticated = True
        return actor

    def allowed(self, actor: Actor | None, permission: str, resource: str | None = None) -> bool:
        """Where every permission is decided (see `host.permissions.decide`)."""
        return decide(self, actor, permission, resource)

    def require(self, actor: Actor | None, permission: str, resource: str | None = None) -> None:
        """`allowed`, or the product's 403 for a check a route's declaration cannot express."""
        if not self.allowed(actor, permission, resource):
            raise falcon.HTTPForbidden(title="Forbidden", description=refusal(permission, resource))

    def credential_info(self, credential_id: str) -> dict[str, Any] | None:
        """What the plugin that issued a credential (an `Actor.credential_id`) says about it."""
        return self.pm.hook.credential_info(host=self, credential_id=credential_id)

    def credential_status(self, secret: str) -> dict[str, Any] | None:
        """What the plugin whose credentials look like `secret` says of its state, without using
        it (`credential_status` hook): for a secret someone wants to keep, such as a webhook's."""
        return self.pm.hook.credential_status(host=self, secret=secret)

    @contextmanager
    def connection(self) -> Iterator[peewee.Database]:
        """This host's database for the block, from any thread: models use it, on the thread's
        open connection (a request's) or one opened here and closed afterwards.

        peewee's `connection_context()` closes a connection it did not open, which would break
        the request around it; this only closes what it opened, so it nests anywhere.
        """
        opened = self.database.is_closed()
        if opened:
            self.database.connect()
        try:
            with storage.bound(self.database):
                yield self.database
        finally:
            if opened and not self.database.is_closed():
                self.database.close()

    def emit(
        self, name: str, payload: Mapping[str, Any], actor: Actor | None = None, source: str = ""
    ) -> list[Any]:
        """Tell every plugin; a failing handler is logged, the others still run."""
        event = Event(name=name, payload=dict(payload), at=self.now(), actor=actor, source=source)
        results = []
        for impl in reversed(self.pm.hook.handle_event.get_hookimpls()):
            try:
                result = call_impl(impl, host=self, event=event)
            except Exception:
                log.exception("plugin %s failed handling event %s", impl.plugin_name, name)
                continue
            if result is not None:
                results.append(result)
        return results

    def navigation(self, actor: Actor) -> list[NavLink]:
        links = [
            link for found in self.pm.hook.navigation_links(host=self, actor=actor) if found for link in found
        ]
        return sorted(links, key=lambda link: (link.order, link.label))

    def shutdown(self) -> None:
        with storage.bound(self.database):
            self.pm.hook.shutdown(host=self)
        if hasattr(self.database, "close_all"):
            self.database.close_all()


class App(falcon.App):
    """The Falcon app, carrying the `Host` it was built with (`app.host`)."""

    host: Host

    def __call__(self, env: dict[str, Any], start_response: Any) -> Any:
        with storage.bound(self.host.database):  # models use this host's database
            return super().__call__(env, start_response)


def create_app(config: Config | None = None, context: str = "server") -> App:
    """Build the WSGI app: plugins loaded, routes checked and mounted; no database opened."""
    logsafe.install()
    config = config or load_config()
    pm = make_plugin_manager(config)
    host = Host(config, pm, context=context)
    app = App(
        middleware=[
            RequestIdMiddleware(host),
            MetricsMiddleware(),
            SecurityHeadersMiddleware(),
            BodyLimitMiddleware(config.max_body_bytes),
            ChunkedBodyMiddleware(config.max_body_bytes),
            ConnectionMiddleware(host),
            TextMiddleware(),
            AuthMiddleware(host),
        ]
    )
    app.req_options.strip_url_path_trailing_slash = True
    install_error_handling(app, functools.partial(error_page, host))
    for _, route in host.routes.values():
        app.add_route(route.template, route.resource, **({"suffix": route.suffix} if route.suffix else {}))
    app.host = host
    with storage.bound(host.database):
        pm.hook.startup(host=host)
    return app
