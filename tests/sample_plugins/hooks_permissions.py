"""Permission opinions, for `test_hook_permission_allowed`.

- `release#create` is denied to `mallory` whatever her roles grant (a veto);
- `notes#read` is allowed to anyone on `Notes/shared` (an allow on one object);
- everything else: no opinion.

It mounts `POST /api/v1/hooks/releases`, which requires `release#create`.
"""

from host import Route, hookimpl


class Releases:
    def on_post(self, req, resp):
        resp.status = "201 Created"
        resp.media = {"created": True}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/hooks/releases", Releases(), {"POST": "release#create"})]


@hookimpl
def permission_allowed(host, actor, permission, resource):
    if permission == "release#create" and actor.username == "mallory":
        return False
    if permission == "notes#read" and resource == "Notes/shared":
        return True
    return None
