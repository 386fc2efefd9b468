"""Built-in plugin: `GET /metrics`, the Prometheus text format, for holders of `metrics#view`."""

from __future__ import annotations

import falcon

from host import metrics
from host.hookimpl import hookimpl
from host.permissions import Permission
from host.routes import Route

METRICS_VIEW = "metrics#view"


class Metrics:
    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        body, content_type = metrics.scrape(self.host)
        resp.data = body
        resp.content_type = content_type


@hookimpl
def register_permissions(host):
    return [Permission(METRICS_VIEW, "Read the server's metrics (GET /metrics, for Prometheus)")]


@hookimpl
def register_routes(host):
    return [Route("/metrics", Metrics(host), {"GET": METRICS_VIEW})]
