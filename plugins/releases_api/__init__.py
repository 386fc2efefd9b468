"""The releases API v1: templates, releases, their automated tasks and webhook triggers.

Only hook implementations live here; each names the module that does the work.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from host import hookimpl
from plugins.releases_api import commands, models, pages, permissions, routes, triggers
from plugins.releases_api.migrations import migrations
from plugins.releases_api.settings import Settings, load_settings
from plugins.releases_api.worker import WorkerThread

_threads: WeakKeyDictionary = WeakKeyDictionary()


@hookimpl
def register_permissions(host):
    return list(permissions.PERMISSIONS)


@hookimpl
def register_models(host):
    return list(models.MODELS)


@hookimpl
def register_migrations(host):
    return migrations(host)


@hookimpl
def register_routes(host):
    return [*routes.build_routes(host), *pages.page_routes(host)]


@hookimpl
def navigation_links(host, actor):
    return pages.navigation_links(host, actor)


@hookimpl
def register_commands(host, subparsers):
    commands.add_commands(host, subparsers)


@hookimpl
def register_settings(host):
    return Settings


@hookimpl
def startup(host):
    """Check the settings; in a server process, start the worker thread unless turned off."""
    settings = load_settings(host)
    if host.context == "server" and settings.run_worker:
        thread = WorkerThread(host, settings)
        _threads[host] = thread
        thread.start()


@hookimpl
def shutdown(host):
    thread = _threads.pop(host, None)
    if thread is not None:
        thread.stop()


@hookimpl
def handle_event(host, event):
    if event.name == "webhook.received":
        return triggers.on_webhook(host, event.payload)
    if event.name == "webhook.endpoint_changed":
        return triggers.on_endpoint_changed(host, event.payload)
    return None
