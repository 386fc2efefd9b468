"""Every change of a release's status, and `advance`, the one place that decides what runs next.

A status change happens in a write transaction holding the release's row, so the API, worker
threads and worker processes can act on one release at the same time without losing a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from host import Host, write_transaction
from plugins.releases_api import queue
from plugins.releases_api.errors import Conflict, NotFound
from plugins.releases_api.ids import release_of_task
from plugins.releases_api.models import Phase, Release, Task, Trigger, TriggerExecution
from plugins.releases_api.releases import db_now, find_task, locked
from plugins.releases_api.storage import lock_release
from plugins.releases_api.vocabulary import (
    ABORTABLE,
    ABORTED,
    AUTOMATED_TYPES,
    COMPLETED,
    DELETABLE,
    FAILED,
    IN_PROGRESS,
    MANUAL_TASK,
    PLANNED,
    QUEUED,
    TASK_DONE,
)


def start_locked(host: Host, release: Release) -> None:
    """Start a PLANNED release whose row the caller holds in a write transaction."""
    if release.status != PLANNED:
        raise Conflict(f"Release {release.id} is {release.status}; only a PLANNED release can be started.")
    release.status = IN_PROGRESS
    release.start_date = db_now(host)
    release.save()
    advance(host, release)


def start(host: Host, release_id: str) -> Release:
    with write_transaction():
        release = locked(release_id)
        start_locked(host, release)
    queue.notify()
    return release


def advance(host: Host, release: Release) -> None:
    """Move an IN_PROGRESS release on: close finished phases, start the next task (queueing it
    for a worker when automated), or complete the release after its last task.

    The caller holds the release's row in a write transaction.
    """
    now = db_now(host)
    tasks: dict[str, list[Task]] = {}
    for task in Task.select().where(Task.release == release.id).order_by(Task.position):
        tasks.setdefault(task.phase_id, []).append(task)
    for phase in Phase.select().where(Phase.release == release.id).order_by(Phase.position):
        waiting = [t for t in tasks.get(phase.id, []) if t.status not in TASK_DONE]
        if not waiting:
            if phase.status != COMPLETED:
                phase.status = COMPLETED
                phase.start_date = phase.start_date or now
                phase.end_date = now
                phase.save()
            continue
        if phase.status != IN_PROGRESS:
            phase.status = IN_PROGRESS
            phase.start_date = phase.start_date or now
            phase.save()
        task = waiting[0]
        if task.status == PLANNED:
            task.start_date = now
            if task.type in AUTOMATED_TYPES:
                task.status = QUEUED
                queue.enqueue(task.id, release.id)
            else:
                task.status = IN_PROGRESS
            task.save()
        return
    release.status = COMPLETED
    release.end_date = now
    release.save()


@contextmanager
def _task_in_transaction(task_id: str) -> Iterator[tuple[Release, Task]]:
    """A task and its release, the release's row held in a write transaction; NotFound when
    either is gone."""
    release_id = release_of_task(task_id)
    if release_id is None:
        raise NotFound(f"Task {task_id} not found.")
    with write_transaction():
        yield locked(release_id), find_task(task_id)


def complete_task(host: Host, task_id: str) -> Task:
    """Complete a manual task that is in progress; the release goes on with the next one."""
    with _task_in_transaction(task_id) as (release, task):
        if task.type != MANUAL_TASK:
            raise Conflict(f"Task {task_id} is a {task.type}; it completes when it has run.")
        if task.status != IN_PROGRESS or release.status != IN_PROGRESS:
            raise Conflict(f"Task {task_id} is {task.status}; only a task in progress can be completed.")
        task.status = COMPLETED
        task.end_date = db_now(host)
        task.save()
        advance(host, release)
    queue.notify()
    return task


def retry_task(host: Host, task_id: str) -> Task:
    """Run a failed task again: the release is IN_PROGRESS again from that task."""
    with _task_in_transaction(task_id) as (release, task):
        if task.status != FAILED or release.status != FAILED:
            raise Conflict(f"Task {task_id} is {task.status}; only a failed task can be retried.")
        task.status = PLANNED
        task.failure_reason = None
        task.end_date = None
        task.save()
        Phase.update(status=IN_PROGRESS, end_date=None).where(Phase.id == task.phase_id).execute()
        release.status = IN_PROGRESS
        release.end_date = None
        release.save()
        advance(host, release)
    queue.notify()
    return Task.get_by_id(task_id)


def task_running(host: Host, task_id: str) -> tuple[Release, Task] | None:
    """A worker is about to run the task: mark it IN_PROGRESS; None when it should not run
    (the release was aborted, deleted or the task was already finished)."""
    release_id = release_of_task(task_id)
    with write_transaction():
        release = lock_release(release_id) if release_id else None
        task = Task.get_or_none(Task.id == task_id)
        if release is None or task is None or release.status != IN_PROGRESS:
            return None
        if task.status not in (QUEUED, IN_PROGRESS):
            return None
        task.status = IN_PROGRESS
        task.save()
        return release, task


def task_finished(host: Host, task_id: str, *, ok: bool, reason: str | None, output: dict[str, Any]) -> None:
    """Record what running an automated task gave; a failure fails its phase and release."""
    release_id = release_of_task(task_id)
    if release_id is None:
        return
    release = lock_release(release_id)
    task = Task.get_or_none(Task.id == task_id)
    if release is None or task is None or release.status != IN_PROGRESS:
        return
    if task.status not in (QUEUED, IN_PROGRESS):
        return
    now = db_now(host)
    task.output = {**(task.output or {}), **output}
    task.end_date = now
    if ok:
        task.status = COMPLETED
        task.save()
        advance(host, release)
        return
    task.status = FAILED
    task.failure_reason = reason
    task.save()
    Phase.update(status=FAILED).where(Phase.id == task.phase_id).execute()
    release.status = FAILED
    release.save()


def abort(host: Host, release_id: str, comment: str) -> Release:
    with write_transaction():
        release = locked(release_id)
        if release.status not in ABORTABLE:
            raise Conflict(f"Release {release_id} is {release.status}; it cannot be aborted.")
        now = db_now(host)
        release.status = ABORTED
        release.abort_comment = comment
        release.end_date = now
        release.save()
        Task.update(status=ABORTED, end_date=now).where(
            (Task.release == release_id) & Task.status.not_in((*TASK_DONE, FAILED))
        ).execute()
        Phase.update(status=ABORTED, end_date=now).where(
            (Phase.release == release_id) & (Phase.status != COMPLETED)
        ).execute()
        queue.cancel(release_id)
    return release


def delete_release(release_id: str) -> None:
    with write_transaction():
        release = locked(release_id)
        if release.status not in DELETABLE:
            raise Conflict(f"Release {release_id} is {release.status}; abort it before deleting it.")
        queue.cancel(release_id)
        _delete(release_id)


def delete_template(template_id: str) -> None:
    """Delete a template and the triggers that start releases from it (as the product does);
    releases made from it keep their `originTemplateId`."""
    with write_transaction():
        locked(template_id, template=True)
        triggers = [t.id for t in Trigger.select(Trigger.id).where(Trigger.template_id == template_id)]
        if triggers:
            TriggerExecution.delete().where(TriggerExecution.trigger_id.in_(triggers)).execute()
            Trigger.delete().where(Trigger.id.in_(triggers)).execute()
        _delete(template_id)


def _delete(release_id: str) -> None:
    Task.delete().where(Task.release == release_id).execute()
    Phase.delete().where(Phase.release == release_id).execute()
    Release.delete().where(Release.id == release_id).execute()
