"""Templates and releases: creating them, and every change of status.

A release's status changes happen in a write transaction holding the release's row, so the API,
worker threads and worker processes can act on one release at the same time without losing a
change. `advance` is the one place that decides what runs next.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from host import Host, to_db, write_transaction
from plugins.releases_api import queue
from plugins.releases_api import variables as variables_
from plugins.releases_api.errors import Conflict, Invalid, NotFound
from plugins.releases_api.ids import (
    new_phase_id,
    new_release_id,
    new_task_id,
    new_variable_id,
    release_of_task,
)
from plugins.releases_api.models import Phase, Release, Task, Trigger, TriggerExecution
from plugins.releases_api.schema import FromTemplate, Keep, PhaseSpec, PlanSpec
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
    MASK,
    PLANNED,
    QUEUED,
    TASK_DONE,
    TEMPLATE,
    WEBHOOK_TASK,
)


def _now(host: Host) -> datetime:
    return to_db(host.now())


def find(release_id: str, *, template: bool = False) -> Release:
    """A release (or, with `template=True`, a template) by id, or NotFound."""
    found = Release.get_or_none(Release.id == release_id)
    if found is None or (found.status == TEMPLATE) != template:
        raise NotFound(f"{'Template' if template else 'Release'} {release_id} not found.")
    return found


def find_task(task_id: str) -> Task:
    task = Task.get_or_none(Task.id == task_id)
    if task is None or task.release.status == TEMPLATE:
        raise NotFound(f"Task {task_id} not found.")
    return task


def _locked(release_id: str, *, template: bool = False) -> Release:
    found = lock_release(release_id)
    if found is None or (found.status == TEMPLATE) != template:
        raise NotFound(f"{'Template' if template else 'Release'} {release_id} not found.")
    return found


def _with_ids(
    release_id: str, variables: Iterable[dict[str, Any]], *, fresh: bool = False
) -> list[dict[str, Any]]:
    """Variables with ids under this release; `fresh` gives copies new ids (a template's, copied
    into a release)."""
    return [{**v, "id": (None if fresh else v.get("id")) or new_variable_id(release_id)} for v in variables]


def _run_as(
    host: Host,
    username: str | None | Keep,
    password: str | None | Keep,
    current: tuple[str | None, str | None],
) -> tuple[str | None, str | None]:
    """The run-as user and encrypted password after a change; KEEP leaves a value as it was."""
    name = current[0] if isinstance(username, Keep) else username
    secret = (
        current[1] if isinstance(password, Keep) else (host.secrets.encrypt(password) if password else None)
    )
    return name, secret


def _restore_masked_headers(phases: list[PhaseSpec], stored: dict[str, Task]) -> None:
    """Put back header values a client sent back masked. Only for the same stored task calling the
    same URL: otherwise keeping the value would send a secret its sender never saw to a new place."""
    for i, phase in enumerate(phases):
        for j, spec in enumerate(phase.tasks):
            headers = spec.config.get("headers") if spec.type == WEBHOOK_TASK else None
            if not headers or MASK not in headers.values():
                continue
            old = stored.get(spec.source_id or "")
            same = (
                old is not None and old.type == WEBHOOK_TASK and old.config.get("url") == spec.config["url"]
            )
            kept = (old.config.get("headers") or {}) if same and old is not None else {}
            for name, value in headers.items():
                if value != MASK:
                    continue
                if name not in kept:
                    raise Invalid(
                        f"phases[{i}].tasks[{j}].headers.{name} is masked: send its value again (a "
                        "masked header is kept only for the same task with the same url)."
                    )
                headers[name] = kept[name]


def _ordered_tasks(release_id: str) -> list[Task]:
    positions = {p.id: p.position for p in Phase.select().where(Phase.release == release_id)}
    found = Task.select().where(Task.release == release_id)
    return sorted(found, key=lambda t: (positions.get(t.phase_id, 0), t.position))


def _automation(tasks: Iterable[tuple[str, dict[str, Any]]], variables: Iterable[dict[str, Any]]) -> str:
    """What decides where the run-as credentials go and what they do: the automated tasks in
    order and the variables substituted into them."""
    return json.dumps(
        {
            "tasks": [[kind, config] for kind, config in tasks if kind in AUTOMATED_TYPES],
            "variables": sorted([v["key"], v.get("value")] for v in variables),
        },
        sort_keys=True,
        default=str,
    )


def _add_phases(release: Release, phases: list[PhaseSpec]) -> None:
    for i, spec in enumerate(phases):
        phase = Phase.create(
            id=new_phase_id(release.id),
            release=release,
            position=i,
            title=spec.title,
            description=spec.description,
            status=PLANNED,
        )
        for j, task in enumerate(spec.tasks):
            Task.create(
                id=new_task_id(phase.id),
                release=release,
                phase=phase,
                position=j,
                type=task.type,
                title=task.title,
                description=task.description,
                owner=task.owner,
                status=PLANNED,
                config=task.config,
            )


def create_plan(host: Host, spec: PlanSpec, *, status: str, owner: str) -> Release:
    """A template (status TEMPLATE) or a release made directly (PLANNED) from a client's JSON."""
    release_id = new_release_id()
    _restore_masked_headers(spec.phases, {})
    username, password = _run_as(host, spec.script_username, spec.script_password, (None, None))
    with write_transaction():
        release = Release.create(
            id=release_id,
            title=spec.title,
            description=spec.description,
            owner=spec.owner or owner,
            status=status,
            tags=spec.tags,
            variables=_with_ids(release_id, spec.variables),
            script_username=username,
            script_password=password,
            created_at=_now(host),
            due_date=to_db(spec.due_date),
        )
        _add_phases(release, spec.phases)
    return release


