"""The benchmark's own plugin (enabled as `bench.plugin`): one resource mounted twice.

`/bench/public` is PUBLIC and `/bench/protected` requires `release#view`; the resource object
is the same, so the difference between the two routes is the authentication and permission
path alone.
"""

from __future__ import annotations

import sys

import falcon

from host import PUBLIC, Permission, Route, hookimpl

PERMISSION = "release#view"
PUBLIC_PATH = "/bench/public"
PROTECTED_PATH = "/bench/protected"


class Tiny:
    """A small JSON answer, the same for both routes."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"ok": True}


def _registered_elsewhere(host, name: str) -> bool:
    """The host refuses a permission registered twice, and `host.permissions` does not exist
    yet while permissions are collected: ask the other plugins' implementations directly."""
    me = sys.modules[__name__]
    for impl in host.pm.hook.register_permissions.get_hookimpls():
        if impl.plugin is me:
            continue
        if any(p.name == name for p in impl.function(host=host) or []):
            return True
    return False


@hookimpl
def register_permissions(host):
    if _registered_elsewhere(host, PERMISSION):
        return []
    return [Permission(PERMISSION, "View releases (registered by bench.plugin)", is_global=False)]


@hookimpl
def register_routes(host):
    tiny = Tiny()
    return [
        Route(PUBLIC_PATH, tiny, {"GET": PUBLIC}),
        Route(PROTECTED_PATH, tiny, {"GET": PERMISSION}),
    ]
