"""The Access tokens page (filled in by the UI work); pat_auth mounts what this returns."""

from __future__ import annotations

from host import NavLink, Route


def page_routes(host) -> list[Route]:
    return []


def navigation_links(host, actor) -> list[NavLink]:
    return [NavLink("Access tokens", "/profile/access-tokens", order=10)]
