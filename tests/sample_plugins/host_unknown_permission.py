"""A route requiring a permission nobody registered: the host must refuse to start."""

from host import Route, hookimpl


class Resource:
    def on_get(self, req, resp):
        resp.media = {}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/typo", Resource(), {"GET": "relase#view"})]
