"""The query strings of the lists, declared once as Structs: they are read with `read_query` and
documented from the same fields (bounds included)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, TypeVar

import falcon
import msgspec
from msgspec import Meta

from host import bad_request, query_int

MAX_RESULTS_PER_PAGE = 100
MAX_PAGE = 1_000_000


class PagingQuery(msgspec.Struct, kw_only=True, rename="camel"):
    """`page` (from 0) and `resultsPerPage` (1 to 100, default 100), in ASCII digits."""

    page: Annotated[int, Meta(ge=0, le=MAX_PAGE, description="The page, from 0.")] = 0
    results_per_page: Annotated[
        int, Meta(ge=1, le=MAX_RESULTS_PER_PAGE, description="Items per page, default 100.")
    ] = MAX_RESULTS_PER_PAGE


class ByTitleQuery(PagingQuery, kw_only=True):
    release_title: Annotated[str, Meta(min_length=1, description="The exact title.")]


class TemplatesQuery(PagingQuery, kw_only=True):
    title: Annotated[str, Meta(description="Part of the title, in any case.")] | None = None
    tag: Annotated[str, Meta(description="A tag the template has.")] | None = None


class TriggersQuery(PagingQuery, kw_only=True):
    template_id: Annotated[str, Meta(description="Only this template's triggers.")] | None = None


Q = TypeVar("Q", bound=msgspec.Struct)


@cache
def _fields(kind: type[msgspec.Struct]) -> tuple[msgspec.inspect.Field, ...]:
    info = msgspec.inspect.type_info(kind)
    assert isinstance(info, msgspec.inspect.StructType)
    return info.fields


def read_query(req: falcon.Request, kind: type[Q]) -> Q:
    """The query string as `kind`: each parameter at most once, an empty one counts as absent,
    numbers in ASCII digits; a 400 names the parameter and what it accepts."""
    values: dict[str, Any] = {}
    for field in _fields(kind):
        name, bounds = field.encode_name, field.type
        if isinstance(bounds, msgspec.inspect.Metadata):  # a description around the type
            bounds = bounds.type
        if isinstance(bounds, msgspec.inspect.IntType):
            values[name] = query_int(req, name, field.default, bounds.ge or 0, bounds.le or MAX_PAGE)
            continue
        value = req.params.get(name)
        if isinstance(value, list):
            raise bad_request(f"{name} must be given once.")
        if value is None or value == "":
            if field.required:
                raise bad_request(f"{name} is required.")
            continue
        values[name] = value
    try:
        return msgspec.convert(values, kind)
    except msgspec.ValidationError as exc:
        raise bad_request(f"The query string is not valid: {exc}.") from None
