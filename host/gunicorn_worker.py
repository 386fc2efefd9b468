"""The gunicorn worker `release-host serve` runs: gunicorn's threaded worker, except that a
connection takes a thread only once its request headers have arrived in full.

gunicorn's `gthread` worker hands a connection to a thread as soon as its first bytes arrive and
then reads the headers there with no time limit, so each client that stops mid-headers holds a
thread for as long as it keeps the socket open (see docs/deployment.md). Here the kernel's receive
buffer is peeked at instead: until it holds a whole header block the connection goes back to the
worker's poller (gunicorn's own "pending" list, closed after `keepalive` seconds of silence), and a
client that has not finished its headers after `header_timeout` seconds is disconnected. Once
headers are complete, reading the body and writing the answer may each pause `body_timeout`
seconds at most.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from gunicorn.workers import gthread

HEADER_END = b"\r\n\r\n"
PEEK_BYTES = 64 * 1024  # more than this without an end of headers: gunicorn's own limits decide


class HeaderBufferingWorker(gthread.ThreadWorker):
    """`gthread` that parks connections with incomplete headers on the poller, not on a thread."""

    header_timeout = 10.0
    body_timeout = 30.0

    def handle(self, conn: gthread.TConn) -> Any:
        if self.cfg.is_ssl or conn.is_http2 or _headers_complete(conn):
            conn.headers_started = None
            return super().handle(conn)
        started = getattr(conn, "headers_started", None)
        if started is None:
            conn.headers_started = started = time.monotonic()
        if time.monotonic() - started > self.header_timeout:
            return False  # gunicorn closes the connection
        return gthread._DEFER

    def handle_request(self, req: Any, conn: gthread.TConn) -> Any:
        conn.sock.settimeout(self.body_timeout)
        return super().handle_request(req, conn)


def _headers_complete(conn: gthread.TConn) -> bool:
    """True when a whole header block, or the connection's end, can be read without waiting."""
    parser = conn.parser
    buffered = parser.unreader.buf.getvalue() if parser is not None else b""
    try:
        peeked = conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        peeked = b""
    except OSError:
        return True  # gunicorn meets the error and closes
    else:
        if not peeked and not buffered:
            return True  # the client closed: gunicorn reads the end and closes
    data = (buffered + peeked).lstrip(b"\r\n")
    return HEADER_END in data or len(data) >= PEEK_BYTES
