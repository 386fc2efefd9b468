"""Registers the health route a second time: the host must refuse to start."""

from host import PUBLIC, Route, hookimpl


class Resource:
    def on_get(self, req, resp):
        resp.media = {}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/health", Resource(), {"GET": PUBLIC})]
