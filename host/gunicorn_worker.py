"""The gunicorn worker `release-host serve` runs: gunicorn's threaded worker, except that a
connection takes a thread only once its whole request (headers and body) has arrived.

gunicorn's `gthread` worker hands a connection to a thread as soon as its first bytes arrive and
then reads the headers and the body there, so each client that stops mid-request holds a thread
for as long as it keeps the socket open (see docs/deployment.md). Here a thread only drains what
the kernel already holds into the connection's buffer, without waiting, and hands the connection
back to the worker's poller (gunicorn's own "pending" list) until the request is complete, the way
a buffering proxy does; the socket is then readable again only when more bytes arrive. A
connection that has not sent its headers within `header_timeout` seconds of its first byte is
disconnected; one whose body has not arrived within `body_timeout` seconds of its headers is
answered 408; one silent for `keepalive` seconds is closed (408 when it was in the middle of a
body). Bodies are buffered up to the host's `max_body_bytes`: a larger one goes to the
application at once, which refuses it with 413 without reading it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from typing import Any

from gunicorn.http import get_parser
from gunicorn.http2 import negotiation
from gunicorn.workers import gthread

HEADER_END = b"\r\n\r\n"
MAX_HEADER_BYTES = 64 * 1024  # more than this without an end of headers: gunicorn's own limits decide
DEFAULT_MAX_BODY = 1024 * 1024
RECV_BYTES = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_TIMEOUT_BODY = b'{"error": "Request Timeout", "message": "The request body stopped arriving."}'
TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)
_EXPECT = re.compile(rb"\r\nexpect:[^\r\n]*", re.IGNORECASE)


class HeaderBufferingWorker(gthread.ThreadWorker):
    """`gthread` that parks connections with incomplete requests on the poller, not on a thread."""

    header_timeout = 10.0
    body_timeout = 30.0

    def handle(self, conn: gthread.TConn) -> Any:
        if self.cfg.is_ssl or conn.is_http2 or negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            return super().handle(conn)  # TLS and HTTP/2 framing are gunicorn's to read
        max_body = self._max_body()
        cap = MAX_HEADER_BYTES + max_body
        state = _State.of(conn)
        if not state.drain(conn, cap):
            return False  # the client closed before sending anything: gunicorn closes
        now = time.monotonic()
        verdict = state.verdict(max_body)
        if verdict is _Verdict.COMPLETE or len(state.data) > cap:
            # (past the cap, a request with very large headers: its body came as fast as we
            # could read, so a thread reads the rest)
            state.hand_over(conn)
            return super().handle(conn)
        if verdict is _Verdict.HEADERS:
            if state.body_since is None:
                state.body_since = now
                state.answer_continue(conn)
            if now - state.body_since > self.body_timeout:
                _send(conn, TIMEOUT_ANSWER)
                return False
        elif state.started is not None and now - state.started > self.header_timeout:
            return False
        return gthread._DEFER

    def handle_request(self, req: Any, conn: gthread.TConn) -> Any:
        conn.sock.settimeout(self.body_timeout)
        return super().handle_request(req, conn)

    def murder_pending(self) -> None:
        """gunicorn's, plus a 408 for a connection that went silent in the middle of its body."""
        now = time.monotonic()
        for conn in self.pending_conns:
            if conn.timeout > now:
                break
            state = getattr(conn, "buffered_request", None)
            if state is not None and state.body_since is not None:
                _send(conn, TIMEOUT_ANSWER)
        super().murder_pending()

    def _max_body(self) -> int:
        host = getattr(getattr(self, "wsgi", None), "host", None)
        return host.config.max_body_bytes if host is not None else DEFAULT_MAX_BODY


class _Verdict:
    INCOMPLETE = object()
    HEADERS = object()  # headers in, body still arriving
    COMPLETE = object()


class _State:
    """What one connection has sent of its next request so far."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.started: float | None = None
        self.body_since: float | None = None
        self.continued = False

    @classmethod
    def of(cls, conn: gthread.TConn) -> _State:
        state = getattr(conn, "buffered_request", None)
        if state is None:
            state = conn.buffered_request = cls()
            if conn.parser is not None:  # bytes of this request read ahead with the previous one
                state.data += conn.parser.unreader.take_buffered()
        return state

    def drain(self, conn: gthread.TConn, limit: int) -> bool:
        """Take what the kernel holds (up to `limit` bytes in all), without waiting; False when
        the client closed without sending anything."""
        while len(self.data) <= limit:
            try:
                chunk = conn.sock.recv(RECV_BYTES, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return bool(self.data)
            if not chunk:
                return bool(self.data)
            if self.started is None:
                self.started = time.monotonic()
            self.data += chunk
        return True

    def verdict(self, max_body: int) -> object:
        data = bytes(self.data).lstrip(b"\r\n")
        end = data.find(HEADER_END)
        if end < 0:
            return _Verdict.COMPLETE if len(data) >= MAX_HEADER_BYTES else _Verdict.INCOMPLETE
        head, body = data[:end].lower(), data[end + len(HEADER_END) :]
        if b"\r\ntransfer-encoding:" in head:
            coding = head.split(b"\r\ntransfer-encoding:", 1)[1].split(b"\r\n", 1)[0]
            if b"chunked" not in coding:
                return _Verdict.COMPLETE  # not a framing we wait for: gunicorn answers
            done = _chunked_done(body)
            return _Verdict.COMPLETE if done or len(body) > max_body else _Verdict.HEADERS
        lengths = re.findall(rb"\r\ncontent-length:[ \t]*([^\r\n]*)", head)
        if len(lengths) != 1 or not lengths[0].strip().isdigit():
            return _Verdict.COMPLETE  # none (no body), or malformed: gunicorn decides
        length = int(lengths[0].strip())
        return _Verdict.COMPLETE if length > max_body or len(body) >= length else _Verdict.HEADERS

    def answer_continue(self, conn: gthread.TConn) -> None:
        """`Expect: 100-continue`: say go ahead now, and drop the header so gunicorn does not
        say it again once the body is in."""
        end = self.data.find(HEADER_END)
        head = bytes(self.data[:end])
        if self.continued or not _EXPECT.search(head):
            return
        self.continued = True
        self.data[:end] = _EXPECT.sub(b"", head)
        _send(conn, CONTINUE)

    def hand_over(self, conn: gthread.TConn) -> None:
        """Give the whole request to gunicorn's parser, as if it had just read it."""
        conn.buffered_request = None
        if conn.parser is None:
            conn.parser = get_parser(conn.cfg, conn.sock, conn.client)
            conn.initialized = True
        conn.parser.unreader.unread(bytes(self.data))
        conn.data_ready = True


def _chunked_done(body: bytes) -> bool:
    """Whether `body` holds a whole chunked body (through the last chunk and its trailers);
    broken framing counts as done, so that gunicorn answers it."""
    at = 0
    while True:
        line_end = body.find(b"\r\n", at)
        if line_end < 0:
            return False
        try:
            size = int(body[at:line_end].split(b";", 1)[0].strip(), 16)
        except ValueError:
            return True
        if size == 0:  # the last chunk, then trailers up to an empty line
            return body.find(HEADER_END, line_end) >= 0
        at = line_end + 2 + size + 2
        if at > len(body):
            return False


def _send(conn: gthread.TConn, data: bytes) -> None:
    with contextlib.suppress(OSError):
        conn.sock.send(data, socket.MSG_DONTWAIT)
