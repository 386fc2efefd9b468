"""In-process timing (no HTTP) and SQL statement counting.

On a 2-core machine the HTTP numbers carry the load generator's and gunicorn's noise; timing
`host.authenticate(req)` + `host.allowed(...)` directly shows the authentication step alone.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import falcon
import falcon.testing
import peewee

from bench.load import percentile
from host.errors import AuthenticationFailed


@dataclass
class Timing:
    """Per-call durations in microseconds, kept per round.

    `p50_us` is the lowest of the rounds' medians: on a shared machine a round that other
    processes disturbed shows up as a higher median, and the least disturbed round is the best
    estimate of the code's own cost (what `timeit` does with its minimum). `p99_us` is taken
    over every call of every round, disturbances included.
    """

    rounds: list[list[float]] = field(default_factory=list)

    @property
    def samples(self) -> list[float]:
        return [v for values in self.rounds for v in values]

    @property
    def p50_us(self) -> float:
        return min(percentile(sorted(values), 0.50) for values in self.rounds if values)

    @property
    def p99_us(self) -> float:
        return percentile(sorted(self.samples), 0.99)


class StatementCounter:
    """Counts SQL statements the current connection runs, by first keyword.

    SQLite: the driver's trace callback, which sees every statement whoever runs it.
    PostgreSQL: the peewee database's `cursor()` is wrapped, which sees everything sent through
    peewee (`execute_sql`, queries, `PreparedQuery`) but not a raw psycopg2 cursor taken from
    `database.connection()` directly.
    """

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self.counts: Counter[str] = Counter()
        self.statements: list[str] = []

    def record(self, sql: str) -> None:
        keyword = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if keyword in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "EXECUTE", "PREPARE"}:
            self.counts[keyword] += 1
            if len(self.statements) < 50:
                self.statements.append(sql)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts.clear()
        self.statements.clear()

    @contextmanager
    def active(self) -> Iterator[StatementCounter]:
        if isinstance(self.db, peewee.SqliteDatabase):
            conn = self.db.connection()
            conn.set_trace_callback(self.record)
            try:
                yield self
            finally:
                conn.set_trace_callback(None)
            return
        original = self.db.cursor
        counter = self

        class CountingCursor:
            def __init__(self, cursor: Any) -> None:
                self._cursor = cursor

            def execute(self, sql: str, params: Any = None) -> Any:
                counter.record(sql)
                return self._cursor.execute(sql, params)

            def executemany(self, sql: str, params: Any) -> Any:
                counter.record(sql)
                return self._cursor.executemany(sql, params)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._cursor, name)

            def __iter__(self) -> Iterator[Any]:
                return iter(self._cursor)

        self.db.cursor = lambda *a, **k: CountingCursor(original(*a, **k))  # type: ignore[method-assign]  # counting wrapper, undone below
        try:
            yield self
        finally:
            del self.db.cursor


def make_request(path: str, headers: dict[str, str]) -> falcon.Request:
    return falcon.Request(falcon.testing.create_environ(path=path, headers=headers, remote_addr="127.0.0.1"))


def auth_step(host: Any, path: str, headers: dict[str, str], permission: str) -> bool:
    """What the middleware does for a protected route: authenticate, then decide.
    True when allowed; False when refused (401 or 403)."""
    req = make_request(path, headers)
    try:
        actor = host.authenticate(req)
    except AuthenticationFailed:
        return False
    return actor is not None and host.allowed(actor, permission)


def time_auth(
    host: Any,
    path: str,
    header_sets: list[dict[str, str]],
    permission: str,
    iterations: int,
    counter: StatementCounter | None = None,
    rounds: int = 5,
) -> tuple[Timing, int]:
    """Time the authentication + permission step over `iterations` requests in `rounds` rounds,
    cycling through `header_sets` (one per token). Each token is used once first, untimed, so
    that its once-a-minute last-used write happens before the timed loop. Returns the timings
    and how many calls were refused."""
    for headers in header_sets:
        auth_step(host, path, headers, permission)
    if counter is not None:
        counter.reset()
    timing = Timing()
    refused = 0
    clock = time.perf_counter_ns
    per_round = max(1, iterations // rounds)
    for r in range(rounds):
        requests = [
            make_request(path, header_sets[(r * per_round + i) % len(header_sets)]) for i in range(per_round)
        ]
        samples: list[float] = []
        for req in requests:
            start = clock()
            try:
                actor = host.authenticate(req)
                allowed = actor is not None and host.allowed(actor, permission)
            except AuthenticationFailed:
                allowed = False
            samples.append((clock() - start) / 1000)
            refused += not allowed
        timing.rounds.append(samples)
    return timing, refused


def time_wsgi(
    app: Callable, path: str, headers: dict[str, str], iterations: int, rounds: int = 5
) -> tuple[Timing, str]:
    """Time whole in-process WSGI requests (middleware, routing, responder, serialisation)."""
    status_seen = ""

    def start_response(status: str, response_headers: list, exc_info: Any = None) -> None:
        nonlocal status_seen
        status_seen = status

    timing = Timing()
    clock = time.perf_counter_ns
    per_round = max(1, iterations // rounds)
    for _ in range(rounds):
        environs = [
            falcon.testing.create_environ(path=path, headers=headers, remote_addr="127.0.0.1")
            for _ in range(per_round)
        ]
        samples: list[float] = []
        for environ in environs:
            start = clock()
            body = app(environ, start_response)
            b"".join(body)
            if hasattr(body, "close"):
                body.close()
            samples.append((clock() - start) / 1000)
        timing.rounds.append(samples)
    return timing, status_seen


def count_statements(host: Any, path: str, headers: dict[str, str], permission: str) -> Counter[str]:
    """SQL statements one authentication + permission step runs for these headers, in steady
    state: one untimed step first, so that a connection fresh from the pool has PREPAREd its
    statements (PostgreSQL) before counting."""
    auth_step(host, path, headers, permission)
    counter = StatementCounter(host.database)
    with counter.active():
        auth_step(host, path, headers, permission)
    return Counter(counter.counts)
