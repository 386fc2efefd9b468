"""Schema steps, applied once each by the host's migration runner."""

from __future__ import annotations

from collections.abc import Callable

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from host import Host, Migration, create_tables
from plugins.releases_api import guard
from plugins.releases_api.models import Job, Phase, Release, Task, Trigger, TriggerExecution
from plugins.releases_api.settings import load_settings
from plugins.releases_api.vocabulary import TEMPLATE, WEBHOOK_TASK

MIGRATIONS = [
    Migration("m001_releases_phases_tasks", create_tables(Release, Phase, Task)),
    Migration("m002_job_queue", create_tables(Job)),
    Migration("m003_triggers", create_tables(Trigger, TriggerExecution)),
]


def stamp_secret_origins(host: Host) -> Callable[[peewee.Database], None]:
    """Tasks saved before secret headers were bound to an origin get the origin their URL names
    with the variables their author set: the template's (a release's own may be a starter's)."""

    def apply(db: peewee.Database) -> None:
        server_url = load_settings(host).server_url
        for task in Task.select().where(Task.type == WEBHOOK_TASK):
            config = dict(task.config or {})
            if guard.SECRET_ORIGIN in config or not guard.secret_headers(config.get("headers")):
                continue
            plan = task.release
            author = (
                plan
                if plan.status == TEMPLATE
                else Release.get_or_none(Release.id == plan.origin_template_id)
            )
            guard.stamp(config, (author or plan).variables or [], server_url)
            Task.update(config=config).where(Task.id == task.id).execute()

    return apply


def _add_column(db: peewee.Database, model: type[peewee.Model], name: str, field: peewee.Field) -> None:
    """Add a column unless the table has it (a database made by m001/m003 from the current model)."""
    table = model._meta.table_name
    if name not in {column.name for column in db.get_columns(table)}:
        migrate(SchemaMigrator.from_database(db).add_column(table, name, field))


def add_release_depth(db: peewee.Database) -> None:
    """Existing releases count as made by people (depth 0)."""
    _add_column(db, Release, "depth", peewee.IntegerField(default=0))


def add_execution_endpoint(db: peewee.Database) -> None:
    """Trigger executions name the endpoint that received the request; older ones stay None."""
    _add_column(db, TriggerExecution, "endpoint_id", peewee.CharField(max_length=255, null=True))


def migrations(host: Host) -> list[Migration]:
    return [
        *MIGRATIONS,
        Migration("m004_release_depth", add_release_depth),
        Migration("m005_webhook_secret_origins", stamp_secret_origins(host)),
        Migration("m006_trigger_execution_endpoint", add_execution_endpoint),
    ]
