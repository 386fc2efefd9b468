"""A resource answering PROPFIND (a WebDAV method) behind a route that declares only GET."""

from host import PUBLIC, Route, hookimpl


class Resource:
    def on_get(self, req, resp):
        resp.media = {}

    def on_propfind(self, req, resp):
        resp.media = {"actor": None if req.context.actor is None else req.context.actor.username}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/propfind", Resource(), {"GET": PUBLIC})]
