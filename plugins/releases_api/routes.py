"""Every route of the plugin with the permission each method needs and what it does.

Release and template ids contain a slash (`Applications/Release…`) and Falcon's path segments do
not, so an id takes two segments: `/api/v1/releases/{folder}/{release}` serves
`/api/v1/releases/Applications/Release3f1c…`, exactly the URL the product's clients build. Task ids
take four (`{folder}/{release}/{phase}/{task}`).
"""

from __future__ import annotations

from typing import Any

from host import AUTHENTICATED, ErrorBody, Host, Operation, Route
from plugins.releases_api import bodies as b
from plugins.releases_api import permissions as p
from plugins.releases_api import resources as r
from plugins.releases_api.answers import ExecutionOut, ReleaseOut, TaskOut, TriggerOut
from plugins.releases_api.ids import release_param, task_param
from plugins.releases_api.queries import ByTitleQuery, PagingQuery, TemplatesQuery, TriggersQuery

TRIGGER_ALSO = f"{p.CREATE} and {p.START}"
TEMPLATE_USE = f"{p.TEMPLATE_CREATE_RELEASE} (or {p.TEMPLATE_VIEW}) on the template"
BAD = {400: ErrorBody}
"""A query parameter or a body field is wrong: the message names it."""
BODY = {400: ErrorBody, 413: ErrorBody}
"""A body that is wrong, or larger than 1 MB."""
MISSING = {404: ErrorBody}
NO_BODY = "Takes no body (a JSON object, if one is sent, is ignored)."
STATE = {409: ErrorBody}
"""Not allowed in the object's current state (a COMPLETED release cannot start)."""
FORBIDDEN = {403: ErrorBody}
"""Beyond the route's permission: making a plan owned by someone else needs admin, and stored
run-as credentials act only with their owner's inputs."""


CREATE_RESPONSES = {200: ReleaseOut, **BODY, **FORBIDDEN, 404: ErrorBody, **STATE, 429: ErrorBody}
"""403: someone else's stored credentials with the caller's inputs; 409: a chain of releases too
deep; 429: too many releases from one template a minute."""


def op(summary: str, **fields: Any) -> dict[str, Any]:
    """The document's entry of `/api/v1/openapi.json` itself, read by `openapi.py`."""
    return {"summary": summary, **fields}


def _release(params: dict) -> str:
    return release_param(params)


def _template(params: dict) -> str:
    return f"{params['folder']}/{params['template']}"


def _trigger(params: dict) -> str:
    return params["trigger_id"]


