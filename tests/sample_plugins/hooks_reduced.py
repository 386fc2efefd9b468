"""Every hook implemented with only the arguments it uses, as the plugin guide allows."""

import peewee

from host import BaseModel, Migration, NavLink, Permission, PluginSettings, Route, hookimpl

CALLED: set[str] = set()


class ReducedNote(BaseModel):
    text = peewee.CharField()

    class Meta:
        table_name = "reduced_notes"


class Hello:
    def on_get(self, req, resp):
        resp.media = {"user": req.context.actor.username}


class ReducedSettings(PluginSettings):
    greeting: str = "hello"


@hookimpl
def register_settings():
    CALLED.add("register_settings")
    return ReducedSettings


@hookimpl
def register_permissions():
    CALLED.add("register_permissions")
    return [Permission("reduced#use", "Use the reduced plugin")]


@hookimpl
def register_routes():
    CALLED.add("register_routes")
    return [Route("/api/v1/reduced", Hello(), {"GET": "reduced#use"})]


@hookimpl
def actor_from_request(req):
    CALLED.add("actor_from_request")


@hookimpl
def validate_actor(actor):
    CALLED.add("validate_actor")


@hookimpl
def permission_allowed(permission):
    CALLED.add("permission_allowed")


@hookimpl
def authenticate_password(username):
    CALLED.add("authenticate_password")


@hookimpl
def credential_info(credential_id):
    CALLED.add("credential_info")
    return {"id": credential_id, "issuer": "reduced"} if credential_id == "reduced-1" else None


@hookimpl
def credential_status(secret):
    CALLED.add("credential_status")
    return {"state": "active", "message": "", "id": "reduced-1"} if secret == "reduced-secret-1" else None


@hookimpl
def register_models():
    CALLED.add("register_models")
    return [ReducedNote]


def _create(db):
    db.create_tables([ReducedNote])


@hookimpl
def register_migrations():
    CALLED.add("register_migrations")
    return [Migration("m001_reduced_notes", _create)]


@hookimpl
def startup():
    CALLED.add("startup")


@hookimpl
def shutdown():
    CALLED.add("shutdown")


@hookimpl
def register_commands(subparsers):
    CALLED.add("register_commands")
    subparsers.add_parser("reduced-hello", help="a command from a hook that takes only subparsers")


@hookimpl
def navigation_links(actor):
    CALLED.add("navigation_links")
    return [NavLink("Reduced", "/reduced")]


@hookimpl
def handle_event(event):
    CALLED.add("handle_event")
    return {"seen": event.name}


@hookimpl
def secret_patterns():
    CALLED.add("secret_patterns")
    return [r"reduced-secret-[0-9]+"]


@hookimpl
def permission_decided(permission):
    CALLED.add("permission_decided")


@hookimpl
def login_options(req):
    CALLED.add("login_options")


@hookimpl
def logout_redirect(actor):
    CALLED.add("logout_redirect")