def update_template(host: Host, template_id: str, spec: PlanSpec, *, replace_phases: bool) -> Release:
    """Replace a template's fields (and its phases when the body has them); secrets sent back
    masked stay as they were.

    The stored run-as password was entered by someone for the tasks as they were: when the
    automated tasks, the variables or the run-as username change, it is cleared unless this
    request enters it again, and the run-as passwords of the template's triggers are cleared.
    Otherwise an editor could have someone else's token run tasks of the editor's choosing.
    """
    with write_transaction():
        template = _locked(template_id, template=True)
        stored = _ordered_tasks(template.id)
        if replace_phases:
            _restore_masked_headers(spec.phases, {t.id: t for t in stored})
        before = _automation(((t.type, t.config) for t in stored), template.variables or [])
        after = _automation(
            ((t.type, t.config) for p in spec.phases for t in p.tasks)
            if replace_phases
            else ((t.type, t.config) for t in stored),
            spec.variables,
        )
        renamed = not isinstance(spec.script_username, Keep) and (spec.script_username or "") != (
            template.script_username or ""
        )
        password = spec.script_password
        if (before != after or renamed) and isinstance(password, Keep):
            password = None
        if before != after:
            Trigger.update(script_password=None).where(
                (Trigger.template_id == template.id) & Trigger.script_password.is_null(False)
            ).execute()
        template.script_username, template.script_password = _run_as(
            host,
            spec.script_username,
            password,
            (template.script_username, template.script_password),
        )
        template.title = spec.title
        template.description = spec.description
        template.owner = spec.owner or template.owner
        template.tags = spec.tags
        template.variables = _with_ids(template.id, spec.variables)
        template.due_date = to_db(spec.due_date)
        template.save()
        if replace_phases:
            Task.delete().where(Task.release == template.id).execute()
            Phase.delete().where(Phase.release == template.id).execute()
            _add_phases(template, spec.phases)
    return template