def build_routes(host: Host) -> list[Route]:
    release_item = "/api/v1/releases/{folder}/{release}"
    template_item = "/api/v1/templates/{folder}/{template}"
    task_item = "/api/v1/tasks/{folder}/{release}/{phase}/{task}"
    return [
        Route(
            "/api/v1/releases",
            r.ReleaseCollection(host),
            {"GET": AUTHENTICATED, "POST": p.CREATE},
            description="Planned and active releases the caller may view; create a release directly.",
            operations={
                "GET": Operation(
                    summary=f"List planned and active releases you may view ({p.VIEW})",
                    query=PagingQuery,
                    responses={200: list[ReleaseOut], **BAD},
                ),
                "POST": Operation(
                    summary="Create a PLANNED release with phases and tasks, without a template",
                    body=b.Plan,
                    responses={200: ReleaseOut, **BODY, **FORBIDDEN},
                ),
            },
        ),
        Route(
            "/api/v1/releases/byTitle",
            r.ReleasesByTitle(host),
            {"GET": AUTHENTICATED},
            description="Releases with exactly this title that the caller may view.",
            operations={
                "GET": Operation(
                    summary="Find releases by exact title",
                    query=ByTitleQuery,
                    responses={200: list[ReleaseOut], **BAD},
                )
            },
        ),
        Route(
            "/api/v1/releases/search",
            r.ReleaseSearch(host),
            {"POST": AUTHENTICATED},
            description="Search releases the caller may view by title, status flags, statuses and tags.",
            operations={
                "POST": Operation(
                    summary="Search releases: title (contains), statuses, flags planned/active/inProgress/"
                    "paused/failing/failed/completed/aborted, tags, originTemplateId",
                    body=b.ReleaseSearch | None,
                    body_required=False,
                    query=PagingQuery,
                    responses={200: list[ReleaseOut], **BODY},
                )
            },
        ),
        Route(
            release_item,
            r.ReleaseItem(host),
            {"GET": p.VIEW, "DELETE": p.EDIT},
            object_of=_release,
            description="One release by id (Applications/Release…).",
            operations={
                "GET": Operation(summary="Get a release", responses={200: ReleaseOut, **MISSING}),
                "DELETE": Operation(
                    summary="Delete a release that is PLANNED, COMPLETED or ABORTED",
                    responses={204: None, **MISSING, **STATE},
                ),
            },
        ),
        Route(
            release_item + "/start",
            r.ReleaseStart(host),
            {"POST": p.START},
            object_of=_release,
            description="Start a PLANNED release.",
            operations={
                "POST": Operation(
                    summary="Start a PLANNED release", responses={200: ReleaseOut, **MISSING, **STATE}
                )
            },
        ),
        Route(
            release_item + "/abort",
            r.ReleaseAbort(host),
            {"POST": p.ABORT},
            object_of=_release,
            description="Abort a release that has not finished.",
            operations={
                "POST": Operation(
                    summary="Abort a release that is not COMPLETED or ABORTED",
                    body=b.Abort | None,
                    body_required=False,
                    responses={200: ReleaseOut, **BODY, **MISSING, **STATE},
                )
            },
        ),
        Route(
            "/api/v1/templates",
            r.TemplateCollection(host),
            {"GET": AUTHENTICATED, "POST": p.TEMPLATE_CREATE},
            description="Templates the caller may view; create a template.",
            operations={
                "GET": Operation(
                    summary=f"List templates you may view ({p.TEMPLATE_VIEW})",
                    query=TemplatesQuery,
                    responses={200: list[ReleaseOut], **BAD},
                ),
                "POST": Operation(
                    summary="Create a template with phases and tasks",
                    body=b.Plan,
                    responses={200: ReleaseOut, **BODY, **FORBIDDEN},
                ),
            },
        ),
        Route(
            template_item,
            r.TemplateItem(host),
            {"GET": p.TEMPLATE_VIEW, "PUT": p.TEMPLATE_EDIT, "DELETE": p.TEMPLATE_EDIT},
            object_of=_template,
            description="One template by id.",
            operations={
                "GET": Operation(summary="Get a template", responses={200: ReleaseOut, **MISSING}),
                "PUT": Operation(
                    summary="Update a template",
                    description="Its phases are replaced when the body has `phases`; a masked "
                    "scriptUserPassword keeps the stored one unless the automated tasks, variables or "
                    "scriptUsername change.",
                    body=b.Plan,
                    responses={200: ReleaseOut, **BODY, **FORBIDDEN, **MISSING},
                ),
                "DELETE": Operation(
                    summary="Delete a template and its triggers", responses={204: None, **MISSING}
                ),
            },
        ),
        Route(
            template_item + "/create",
            r.TemplateCreateRelease(host, start=False),
            {"POST": p.CREATE},
            description="Create a release from a template (autoStart also needs release#start).",
            operations={
                "POST": Operation(
                    summary="Create a release from the template",
                    body=b.ReleaseFromTemplate,
                    responses=CREATE_RESPONSES,
                    also=f"{TEMPLATE_USE}; {p.START} when autoStart is true",
                )
            },
        ),
        Route(
            template_item + "/start",
            r.TemplateCreateRelease(host, start=True),
            {"POST": p.CREATE},
            description="Create a release from a template and start it (also needs release#start).",
            operations={
                "POST": Operation(
                    summary="Create a release from the template and start it",
                    body=b.ReleaseFromTemplate,
                    responses=CREATE_RESPONSES,
                    also=f"{TEMPLATE_USE}; {p.START}",
                )
            },
        ),
        Route(
            task_item,
            r.TaskItem(host),
            {"GET": p.VIEW},
            object_of=task_param,
            description="One task of a release.",
            operations={"GET": Operation(summary="Get a task", responses={200: TaskOut, **MISSING})},
        ),
        Route(
            task_item + "/complete",
            r.TaskComplete(host),
            {"POST": p.EDIT_TASK},
            object_of=task_param,
            description="Complete a manual task in progress.",
            operations={
                "POST": Operation(
                    summary="Complete a manual (xlrelease.Task) task that is IN_PROGRESS",
                    description=NO_BODY,
                    responses={200: TaskOut, **BODY, **MISSING, **STATE},
                )
            },
        ),
        Route(
            task_item + "/retry",
            r.TaskRetry(host),
            {"POST": p.EDIT_TASK},
            object_of=task_param,
            description="Run a failed task again; its release is IN_PROGRESS again.",
            operations={
                "POST": Operation(
                    summary="Retry a FAILED task",
                    description=NO_BODY,
                    responses={200: TaskOut, **BODY, **MISSING, **STATE},
                )
            },
        ),
        Route(
            "/api/v1/triggers",
            r.TriggerCollection(host),
            {"GET": p.TEMPLATE_VIEW, "POST": p.TEMPLATE_EDIT},
            description="Webhook triggers that start releases from templates.",
            operations={
                "GET": Operation(
                    summary="List triggers", query=TriggersQuery, responses={200: list[TriggerOut], **BAD}
                ),
                "POST": Operation(
                    summary="Create a trigger (it creates and starts releases as you)",
                    body=b.Trigger,
                    responses={201: TriggerOut, **BODY, **FORBIDDEN, **MISSING},
                    also=TRIGGER_ALSO,
                ),
            },
        ),
        Route(
            "/api/v1/triggers/{trigger_id}",
            r.TriggerItem(host),
            {"GET": p.TEMPLATE_VIEW, "PUT": p.TEMPLATE_EDIT, "DELETE": p.TEMPLATE_EDIT},
            object_of=_trigger,
            description="One trigger.",
            operations={
                "GET": Operation(summary="Get a trigger", responses={200: TriggerOut, **MISSING}),
                "PUT": Operation(
                    summary="Replace a trigger",
                    description="A masked scriptUserPassword keeps the stored one unless templateId, "
                    "the endpoint, variables or scriptUsername change.",
                    body=b.Trigger,
                    responses={200: TriggerOut, **BODY, **FORBIDDEN, **MISSING},
                    also=TRIGGER_ALSO,
                ),
                "DELETE": Operation(
                    summary="Delete a trigger and its execution log", responses={204: None, **MISSING}
                ),
            },
        ),
        Route(
            "/api/v1/triggers/{trigger_id}/executions",
            r.TriggerExecutions(host),
            {"GET": p.TEMPLATE_VIEW},
            object_of=_trigger,
            description="What a trigger did with each request it received, newest first.",
            operations={
                "GET": Operation(
                    summary="A trigger's execution log",
                    query=PagingQuery,
                    responses={200: list[ExecutionOut], **BAD, **MISSING},
                )
            },
        ),
    ]
