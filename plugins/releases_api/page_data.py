"""What the Templates and Releases pages show, read from the plugin's tables as plain dicts.

The same dicts feed the server-rendered pages and the small JSON the release page polls while a
release runs, so a task reads the same in both. Nothing secret leaves here: the run-as password
and password variables are only ever "set" or "not set", task URLs are masked, and a task's
failure reason is the API's for this viewer, plus, when a personal access token was refused, what
the token's plugin says about it now (`credential_status`: which token, expired/deleted/...).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

import peewee

from host import ADMIN, Actor, Host, iso
from plugins.releases_api import outgoing, tasks
from plugins.releases_api.models import Job, Phase, Release, Task, Trigger, TriggerExecution
from plugins.releases_api.page_inputs import shown_reason
from plugins.releases_api.permissions import ABORT, EDIT, START
from plugins.releases_api.settings import load_settings
from plugins.releases_api.variables import text
from plugins.releases_api.vocabulary import (
    ABORTABLE,
    CREATE_RELEASE_TASK,
    DELETABLE,
    FAILED,
    FAILING,
    IN_PROGRESS,
    MANUAL_TASK,
    PASSWORD_VARIABLE,
    PAUSED,
    PLANNED,
    QUEUED,
    TEMPLATE,
    WEBHOOK_TASK,
)

STATUS_LABELS = {
    "TEMPLATE": "Template",
    "PLANNED": "Planned",
    "QUEUED": "Queued",
    "IN_PROGRESS": "In progress",
    "PAUSED": "Paused",
    "FAILING": "Failing",
    "FAILED": "Failed",
    "COMPLETED": "Completed",
    "ABORTED": "Aborted",
    "SKIPPED": "Skipped",
}
TYPE_LABELS = {
    MANUAL_TASK: "Manual task",
    WEBHOOK_TASK: "Webhook",
    CREATE_RELEASE_TASK: "Create release",
}
MOVING = (PLANNED, QUEUED, IN_PROGRESS, PAUSED, FAILING)
"""Release statuses in which something may still change by itself (the page keeps polling)."""
TOKEN_STATES = {
    "expired": "expired",
    "deleted": "deleted",
    "disabled": "its owner cannot use it",
    "unknown": "unknown to this server",
}
NOT_PERMITTED = (
    "It is not permitted to do what this task does: the token's scope, or its owner's roles, "
    "lack the permission named above."
)
RECEIVED_REQUESTS = "/configuration/connections/webhooks/{endpoint}/requests#request-{request}"
"""The webhooks plugin's Received requests page (linked by URL: plugins never import each other)."""
WEBHOOKS_PERMISSION = "configuration#edit"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def is_admin(host: Host, actor: Actor) -> bool:
    return host.allowed(actor, ADMIN)


def summary(release: Release) -> dict[str, Any]:
    """A template or release as a list row."""
    return {
        "id": release.id,
        "title": release.title,
        "status": release.status,
        "statusLabel": status_label(release.status),
        "owner": release.owner,
        "tags": list(release.tags or []),
        "createdAt": iso(release.created_at),
        "startDate": iso(release.start_date),
        "endDate": iso(release.end_date),
    }


def variables_of(release: Release) -> list[dict[str, Any]]:
    """Variables with their values, a password variable's only as `set`."""
    found = []
    for v in release.variables or []:
        secret = v.get("type") == PASSWORD_VARIABLE
        found.append(
            {
                "key": v["key"],
                "password": secret,
                "value": "" if secret else text(v.get("value")),
                "set": bool(v.get("value")),
                "required": bool(v.get("requiresValue")),
            }
        )
    return found


def run_as(release: Release) -> dict[str, Any]:
    """Who the automated tasks run as, in the form's words; never the password itself."""
    username = release.script_username or ""
    has_password = bool(release.script_password)
    if has_password and not username:
        how = "a personal access token (no username, the token as password)"
    elif username:
        how = f"{username}" + ("" if has_password else " (no password)")
    else:
        how = "nobody: automated tasks call without credentials"
    return {"username": username, "passwordSet": has_password, "description": how}


def _task_detail(task: Task) -> str:
    config = task.config or {}
    if task.type == WEBHOOK_TASK:
        return f"{config.get('method', 'GET')} {outgoing.masked_url(config.get('url') or '')}"
    if task.type == CREATE_RELEASE_TASK:
        started = " and start it" if config.get("startRelease") else ""
        return f"Create “{config.get('newReleaseTitle', '')}” from {config.get('templateId', '')}{started}"
    return task.description or ""


def _attempts(release_id: str) -> dict[str, int]:
    """How many times a worker took up each task (a worker that died and a retry count too)."""
    query = Job.select(Job.task_id, peewee.fn.SUM(Job.attempts)).where(Job.release_id == release_id)
    rows = cast(Iterable[tuple[str, int | None]], query.group_by(Job.task_id).tuples())
    return {task_id: int(tries or 0) for task_id, tries in rows}


def _sends_run_as(host: Host, release: Release, task: Task) -> bool:
    """Whether running the task sent the run-as credentials (see `tasks`: to this server only)."""
    if task.type == CREATE_RELEASE_TASK:
        return True
    if task.type != WEBHOOK_TASK:
        return False
    prepared = tasks.prepare(host, load_settings(host), release, task)
    if prepared.config.get("authenticate") is False:
        return False
    return prepared.policy.is_server(outgoing.origin(prepared.config.get("url") or ""))


