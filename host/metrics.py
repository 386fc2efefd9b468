"""Counters for Prometheus (`GET /metrics`), with the official `prometheus_client`.

Under gunicorn every worker is its own process: `conf/gunicorn.conf.py` points
`PROMETHEUS_MULTIPROC_DIR` at `var/metrics` (emptied when the server starts, a dead worker's
files marked in `child_exit`), and a scrape adds up every worker's files. Outside gunicorn
(tests, one process) the default registry is read directly.

Labels hold only bounded, non-secret values: a route template (never the path a client sent),
a method from a fixed list, a status, a credential kind and a reason word; never a token, a
token hint, a username or an address. Counting is one in-memory (or mmap) increment per request.
"""

from __future__ import annotations

import os
import re
import threading
from typing import TYPE_CHECKING, Any

import peewee

if TYPE_CHECKING:
    from host.app import Host

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_WORD = re.compile(r"[a-z][a-z0-9_-]{0,31}")
UNMATCHED = "(unmatched)"


class _Instruments:
    """The metrics, made at first use: `prometheus_client` picks its in-process or
    multiprocess storage when it is imported, so it must not be imported before gunicorn's
    configuration has set `PROMETHEUS_MULTIPROC_DIR` (the host is imported earlier than that)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge

        self.requests = Counter(
            "release_host_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
        )
        self.authentications = Counter(
            "release_host_authentications",
            "Credentials checked, by kind (token, password, session, other) and outcome (ok, "
            "limited, or the refusal's reason: unknown, expired, deleted, owner-disabled, ...).",
            ["kind", "outcome"],
        )
        self.token_uses = Counter(
            "release_host_token_uses", "Requests authenticated by a personal access token."
        )
        self.database_errors = Counter(
            "release_host_database_errors",
            "Requests that found the database unreachable or busy (answered 503), by error class.",
            ["error"],
        )
        self.queue = Gauge(
            "release_host_work_queue_jobs",
            "Jobs in the host's work queue (host.jobs) by status, read at scrape time.",
            ["status"],
            multiprocess_mode="livemostrecent",
        )


_made: _Instruments | None = None


_making = threading.Lock()


def _instruments() -> _Instruments:
    """The instruments, made once per process even when a worker's threads count at once."""
    global _made
    with _making:
        if _made is None:
            _made = _Instruments()
        return _made


def word(value: str | None, fallback: str = "other") -> str:
    """`value` if it is a short lowercase word (what plugins pass as a reason), else `fallback`:
    nothing a client chose can become a label."""
    return value if value and _WORD.fullmatch(value) else fallback


_children: dict[tuple[str, ...], Any] = {}  # labelled counters already looked up (labels() costs)


def _child(counter: Any, *labels: str) -> Any:
    key = (counter._name, *labels)
    child = _children.get(key)
    if child is None:
        child = counter.labels(*labels)
        if len(_children) < 10_000:  # labels are bounded; this only caps memory if one is not
            _children[key] = child
    return child


def count_request(route: str | None, method: str, status: str) -> None:
    made = _made or _instruments()
    _child(made.requests, route or UNMATCHED, method if method in METHODS else "OTHER", status[:3]).inc()


def count_authentication(kind: str, outcome: str) -> None:
    made = _made or _instruments()
    _child(made.authentications, word(kind), word(outcome)).inc()
    if kind == "token" and outcome == "ok":
        made.token_uses.inc()


def count_database_error(error: str) -> None:
    (_made or _instruments()).database_errors.labels(word(error.lower(), "error")).inc()


def _queue_depths(host: Host) -> dict[str, int]:
    from host import jobs

    with host.connection():
        query = jobs.Job.select(jobs.Job.status, peewee.fn.COUNT(jobs.Job.id)).group_by(jobs.Job.status)
        rows: list[tuple[str, int]] = list(query.tuples())  # type: ignore[arg-type]
        return dict(rows)


def scrape(host: Host) -> tuple[bytes, str]:
    """The text exposition of every worker's counters (and the queue read now)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    made = _instruments()
    depths = _queue_depths(host)
    for status in ("queued", "running", "failed", "done"):
        made.queue.labels(status).set(depths.get(status, 0))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
