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


def page_routes(host: Host) -> list[Route]:
    template = v.TEMPLATES + "/{folder}/{template}"
    release = v.RELEASES + "/{folder}/{release}"
    page = {"page": True, "object_of": release_param}
    return [
        Route(v.TEMPLATES, v.TemplatesPage(host), {"GET": AUTHENTICATED}, page=True),
        Route(template, v.TemplatePage(host), {"GET": TEMPLATE_VIEW}, page=True, object_of=_template),
        # release#create here; the template right (template#create_release or #view) in the page
        Route(template + "/new-release", v.NewReleasePage(host), {"GET": CREATE, "POST": CREATE}, page=True),
        Route(v.RELEASES, v.ReleasesPage(host), {"GET": AUTHENTICATED}, page=True),
        Route(release, v.ReleasePage(host), {"GET": VIEW}, **page),
        Route(release + "/progress", v.ReleaseProgress(host), {"GET": VIEW}, object_of=release_param),
        Route(release + "/start", v.ReleaseAction(host, "start"), {"POST": START}, **page),
        Route(release + "/abort", v.ReleaseAction(host, "abort"), {"POST": ABORT}, **page),
        Route(release + "/delete", v.ReleaseAction(host, "delete"), {"POST": EDIT}, **page),
    ]


def navigation_links(host: Host, actor: Actor) -> list[NavLink]:
    return [NavLink("Templates", v.TEMPLATES, order=20), NavLink("Releases", v.RELEASES, order=30)]
