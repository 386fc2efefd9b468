"""Permission opinions, for `test_hook_permission_allowed`.

- `risk_profile#edit` is denied to `mallory` whatever her roles grant (a veto);
- `notes#read` is allowed to anyone on `Notes/shared` (an allow on one object);
- everything else: no opinion.

It mounts `POST /api/v1/hooks/releases`, which requires `risk_profile#edit`.
"""

from host import Route, hookimpl


class Releases:
    def on_post(self, req, resp):
        resp.status = "201 Created"
        resp.media = {"created": True}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/hooks/releases", Releases(), {"POST": "risk_profile#edit"})]


@hookimpl
def permission_allowed(host, actor, permission, resource):
    if permission == "risk_profile#edit" and actor.username == "mallory":
        return False
    if permission == "notes#read" and resource == "Notes/shared":
        return True
    return None
