"""Typed JSON bodies: one msgspec declaration validates a request, encodes a response and gives
the OpenAPI schema, so the code and the document cannot drift apart."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, TypeVar

import falcon
import msgspec

from host.bodies import read_body, too_large
from host.responses import bad_request, require_json_type, unsafe_json

T = TypeVar("T")


class ErrorBody(msgspec.Struct):
    """Every error the API answers: the status's reason phrase and a sentence that says why."""

    error: str
    message: str


@cache
def _decoder(kind: Any) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(kind)


_encoder = msgspec.json.Encoder()


def read_json(req: falcon.Request, kind: type[T], limit: int = 1024 * 1024) -> T:
    """The body decoded as `kind`, or a 400/413/415 whose message names the field and the fault."""
    require_json_type(req)
    raw = read_body(req, limit)
    if raw is None:
        raise too_large(limit)
    if not raw.strip():
        raise bad_request("A JSON body is required.")
    if b"\\u" in raw:
        _refuse_escaped_nul_or_surrogate(raw)
    try:
        return _decoder(kind).decode(raw)  # type: ignore[arg-type]
    except msgspec.ValidationError as exc:
        raise bad_request(f"The request body is not valid: {exc}.") from None
    except msgspec.DecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None


def _refuse_escaped_nul_or_surrogate(raw: bytes) -> None:
    """msgspec accepts `\\u0000` and calls a lone surrogate "truncated input": name them instead."""
    try:
        problem = unsafe_json(json.loads(raw), "")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return
    if problem:
        raise bad_request(f"The request body contains {problem}.")


def send_json(resp: falcon.Response, value: Any, status: int = 200) -> None:
    """Encode `value` (Structs, lists, dicts, datetimes) as the response body."""
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = _encoder.encode(value)
