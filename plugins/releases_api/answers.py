"""The response bodies of the releases API, in the product's JSON: each Struct is what the
responder encodes and what the OpenAPI document shows. Dates are ISO 8601 UTC strings with
milliseconds (`2026-11-28T12:00:00.000Z`), secrets are `********` or null."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from plugins.releases_api.vocabulary import (
    CREATE_RELEASE_TASK,
    MANUAL_TASK,
    WEBHOOK_TASK,
    HttpMethod,
    ItemStatus,
    ReleaseStatus,
)

Date = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
Masked = Annotated[str, Meta(description="`********` when a value is stored, else null.")]


class Answer(msgspec.Struct, kw_only=True, rename="camel"):
    """Field names in the product's camelCase."""


class TaskAnswer(Answer, tag_field="type", kw_only=True):
    id: str
    title: str
    description: str | None
    owner: str | None
    status: ItemStatus
    start_date: Date | None
    end_date: Date | None
    failure_reason: str | None


class ManualTaskOut(TaskAnswer, tag=MANUAL_TASK, kw_only=True):
    pass


class WebhookTaskOut(TaskAnswer, tag=WEBHOOK_TASK, kw_only=True):
    url: str
    method: HttpMethod
    headers: dict[str, str]
    body: str
    expected_status_codes: list[int]
    timeout_seconds: int | float | None
    authenticate: bool | None
    status_code: int | UnsetType = UNSET
    """After it ran: the HTTP status the server answered."""
    response_body: str | None | UnsetType = UNSET
    """After it ran: the first 10,000 characters of the answer, for admins only (else null)."""
    secrets_not_sent: str | UnsetType = UNSET


class CreateReleaseTaskOut(TaskAnswer, tag=CREATE_RELEASE_TASK, kw_only=True):
    template_id: str
    new_release_title: str
    start_release: bool
    template_variables: dict[str, Any]
    created_release_id: str | None
    """After it ran: the release it created."""


TaskOut = ManualTaskOut | WebhookTaskOut | CreateReleaseTaskOut


class PhaseOut(Answer, kw_only=True):
    id: str
    type: Literal["xlrelease.Phase"] = "xlrelease.Phase"
    title: str
    description: str | None
    status: ItemStatus
    start_date: Date | None
    end_date: Date | None
    tasks: list[TaskOut]


class VariableOut(Answer, kw_only=True):
    id: str
    key: str
    value: Any
    type: str
    requires_value: bool
    show_on_release_start: bool


class ReleaseOut(Answer, kw_only=True):
    """A release or a template (status TEMPLATE): the product stores both as `xlrelease.Release`."""

    id: Annotated[str, Meta(examples=["Applications/Release3f1c2a9d04b14e4f9a1d6c2b7e8f0a11"])]
    type: Literal["xlrelease.Release"] = "xlrelease.Release"
    title: str
    description: str | None
    owner: str | None
    status: ReleaseStatus
    start_date: Date | None
    end_date: Date | None
    due_date: Date | None
    tags: list[str]
    variables: list[VariableOut]
    phases: list[PhaseOut]
    origin_template_id: str | None
    script_username: str | None
    script_user_password: Masked | None
    abort_comment: str | None
    created_from_trigger: bool


class TriggerOut(Answer, kw_only=True):
    id: str
    type: Literal["xlrelease.WebhookTrigger"] = "xlrelease.WebhookTrigger"
    title: str
    enabled: bool
    endpoint_path: str | None
    endpoint_id: str | None
    template_id: str
    filter: dict[str, Any]
    release_title: str
    variables: dict[str, Any]
    script_username: str | None
    script_user_password: Masked | None
    owner: str
    created_date: Date | None
    updated_date: Date | None


class ExecutionOut(Answer, kw_only=True):
    """What a trigger did with one request its endpoint received."""

    trigger_id: str
    request_id: str | None
    endpoint_path: str | None
    status: Literal["started", "skipped", "failed", "disabled"]
    release_id: str | None
    reason: str
    date: Date | None
