"""Reading a request body whatever its framing: a Content-Length, or `Transfer-Encoding: chunked`.

Falcon's `bounded_stream` trusts Content-Length alone and reads a chunked body (which has none)
as empty. A chunked body is read from the server's own stream instead, which the server de-chunks
and ends (gunicorn does); the host's `max_body_bytes` caps it as it caps a declared length.
"""

from __future__ import annotations

from typing import Any

import falcon


def is_chunked(req: falcon.Request) -> bool:
    return req.content_length is None and "chunked" in (req.get_header("Transfer-Encoding") or "").lower()


def too_large(limit: int) -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(
        title="Request body too large",
        description=f"The request body is larger than the limit of {limit} bytes.",
    )


class CappedStream:
    """A chunked body's stream that answers 413 once more than `limit` bytes have come."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.seen = 0

    def read(self, size: int | None = -1) -> bytes:
        left = self.limit + 1 - self.seen
        data = self.stream.read(left if size is None or size < 0 else min(size, left))
        self.seen += len(data)
        if self.seen > self.limit:
            raise too_large(self.limit)
        return data


class ChunkedBodyMiddleware:
    """Puts the host's body limit on chunked bodies (a declared length is checked up front)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if is_chunked(req):
            req.stream = CappedStream(req.stream, self.max_bytes)


def read_body(req: falcon.Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` bytes (a declared length over it is
    not read at all). 408 when the client stops sending it, 400 when its framing is broken."""
    if req.content_length is not None and req.content_length > limit:
        return None
    stream = req.stream if is_chunked(req) else req.bounded_stream
    try:
        raw = stream.read(limit + 1)
    except falcon.HTTPError:
        raise
    except TimeoutError:
        raise falcon.HTTPError(
            falcon.HTTP_408, title="Request Timeout", description="The request body stopped arriving."
        ) from None
    except Exception:
        raise falcon.HTTPBadRequest(
            title="Bad Request", description="The request body is cut short or its chunks are malformed."
        ) from None
    return None if len(raw) > limit else raw
