"""A route whose POST responder declares no permission: the host must refuse to start."""

from host import PUBLIC, Route, hookimpl


class Resource:
    def on_get(self, req, resp):
        resp.media = {}

    def on_post(self, req, resp):
        resp.media = {}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/undeclared", Resource(), {"GET": PUBLIC})]
