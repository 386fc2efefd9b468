"""The plugin's tables: plans (templates and releases), their phases and tasks, the work queue,
and webhook triggers with their execution log."""

from __future__ import annotations

import json
from typing import Any

import peewee

from host import BaseModel


class JSONField(peewee.TextField):
    """JSON kept as text: portable between SQLite and PostgreSQL, never queried inside."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)


class Release(BaseModel):
    """A template (status TEMPLATE) or a release: the product stores both as `xlrelease.Release`."""

    id = peewee.CharField(max_length=255, primary_key=True)
    title = peewee.CharField(max_length=255, index=True)
    description = peewee.TextField(default="")
    owner = peewee.CharField(max_length=150, default="")
    status = peewee.CharField(max_length=20, index=True)
    tags = JSONField(default=list)
    variables = JSONField(default=list)
    script_username = peewee.CharField(max_length=150, null=True)
    script_password = peewee.TextField(null=True)
    origin_template_id = peewee.CharField(max_length=255, null=True, index=True)
    abort_comment = peewee.TextField(null=True)
    created_from_trigger = peewee.BooleanField(default=False)
    depth = peewee.IntegerField(default=0)
    """How many releases made this one through their tasks (0: a person, a client or a trigger)."""
    created_at = peewee.DateTimeField(index=True)
    start_date = peewee.DateTimeField(null=True)
    end_date = peewee.DateTimeField(null=True)
    due_date = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "releases_api_releases"


class Phase(BaseModel):
    id = peewee.CharField(max_length=255, primary_key=True)
    release = peewee.ForeignKeyField(Release, on_delete="CASCADE", backref="phases")
    release_id: str  # the column peewee adds for the foreign key (for type checkers)
    position = peewee.IntegerField()
    title = peewee.CharField(max_length=255)
    description = peewee.TextField(default="")
    status = peewee.CharField(max_length=20)
    start_date = peewee.DateTimeField(null=True)
    end_date = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "releases_api_phases"


class Task(BaseModel):
    """A task; `config` holds the fields of its type as given, `output` what running it produced."""

    id = peewee.CharField(max_length=255, primary_key=True)
    release = peewee.ForeignKeyField(Release, on_delete="CASCADE", backref="tasks")
    phase = peewee.ForeignKeyField(Phase, on_delete="CASCADE", backref="tasks")
    release_id: str  # the columns peewee adds for the foreign keys (for type checkers)
    phase_id: str
    position = peewee.IntegerField()
    type = peewee.CharField(max_length=100)
    title = peewee.CharField(max_length=255)
    description = peewee.TextField(default="")
    owner = peewee.CharField(max_length=150, null=True)
    status = peewee.CharField(max_length=20)
    config = JSONField(default=dict)
    output = JSONField(default=dict)
    failure_reason = peewee.TextField(null=True)
    start_date = peewee.DateTimeField(null=True)
    end_date = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "releases_api_tasks"


class Job(BaseModel):
    """One automated task to run. Claimed by a conditional UPDATE and held by a lease that the
    running worker renews; an expired lease makes the job claimable again."""

    id = peewee.AutoField()
    task_id = peewee.CharField(max_length=255, index=True)
    release_id = peewee.CharField(max_length=255, index=True)
    status = peewee.CharField(max_length=20)
    attempts = peewee.IntegerField(default=0)
    available_at = peewee.DateTimeField()
    lease_until = peewee.DateTimeField(null=True)
    claim_token = peewee.CharField(max_length=64, null=True)
    worker = peewee.CharField(max_length=200, null=True)
    created_at = peewee.DateTimeField()
    finished_at = peewee.DateTimeField(null=True)
    error = peewee.TextField(null=True)

    class Meta:
        table_name = "releases_api_jobs"
        indexes = ((("status", "available_at"), False), (("status", "lease_until"), False))


class Trigger(BaseModel):
    """Starts a release from a template when a webhook endpoint receives a matching request."""

    id = peewee.CharField(max_length=255, primary_key=True)
    title = peewee.CharField(max_length=255)
    enabled = peewee.BooleanField(default=True)
    endpoint_path = peewee.CharField(max_length=255, null=True, index=True)
    endpoint_id = peewee.CharField(max_length=255, null=True, index=True)
    template_id = peewee.CharField(max_length=255, index=True)
    filter = JSONField(default=dict)
    release_title = peewee.TextField()
    variables = JSONField(default=dict)
    script_username = peewee.CharField(max_length=150, null=True)
    script_password = peewee.TextField(null=True)
    owner = peewee.CharField(max_length=150, default="")
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "releases_api_triggers"


class TriggerExecution(BaseModel):
    id = peewee.AutoField()
    trigger_id = peewee.CharField(max_length=255, index=True)
    request_id = peewee.CharField(max_length=255, null=True)
    endpoint_path = peewee.CharField(max_length=255, null=True)
    endpoint_id = peewee.CharField(max_length=255, null=True)
    """The webhook endpoint that received the request (m006; None before), for the release page's
    link to the request."""
    status = peewee.CharField(max_length=20)
    release_id = peewee.CharField(max_length=255, null=True)
    reason = peewee.TextField(default="")
    at = peewee.DateTimeField()

    class Meta:
        table_name = "releases_api_trigger_executions"


MODELS: list[type[peewee.Model]] = [Release, Phase, Task, Job, Trigger, TriggerExecution]
