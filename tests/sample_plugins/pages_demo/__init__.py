"""A plugin page built only on the public page API, for tests/test_pages.py.

A template extending `host/base.html`, a static file, a user-menu link, an HTML form carrying the
CSRF field, and a stand-in directory whose `ldap` users all have the password `directory-secret`.
"""

import falcon

from host import AUTHENTICATED, LDAP, AuthenticationFailed, NavLink, Route, find_user, hookimpl, render_page

DIRECTORY_PASSWORD = "directory-secret"


class Notes:
    def __init__(self, host) -> None:
        self.host = host
        self.notes: list[str] = []

    def on_get(self, req, resp):
        render_page(self.host, req, resp, "notes.html", package=__name__, title="Notes", notes=self.notes)

    def on_post(self, req, resp):
        self.notes.append(req.get_media().get("text", ""))
        resp.status = falcon.HTTP_303
        resp.location = "/demo/notes"


@hookimpl
def register_routes(host):
    return [Route("/demo/notes", Notes(host), {"GET": AUTHENTICATED, "POST": AUTHENTICATED}, page=True)]


@hookimpl
def navigation_links(host, actor):
    return [NavLink("Notes", "/demo/notes", order=50)]


@hookimpl
def authenticate_password(host, username, password):
    user = find_user(username)
    if user is None or user.source != LDAP:
        return None
    if password != DIRECTORY_PASSWORD:
        raise AuthenticationFailed("The directory refused this password.")
    return user
