"""Lists the caller may see, a page at a time.

Visibility is decided by the host: one global check first (roles grant permissions server-wide
here, so that answers for every row at once); only when it says no are rows checked one by one,
for plugins that grant a permission on single objects.
"""

from __future__ import annotations

from typing import Any

import peewee

from host import Actor, Host
from plugins.releases_api.models import Release
from plugins.releases_api.specs import Search
from plugins.releases_api.vocabulary import OPEN_STATUSES, TEMPLATE


def page_rows(
    host: Host,
    actor: Actor,
    permission: str,
    query: peewee.ModelSelect[Release],
    page: int,
    per_page: int,
    order: tuple[peewee.Node, ...] = (),
) -> list[dict[str, Any]]:
    """One page of the query's releases that `actor` may see, as rows (`serialize.releases_out`);
    `order` defaults to oldest first (the API's order)."""
    rows: Any = query.order_by(*(order or (Release.created_at, Release.id))).dicts()
    if host.allowed(actor, permission):
        return list(rows.paginate(page + 1, per_page))
    skip = page * per_page
    found: list[dict[str, Any]] = []
    for row in rows.iterator():
        if not host.allowed(actor, permission, row["id"]):
            continue
        if skip:
            skip -= 1
            continue
        found.append(row)
        if len(found) == per_page:
            break
    return found


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
    return [Release(**row) for row in page_rows(host, actor, permission, query, page, per_page, order)]


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
