"""Lists the caller may see, a page at a time.

Visibility is decided by the host: one global check first (roles grant permissions server-wide
here, so that answers for every row at once); only when it says no are rows checked one by one,
for plugins that grant a permission on single objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

import peewee

from host import Actor, Host, PreparedQuery, database
from plugins.releases_api.models import Release
from plugins.releases_api.permissions import VIEW
from plugins.releases_api.serialize import RELEASE_COLUMNS
from plugins.releases_api.specs import Search
from plugins.releases_api.vocabulary import OPEN_STATUSES, TEMPLATE

T = TypeVar("T")
OLDEST_FIRST = (Release.created_at, Release.id)


def _visible(
    host: Host,
    actor: Actor,
    permission: str,
    rows: Iterable[T],
    id_of: Callable[[T], str],
    page: int,
    per_page: int,
) -> list[T]:
    """Page `page` of the rows whose release `actor` may see, checked one by one."""
    skip = page * per_page
    found: list[T] = []
    for row in rows:
        if not host.allowed(actor, permission, id_of(row)):
            continue
        if skip:
            skip -= 1
            continue
        found.append(row)
        if len(found) == per_page:
            break
    return found


def page_rows(
    host: Host,
    actor: Actor,
    permission: str,
    query: peewee.ModelSelect[Release],
    page: int,
    per_page: int,
    order: tuple[peewee.Node, ...] = (),
) -> list[tuple[Any, ...]]:
    """One page of the query's releases that `actor` may see, as rows of `RELEASE_COLUMNS`
    (`serialize.releases_out`); `order` defaults to oldest first (the API's order)."""
    query = query.select(*RELEASE_COLUMNS).order_by(*(order or OLDEST_FIRST))
    if host.allowed(actor, permission):
        return list(database.execute_sql(*query.paginate(page + 1, per_page).sql()).fetchall())
    cursor = database.execute_sql(*query.sql())
    return _visible(host, actor, permission, iter(cursor.fetchone, None), itemgetter(0), page, per_page)


_OPEN_PAGE = PreparedQuery(
    lambda: (
        Release.select(*RELEASE_COLUMNS)
        .where(Release.status.in_(OPEN_STATUSES))
        .order_by(*OLDEST_FIRST)
        .paginate(1, 1)
    )
)


def open_page(host: Host, actor: Actor, page: int, per_page: int) -> list[tuple[Any, ...]]:
    """`page_rows` of `open_releases()`, from SQL built once (the list API clients call most)."""
    if host.allowed(actor, VIEW):
        return _OPEN_PAGE.rows([*OPEN_STATUSES, per_page, page * per_page])
    return page_rows(host, actor, VIEW, open_releases(), page, per_page)


def page_of(
    host: Host,
    actor: Actor,
    permission: str,
    query: peewee.ModelSelect[Release],
    page: int,
    per_page: int,
    order: tuple[peewee.Node, ...] = (),
) -> list[Release]:
    """Like `page_rows`, as models (for the pages)."""
    query = query.order_by(*(order or OLDEST_FIRST))
    if host.allowed(actor, permission):
        return list(query.paginate(page + 1, per_page))
    return _visible(host, actor, permission, query.iterator(), attrgetter("id"), page, per_page)


def open_releases() -> peewee.ModelSelect[Release]:
    """Planned and active releases: what `GET /api/v1/releases` lists."""
    return Release.select().where(Release.status.in_(OPEN_STATUSES))


def by_title(title: str) -> peewee.ModelSelect[Release]:
    return Release.select().where((Release.title == title) & (Release.status != TEMPLATE))


def search(filters: Search) -> peewee.ModelSelect[Release]:
    query = Release.select().where(Release.status != TEMPLATE)
    if filters.statuses:
        query = query.where(Release.status.in_(sorted(filters.statuses)))
    if filters.title:
        query = query.where(peewee.fn.LOWER(Release.title).contains(filters.title.lower()))
    if filters.origin_template_id:
        query = query.where(Release.origin_template_id == filters.origin_template_id)
    releases = query
    if filters.tags:
        wanted = set(filters.tags)
        ids = [r.id for r in query.select(Release.id, Release.tags) if wanted <= set(r.tags or [])]
        releases = Release.select().where(Release.id.in_(ids))
    return releases


def templates(title: str | None, tag: str | None) -> peewee.ModelSelect[Release]:
    query = Release.select().where(Release.status == TEMPLATE)
    if title:
        query = query.where(peewee.fn.LOWER(Release.title).contains(title.lower()))
    if tag:
        ids = [r.id for r in query.select(Release.id, Release.tags) if tag in (r.tags or [])]
        query = Release.select().where(Release.id.in_(ids))
    return query
