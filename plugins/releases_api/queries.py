"""The query strings of the lists, declared once as Structs: they are read with `read_query` and
documented from the same fields (bounds included)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

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
