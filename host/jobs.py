"""The host's work queue: jobs in a table, claimed across threads, processes and hosts, retried with
backoff; and `Periodic`, a plugin's background thread.

A job is claimed by a conditional UPDATE that re-checks it is claimable, so exactly one worker
gets it; a worker that dies stops holding it when its lease runs out. A handler that raises is
retried after `retry_after * 2**(attempts-1)` until `max_attempts`, then the job is `failed` (its
error kept, one line). Times come from `host.now()`, so tests move them with their clock.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import peewee

from host.db import BaseModel, to_db

if TYPE_CHECKING:
    from host.app import Host

log = logging.getLogger("release_host.jobs")

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
LEASE = timedelta(minutes=5)


class Job(BaseModel):
    kind = peewee.CharField(max_length=100)
    payload = peewee.TextField()
    status = peewee.CharField(max_length=20, default=QUEUED)
    attempts = peewee.IntegerField(default=0)
    available_at = peewee.DateTimeField()
    lease_until = peewee.DateTimeField(null=True)
    claim = peewee.CharField(max_length=32, null=True)
    error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField()
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "host_jobs"
        indexes = ((("kind", "status", "available_at"), False),)


def enqueue_job(host: Host, kind: str, payload: Mapping[str, Any], delay: timedelta = timedelta(0)) -> int:
    """Queue a job (in the caller's transaction, if any); its payload must be JSON. Returns its id."""
    now = host.now()
    job = Job.create(
        kind=kind,
        payload=json.dumps(dict(payload)),
        available_at=to_db(now + delay),
        created_at=to_db(now),
    )
    return job.id


def _claimable(kind: str, now: datetime) -> peewee.Expression:
    return (Job.kind == kind) & (
        ((Job.status == QUEUED) & (Job.available_at <= now))
        | ((Job.status == RUNNING) & (Job.lease_until < now))
    )


def _claim(host: Host, kind: str) -> Job | None:
    now = to_db(host.now())
    candidates: list[int] = [
        row.id for row in Job.select(Job.id).where(_claimable(kind, now)).order_by(Job.id).limit(10)
    ]
    for job_id in candidates:
        mark = secrets.token_hex(16)
        taken = (
            Job.update(status=RUNNING, claim=mark, lease_until=now + LEASE, attempts=Job.attempts + 1)
            .where((Job.id == job_id) & _claimable(kind, now))
            .execute()
        )
        if taken:
            return Job.get_by_id(job_id)
    return None


def run_due_jobs(
    host: Host,
    kind: str,
    handler: Callable[[dict[str, Any]], None],
    *,
    max_attempts: int = 6,
    retry_after: timedelta = timedelta(minutes=1),
    limit: int = 100,
) -> int:
    """Run up to `limit` due jobs of `kind` with `handler(payload)`; returns how many ran."""
    ran = 0
    while ran < limit:
        job = _claim(host, kind)
        if job is None:
            break
        ran += 1
        try:
            handler(json.loads(job.payload))
        except Exception as exc:  # noqa: BLE001 - any failure of a handler is a retry
            _retry(host, job, exc, max_attempts, retry_after)
        else:
            _close(job, DONE, None, host.now())
    return ran


def _retry(host: Host, job: Job, exc: Exception, max_attempts: int, retry_after: timedelta) -> None:
    error = f"{type(exc).__name__}: {host.redact(str(exc))}"[:500].replace("\n", " ")
    if job.attempts >= max_attempts:
        log.warning("job %s (%s) failed after %s attempts: %s", job.id, job.kind, job.attempts, error)
        _close(job, FAILED, error, host.now())
        return
    delay = retry_after * 2 ** (job.attempts - 1)
    log.info(
        "job %s (%s) attempt %s failed, retrying in %s: %s", job.id, job.kind, job.attempts, delay, error
    )
    Job.update(status=QUEUED, available_at=to_db(host.now() + delay), lease_until=None, error=error).where(
        (Job.id == job.id) & (Job.claim == job.claim)
    ).execute()


def _close(job: Job, status: str, error: str | None, now: datetime) -> None:
    Job.update(status=status, finished_at=to_db(now), lease_until=None, error=error).where(
        (Job.id == job.id) & (Job.claim == job.claim) & (Job.status == RUNNING)
    ).execute()


class Periodic:
    """A daemon thread calling `work()` every `seconds` inside the host's database (and at once
    after `wake()`); an exception is logged and the next round runs. `stop()` ends it."""

    def __init__(self, host: Host, name: str, seconds: float, work: Callable[[], Any]) -> None:
        self.host = host
        self.seconds = seconds
        self.work = work
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped:
            try:
                with self.host.connection():
                    self.work()
            except Exception:  # noqa: BLE001 - a background round must not end the thread
                log.exception("background work %s failed", self._thread.name)
            self._wake.wait(self.seconds)
            self._wake.clear()
