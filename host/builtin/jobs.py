"""Built-in plugin: the table of the host's work queue (`host.jobs`)."""

from __future__ import annotations

from host import jobs
from host.hookimpl import hookimpl
from host.migrations import Migration, create_tables


@hookimpl
def register_models(host):
    return [jobs.Job]


@hookimpl
def register_migrations(host):
    return [Migration("m001_jobs", create_tables(jobs.Job))]
