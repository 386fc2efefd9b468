"""Schema steps, applied once each by the host's migration runner."""

from __future__ import annotations

from host import Migration, create_tables
from plugins.releases_api.models import Job, Phase, Release, Task, Trigger, TriggerExecution

MIGRATIONS = [
    Migration("m001_releases_phases_tasks", create_tables(Release, Phase, Task)),
    Migration("m002_job_queue", create_tables(Job)),
    Migration("m003_triggers", create_tables(Trigger, TriggerExecution)),
]