def token_problem(host: Host, release: Release, task: Task, reason: str | None) -> dict[str, str] | None:
    """For a task refused with 401/403 while running as a personal access token: which token,
    and what is wrong with it now, as the token's plugin says (one read, no write)."""
    if not reason or reason[:4] not in ("401 ", "403 "):
        return None
    if release.script_username or not release.script_password or not _sends_run_as(host, release, task):
        return None
    secret = host.secrets.decrypt(release.script_password)
    status = host.credential_status(secret) if secret else None
    if not status:
        return None
    state = status.get("state", "")
    if reason.startswith("403 ") and state == "active":
        return {"state": "not permitted", "message": f"{status['message']} {NOT_PERMITTED}"}
    return {"state": TOKEN_STATES.get(state, state), "message": str(status["message"])}


def task_view(
    host: Host, release: Release, task: Task, attempts: int, *, full: bool, explain: bool = True
) -> dict[str, Any]:
    reason = shown_reason(task, full=full) if task.status == FAILED else None
    output = task.output or {}
    return {
        "id": task.id,
        "title": task.title,
        "type": task.type,
        "typeLabel": TYPE_LABELS.get(task.type, task.type),
        "detail": _task_detail(task),
        "status": task.status,
        "statusLabel": status_label(task.status),
        "startDate": iso(task.start_date),
        "endDate": iso(task.end_date),
        "attempts": attempts,
        "failureReason": reason,
        "tokenProblem": token_problem(host, release, task, reason) if explain else None,
        "createdReleaseId": output.get("createdReleaseId"),
    }


def plan_view(host: Host, actor: Actor, release: Release) -> dict[str, Any]:
    """A template or release with its phases and tasks, as the detail pages show them."""
    full = is_admin(host, actor)
    attempts = _attempts(release.id) if release.status != TEMPLATE else {}
    by_phase: dict[str, list[Task]] = defaultdict(list)
    for task in Task.select().where(Task.release == release.id).order_by(Task.position):
        by_phase[task.phase_id].append(task)
    phases = [
        {
            "id": phase.id,
            "title": phase.title,
            "description": phase.description,
            "status": phase.status,
            "statusLabel": status_label(phase.status),
            "tasks": [
                task_view(
                    host, release, t, attempts.get(t.id, 0), full=full, explain=release.status != TEMPLATE
                )
                for t in by_phase[phase.id]
            ],
        }
        for phase in Phase.select().where(Phase.release == release.id).order_by(Phase.position)
    ]
    return {
        **summary(release),
        "description": release.description,
        "variables": variables_of(release),
        "runAs": run_as(release),
        "originTemplateId": release.origin_template_id,
        "abortComment": release.abort_comment,
        "phases": phases,
        "moving": release.status in MOVING,
    }


def actions(host: Host, actor: Actor, release: Release) -> dict[str, bool]:
    """Which buttons the viewer gets: held permission and a status that allows the action."""
    return {
        "start": release.status == PLANNED and host.allowed(actor, START, release.id),
        "abort": release.status in ABORTABLE and host.allowed(actor, ABORT, release.id),
        "delete": release.status in DELETABLE and host.allowed(actor, EDIT, release.id),
    }


def may_ever(host: Host, actor: Actor, release: Release) -> dict[str, bool]:
    """The permissions alone: the page renders these buttons, live updates show and hide them."""
    return {
        "start": host.allowed(actor, START, release.id),
        "abort": host.allowed(actor, ABORT, release.id),
        "delete": host.allowed(actor, EDIT, release.id),
    }


def started_by(host: Host, actor: Actor, release: Release) -> dict[str, Any] | None:
    """The webhook request whose trigger made this release, with a link to the webhooks plugin's
    Received requests page when the viewer may open it and the endpoint is known."""
    if not release.created_from_trigger:
        return None
    execution = (
        TriggerExecution.select()
        .where(TriggerExecution.release_id == release.id)
        .order_by(TriggerExecution.id)
        .first()
    )
    if execution is None:
        return None
    trigger = Trigger.get_or_none(Trigger.id == execution.trigger_id)
    endpoint = execution.endpoint_id or (trigger.endpoint_id if trigger else None)
    link = None
    if (
        endpoint
        and execution.request_id
        and WEBHOOKS_PERMISSION in host.permissions
        and host.allowed(actor, WEBHOOKS_PERMISSION)
    ):
        link = RECEIVED_REQUESTS.format(endpoint=endpoint, request=execution.request_id)
    return {
        "trigger": trigger.title if trigger else execution.trigger_id,
        "requestId": execution.request_id,
        "endpointPath": execution.endpoint_path,
        "at": iso(execution.at),
        "link": link,
    }


def progress(host: Host, actor: Actor, release: Release) -> dict[str, Any]:
    """What the release page polls: statuses, times, attempts and reasons, and the buttons."""
    view = plan_view(host, actor, release)
    return {
        "status": view["status"],
        "statusLabel": view["statusLabel"],
        "startDate": view["startDate"],
        "endDate": view["endDate"],
        "abortComment": view["abortComment"],
        "moving": view["moving"],
        "phases": [
            {"id": p["id"], "status": p["status"], "statusLabel": p["statusLabel"]} for p in view["phases"]
        ],
        "tasks": [t for p in view["phases"] for t in p["tasks"]],
        "actions": actions(host, actor, release),
    }
