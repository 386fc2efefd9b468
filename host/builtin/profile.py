"""Built-in plugin: the Profile page, where a signed-in user sets their e-mail address and time
zone (where notifications go, and the zone their times are shown in); `host.contact` checks them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import falcon

from host import contact
from host.builtin.pages import _form, _text
from host.hookimpl import hookimpl
from host.navigation import NavLink
from host.pages import render_page
from host.routes import AUTHENTICATED, Route
from host.users import User

PAGE = "/profile"


class ProfilePage:
    """`GET /profile` shows the form; `POST /profile` (a session with its CSRF token) saves it."""

    def __init__(self, host) -> None:
        self.host = host

    def _show(self, req: falcon.Request, resp: falcon.Response, values: dict[str, Any], **more: Any) -> None:
        render_page(self.host, req, resp, "host/profile.html", title="Profile", values=values, **more)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = User.get_by_id(req.context.actor.user_id)
        values = {"email": user.email, "time_zone": user.time_zone or "", "source": user.source}
        self._show(req, resp, values, saved=req.get_param("saved") == "1")

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = User.get_by_id(req.context.actor.user_id)
        form = _form(req)
        values = {"email": _text(form, "email"), "time_zone": _text(form, "time_zone"), "source": user.source}
        errors = {}
        for field, check in (("email", contact.clean_email), ("time_zone", contact.clean_time_zone)):
            try:
                check(values[field])
            except ValueError as exc:
                errors[field] = str(exc)
        if errors:
            self._show(req, resp, values, errors=errors, status=falcon.HTTP_400)
            return
        contact.set_contact(user, email=values["email"], time_zone=values["time_zone"])
        resp.status = falcon.HTTP_303
        resp.location = PAGE + "?" + urlencode({"saved": "1"})


@hookimpl
def register_routes(host):
    return [Route(PAGE, ProfilePage(host), {"GET": AUTHENTICATED, "POST": AUTHENTICATED}, page=True)]


@hookimpl
def navigation_links(host, actor):
    return [NavLink("Profile", PAGE, order=5)]
