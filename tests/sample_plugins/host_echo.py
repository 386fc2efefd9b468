"""A plugin for host tests: routes with each kind of declared access."""

from host import AUTHENTICATED, PUBLIC, Permission, Route, hookimpl, json_body


class Echo:
    def on_get(self, req, resp):
        resp.media = {"actor": None}

    def on_post(self, req, resp):
        resp.media = json_body(req)


class WhoAmI:
    def on_get(self, req, resp):
        actor = req.context.actor
        resp.media = {"username": actor.username, "via": actor.via}


class Thing:
    def on_get(self, req, resp, thing):
        resp.media = {"thing": thing}


class Boom:
    def on_get(self, req, resp):
        raise RuntimeError("internal detail that must not leak")


@hookimpl
def register_permissions(host):
    return [
        Permission("echo#write", "Post to the echo route"),
        Permission("echo#read", "Read things", is_global=False),
    ]


@hookimpl
def register_routes(host):
    return [
        Route("/api/v1/echo", Echo(), {"GET": PUBLIC, "POST": "echo#write"}),
        Route("/api/v1/whoami", WhoAmI(), {"GET": AUTHENTICATED}),
        Route(
            "/api/v1/things/{thing}",
            Thing(),
            {"GET": "echo#read"},
            object_of=lambda params: f"Things/{params['thing']}",
        ),
        Route("/api/v1/boom", Boom(), {"GET": PUBLIC}),
        Route("/echo-page", WhoAmI(), {"GET": AUTHENTICATED}, page=True),
    ]
