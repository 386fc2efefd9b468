"""The product's JSON for releases, templates, phases and tasks (secrets masked, ISO dates),
built from rows: one prepared query per level (releases, their phases, their tasks) straight
into the response Structs of `answers.py`, without model instances or peewee's row conversion.

Whoever may view a release reads its tasks, so values that are credentials are masked: the run-as
password, password variables, task headers whose name says they carry one (`host.secret_name`),
and in task URLs the password of `user:password@` and secret query values (`?api_key=`). A
WebhookTask's `responseBody` is what some server answered; it is shown to admins only (`null` for
everyone else, whose `failureReason` is the status line without the answer's message), so that a
task cannot be used to read a server's answers by someone who could not call that server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

import msgspec

from host import PreparedQuery, iso, secret_name
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

RELEASE_COLUMNS = (
    Release.id,
    Release.title,
    Release.description,
    Release.owner,
    Release.status,
    Release.start_date,
    Release.end_date,
    Release.due_date,
    Release.tags,
    Release.variables,
    Release.origin_template_id,
    Release.script_username,
    Release.script_password,
    Release.abort_comment,
    Release.created_from_trigger,
)
"""The columns of a release row, in this order (`releases_out`)."""
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
TASK_NAMES = tuple(c.name for c in TASK_COLUMNS)


def _of_releases(model: Any, columns: tuple[Any, ...]) -> Callable[[int], PreparedQuery]:
    """The query of `columns` for the rows of n releases, built once per n (a page holds at most 100)."""

    @cache
    def prepared(n: int) -> PreparedQuery:
        return PreparedQuery(
            lambda: model.select(*columns).where(model.release.in_([""] * n)).order_by(model.position)
        )

    return prepared


_PHASES = _of_releases(Phase, PHASE_COLUMNS)
_TASKS = _of_releases(Task, TASK_COLUMNS)
_RELEASE = PreparedQuery(lambda: Release.select(*RELEASE_COLUMNS).where(Release.id == ""))


def _json(value: Any) -> Any:
    """A JSON column as stored (text), or already decoded (a model's value)."""
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def _iso(value: Any) -> str | None:
    """`iso`, without parsing the text SQLite stores (`2026-11-28 12:00:00.123456`, naive UTC)."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) in (19, 26) and value[10] == " ":
        return f"{value[:10]}T{value[11:19]}.{value[20:23] or '000'}Z"
    return iso(value)


def masked_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: MASK if secret_name(name) and value else value for name, value in headers.items()}


def task_out(row: Mapping[str, Any], *, full: bool = False) -> TaskOut:
    """A task from a mapping of `TASK_NAMES` (a row, or a model's `__data__`); `full` (an admin
    reading) shows the response bodies of the task's HTTP calls."""
    kind = row["type"]
    output = _json(row["output"]) or {}
    reason = row["failure_reason"]
    common: dict[str, Any] = {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "owner": row["owner"],
        "status": row["status"],
        "start_date": _iso(row["start_date"]),
        "end_date": _iso(row["end_date"]),
    }
    config = _json(row["config"]) or {}
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


def releases_out(rows: list[tuple[Any, ...]], *, full: bool = False) -> list[ReleaseOut]:
    """Whole releases from rows of `RELEASE_COLUMNS`, with their phases and tasks in two more
    queries whatever their number; `full` for an admin (see the module's docstring)."""
    if not rows:
        return []
    ids = [r[0] for r in rows]
    tasks: dict[str, list[TaskOut]] = defaultdict(list)
    for task in _TASKS(len(ids)).rows(ids):
        tasks[task[1]].append(task_out(dict(zip(TASK_NAMES, task, strict=True)), full=full))
    phases: dict[str, list[PhaseOut]] = defaultdict(list)
    for phase_id, release_id, title, description, status, start, end in _PHASES(len(ids)).rows(ids):
        phases[release_id].append(
            PhaseOut(
                id=phase_id,
                title=title,
                description=description,
                status=status,
                start_date=_iso(start),
                end_date=_iso(end),
                tasks=tasks[phase_id],
            )
        )
    return [
        ReleaseOut(
            id=release_id,
            title=title,
            description=description,
            owner=owner,
            status=status,
            start_date=_iso(start),
            end_date=_iso(end),
            due_date=_iso(due),
            tags=list(_json(tags) or []),
            variables=variables_out(release_id, _json(variables)),
            phases=phases[release_id],
            origin_template_id=origin,
            script_username=username,
            script_user_password=MASK if password else None,
            abort_comment=comment,
            created_from_trigger=bool(from_trigger),
        )
        for (
            release_id,
            title,
            description,
            owner,
            status,
            start,
            end,
            due,
            tags,
            variables,
            origin,
            username,
            password,
            comment,
            from_trigger,
        ) in rows
    ]


def release_out(release_id: str, *, full: bool = False) -> ReleaseOut:
    """One whole release (or template) as it is stored now."""
    return releases_out(_RELEASE.rows([release_id]), full=full)[0]


def releases_json(releases: list[Release], *, full: bool = False) -> list[dict[str, Any]]:
    """Release models as plain JSON values (for callers that want dicts, such as pages)."""
    rows = [tuple(getattr(r, c.name) for c in RELEASE_COLUMNS) for r in releases]
    return msgspec.to_builtins(releases_out(rows, full=full))
