"""What the server mounts against what its document lists: a route the document misses is a route
no client generator and no fuzzer will ever see."""

from __future__ import annotations

import re
from typing import Any

import falcon.inspect

from host.app import App

API_PREFIXES = ("/api/", "/webhooks/")
CONVERTER = re.compile(r"\{([^}:]+):[^}]*\}")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def mounted(app: App) -> set[tuple[str, str]]:
    """(path, METHOD) of every API responder Falcon routes to (not its own 405/OPTIONS answers),
    read from Falcon's router, whatever the host's bookkeeping says; HTML pages under /api/ (the
    reference viewer) are for people, not part of the API."""
    return {
        (CONVERTER.sub(r"{\1}", route.path), method.method)
        for route in falcon.inspect.inspect_routes(app)
        if route.path.startswith(API_PREFIXES) and not _page(app, route.path)
        for method in route.methods
        if not method.internal
    }


def _page(app: App, template: str) -> bool:
    declared = app.host.routes.get(template)
    return declared is not None and declared[1].page


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in METHODS
    }


def mismatches(app: App, document: dict[str, Any]) -> list[str]:
    """One line per operation the server answers that the document lacks, and per documented
    operation the server does not answer."""
    real, listed = mounted(app), documented(document)
    return [f"mounted, not documented: {m} {p}" for p, m in sorted(real - listed)] + [
        f"documented, not mounted: {m} {p}" for p, m in sorted(listed - real)
    ]
