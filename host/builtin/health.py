"""Built-in plugin: `GET /api/v1/health`, public, says whether the database answers."""

from __future__ import annotations

import logging

import falcon
import peewee

from host.hookimpl import hookimpl
from host.routes import PUBLIC, Route

log = logging.getLogger("release_host")


class Health:
    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            self.host.database.execute_sql("SELECT 1").fetchone()
            database = "ok"
        except peewee.PeeweeException as exc:
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            database = "unreachable"
        resp.status = falcon.HTTP_200 if database == "ok" else falcon.HTTP_503
        resp.media = {"status": "ok" if database == "ok" else "degraded", "database": database}


@hookimpl
def register_routes(host):
    return [Route("/api/v1/health", Health(host), {"GET": PUBLIC})]
