"""Permissions and routes with every kind of declared access, for the register_routes/permissions tests."""

from host import AUTHENTICATED, PUBLIC, Permission, Route, hookimpl


class Notes:
    """A resource with one responder per kind of access."""

    def on_get(self, req, resp):
        resp.media = {"notes": ["public"]}

    def on_post(self, req, resp):
        resp.media = {"written": True}

    def on_delete(self, req, resp):
        resp.media = {"deleted": True, "by": req.context.actor.username}


class Note:
    def on_get(self, req, resp, note_id):
        resp.media = {"note": note_id}


class Me:
    def on_get(self, req, resp):
        resp.media = {"username": req.context.actor.username}


class Page:
    def on_get(self, req, resp):
        resp.content_type = "text/html"
        resp.text = "<p>notes</p>"


@hookimpl
def register_permissions(host):
    return [
        Permission("notes#write", "Write notes"),
        Permission("notes#read", "Read one note", is_global=False),
    ]


@hookimpl
def register_routes(host):
    return [
        Route(
            "/api/v1/hooks/notes", Notes(), {"GET": PUBLIC, "POST": "notes#write", "DELETE": AUTHENTICATED}
        ),
        Route(
            "/api/v1/hooks/notes/{note_id}",
            Note(),
            {"GET": "notes#read"},
            object_of=lambda params: f"Notes/{params['note_id']}",
        ),
        Route("/api/v1/hooks/me", Me(), {"GET": AUTHENTICATED}),
        Route("/hooks/notes", Page(), {"GET": AUTHENTICATED}, page=True),
    ]
