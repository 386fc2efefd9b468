"""Every route of the plugin with the permission each method needs and what it does.

Release and template ids contain a slash (`Applications/Release…`) and Falcon's path segments do
not, so an id takes two segments: `/api/v1/releases/{folder}/{release}` serves
`/api/v1/releases/Applications/Release3f1c…`, exactly the URL the product's clients build. Task ids
take four (`{folder}/{release}/{phase}/{task}`).
"""

from __future__ import annotations

from typing import Any

from host import AUTHENTICATED, Host, Route
from plugins.releases_api import examples as ex
from plugins.releases_api import permissions as p
from plugins.releases_api import resources as r
from plugins.releases_api.ids import release_param, task_param

PAGING = (
    ("page", "page number, from 0 to 1000000, in ASCII digits"),
    ("resultsPerPage", "1 to 100, default 100"),
)
TRIGGER_ALSO = f"{p.CREATE} and {p.START}"
TEMPLATE_USE = f"{p.TEMPLATE_CREATE_RELEASE} (or {p.TEMPLATE_VIEW}) on the template"


def op(
    summary: str,
    *,
    request: Any = None,
    response: Any = None,
    status: int = 200,
    query: tuple[tuple[str, str], ...] = (),
    errors: tuple[int, ...] = (),
    also: str | None = None,
) -> dict[str, Any]:
    """One method's documentation, read by `openapi.py` from `Route.extra["openapi"]`."""
    return {
        "summary": summary,
        "request": request,
        "response": response,
        "status": status,
        "query": list(query),
        "errors": list(errors),
        "also": also,
    }


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
            extra={
                "openapi": {
                    "GET": op(
                        "List planned and active releases you may view (release#view)",
                        response=[ex.RELEASE_OUT],
                        query=PAGING,
                        errors=(400,),
                    ),
                    "POST": op(
                        "Create a PLANNED release with phases and tasks, without a template",
                        request={**ex.TEMPLATE_IN, "title": "Hotfix 1.4.1"},
                        response={**ex.RELEASE_OUT, "status": "PLANNED", "originTemplateId": None},
                        errors=(400,),
                    ),
                }
            },
        ),
        Route(
            "/api/v1/releases/byTitle",
            r.ReleasesByTitle(host),
            {"GET": AUTHENTICATED},
            description="Releases with exactly this title that the caller may view.",
            extra={
                "openapi": {
                    "GET": op(
                        "Find releases by exact title",
                        response=[ex.RELEASE_OUT],
                        query=(("releaseTitle", "the exact title (required)"), *PAGING),
                        errors=(400,),
                    )
                }
            },
        ),
        Route(
            "/api/v1/releases/search",
            r.ReleaseSearch(host),
            {"POST": AUTHENTICATED},
            description="Search releases the caller may view by title, status flags, statuses and tags.",
            extra={
                "openapi": {
                    "POST": op(
                        "Search releases: title (contains), statuses, flags planned/active/inProgress/"
                        "failed/completed/aborted, tags, originTemplateId",
                        request=ex.SEARCH_IN,
                        response=[ex.RELEASE_OUT],
                        query=PAGING,
                        errors=(400,),
                    )
                }
            },
        ),
        Route(
            release_item,
            r.ReleaseItem(host),
            {"GET": p.VIEW, "DELETE": p.EDIT},
            object_of=_release,
            description="One release by id (Applications/Release…).",
            extra={
                "openapi": {
                    "GET": op("Get a release", response=ex.RELEASE_OUT, errors=(404,)),
                    "DELETE": op(
                        "Delete a release that is PLANNED, COMPLETED or ABORTED",
                        status=204,
                        errors=(404, 409),
                    ),
                }
            },
        ),
        Route(
            release_item + "/start",
            r.ReleaseStart(host),
            {"POST": p.START},
            object_of=_release,
            description="Start a PLANNED release.",
            extra={
                "openapi": {"POST": op("Start a PLANNED release", response=ex.RELEASE_OUT, errors=(404, 409))}
            },
        ),
        Route(
            release_item + "/abort",
            r.ReleaseAbort(host),
            {"POST": p.ABORT},
            object_of=_release,
            description="Abort a release that has not finished.",
            extra={
                "openapi": {
                    "POST": op(
                        "Abort a release that is not COMPLETED or ABORTED",
                        request=ex.ABORT_IN,
                        response={**ex.RELEASE_OUT, "status": "ABORTED", "abortComment": "Superseded by 1.5"},
                        errors=(400, 404, 409),
                    )
                }
            },
        ),
        Route(
            "/api/v1/templates",
            r.TemplateCollection(host),
            {"GET": AUTHENTICATED, "POST": p.TEMPLATE_CREATE},
            description="Templates the caller may view; create a template.",
            extra={
                "openapi": {
                    "GET": op(
                        "List templates you may view (template#view)",
                        response=[ex.TEMPLATE_OUT],
                        query=(("title", "part of the title"), ("tag", "a tag"), *PAGING),
                        errors=(400,),
                    ),
                    "POST": op(
                        "Create a template with phases and tasks",
                        request=ex.TEMPLATE_IN,
                        response=ex.TEMPLATE_OUT,
                        errors=(400,),
                    ),
                }
            },
        ),
        Route(
            template_item,
            r.TemplateItem(host),
            {"GET": p.TEMPLATE_VIEW, "PUT": p.TEMPLATE_EDIT, "DELETE": p.TEMPLATE_EDIT},
            object_of=_template,
            description="One template by id.",
            extra={
                "openapi": {
                    "GET": op("Get a template", response=ex.TEMPLATE_OUT, errors=(404,)),
                    "PUT": op(
                        "Update a template (its phases are replaced when the body has `phases`; "
                        "a masked scriptUserPassword keeps the stored one unless the automated "
                        "tasks, variables or scriptUsername change)",
                        request=ex.TEMPLATE_IN,
                        response=ex.TEMPLATE_OUT,
                        errors=(400, 404),
                    ),
                    "DELETE": op("Delete a template and its triggers", status=204, errors=(404,)),
                }
            },
        ),
        Route(
            template_item + "/create",
            r.TemplateCreateRelease(host, start=False),
            {"POST": p.CREATE},
            description="Create a release from a template (autoStart also needs release#start).",
            extra={
                "openapi": {
                    "POST": op(
                        "Create a release from the template",
                        request=ex.FROM_TEMPLATE_IN,
                        response={**ex.RELEASE_OUT, "status": "PLANNED"},
                        errors=(400, 404),
                        also=f"{TEMPLATE_USE}; {p.START} when autoStart is true",
                    )
                }
            },
        ),
        Route(
            template_item + "/start",
            r.TemplateCreateRelease(host, start=True),
            {"POST": p.CREATE},
            description="Create a release from a template and start it (also needs release#start).",
            extra={
                "openapi": {
                    "POST": op(
                        "Create a release from the template and start it",
                        request={k: v for k, v in ex.FROM_TEMPLATE_IN.items() if k != "autoStart"},
                        response=ex.RELEASE_OUT,
                        errors=(400, 404),
                        also=f"{TEMPLATE_USE}; {p.START}",
                    )
                }
            },
        ),
        Route(
            task_item,
            r.TaskItem(host),
            {"GET": p.VIEW},
            object_of=task_param,
            description="One task of a release.",
            extra={"openapi": {"GET": op("Get a task", response=ex.TASK_OUT, errors=(404,))}},
        ),
        Route(
            task_item + "/complete",
            r.TaskComplete(host),
            {"POST": p.EDIT_TASK},
            object_of=task_param,
            description="Complete a manual task in progress.",
            extra={
                "openapi": {
                    "POST": op(
                        "Complete a manual (xlrelease.Task) task that is IN_PROGRESS",
                        response={**ex.TASK_OUT, "type": "xlrelease.Task", "status": "COMPLETED"},
                        errors=(404, 409),
                    )
                }
            },
        ),
        Route(
            task_item + "/retry",
            r.TaskRetry(host),
            {"POST": p.EDIT_TASK},
            object_of=task_param,
            description="Run a failed task again; its release is IN_PROGRESS again.",
            extra={
                "openapi": {
                    "POST": op(
                        "Retry a FAILED task",
                        response={**ex.TASK_OUT, "status": "QUEUED", "endDate": None},
                        errors=(404, 409),
                    )
                }
            },
        ),
        Route(
            "/api/v1/triggers",
            r.TriggerCollection(host),
            {"GET": p.TEMPLATE_VIEW, "POST": p.TEMPLATE_EDIT},
            description="Webhook triggers that start releases from templates.",
            extra={
                "openapi": {
                    "GET": op(
                        "List triggers",
                        response=[ex.TRIGGER_OUT],
                        query=(("templateId", "only this template's triggers"), *PAGING),
                        errors=(400,),
                    ),
                    "POST": op(
                        "Create a trigger (it creates and starts releases as you)",
                        request=ex.TRIGGER_IN,
                        response=ex.TRIGGER_OUT,
                        status=201,
                        errors=(400,),
                        also=TRIGGER_ALSO,
                    ),
                }
            },
        ),
        Route(
            "/api/v1/triggers/{trigger_id}",
            r.TriggerItem(host),
            {"GET": p.TEMPLATE_VIEW, "PUT": p.TEMPLATE_EDIT, "DELETE": p.TEMPLATE_EDIT},
            object_of=_trigger,
            description="One trigger.",
            extra={
                "openapi": {
                    "GET": op("Get a trigger", response=ex.TRIGGER_OUT, errors=(404,)),
                    "PUT": op(
                        "Replace a trigger (a masked scriptUserPassword keeps the stored one unless "
                        "templateId, the endpoint, variables or scriptUsername change)",
                        request=ex.TRIGGER_IN,
                        response=ex.TRIGGER_OUT,
                        errors=(400, 404),
                        also=TRIGGER_ALSO,
                    ),
                    "DELETE": op("Delete a trigger and its execution log", status=204, errors=(404,)),
                }
            },
        ),
        Route(
            "/api/v1/triggers/{trigger_id}/executions",
            r.TriggerExecutions(host),
            {"GET": p.TEMPLATE_VIEW},
            object_of=_trigger,
            description="What a trigger did with each request it received, newest first.",
            extra={
                "openapi": {
                    "GET": op(
                        "A trigger's execution log",
                        response=[ex.EXECUTION_OUT],
                        query=PAGING,
                        errors=(400, 404),
                    )
                }
            },
        ),
    ]
