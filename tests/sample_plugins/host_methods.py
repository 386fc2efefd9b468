"""Declared WebDAV and OPTIONS responders: each is enforced like any other method."""

from host import AUTHENTICATED, PUBLIC, Route, hookimpl


class Resource:
    def on_get(self, req, resp):
        resp.media = {}

    def on_propfind(self, req, resp):
        resp.media = {"actor": req.context.actor.username}

    def on_options(self, req, resp):
        resp.media = {"actor": req.context.actor.username}


class ReadOnly:
    def on_get(self, req, resp):
        resp.media = {"read": True}


@hookimpl
def register_routes(host):
    return [
        Route(
            "/api/v1/dav", Resource(), {"GET": PUBLIC, "PROPFIND": AUTHENTICATED, "OPTIONS": AUTHENTICATED}
        ),
        Route("/api/v1/read-only", ReadOnly(), {"GET": PUBLIC}),
    ]
