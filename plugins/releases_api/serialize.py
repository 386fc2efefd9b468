"""The product's JSON for releases, templates, phases and tasks (secrets masked, ISO dates).

Whoever may view a release reads its tasks, so values that are credentials are masked: the run-as
password, password variables, task headers whose name says they carry one (`host.secret_name`),
and in task URLs the password of `user:password@` and secret query values (`?api_key=`). A
WebhookTask's `responseBody` is what some server answered; it is shown to admins only (`null` for
everyone else, whose `failureReason` is the status line without the answer's message), so that a
task cannot be used to read a server's answers by someone who could not call that server.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from host import iso, secret_name
from plugins.releases_api.guard import SECRET_ORIGIN
from plugins.releases_api.ids import new_variable_id
from plugins.releases_api.models import Phase, Release, Task
from plugins.releases_api.outgoing import masked_url
from plugins.releases_api.vocabulary import (
    CREATE_RELEASE_TASK,
    MASK,
    PASSWORD_VARIABLE,
    PHASE_TYPE,
    RELEASE_TYPE,
    STRING_VARIABLE,
    WEBHOOK_TASK,
)


def masked_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: MASK if secret_name(name) and value else value for name, value in headers.items()}


def task_json(task: Task, *, full: bool = False) -> dict[str, Any]:
    """A task; `full` (an admin reading) shows the response bodies of the task's HTTP calls."""
    config = dict(task.config or {})
    config.pop(SECRET_ORIGIN, None)
    if task.type == WEBHOOK_TASK:
        config["url"] = masked_url(config.get("url") or "")
        if config.get("headers"):
            config["headers"] = masked_headers(config["headers"])
    output = dict(task.output or {})
    reason = task.failure_reason
    if not full and output.get("responseBody") is not None:
        output["responseBody"] = None
        if reason and reason.startswith(f"{output.get('statusCode')} "):
            reason = reason.partition(": ")[0]
    data: dict[str, Any] = {
        "id": task.id,
        "type": task.type,
        "title": task.title,
        "description": task.description,
        "owner": task.owner,
        "status": task.status,
        "startDate": iso(task.start_date),
        "endDate": iso(task.end_date),
        "failureReason": reason,
        **config,
        **output,
    }
    if task.type == CREATE_RELEASE_TASK:
        data.setdefault("createdReleaseId", None)
    return data


def phase_json(phase: Phase, tasks: list[Task], *, full: bool = False) -> dict[str, Any]:
    return {
        "id": phase.id,
        "type": PHASE_TYPE,
        "title": phase.title,
        "description": phase.description,
        "status": phase.status,
        "startDate": iso(phase.start_date),
        "endDate": iso(phase.end_date),
        "tasks": [task_json(t, full=full) for t in tasks],
    }


def variables_json(release: Release) -> list[dict[str, Any]]:
    return [
        {
            "id": v.get("id") or new_variable_id(release.id),
            "key": v["key"],
            "value": MASK if v.get("type") == PASSWORD_VARIABLE and v.get("value") else v.get("value"),
            "type": v.get("type") or STRING_VARIABLE,
            "requiresValue": bool(v.get("requiresValue")),
            "showOnReleaseStart": bool(v.get("showOnReleaseStart")),
        }
        for v in release.variables or []
    ]


def release_json(
    release: Release, phases: list[Phase], tasks: list[Task], *, full: bool = False
) -> dict[str, Any]:
    by_phase: dict[str, list[Task]] = defaultdict(list)
    for task in sorted(tasks, key=lambda t: t.position):
        by_phase[task.phase_id].append(task)
    return {
        "id": release.id,
        "type": RELEASE_TYPE,
        "title": release.title,
        "description": release.description,
        "owner": release.owner,
        "status": release.status,
        "startDate": iso(release.start_date),
        "endDate": iso(release.end_date),
        "dueDate": iso(release.due_date),
        "tags": list(release.tags or []),
        "variables": variables_json(release),
        "phases": [
            phase_json(p, by_phase[p.id], full=full) for p in sorted(phases, key=lambda p: p.position)
        ],
        "originTemplateId": release.origin_template_id,
        "scriptUsername": release.script_username,
        "scriptUserPassword": MASK if release.script_password else None,
        "abortComment": release.abort_comment,
        "createdFromTrigger": bool(release.created_from_trigger),
    }


def releases_json(releases: list[Release], *, full: bool = False) -> list[dict[str, Any]]:
    """Whole releases with their phases and tasks, in three queries whatever their number;
    `full` for an admin (see the module's docstring)."""
    if not releases:
        return []
    ids = [r.id for r in releases]
    phases: dict[str, list[Phase]] = defaultdict(list)
    tasks: dict[str, list[Task]] = defaultdict(list)
    for phase in Phase.select().where(Phase.release.in_(ids)):
        phases[phase.release_id].append(phase)
    for task in Task.select().where(Task.release.in_(ids)):
        tasks[task.release_id].append(task)
    return [release_json(r, phases[r.id], tasks[r.id], full=full) for r in releases]
