"""A plugin for the log-injection tests: logs the Basic username it is sent, as a login plugin
logs whom it refused."""

import logging

from host import PUBLIC, Route, basic_credentials, hookimpl

log = logging.getLogger("release_host.log_usernames")


class Login:
    def on_get(self, req, resp):
        credentials = basic_credentials(req)
        log.warning("login refused for user %s from %s", credentials[0] if credentials else None, req.path)
        resp.media = {"refused": True}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/log-test/login", Login(), {"GET": PUBLIC})]
