"""PostgreSQL's connection pool without a round trip on every checkout.

peewee's pool asks the server `SELECT 1` each time a connection leaves the pool (~70 µs of server
CPU and a round trip per request, even for a public page). Here a connection returned to the
pool less than `LIVENESS_IDLE_SECONDS` ago is handed out on its local state alone (open, no
transaction pending); one idle longer, and every pooled one after a connection was found lost,
is still checked with `SELECT 1`. A connection that turns out dead on its first statement (the
server restarted or killed its backend while it sat in the pool) is replaced and that
statement run once more: it never reached a live backend. Nothing is retried inside a
transaction or after the first statement of a checkout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import peewee
from playhouse.pool import PooledPostgresqlDatabase

LIVENESS_IDLE_SECONDS = 30.0
T = TypeVar("T")


class HostPooledPostgresqlDatabase(PooledPostgresqlDatabase):
    """`PooledPostgresqlDatabase` with the liveness rule of the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._returned_at: dict[int, float] = {}  # connection key → when it came back to the pool
        self._checkout = threading.local()  # unverified: handed out without a round trip

    def _is_closed(self, conn: Any) -> bool:
        adapter = self._adapter
        if conn.closed or adapter.txn_status(conn) != adapter.txn_idle:
            return super()._is_closed(conn)
        returned = self._returned_at.get(self.conn_key(conn))
        if returned is not None and time.monotonic() - returned < LIVENESS_IDLE_SECONDS:
            self._checkout.unverified = True
            return False
        return super()._is_closed(conn)

    def _connect(self) -> Any:
        self._checkout.unverified = False
        return super()._connect()

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        self._returned_at[self.conn_key(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _close_raw(self, conn: Any) -> None:
        self._returned_at.pop(self.conn_key(conn), None)
        super()._close_raw(conn)

    def recovering(self, run: Callable[[], T]) -> T:
        """`run()` (a checkout's statements); when the first finds its unverified pooled
        connection dead, every pooled connection is marked for checking, this one replaced, and
        `run()` called once more."""
        state = self._checkout
        if getattr(state, "running", False):
            return run()
        state.running = True
        try:
            try:
                return run()
            except (peewee.OperationalError, peewee.InterfaceError):
                conn = self._state.conn
                lost = conn is not None and conn.closed
                if lost:
                    self._returned_at.clear()
                if not (lost and getattr(state, "unverified", False) and not self.in_transaction()):
                    raise
                self._close(conn, close_conn=True)
                try:
                    with peewee.__exception_wrapper__:  # type: ignore[attr-defined]  # as connect() does
                        self._state.conn = self._connect()  # the block's context stays as it was
                except peewee.PeeweeException:
                    self._state.reset()  # the server is down, not only this connection: nothing to return
                    raise
                self._initialize_connection(self._state.conn)
                return run()
        finally:
            state.running = False
            state.unverified = False

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        return self.recovering(lambda: super(HostPooledPostgresqlDatabase, self).execute_sql(sql, params))
