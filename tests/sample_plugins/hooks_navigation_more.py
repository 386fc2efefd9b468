"""A second plugin's links, for `test_hook_navigation_links`: ordered by `order`, then label."""

from host import NavLink, hookimpl


@hookimpl
def navigation_links(host, actor):
    return [NavLink("Archive", "/hooks/archive", order=50), NavLink("Help", "/hooks/help", order=900)]
