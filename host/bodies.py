"""Request bodies whatever their framing: a Content-Length, or `Transfer-Encoding: chunked`.

Falcon's `bounded_stream` (and so `req.get_media()`) trusts Content-Length alone and reads a
chunked body, which has none, as empty. `ChunkedBodyMiddleware` reads a chunked body up front
(the server de-chunks it; gunicorn does), at most `[server] max_body_bytes` of it, and hands it on
as if it had come with a Content-Length: every reader downstream, the host's and the plugins',
sees the same body either way.
"""

from __future__ import annotations

import io
from typing import Any

import falcon


def too_large(limit: int) -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(
        title="Request body too large",
        description=f"The request body is larger than the limit of {limit} bytes.",
    )


def _read(stream: Any, size: int) -> bytes:
    """`stream.read(size)`, with a client that stops sending (408) or breaks the framing (400)
    answered as such rather than as a server error."""
    try:
        return stream.read(size)
    except TimeoutError:
        raise falcon.HTTPError(
            falcon.HTTP_408, title="Request Timeout", description="The request body stopped arriving."
        ) from None
    except Exception:
        raise falcon.HTTPBadRequest(
            title="Bad Request", description="The request body is cut short or its chunks are malformed."
        ) from None


class ChunkedBodyMiddleware:
    """Reads a chunked body (413 past `max_bytes`) and gives it a Content-Length."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        chunked = "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
        if not chunked or req.content_length is not None:
            return
        body = _read(req.stream, self.max_bytes + 1)
        if len(body) > self.max_bytes:
            raise too_large(self.max_bytes)
        req.env["CONTENT_LENGTH"] = str(len(body))
        req.stream = req.env["wsgi.input"] = io.BytesIO(body)


def read_body(req: falcon.Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` bytes (a declared length over it is
    not read at all). 408 when the client stops sending it, 400 when its framing is broken."""
    if req.content_length is not None and req.content_length > limit:
        return None
    raw = _read(req.bounded_stream, limit + 1)
    return None if len(raw) > limit else raw
