"""`[logging] format = "json"`: one JSON object per log line, and a request id on every answer.

Every response carries `X-Request-Id`: the client's (or proxy's) own when it is a sane token
(letters, digits, `-_.:`, at most 64, and not shaped like a secret a plugin issues), else a new
random one. While a request runs its id is in a context variable, so every log record of that
request, the host's and plugins', names it. In JSON mode each request also ends with one
`request` record: route template, status, duration, the actor's id and credential kind (never
a username, a secret or the query string). gunicorn's own logs get the same formatter
(`logconfig_dict` in conf/gunicorn.conf.py); its access log is off then, this record replaces it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import falcon

if TYPE_CHECKING:
    from host.app import Host

HEADER = "X-Request-Id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "release_host_request", default=None
)
access = logging.getLogger("release_host.request")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line, with the current request's id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = _request.get()
        if current is not None:
            line["request_id"] = current["id"]
        line.update(getattr(record, "request_fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestIdMiddleware:
    """Gives each request its id (see the module), and in JSON mode logs its end."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.json = host.config.log_format == "json"

    def _id(self, req: falcon.Request) -> str:
        given = req.get_header(HEADER)
        if given and _SANE.fullmatch(given) and self.host.redact(given) == given:
            return given
        return secrets.token_hex(8)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        request_id = self._id(req)
        current = {"id": request_id, "started": time.perf_counter()}
        req.context.request_log = (current, _request.set(current))
        resp.set_header(HEADER, request_id)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        found = getattr(req.context, "request_log", None)
        if found is None:
            return
        current, reset = found
        try:
            if self.json:
                actor = getattr(req.context, "actor", None)
                fields = {
                    "method": req.method,
                    "route": req.uri_template or None,
                    "status": resp.status_code,
                    "duration_ms": round((time.perf_counter() - current["started"]) * 1000, 3),
                    "actor_id": actor.user_id if actor is not None else None,
                    "credential": actor.via if actor is not None else None,
                }
                access.info("request", extra={"request_fields": fields})
        finally:
            _request.reset(reset)


def logconfig(level: str = "INFO") -> dict[str, Any]:
    """gunicorn's `logconfig_dict` for JSON: its logs and the host's on stderr, one object a line."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "host.jsonlog.JsonFormatter"}},
        "handlers": {"json": handler},
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["json"], "propagate": False},
            # off: the host's own `request` record (with the request id) replaces it
            "gunicorn.access": {"level": "WARNING", "handlers": ["json"], "propagate": False},
        },
    }
