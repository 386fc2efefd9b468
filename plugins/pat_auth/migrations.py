"""Schema steps, applied once each and recorded by name."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from host import Migration, create_tables
from plugins.pat_auth.models import PatAuditRecord, PatReminder, PatTokenAddress, PersonalAccessToken

AGGREGATE_INDEX = "pat_audit_aggregate_key"


def _add_missing_columns(db: peewee.Database, model: type[peewee.Model], names: tuple[str, ...]) -> None:
    """Add these columns of `model` where the table lacks them: a database created after the
    change already has them (m001 creates the current tables)."""
    migrator = SchemaMigrator.from_database(db)
    table = model._meta.table_name
    have = {column.name for column in db.get_columns(table)}
    fields = model._meta.fields
    steps = [migrator.add_column(table, name, fields[name]) for name in names if name not in have]
    if steps:
        migrate(*steps)


def _m002_aggregate_refusals(db: peewee.Database) -> None:
    """Add the columns of aggregated refusals."""
    _add_missing_columns(db, PatAuditRecord, ("count", "samples", "last_at", "aggregate_key"))
    db.execute_sql(f'CREATE UNIQUE INDEX IF NOT EXISTS "{AGGREGATE_INDEX}" ON "pat_audit" ("aggregate_key")')


def _m003_rotation(db: peewee.Database) -> None:
    """Rotation: a token's replacement and when it was replaced, the bound on reuse reports, and
    the user agent of audited reuse."""
    _add_missing_columns(db, PersonalAccessToken, ("replaced_by_id", "replaced_at", "reuse_reported_at"))
    _add_missing_columns(db, PatAuditRecord, ("user_agent",))


def _m005_token_use(db: peewee.Database) -> None:
    """What each token used (permissions, addresses), the networks it was used from, and the
    source of a leak report in the audit."""
    _add_missing_columns(db, PersonalAccessToken, ("permission_use", "addresses"))
    _add_missing_columns(db, PatAuditRecord, ("source",))
    create_tables(PatTokenAddress)(db)


MIGRATIONS = [
    Migration("m001_create_tokens_and_audit", create_tables(PersonalAccessToken, PatAuditRecord)),
    Migration("m002_aggregate_refusals", _m002_aggregate_refusals),
    Migration("m003_rotation", _m003_rotation),
    Migration("m004_reminders", create_tables(PatReminder)),
    Migration("m005_token_use", _m005_token_use),
]
