"""Reading request bodies into checked specs. Every refusal names the field it is about.

Unknown fields are ignored, so a client may send back the JSON it read (ids, statuses and all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import falcon

from host import query_int
from plugins.releases_api import limits
from plugins.releases_api import variables as variables_
from plugins.releases_api.errors import Invalid
from plugins.releases_api.vocabulary import (
    CREATE_RELEASE_TASK,
    MASK,
    RELEASE_STATUSES,
    TASK_TYPES,
    WEBHOOK_TASK,
)

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_EXPECTED = [200, 201, 202, 204]
MAX_TIMEOUT = 600
MAX_RESULTS_PER_PAGE = 100
MAX_PAGE = 1_000_000
MAX_NAME = 150
MAX_ID = 255


class Keep:
    """A secret that the body did not change (absent, or sent back masked)."""


KEEP = Keep()


@dataclass
class TaskSpec:
    """A task as a client describes it; `source_id` is the id it was read back with, if any, so
    that a masked header can be matched with the stored task it came from."""

    type: str
    title: str
    description: str = ""
    owner: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    source_id: str | None = None


@dataclass
class PhaseSpec:
    title: str
    description: str = ""
    tasks: list[TaskSpec] = field(default_factory=list)


@dataclass
class PlanSpec:
    """A template or a release as a client describes it."""

    title: str
    description: str = ""
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    variables: list[dict[str, Any]] = field(default_factory=list)
    script_username: str | None | Keep = KEEP
    script_password: str | None | Keep = KEEP
    due_date: datetime | None = None
    phases: list[PhaseSpec] = field(default_factory=list)


@dataclass
class FromTemplate:
    """The body of `POST /api/v1/templates/{id}/create` and `/start`."""

    title: str
    variables: dict[str, Any] = field(default_factory=dict)
    auto_start: bool = False
    owner: str | None = None
    script_username: str | None | Keep = KEEP
    script_password: str | None | Keep = KEEP


@dataclass
class Search:
    title: str | None = None
    statuses: set[str] = field(default_factory=set)
    tags: list[str] = field(default_factory=list)
    origin_template_id: str | None = None


def string(
    body: Mapping[str, Any],
    key: str,
    where: str = "",
    *,
    required: bool = False,
    default: str = "",
    max_length: int | None = None,
    allow_empty: bool = True,
) -> str:
    name = f"{where}{key}"
    value = body.get(key)
    if value is None:
        if required:
            raise Invalid(f"{name} is required.")
        return default
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string.")
    if required and not allow_empty and not value.strip():
        raise Invalid(f"{name} must not be empty.")
    if max_length is not None and len(value) > max_length:
        raise Invalid(f"{name} must be at most {max_length} characters.")
    return value


def optional_string(
    body: Mapping[str, Any], key: str, where: str = "", max_length: int | None = None
) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{where}{key} must be a string.")
    if value is not None and max_length is not None and len(value) > max_length:
        raise Invalid(f"{where}{key} must be at most {max_length} characters.")
    return value


def boolean(body: Mapping[str, Any], key: str, where: str = "", default: bool = False) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Invalid(f"{where}{key} must be true or false.")
    return value


def string_list(
    body: Mapping[str, Any],
    key: str,
    where: str = "",
    max_items: int = limits.MAX_TAGS,
    max_length: int = limits.MAX_TAG,
) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{where}{key} must be a list of strings.")
    limits.count(value, max_items, f"{where}{key}")
    if any(len(v) > max_length for v in value):
        raise Invalid(f"{where}{key}: each entry must be at most {max_length} characters.")
    return list(value)


def string_map(body: Mapping[str, Any], key: str, where: str = "") -> dict[str, str]:
    """Such as HTTP headers: at most `MAX_HEADERS` names, each name and value of bounded length."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise Invalid(f"{where}{key} must be an object whose values are strings.")
    limits.count(list(value), limits.MAX_HEADERS, f"{where}{key}")
    for name, item in value.items():
        if len(name) > limits.MAX_HEADER_NAME or len(item) > limits.MAX_HEADER_VALUE:
            raise Invalid(
                f"{where}{key}: names may be at most {limits.MAX_HEADER_NAME} characters and values "
                f"at most {limits.MAX_HEADER_VALUE}."
            )
    return dict(value)