def create_from_template(
    host: Host, template_id: str, request: FromTemplate, *, owner: str, created_from_trigger: bool = False
) -> Release:
    """A PLANNED release copying the template's phases and tasks, started at once on `autoStart`.

    The run-as user comes from the request when it names one (username or password), else from
    the template.
    """
    release_id = new_release_id()
    with write_transaction():
        template = _locked(template_id, template=True)
        if isinstance(request.script_username, Keep) and isinstance(request.script_password, Keep):
            username, password = template.script_username, template.script_password
        else:
            username, password = _run_as(
                host,
                None if isinstance(request.script_username, Keep) else request.script_username,
                None if isinstance(request.script_password, Keep) else request.script_password,
                (None, None),
            )
        release = Release.create(
            id=release_id,
            title=request.title,
            description=template.description,
            owner=request.owner or owner,
            status=PLANNED,
            tags=list(template.tags or []),
            variables=_with_ids(
                release_id, variables_.with_values(template.variables or [], request.variables), fresh=True
            ),
            script_username=username,
            script_password=password,
            origin_template_id=template.id,
            created_from_trigger=created_from_trigger,
            created_at=_now(host),
            due_date=template.due_date,
        )
        for phase in Phase.select().where(Phase.release == template.id).order_by(Phase.position):
            copy = Phase.create(
                id=new_phase_id(release_id),
                release=release,
                position=phase.position,
                title=phase.title,
                description=phase.description,
                status=PLANNED,
            )
            for task in Task.select().where(Task.phase == phase.id).order_by(Task.position):
                Task.create(
                    id=new_task_id(copy.id),
                    release=release,
                    phase=copy,
                    position=task.position,
                    type=task.type,
                    title=task.title,
                    description=task.description,
                    owner=task.owner,
                    status=PLANNED,
                    config=task.config,
                )
        if request.auto_start:
            _start(host, release)
    if request.auto_start:
        queue.notify()
    return release


def _start(host: Host, release: Release) -> None:
    if release.status != PLANNED:
        raise Conflict(f"Release {release.id} is {release.status}; only a PLANNED release can be started.")
    release.status = IN_PROGRESS
    release.start_date = _now(host)
    release.save()
    advance(host, release)


def start(host: Host, release_id: str) -> Release:
    with write_transaction():
        release = _locked(release_id)
        _start(host, release)
    queue.notify()
    return release


def advance(host: Host, release: Release) -> None:
    """Move an IN_PROGRESS release on: close finished phases, start the next task (queueing it
    for a worker when automated), or complete the release after its last task.

    The caller holds the release's row in a write transaction.
    """
    now = _now(host)
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


def complete_task(host: Host, task_id: str) -> Task:
    """Complete a manual task that is in progress; the release goes on with the next one."""
    release_id = release_of_task(task_id)
    if release_id is None:
        raise NotFound(f"Task {task_id} not found.")
    with write_transaction():
        release = _locked(release_id)
        task = find_task(task_id)
        if task.type != MANUAL_TASK:
            raise Conflict(f"Task {task_id} is a {task.type}; it completes when it has run.")
        if task.status != IN_PROGRESS or release.status != IN_PROGRESS:
            raise Conflict(f"Task {task_id} is {task.status}; only a task in progress can be completed.")
        task.status = COMPLETED
        task.end_date = _now(host)
        task.save()
        advance(host, release)
    queue.notify()
    return task


def retry_task(host: Host, task_id: str) -> Task:
    """Run a failed task again: the release is IN_PROGRESS again from that task."""
    release_id = release_of_task(task_id)
    if release_id is None:
        raise NotFound(f"Task {task_id} not found.")
    with write_transaction():
        release = _locked(release_id)
        task = find_task(task_id)
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
    now = _now(host)
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
        release = _locked(release_id)
        if release.status not in ABORTABLE:
            raise Conflict(f"Release {release_id} is {release.status}; it cannot be aborted.")
        now = _now(host)
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
        release = _locked(release_id)
        if release.status not in DELETABLE:
            raise Conflict(f"Release {release_id} is {release.status}; abort it before deleting it.")
        queue.cancel(release_id)
        _delete(release_id)


def delete_template(template_id: str) -> None:
    """Delete a template and the triggers that start releases from it (as the product does);
    releases made from it keep their `originTemplateId`."""
    with write_transaction():
        _locked(template_id, template=True)
        triggers = [t.id for t in Trigger.select(Trigger.id).where(Trigger.template_id == template_id)]
        if triggers:
            TriggerExecution.delete().where(TriggerExecution.trigger_id.in_(triggers)).execute()
            Trigger.delete().where(Trigger.id.in_(triggers)).execute()
        _delete(template_id)


def _delete(release_id: str) -> None:
    Task.delete().where(Task.release == release_id).execute()
    Phase.delete().where(Phase.release == release_id).execute()
    Release.delete().where(Release.id == release_id).execute()
