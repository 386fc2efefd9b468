"""Named migrations per plugin, recorded in a table so that applying twice is a no-op."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import peewee

from host.db import BaseModel, database, to_db, write_transaction


@dataclass(frozen=True)
class Migration:
    """One step, named `m001_create_tokens` style; `apply` gets the live database."""

    name: str
    apply: Callable[[peewee.Database], None]


def create_tables(*models: type[peewee.Model]) -> Callable[[peewee.Database], None]:
    """The common first migration: create these tables and their indexes."""

    def apply(db: peewee.Database) -> None:
        db.create_tables(models, safe=True)

    return apply


class AppliedMigration(BaseModel):
    plugin = peewee.CharField(max_length=200)
    name = peewee.CharField(max_length=200)
    applied_at = peewee.DateTimeField()

    class Meta:
        table_name = "host_migrations"
        indexes = ((("plugin", "name"), True),)


def _lock(db: peewee.Database) -> None:
    """Serialise concurrent `migrate` runs (several hosts starting at once)."""
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(551600)")


def apply_migrations(steps: list[tuple[str, Migration]]) -> list[str]:
    """Apply every step not yet recorded, in order; return the names applied."""
    db = database.obj
    applied: list[str] = []
    with database.connection_context():
        if isinstance(db, peewee.SqliteDatabase):
            db.execute_sql("PRAGMA journal_mode=wal")
        with write_transaction():
            _lock(db)
            db.create_tables([AppliedMigration], safe=True)
            done = {(m.plugin, m.name) for m in AppliedMigration.select()}
            for plugin, step in steps:
                if (plugin, step.name) in done:
                    continue
                step.apply(db)
                AppliedMigration.create(plugin=plugin, name=step.name, applied_at=to_db(datetime.now(UTC)))
                applied.append(f"{plugin}:{step.name}")
    return applied
