"""The product's JSON for releases, templates, phases and tasks (secrets masked, ISO dates),
built from rows: one query per level (releases, their phases, their tasks) straight into the
response Structs of `answers.py`, without model instances.

Whoever may view a release reads its tasks, so values that are credentials are masked: the run-as
password, password variables, task headers whose name says they carry one (`host.secret_name`),
and in task URLs the password of `user:password@` and secret query values (`?api_key=`). A
WebhookTask's `responseBody` is what some server answered; it is shown to admins only (`null` for
everyone else, whose `failureReason` is the status line without the answer's message), so that a
task cannot be used to read a server's answers by someone who could not call that server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from host import iso, secret_name
from plugins.releases_api.answers import (
    CreateReleaseTaskOut,
    ManualTaskOut,
    PhaseOut,
    ReleaseOut,
    TaskOut,
    VariableOut,
    WebhookTaskOut,
)
from plugins.releases_api.ids import new_variable_id
from plugins.releases_api.models import Phase, Release, Task
from plugins.releases_api.outgoing import masked_url
from plugins.releases_api.vocabulary import (
    CREATE_RELEASE_TASK,
    MASK,
    PASSWORD_VARIABLE,
    STRING_VARIABLE,
    WEBHOOK_TASK,
)

PHASE_COLUMNS = (
    Phase.id,
    Phase.release,
    Phase.title,
    Phase.description,
    Phase.status,
    Phase.start_date,
    Phase.end_date,
)
TASK_COLUMNS = (
    Task.id,
    Task.phase,
    Task.type,
    Task.title,
    Task.description,
    Task.owner,
    Task.status,
    Task.config,
    Task.output,
    Task.failure_reason,
    Task.start_date,
    Task.end_date,
)


def masked_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: MASK if secret_name(name) and value else value for name, value in headers.items()}


def task_out(row: Mapping[str, Any], *, full: bool = False) -> TaskOut:
    """A task from its row (a `Task.select().dicts()` row or a model's `__data__`); `full` (an
    admin reading) shows the response bodies of the task's HTTP calls."""
    kind = row["type"]
    output = row["output"] or {}
    reason = row["failure_reason"]
    common: dict[str, Any] = {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "owner": row["owner"],
        "status": row["status"],
        "start_date": iso(row["start_date"]),
        "end_date": iso(row["end_date"]),
    }
    config = row["config"] or {}
    if kind == WEBHOOK_TASK:
        response: Any = output.get("responseBody", msgspec.UNSET)
        if not full and response is not None and response is not msgspec.UNSET:
            response = None
            if reason and reason.startswith(f"{output.get('statusCode')} "):
                reason = reason.partition(": ")[0]
        return WebhookTaskOut(
            **common,
            failure_reason=reason,
            url=masked_url(config.get("url") or ""),
            method=config.get("method") or "GET",
            headers=masked_headers(config.get("headers") or {}),
            body=config.get("body") or "",
            expected_status_codes=config.get("expectedStatusCodes") or [],
            timeout_seconds=config.get("timeoutSeconds"),
            authenticate=config.get("authenticate"),
            status_code=output.get("statusCode", msgspec.UNSET),
            response_body=response,
            secrets_not_sent=output.get("secretsNotSent", msgspec.UNSET),
        )
    if kind == CREATE_RELEASE_TASK:
        return CreateReleaseTaskOut(
            **common,
            failure_reason=reason,
            template_id=config.get("templateId") or "",
            new_release_title=config.get("newReleaseTitle") or "",
            start_release=bool(config.get("startRelease")),
            template_variables=config.get("templateVariables") or {},
            created_release_id=output.get("createdReleaseId"),
        )
    return ManualTaskOut(**common, failure_reason=reason)


def task_json(task: Task, *, full: bool = False) -> dict[str, Any]:
    """A task model as plain JSON values (for callers that want a dict, such as pages)."""
    return msgspec.to_builtins(task_out(task.__data__, full=full))


def variables_out(release_id: str, variables: Iterable[Mapping[str, Any]] | None) -> list[VariableOut]:
    return [
        VariableOut(
            id=v.get("id") or new_variable_id(release_id),
            key=v["key"],
            value=MASK if v.get("type") == PASSWORD_VARIABLE and v.get("value") else v.get("value"),
            type=v.get("type") or STRING_VARIABLE,
            requires_value=bool(v.get("requiresValue")),
            show_on_release_start=bool(v.get("showOnReleaseStart")),
        )
        for v in variables or []
    ]


def releases_out(rows: list[dict[str, Any]], *, full: bool = False) -> list[ReleaseOut]:
    """Whole releases from `Release.select().dicts()` rows, with their phases and tasks in two
    more queries whatever their number; `full` for an admin (see the module's docstring)."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    tasks: dict[str, list[TaskOut]] = defaultdict(list)
    task_rows: Any = Task.select(*TASK_COLUMNS).where(Task.release.in_(ids)).order_by(Task.position).dicts()
    for task in task_rows:
        tasks[task["phase"]].append(task_out(task, full=full))
    phases: dict[str, list[PhaseOut]] = defaultdict(list)
    phase_rows: Any = (
        Phase.select(*PHASE_COLUMNS).where(Phase.release.in_(ids)).order_by(Phase.position).tuples()
    )
    for phase_id, release_id, title, description, status, start, end in phase_rows:
        phases[release_id].append(
            PhaseOut(
                id=phase_id,
                title=title,
                description=description,
                status=status,
                start_date=iso(start),
                end_date=iso(end),
                tasks=tasks[phase_id],
            )
        )
    return [
        ReleaseOut(
            id=r["id"],
            title=r["title"],
            description=r["description"],
            owner=r["owner"],
            status=r["status"],
            start_date=iso(r["start_date"]),
            end_date=iso(r["end_date"]),
            due_date=iso(r["due_date"]),
            tags=list(r["tags"] or []),
            variables=variables_out(r["id"], r["variables"]),
            phases=phases[r["id"]],
            origin_template_id=r["origin_template_id"],
            script_username=r["script_username"],
            script_user_password=MASK if r["script_password"] else None,
            abort_comment=r["abort_comment"],
            created_from_trigger=bool(r["created_from_trigger"]),
        )
        for r in rows
    ]


def release_out(release_id: str, *, full: bool = False) -> ReleaseOut:
    """One whole release (or template) as it is stored now."""
    found: Any = Release.select().where(Release.id == release_id).dicts()
    return releases_out(list(found), full=full)[0]


def releases_json(releases: list[Release], *, full: bool = False) -> list[dict[str, Any]]:
    """Release models as plain JSON values (for callers that want dicts, such as pages)."""
    return msgspec.to_builtins(releases_out([r.__data__ for r in releases], full=full))
