"""Typed JSON bodies: one msgspec declaration validates a request, encodes a response and gives
the OpenAPI schema, so the code and the document cannot drift apart."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any, TypeVar

import falcon
import msgspec

from host.bodies import read_body, too_large
from host.query import query_int
from host.responses import bad_request, require_json_type, unsafe_json

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)


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
        if _FLOAT_FOR_INT.match(str(exc)):
            return _with_whole_floats(raw, kind)
        raise bad_request(plain(str(exc))) from None
    except msgspec.DecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None


_FLOAT_FOR_INT = re.compile(r"^Expected `[^`]*\bint\b[^`]*`, got `float`")


def _whole(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**63 else number


def _with_whole_floats(raw: bytes, kind: type[T]) -> T:
    """The body again, `629.0` read as `629`: JSON Schema's `integer` is any number with no
    fraction, so a document saying `integer` must accept what a JavaScript client may send."""
    try:
        return msgspec.convert(json.loads(raw, parse_float=_whole), kind)
    except msgspec.ValidationError as exc:
        raise bad_request(plain(str(exc))) from None


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


_WHERE = re.compile(r"^(?P<what>.*) - at `\$\.?(?P<field>[^`]*)`$")
_KINDS = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "array": "a list",
    "object": "an object",
}
_KIND = re.compile(r"`([a-z]+(?: \| [a-z]+)*)`")


def _kinds(match: re.Match[str]) -> str:
    return " or ".join(_KINDS.get(kind, kind) for kind in match[1].split(" | "))


def plain(error: str) -> str:
    """msgspec's "Expected `str`, got `int` - at `$.tokenNote`" as "tokenNote: expected a
    string, got a whole number.": the field first, in the words of the API, not of JSONPath."""
    found = _WHERE.match(error)
    what, field = (found["what"], found["field"]) if found else (error, "")
    missing = re.fullmatch(r"Object missing required field `([^`]*)`", what)
    if missing:
        name = f"{field}.{missing[1]}" if field else missing[1]
        return f"{name} is required."
    unknown = re.fullmatch(r"Object contains unknown field `([^`]*)`", what)
    if unknown:
        name = f"{field}.{unknown[1]}" if field else unknown[1]
        return f"Unknown field {name}."
    what = _KIND.sub(_kinds, what)
    what = what[:1].lower() + what[1:]
    return f"{field}: {what}." if field else f"The request body: {what}."


def read_query(req: falcon.Request, kind: type[S]) -> S:
    """The query parameters as the Struct `kind` declares them: whole numbers by `query_int`'s
    rule (ASCII digits within the field's `Meta(ge=, le=)`), strings as given, a `Literal` one
    of its values; each parameter at most once, and an empty one counts as absent. Absent
    parameters take the defaults; the field's other rules (`min_length`, a pattern) apply as in a
    body. A 400 names the parameter otherwise."""
    values: dict[str, Any] = {}
    for field in _query_fields(kind):
        name, info = field.encode_name, field.type
        while isinstance(info, msgspec.inspect.Metadata):  # Annotated[..., Meta(description=...)]
            info = info.type
        default = None if field.default is msgspec.NODEFAULT else field.default
        if isinstance(info, msgspec.inspect.IntType):
            values[name] = query_int(req, name, default or 0, info.ge or 0, info.le or 10**18 - 1)
            continue
        raw = req.params.get(name)
        if isinstance(raw, list):
            raise bad_request(f"{name} must be given once.")
        if raw is None or raw == "":
            if field.required:
                raise bad_request(f"{name} is required.")
            continue
        choices = _choices(info)
        if choices is not None and raw not in choices:
            raise bad_request(f"{name} must be one of {', '.join(choices)}; got {raw[:100]!r}.")
        values[name] = raw
    try:
        return msgspec.convert(values, kind)
    except msgspec.ValidationError as exc:
        raise bad_request(f"The query string is not valid: {exc}.") from None


@cache
def _query_fields(kind: type[msgspec.Struct]) -> tuple[msgspec.inspect.Field, ...]:
    return msgspec.inspect.type_info(kind).fields  # type: ignore[attr-defined, no-any-return]


def _choices(info: Any) -> list[str] | None:
    """The values a `Literal[...]` (or `Literal[...] | None`) field takes; None for free text."""
    if isinstance(info, msgspec.inspect.UnionType):
        kinds = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        info = kinds[0] if len(kinds) == 1 else info
    if isinstance(info, msgspec.inspect.LiteralType):
        return [str(v) for v in info.values]
    return None
