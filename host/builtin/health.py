"""Built-in plugin: `GET /api/v1/health`, public, says whether the database answers."""

from __future__ import annotations

import logging
from typing import Literal

import falcon
import msgspec
import peewee

from host.hookimpl import hookimpl
from host.routes import PUBLIC, Operation, Route
from host.typed_bodies import send_json

log = logging.getLogger("release_host")


class HealthOut(msgspec.Struct):
    """Whether the server can answer: `degraded` (503) while its database does not."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]


class Health:
    answers_without_database = True  # host.middleware.ConnectionMiddleware: it reports the outage

    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            self.host.database.execute_sql("SELECT 1").fetchone()
            database: Literal["ok", "unreachable"] = "ok"
        except peewee.PeeweeException as exc:
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            database = "unreachable"
        healthy = database == "ok"
        send_json(resp, HealthOut("ok" if healthy else "degraded", database), 200 if healthy else 503)


@hookimpl
def register_routes(host):
    answers = {200: HealthOut, 503: HealthOut}
    return [
        Route(
            "/api/v1/health",
            Health(host),
            {"GET": PUBLIC},
            operations={"GET": Operation("Whether the server and its database answer", responses=answers)},
        )
    ]
