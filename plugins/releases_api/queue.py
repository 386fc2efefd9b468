"""The work queue: a table of jobs claimed by a conditional UPDATE and held by a renewed lease.

Claiming re-checks the claimable condition in the UPDATE itself, so of several workers (threads,
processes, machines on one PostgreSQL) exactly one gets a job; the others update no row. A
worker that dies stops renewing its lease, and the job becomes claimable again when the lease
runs out. Finishing is conditional on the claim token, so a worker that lost its lease cannot
record a result over the new claimer's.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from datetime import timedelta

import peewee

from plugins.releases_api.models import Job
from plugins.releases_api.storage import db_now

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"

_wake = threading.Event()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def enqueue(task_id: str, release_id: str) -> Job:
    now = db_now()
    return Job.create(task_id=task_id, release_id=release_id, status=QUEUED, available_at=now, created_at=now)


def notify() -> None:
    """Wake this process's worker thread now instead of at its next poll."""
    _wake.set()


def wait(seconds: float) -> None:
    _wake.wait(seconds)
    _wake.clear()


def _claimable(now) -> peewee.Expression:
    return ((Job.status == QUEUED) & (Job.available_at <= now)) | (
        (Job.status == RUNNING) & (Job.lease_until < now)
    )


def claim(worker: str, lease_seconds: float) -> Job | None:
    """Take the oldest claimable job, or None when there is none."""
    now = db_now()
    candidates = [row.id for row in Job.select(Job.id).where(_claimable(now)).order_by(Job.id).limit(10)]
    for job_id in candidates:
        token = secrets.token_hex(16)
        taken = (
            Job.update(
                status=RUNNING,
                claim_token=token,
                worker=worker[:200],
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=Job.attempts + 1,
            )
            .where((Job.id == job_id) & _claimable(now))
            .execute()
        )
        if taken:
            return Job.get_by_id(job_id)
    return None


def renew(job: Job, lease_seconds: float) -> bool:
    """Extend the lease; False when it is no longer ours (expired and taken, or cancelled)."""
    return bool(
        Job.update(lease_until=db_now() + timedelta(seconds=lease_seconds))
        .where((Job.id == job.id) & (Job.claim_token == job.claim_token) & (Job.status == RUNNING))
        .execute()
    )


def finish(job: Job, status: str, error: str | None = None) -> bool:
    """Close the job if we still hold it; False means another worker or an abort took over."""
    return bool(
        Job.update(status=status, finished_at=db_now(), lease_until=None, error=error)
        .where((Job.id == job.id) & (Job.claim_token == job.claim_token) & (Job.status == RUNNING))
        .execute()
    )


def cancel(release_id: str) -> None:
    """Drop a release's waiting and running jobs (abort, delete): their results will be ignored."""
    Job.update(status=CANCELLED, finished_at=db_now(), lease_until=None).where(
        (Job.release_id == release_id) & Job.status.in_((QUEUED, RUNNING))
    ).execute()


def pending() -> bool:
    """Is any job waiting or running anywhere?"""
    return Job.select().where(Job.status.in_((QUEUED, RUNNING))).exists()
