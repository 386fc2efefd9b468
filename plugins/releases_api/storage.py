"""Row locks and clocks that work the same on SQLite and PostgreSQL, from requests, worker
threads, CLI commands and event handlers alike."""

from __future__ import annotations

from datetime import UTC, datetime

import peewee

from host import database, to_db
from plugins.releases_api.models import Release


def lock_release(release_id: str) -> Release | None:
    """Read a release inside a write transaction, locking its row on PostgreSQL (SQLite's
    IMMEDIATE transaction already excludes other writers)."""
    query = Release.select().where(Release.id == release_id)
    if isinstance(database.obj, peewee.PostgresqlDatabase):
        query = query.for_update()
    return query.first()


def wall_clock() -> datetime:
    """Real time for leases: they measure whether a process is alive, across processes."""
    return datetime.now(UTC)


def db_now() -> datetime:
    return to_db(wall_clock())
