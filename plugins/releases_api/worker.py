"""Workers: claim a queued task, run it outside any transaction while renewing the lease, then
record the outcome if the claim is still ours. Used by `release-host worker` and by the thread
the server starts (`[plugins.releases_api] run_worker`)."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from types import TracebackType

import peewee

from host import Host, write_transaction
from plugins.releases_api import lifecycle, queue, tasks
from plugins.releases_api.models import Job
from plugins.releases_api.settings import Settings
from plugins.releases_api.storage import lock_release

log = logging.getLogger("release_host.releases_api")


def _thread(target: Callable[[], None], name: str) -> threading.Thread:
    """A daemon thread running in a copy of this context, so it uses this host's database."""
    return threading.Thread(target=contextvars.copy_context().run, args=(target,), name=name, daemon=True)


class Heartbeat:
    """Renew a job's lease every third of its length while the task runs, from its own thread
    (with its own database connection); `lost` tells that the lease went to someone else."""

    def __init__(self, host: Host, job: Job, lease_seconds: float) -> None:
        self.host = host
        self.job = job
        self.interval = max(lease_seconds / 3, 0.05)
        self.lease_seconds = lease_seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = _thread(self._beat, f"lease-{job.id}")

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.host.connection():
                    if not queue.renew(self.job, self.lease_seconds):
                        self.lost = True
                        return
            except peewee.PeeweeException:
                log.warning("could not renew the lease of job %s", self.job.id)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()


def _record(host: Host, job: Job, outcome: tasks.Outcome) -> None:
    """Lock the release first, then the job: the same order as abort, so PostgreSQL never
    sees the two wait on each other."""
    with write_transaction():
        lock_release(job.release_id)
        status = queue.DONE if outcome.ok else queue.FAILED
        if not queue.finish(job, status, outcome.reason):
            log.warning("job %s: the lease was lost or the release aborted; result dropped", job.id)
            return
        lifecycle.task_finished(
            host, job.task_id, ok=outcome.ok, reason=outcome.reason, output=outcome.output
        )


def run_one(host: Host, settings: Settings, worker: str) -> bool:
    """Claim and run one job; False when none was claimable."""
    with host.connection():
        job = queue.claim(worker, settings.lease_seconds)
        if job is None:
            return False
        if job.attempts > settings.max_attempts:
            reason = (
                f"The worker running this task stopped before it finished, {job.attempts - 1} times; "
                "the task is not tried again."
            )
            _record(host, job, tasks.Outcome(False, reason))
            return True
        started = lifecycle.task_running(host, job.task_id)
        if started is None:
            queue.finish(job, queue.CANCELLED)
            return True
        prepared = tasks.prepare(host, settings, *started)
        prepared.idempotency_key = tasks.idempotency_key(job.id, job.task_id)
    with Heartbeat(host, job, settings.lease_seconds) as heartbeat:
        outcome = tasks.run(prepared)
    with host.connection():
        if heartbeat.lost:
            log.warning("job %s: lease lost while running", job.id)
        _record(host, job, outcome)
    return True


class Worker:
    """A loop over `run_one`; `stop()` lets the running task finish and ends the loop."""

    def __init__(self, host: Host, settings: Settings, name: str | None = None) -> None:
        self.host = host
        self.settings = settings
        self.name = name
        self._stopping = threading.Event()

    def _step(self) -> bool:
        try:
            return run_one(self.host, self.settings, self.name or queue.worker_name())
        except peewee.PeeweeException:
            log.exception("worker: database error; trying again shortly")
            return False

    def run_once(self) -> bool:
        """Run one claimable job if there is one."""
        return self._step()

    def run_forever(self) -> None:
        while not self._stopping.is_set():
            if not self._step():
                queue.wait(self.settings.poll_seconds)

    def run_until_idle(self, limit: int | None = None) -> int:
        """Run jobs until none is waiting or running anywhere (a job held by a dead worker
        counts: it is waited for until its lease runs out); return how many ran."""
        done = 0
        while not self._stopping.is_set() and (limit is None or done < limit):
            if self._step():
                done += 1
                continue
            with self.host.connection():
                if not queue.pending():
                    break
            queue.wait(self.settings.poll_seconds)
        return done

    def stop(self) -> None:
        self._stopping.set()
        queue.notify()


class WorkerThread:
    """The worker inside a server process, so the README's single `serve` command runs tasks."""

    def __init__(self, host: Host, settings: Settings) -> None:
        self.worker = Worker(host, settings)
        self.thread = _thread(self.worker.run_forever, "releases-worker")

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.worker.stop()
        self.thread.join(timeout)
