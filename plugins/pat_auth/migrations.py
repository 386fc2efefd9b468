"""Schema steps, applied once each and recorded by name."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from host import Migration, create_tables
from plugins.pat_auth.models import PatAuditRecord, PersonalAccessToken

AGGREGATE_INDEX = "pat_audit_aggregate_key"


def _m002_aggregate_refusals(db: peewee.Database) -> None:
    """Add the columns of aggregated refusals. A database created after this change already
    has them (m001 creates the current table), so only the missing ones are added."""
    migrator = SchemaMigrator.from_database(db)
    have = {column.name for column in db.get_columns(PatAuditRecord._meta.table_name)}
    fields = PatAuditRecord._meta.fields
    steps = [
        migrator.add_column(PatAuditRecord._meta.table_name, name, fields[name])
        for name in ("count", "samples", "last_at", "aggregate_key")
        if name not in have
    ]
    if steps:
        migrate(*steps)
    db.execute_sql(f'CREATE UNIQUE INDEX IF NOT EXISTS "{AGGREGATE_INDEX}" ON "pat_audit" ("aggregate_key")')


MIGRATIONS = [
    Migration("m001_create_tokens_and_audit", create_tables(PersonalAccessToken, PatAuditRecord)),
    Migration("m002_aggregate_refusals", _m002_aggregate_refusals),
]
