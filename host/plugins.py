"""Plugin loading: built-ins, then only the enabled plugins; everything else stays unimported."""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy

from host import hookspecs
from host.config import Config
from host.dispatch import HostPluginManager
from host.errors import StartupError

PROJECT = "release_host"
ENTRY_POINT_GROUP = "release_host.plugins"
BUILTIN_PLUGINS = (
    "host.builtin.users",
    "host.builtin.health",
    "host.builtin.pages",
    "host.builtin.security",
    "host.builtin.jobs",
    "host.builtin.profile",
    "host.builtin.api_document",
    "host.builtin.admin",
    "host.builtin.metrics",
)


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _import(name: str, eps: dict[str, EntryPoint]) -> ModuleType:
    try:
        if name in eps:
            return eps[name].load()
        if "." in name:
            return importlib.import_module(name)
    except StartupError:
        raise  # the plugin says itself what is wrong (a missing optional library)
    except Exception as exc:  # noqa: BLE001 - any import failure is a startup error
        raise StartupError(f"plugin {name!r} could not be imported: {type(exc).__name__}: {exc}") from exc
    known = ", ".join(sorted(eps)) or "none"
    raise StartupError(
        f"plugin {name!r} is enabled but not installed (entry point group "
        f"{ENTRY_POINT_GROUP}: {known}; or give a package.module path)"
    )


def make_plugin_manager(config: Config) -> pluggy.PluginManager:
    """A fresh manager: built-ins, then the plugins `config.enabled_plugins` names, in order."""
    pm = HostPluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    eps = _entry_points()
    enabled = list(dict.fromkeys(config.enabled_plugins))
    for name in eps:
        if name not in enabled:
            pm.set_blocked(name)
    for name in enabled:
        module = _import(name, eps)
        try:
            pm.register(module, name=name)
        except pluggy.PluginValidationError as exc:
            raise StartupError(f"plugin {name!r} is invalid: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin = pm.get_name(exc.plugin) if exc.plugin else "?"
        raise StartupError(f"plugin {plugin!r} implements a hook that does not exist: {exc}") from exc
    return pm


def describe(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Each registered plugin: name, version, where it was loaded from, hooks implemented."""
    versions = {ep.name: ep.dist.version if ep.dist else "" for ep in entry_points(group=ENTRY_POINT_GROUP)}
    rows = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "version": versions.get(name, "built-in" if name.startswith("host.") else ""),
                "location": getattr(plugin, "__file__", "") or "",
                "hooks": hooks,
            }
        )
    return rows
