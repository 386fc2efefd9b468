"""Connections and transactions that work the same on SQLite and PostgreSQL, from requests,
worker threads, CLI commands and event handlers alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import peewee

from host import database, to_db
from plugins.releases_api.models import Release


@contextmanager
def connection() -> Iterator[None]:
    """Use the thread's open connection, or open one and close it afterwards.

    peewee's `connection_context()` closes a connection someone else opened (the request's),
    which would break the caller; this one only closes what it opened.
    """
    db = database.obj
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield
    finally:
        if opened and not db.is_closed():
            db.close()


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
