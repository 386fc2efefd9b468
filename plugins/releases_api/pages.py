"""The Templates and Releases pages' routes and menu links (`page_views` has the pages).

Ids take two path segments (`Applications/Release…`), as in the API (see `routes`).
"""

from __future__ import annotations

from host import AUTHENTICATED, Actor, Host, NavLink, Route
from plugins.releases_api import page_views as v
from plugins.releases_api.ids import release_param
from plugins.releases_api.permissions import ABORT, CREATE, EDIT, START, TEMPLATE_VIEW, VIEW


def _template(params: dict) -> str:
    return f"{params['folder']}/{params['template']}"


def _release(tail: str, resource: object, access: dict[str, str], page: bool = True) -> Route:
    """A route under one release, its permission checked on that release."""
    return Route(
        v.RELEASES + "/{folder}/{release}" + tail, resource, access, page=page, object_of=release_param
    )


def page_routes(host: Host) -> list[Route]:
    template = v.TEMPLATES + "/{folder}/{template}"
    return [
        Route(v.TEMPLATES, v.TemplatesPage(host), {"GET": AUTHENTICATED}, page=True),
        Route(template, v.TemplatePage(host), {"GET": TEMPLATE_VIEW}, page=True, object_of=_template),
        # release#create here; the template right (template#create_release or #view) in the page
        Route(template + "/new-release", v.NewReleasePage(host), {"GET": CREATE, "POST": CREATE}, page=True),
        Route(v.RELEASES, v.ReleasesPage(host), {"GET": AUTHENTICATED}, page=True),
        _release("", v.ReleasePage(host), {"GET": VIEW}),
        _release("/progress", v.ReleaseProgress(host), {"GET": VIEW}, page=False),
        _release("/start", v.ReleaseAction(host, "start"), {"POST": START}),
        _release("/abort", v.ReleaseAction(host, "abort"), {"POST": ABORT}),
        _release("/delete", v.ReleaseAction(host, "delete"), {"POST": EDIT}),
    ]


def navigation_links(host: Host, actor: Actor) -> list[NavLink]:
    return [NavLink("Templates", v.TEMPLATES, order=20), NavLink("Releases", v.RELEASES, order=30)]
