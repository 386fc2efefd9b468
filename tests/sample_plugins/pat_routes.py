"""For the personal access token tests: routes needing product permissions, a stand-in for the
login session (header `x-test-session: <username>`, actor via "session"), and an event recorder."""

import os

from host import AUTHENTICATED, Route, actor_for, find_user, hookimpl

EVENTS: list = []


class WhoAmI:
    """The actor as the token produced it, the credential it names, and which worker answered."""

    def __init__(self, host):
        self.host = host

    def on_get(self, req, resp):
        actor = req.context.actor
        info = None
        if actor.credential_id is not None:
            info = self.host.pm.hook.credential_info(host=self.host, credential_id=actor.credential_id)
        resp.media = {
            "username": actor.username,
            "source": actor.source,
            "via": actor.via,
            "scope": sorted(actor.scope) if actor.scope is not None else None,
            "credentialId": actor.credential_id,
            "credential": info,
            "pid": os.getpid(),
        }


class Needs:
    def __init__(self, permission):
        self.permission = permission

    def on_get(self, req, resp):
        resp.media = {"granted": self.permission}


@hookimpl
def register_routes(host):
    return [
        Route("/api/v1/pat-test/whoami", WhoAmI(host), {"GET": AUTHENTICATED}),
        Route("/api/v1/pat-test/reports", Needs("reports#view"), {"GET": "reports#view"}),
        Route("/api/v1/pat-test/runners", Needs("runner#registration"), {"GET": "runner#registration"}),
        Route("/api/v1/pat-test/templates", Needs("global_variables#edit"), {"GET": "global_variables#edit"}),
    ]


@hookimpl
def handle_event(host, event):
    """Keep events in memory; under gunicorn also append `pid name detail` to $PAT_TEST_EVENT_LOG."""
    EVENTS.append(event)
    path = os.environ.get("PAT_TEST_EVENT_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {event.name} {event.payload.get('detail', '')}\n")


@hookimpl(tryfirst=True)
def actor_from_request(host, req):
    username = req.get_header("x-test-session")
    if not username:
        return None
    return actor_for(find_user(username), via="session")