def json_object(body: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Invalid(f"{where}{key} must be an object.")
    limits.count(list(value), limits.MAX_VARIABLES, f"{where}{key}")
    return dict(value)


def date(body: Mapping[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{key} must be an ISO 8601 date string.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{key} must be an ISO 8601 date such as 2026-12-01T09:00:00Z.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def secret(body: Mapping[str, Any], key: str) -> str | None | Keep:
    """A write-only value: absent or the mask keeps the stored one, null or "" clears it."""
    if key not in body or body[key] == MASK:
        return KEEP
    value = body[key]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(f"{key} must be a string.")
    return value


def run_as_username(body: Mapping[str, Any]) -> str | None | Keep:
    if "scriptUsername" not in body:
        return KEEP
    value = body["scriptUsername"]
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NAME:
        raise Invalid(f"scriptUsername must be a string of at most {MAX_NAME} characters.")
    return value


def _webhook(task: Mapping[str, Any], where: str) -> dict[str, Any]:
    url = string(task, "url", where, required=True, allow_empty=False, max_length=limits.MAX_URL)
    if "${" not in url and not url.startswith(("http://", "https://")):
        raise Invalid(f"{where}url must be an http:// or https:// URL.")
    method = string(task, "method", where, default="GET").upper()
    if method not in HTTP_METHODS:
        raise Invalid(f"{where}method must be one of {', '.join(HTTP_METHODS)}.")
    expected = task.get("expectedStatusCodes", DEFAULT_EXPECTED)
    if (
        not isinstance(expected, list)
        or not expected
        or not all(isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in expected)
    ):
        raise Invalid(f"{where}expectedStatusCodes must be a non-empty list of HTTP status codes.")
    timeout = task.get("timeoutSeconds")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT
    ):
        raise Invalid(f"{where}timeoutSeconds must be a number of seconds between 0 and {MAX_TIMEOUT}.")
    authenticate = task.get("authenticate")
    if authenticate is not None and not isinstance(authenticate, bool):
        raise Invalid(f"{where}authenticate must be true, false or null.")
    return {
        "url": url,
        "method": method,
        "headers": string_map(task, "headers", where),
        "body": string(task, "body", where, max_length=limits.MAX_TASK_BODY),
        "expectedStatusCodes": list(expected),
        "timeoutSeconds": timeout,
        "authenticate": authenticate,
    }


def _create_release(task: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {
        "templateId": string(task, "templateId", where, required=True, allow_empty=False, max_length=MAX_ID),
        "newReleaseTitle": string(
            task, "newReleaseTitle", where, required=True, allow_empty=False, max_length=limits.MAX_TITLE
        ),
        "startRelease": boolean(task, "startRelease", where),
        "templateVariables": json_object(task, "templateVariables", where),
    }


def parse_task(task: Any, where: str) -> TaskSpec:
    if not isinstance(task, Mapping):
        raise Invalid(f"{where[:-1]} must be an object.")
    kind = string(task, "type", where, default="xlrelease.Task")
    if kind not in TASK_TYPES:
        raise Invalid(f"{where}type must be one of {', '.join(TASK_TYPES)}.")
    config: dict[str, Any] = {}
    if kind == WEBHOOK_TASK:
        config = _webhook(task, where)
    elif kind == CREATE_RELEASE_TASK:
        config = _create_release(task, where)
    return TaskSpec(
        type=kind,
        title=string(task, "title", where, required=True, allow_empty=False, max_length=limits.MAX_TITLE),
        description=string(task, "description", where, max_length=limits.MAX_DESCRIPTION),
        owner=optional_string(task, "owner", where, max_length=MAX_NAME),
        config=config,
        source_id=task["id"] if isinstance(task.get("id"), str) else None,
    )


def parse_phases(value: Any) -> list[PhaseSpec]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid("phases must be a list.")
    limits.count(value, limits.MAX_PHASES, "phases")
    phases = []
    for i, phase in enumerate(value):
        where = f"phases[{i}]."
        if not isinstance(phase, Mapping):
            raise Invalid(f"phases[{i}] must be an object.")
        tasks = phase.get("tasks") or []
        if not isinstance(tasks, list):
            raise Invalid(f"{where}tasks must be a list.")
        limits.count(tasks, limits.MAX_TASKS_PER_PHASE, f"{where}tasks")
        phases.append(
            PhaseSpec(
                title=string(
                    phase, "title", where, required=True, allow_empty=False, max_length=limits.MAX_TITLE
                ),
                description=string(phase, "description", where, max_length=limits.MAX_DESCRIPTION),
                tasks=[parse_task(t, f"{where}tasks[{j}].") for j, t in enumerate(tasks)],
            )
        )
    return phases


def parse_plan(body: Mapping[str, Any]) -> PlanSpec:
    """A template (POST/PUT /api/v1/templates) or a release made directly (POST /api/v1/releases)."""
    spec = PlanSpec(
        title=string(body, "title", required=True, allow_empty=False, max_length=limits.MAX_TITLE),
        description=string(body, "description", max_length=limits.MAX_DESCRIPTION),
        owner=optional_string(body, "owner", max_length=MAX_NAME),
        tags=string_list(body, "tags"),
        variables=variables_.normalize(body.get("variables")),
        script_username=run_as_username(body),
        script_password=secret(body, "scriptUserPassword"),
        due_date=date(body, "dueDate"),
        phases=parse_phases(body.get("phases")),
    )
    limits.check_plan(spec)
    return spec


def parse_from_template(body: Mapping[str, Any]) -> FromTemplate:
    values = body.get("variables")
    if values is not None and not isinstance(values, Mapping):
        raise Invalid("variables must be an object of name → value.")
    folder = body.get("folderId")
    if folder not in (None, "Applications"):
        raise Invalid("folderId: this server has only the folder Applications.")
    variables_.normalize(values)
    return FromTemplate(
        title=string(body, "releaseTitle", required=True, allow_empty=False, max_length=limits.MAX_TITLE),
        variables=dict(values or {}),
        auto_start=boolean(body, "autoStart"),
        owner=optional_string(body, "releaseOwner", max_length=MAX_NAME),
        script_username=run_as_username(body),
        script_password=secret(body, "scriptUserPassword"),
    )


STATUS_FLAGS = {
    "planned": ("PLANNED",),
    "active": ("IN_PROGRESS", "PAUSED", "FAILING", "FAILED"),
    "inProgress": ("IN_PROGRESS",),
    "paused": ("PAUSED",),
    "failing": ("FAILING",),
    "failed": ("FAILED",),
    "completed": ("COMPLETED",),
    "aborted": ("ABORTED",),
}


def parse_search(body: Mapping[str, Any]) -> Search:
    """The product's release filters: flags and `statuses` add up; none of them means any status."""
    statuses = {s.upper() for s in string_list(body, "statuses")}
    unknown = sorted(statuses - set(RELEASE_STATUSES) - {"TEMPLATE"})
    if unknown or "TEMPLATE" in statuses:
        bad = unknown or ["TEMPLATE"]
        raise Invalid(f"statuses: {', '.join(bad)} is not a release status.")
    for flag, covered in STATUS_FLAGS.items():
        if boolean(body, flag):
            statuses.update(covered)
    title = optional_string(body, "title")
    return Search(
        title=title or None,
        statuses=statuses,
        tags=string_list(body, "tags"),
        origin_template_id=optional_string(body, "originTemplateId", max_length=MAX_ID),
    )


def page_params(req: falcon.Request) -> tuple[int, int]:
    """`page` (from 0) and `resultsPerPage` (1 to 100, default 100) from the query string."""
    page = query_int(req, "page", 0, 0, MAX_PAGE)
    return page, query_int(req, "resultsPerPage", MAX_RESULTS_PER_PAGE, 1, MAX_RESULTS_PER_PAGE)
