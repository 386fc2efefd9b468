"""User-menu links, for `test_hook_navigation_links`: one for everyone, one for admins only."""

from host import ADMIN, NavLink, hookimpl


@hookimpl
def navigation_links(host, actor):
    links = [NavLink("Bookmarks", "/hooks/bookmarks", order=50)]
    if host.allowed(actor, ADMIN):
        links.append(NavLink("Hooks admin", "/hooks/admin", order=5))
    return links
