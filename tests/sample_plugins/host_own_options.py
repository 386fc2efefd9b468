"""A resource with its own OPTIONS responder behind a route that declares only GET."""

from host import AUTHENTICATED, Route, hookimpl


class Resource:
    def on_get(self, req, resp):
        resp.media = {}

    def on_options(self, req, resp):
        resp.media = {"secret": "served without any check"}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/own-options", Resource(), {"GET": AUTHENTICATED})]
