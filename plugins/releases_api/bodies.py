"""The request bodies of the releases API, declared once: each Struct validates the body (400
naming the field and the fault), gives the OpenAPI schema, and turns into the spec the plugin's
operations take (`specs.py`).

Unknown fields are ignored and `null` counts as absent, so a client may send back the JSON it
read (ids, statuses and all). A task without `type` is a manual one (`xlrelease.Task`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

import falcon
import msgspec
from msgspec import UNSET, Meta, UnsetType

from host import read_json
from plugins.releases_api import limits
from plugins.releases_api import variables as variables_
from plugins.releases_api.errors import Invalid
from plugins.releases_api.specs import (
    KEEP,
    FromTemplate,
    Keep,
    PhaseSpec,
    PlanSpec,
    Search,
    TaskSpec,
    TriggerSpec,
)
from plugins.releases_api.vocabulary import (
    CREATE_RELEASE_TASK,
    MANUAL_TASK,
    MASK,
    TASK_TYPES,
    WEBHOOK_TASK,
    HttpMethod,
)

MAX_NAME = 150
MAX_ID = 255
MAX_TIMEOUT = 600
MAX_COMMENT = 10_000
DEFAULT_EXPECTED = [200, 201, 202, 204]

NotBlank = r"[^\s\x1c-\x1f]"
"""Not only whitespace as `str.strip` sees it: Python counts U+001C-U+001F as whitespace,
the Unicode `White_Space` of other regex engines (the fuzzer's, a client's) does not."""
URL = r"^https?://|\$\{"
VARIABLE_NAME = r"^(\$\{[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}\}|[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99})$"
PATTERNS = {
    NotBlank: "a string that is not blank",
    URL: "an http:// or https:// URL (or one built from `${…}` placeholders)",
    VARIABLE_NAME: "a variable name like `version` or `${version}` (at most 100 characters)",
}
"""What each pattern means, in the words of a refusal."""
Title = Annotated[str, Meta(min_length=1, max_length=limits.MAX_TITLE, pattern=NotBlank)]
Text = Annotated[str, Meta(max_length=limits.MAX_DESCRIPTION)]
UserName = Annotated[str, Meta(max_length=MAX_NAME)]
Id = Annotated[str, Meta(max_length=MAX_ID)]
RequiredId = Annotated[str, Meta(min_length=1, max_length=MAX_ID, pattern=NotBlank)]
Tags = Annotated[list[Annotated[str, Meta(max_length=limits.MAX_TAG)]], Meta(max_length=limits.MAX_TAGS)]
VariableKey = Annotated[
    str,
    Meta(
        pattern=VARIABLE_NAME,
        description="A variable name like `version` or `${version}`.",
    ),
]
ValueMap = Annotated[dict[str, Any], Meta(max_length=limits.MAX_VARIABLES)]
Password = Annotated[
    str | None | UnsetType,
    Meta(description='Write-only. Absent or `********` keeps the stored one; null or "" clears it.'),
]
RunAs = Annotated[UserName | None | UnsetType, Meta(description="Run automated tasks as this user.")]


class Body(msgspec.Struct, kw_only=True, rename="camel"):
    """Field names in the product's camelCase."""


class TaskBody(Body, tag_field="type", kw_only=True):
    title: Title
    description: Text | None = None
    owner: UserName | None = None
    id: str | None = None
    """The id the task was read back with: a masked secret is matched with that stored task."""

    def config(self) -> dict[str, Any]:
        return {}

    def spec(self) -> TaskSpec:
        return TaskSpec(
            type=str(self.__struct_config__.tag),
            title=self.title,
            description=self.description or "",
            owner=self.owner,
            config=self.config(),
            source_id=self.id,
        )


class ManualTask(TaskBody, tag=MANUAL_TASK):
    """Waits IN_PROGRESS until someone completes it."""

    @classmethod
    def openapi_schema(cls, schema: dict[str, Any], host: object) -> dict[str, Any]:
        """A task without `type` (or with `type: null`) is a manual one (`_defaults`)."""
        schema["properties"]["type"] = {"anyOf": [schema["properties"]["type"], {"type": "null"}]}
        schema["required"] = [name for name in schema["required"] if name != "type"]
        return schema


class WebhookTask(TaskBody, tag=WEBHOOK_TASK, kw_only=True):
    """An HTTP request; `${name}` placeholders are filled in when it runs."""

    url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=limits.MAX_URL,
            pattern=URL,
            description="An http:// or https:// URL (or one built from `${…}` placeholders).",
        ),
    ]
    method: HttpMethod | None = None
    headers: (
        Annotated[
            dict[
                Annotated[str, Meta(max_length=limits.MAX_HEADER_NAME)],
                Annotated[str, Meta(max_length=limits.MAX_HEADER_VALUE)],
            ],
            Meta(max_length=limits.MAX_HEADERS),
        ]
        | None
    ) = None
    body: Annotated[str, Meta(max_length=limits.MAX_TASK_BODY)] | None = None
    expected_status_codes: (
        Annotated[list[Annotated[int, Meta(ge=100, le=599)]], Meta(min_length=1, max_length=100)] | None
    ) = None
    timeout_seconds: (
        Annotated[int, Meta(gt=0, le=MAX_TIMEOUT)] | Annotated[float, Meta(gt=0, le=MAX_TIMEOUT)] | None
    ) = None
    authenticate: bool | None = None

    def config(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "method": self.method or "GET",
            "headers": dict(self.headers or {}),
            "body": self.body or "",
            "expectedStatusCodes": list(self.expected_status_codes or DEFAULT_EXPECTED),
            "timeoutSeconds": self.timeout_seconds,
            "authenticate": self.authenticate,
        }


class CreateReleaseTask(TaskBody, tag=CREATE_RELEASE_TASK, kw_only=True):
    """Creates (and with `startRelease` starts) a release from a template."""

    template_id: RequiredId
    new_release_title: Title
    start_release: bool | None = None
    template_variables: ValueMap | None = None

    def config(self) -> dict[str, Any]:
        return {
            "templateId": self.template_id,
            "newReleaseTitle": self.new_release_title,
            "startRelease": bool(self.start_release),
            "templateVariables": dict(self.template_variables or {}),
        }


Task = ManualTask | WebhookTask | CreateReleaseTask


class Phase(Body, kw_only=True):
    title: Title
    description: Text | None = None
    tasks: Annotated[list[Task], Meta(max_length=limits.MAX_TASKS_PER_PHASE)] | None = None

    @classmethod
    def openapi_schema(cls, schema: dict[str, Any], host: object) -> dict[str, Any]:
        """No `discriminator`: a task may leave `type` out (`ManualTask`), which a discriminator's
        property may not."""
        for choice in schema["properties"]["tasks"]["anyOf"]:
            choice.get("items", {}).pop("discriminator", None)
        return schema

    def spec(self) -> PhaseSpec:
        return PhaseSpec(
            title=self.title,
            description=self.description or "",
            tasks=[t.spec() for t in self.tasks or []],
        )


class Variable(Body, kw_only=True):
    """A release variable as the product lists it (`id` is ignored: the server gives ids)."""

    key: VariableKey
    value: Any = None
    type: Annotated[str, Meta(max_length=limits.MAX_VARIABLE_KEY)] | None = None
    requires_value: bool | None = None
    show_on_release_start: bool | None = None


Variables = (
    Annotated[list[Variable], Meta(max_length=limits.MAX_VARIABLES)]
    | Annotated[dict[VariableKey, Any], Meta(max_length=limits.MAX_VARIABLES)]
)


def _variables(value: list[Variable] | dict[str, Any] | None) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return variables_.normalize([msgspec.to_builtins(v) for v in value])
    return variables_.normalize(value)


def _secret(value: str | None | UnsetType) -> str | None | Keep:
    """Absent or the mask keeps the stored secret, null or "" clears it."""
    if value is UNSET or value == MASK:
        return KEEP
    return value or None  # type: ignore[return-value]


def _run_as(value: str | None | UnsetType) -> str | None | Keep:
    return KEEP if isinstance(value, UnsetType) else value


class Plan(Body, kw_only=True):
    """A template (`POST`/`PUT /api/v1/templates`) or a release made directly (`POST /api/v1/releases`)."""

    title: Title
    description: Text | None = None
    owner: UserName | None = None
    tags: Tags | None = None
    variables: Variables | None = None
    script_username: RunAs = UNSET
    script_user_password: Password = UNSET
    due_date: Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})] | None = None
    phases: Annotated[list[Phase], Meta(max_length=limits.MAX_PHASES)] | None = None

    def spec(self) -> PlanSpec:
        due = self.due_date
        spec = PlanSpec(
            title=self.title,
            description=self.description or "",
            owner=self.owner,
            tags=list(self.tags or []),
            variables=_variables(self.variables),
            script_username=_run_as(self.script_username),
            script_password=_secret(self.script_user_password),
            due_date=due.replace(tzinfo=UTC) if due and due.tzinfo is None else due,
            phases=[p.spec() for p in self.phases or []],
        )
        limits.check_plan(spec)
        return spec


class ReleaseFromTemplate(Body, kw_only=True):
    """`POST /api/v1/templates/{templateId}/create` and `/start`."""

    release_title: Title
    variables: Annotated[dict[VariableKey, Any], Meta(max_length=limits.MAX_VARIABLES)] | None = None
    auto_start: bool | None = None
    folder_id: Literal["Applications"] | None = None
    release_owner: UserName | None = None
    script_username: RunAs = UNSET
    script_user_password: Password = UNSET

    def spec(self) -> FromTemplate:
        variables_.normalize(self.variables)
        return FromTemplate(
            title=self.release_title,
            variables=dict(self.variables or {}),
            auto_start=bool(self.auto_start),
            owner=self.release_owner,
            script_username=_run_as(self.script_username),
            script_password=_secret(self.script_user_password),
        )


STATUS_FLAGS = {
    "planned": ("PLANNED",),
    "active": ("IN_PROGRESS", "PAUSED", "FAILING", "FAILED"),
    "in_progress": ("IN_PROGRESS",),
    "paused": ("PAUSED",),
    "failing": ("FAILING",),
    "failed": ("FAILED",),
    "completed": ("COMPLETED",),
    "aborted": ("ABORTED",),
}


class ReleaseSearch(Body, kw_only=True):
    """The product's release filters: flags and `statuses` add up; none of them means any status."""

    title: str | None = None
    statuses: (
        Annotated[
            list[Literal["PLANNED", "IN_PROGRESS", "PAUSED", "FAILING", "FAILED", "COMPLETED", "ABORTED"]],
            Meta(max_length=limits.MAX_TAGS),
        ]
        | None
    ) = None
    planned: bool | None = None
    active: bool | None = None
    in_progress: bool | None = None
    paused: bool | None = None
    failing: bool | None = None
    failed: bool | None = None
    completed: bool | None = None
    aborted: bool | None = None
    tags: Tags | None = None
    origin_template_id: Id | None = None

    def spec(self) -> Search:
        statuses: set[str] = set(self.statuses or [])
        for flag, covered in STATUS_FLAGS.items():
            if getattr(self, flag):
                statuses.update(covered)
        return Search(
            title=self.title or None,
            statuses=statuses,
            tags=list(self.tags or []),
            origin_template_id=self.origin_template_id,
        )


class Abort(Body, kw_only=True):
    abort_comment: Annotated[str, Meta(max_length=MAX_COMMENT)] | None = None


class NoBody(Body, kw_only=True):
    """Complete and retry take no fields; a JSON object may be sent all the same."""


class Trigger(Body, kw_only=True):
    """A webhook trigger: `endpointPath` (or `endpointId`) names the endpoint it listens to."""

    title: Title
    template_id: RequiredId
    release_title: Annotated[str, Meta(min_length=1, max_length=limits.MAX_DESCRIPTION, pattern=NotBlank)]
    enabled: bool | None = None
    endpoint_path: Id | None = None
    endpoint_id: Id | int | None = None
    filter: (
        Annotated[dict[Annotated[str, Meta(pattern=NotBlank)], Any], Meta(max_length=limits.MAX_VARIABLES)]
        | None
    ) = None
    variables: ValueMap | None = None
    script_username: RunAs = UNSET
    script_user_password: Password = UNSET

    @classmethod
    def openapi_schema(cls, schema: dict[str, Any], host: object) -> dict[str, Any]:
        """`endpointPath` (not only slashes) or `endpointId` (not empty) is required (`spec`)."""
        schema["anyOf"] = [
            {
                "required": ["endpointPath"],
                "properties": {"endpointPath": {"type": "string", "pattern": "[^/]"}},
            },
            {
                "required": ["endpointId"],
                "properties": {
                    "endpointId": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}
                },
            },
        ]
        return schema

    def spec(self) -> TriggerSpec:
        path = (self.endpoint_path or "").strip("/") or None
        endpoint_id = str(self.endpoint_id) if self.endpoint_id not in (None, "") else None
        if not path and not endpoint_id:
            raise Invalid(
                "endpointPath (or endpointId) is required: the webhook endpoint this trigger listens to."
            )
        return TriggerSpec(
            title=self.title,
            template_id=self.template_id,
            release_title=self.release_title,
            enabled=True if self.enabled is None else self.enabled,
            endpoint_path=path,
            endpoint_id=endpoint_id,
            filter=dict(self.filter or {}),
            variables=dict(self.variables or {}),
            script_username=_run_as(self.script_username),
            script_password=_secret(self.script_user_password),
        )


B = TypeVar("B", bound=Body)
OPTIONAL_OBJECT: Any = dict[str, Any] | None


def _defaults(body: dict[str, Any]) -> dict[str, Any]:
    """What the product's clients leave out or spell loosely: a task without `type` is manual, an
    HTTP method or a status in lower case means the same in upper case."""
    phases = body.get("phases")
    for phase in phases if isinstance(phases, list) else []:
        tasks = phase.get("tasks") if isinstance(phase, dict) else None
        for task in tasks if isinstance(tasks, list) else []:
            if not isinstance(task, dict):
                continue
            if task.get("type") is None:
                task["type"] = MANUAL_TASK
            if task["type"] == WEBHOOK_TASK and isinstance(task.get("method"), str):
                task["method"] = task["method"].upper()
    statuses = body.get("statuses")
    if isinstance(statuses, list):
        body["statuses"] = [s.upper() if isinstance(s, str) else s for s in statuses]
    return body


AT = re.compile(r"^(?P<fault>.*?)(?: - at (?P<key>`key` in )?`\$\.?(?P<path>[^`]*)`)?$", re.S)
LENGTH = re.compile(r"^Expected `(?P<kind>str|array|object)` of length (?P<op>[<>]=) (?P<n>\d+)$")


def _length(found: re.Match[str]) -> str:
    unit = "characters" if found["kind"] == "str" else "entries"
    return f"at {'most' if found['op'] == '<=' else 'least'} {found['n']} {unit} are allowed"


MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")


def readable(error: msgspec.ValidationError) -> str:
    """msgspec's message with the field first, as the plugin's other refusals read:
    `phases[0].tasks[0].url is required.`, `title: expected a string that is not blank.`"""
    found = AT.match(str(error))
    fault, path = (found["fault"], found["path"] or "") if found else (str(error), "")
    path = path.replace("[...]", " (a value)")
    missing = MISSING.match(fault)
    if missing:
        return f"{path + '.' if path else ''}{missing['name']} is required."
    for pattern, words in PATTERNS.items():
        fault = fault.replace(f"`str` matching regex {pattern!r}", words)
    fault = LENGTH.sub(_length, fault)
    if found and found["key"]:
        fault = f"each name: {fault[:1].lower()}{fault[1:]}"
    if fault.startswith("Invalid value") and path.endswith("type"):
        fault += f" (a task's type is one of {', '.join(TASK_TYPES)})"
    fault = fault[:1].lower() + fault[1:]
    return f"{path}: {fault}." if path else f"The request body is not valid: {fault}."


def _whole(value: Any) -> Any:
    """`200.0` as `200`, everywhere in a decoded body: JSON Schema's `integer` takes it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list):
        return [_whole(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    return value


def convert(body: dict[str, Any], kind: type[B]) -> B:
    """A JSON object (from a request, or a form shaped like one) as `kind`, or `Invalid`."""
    try:
        return msgspec.convert(_defaults(body), kind)
    except msgspec.ValidationError as exc:
        if "got `float`" not in str(exc):
            raise Invalid(readable(exc)) from None
    try:
        return msgspec.convert(_whole(body), kind)
    except msgspec.ValidationError as exc:
        raise Invalid(readable(exc)) from None


def decode(req: falcon.Request, kind: type[B]) -> B:
    """The JSON object of the request as `kind`: `Invalid` when a field is wrong, a 400/413/415
    when the body is not a JSON object."""
    return convert(read_json(req, dict[str, Any]), kind)


def decode_optional(req: falcon.Request, kind: type[B]) -> B:
    """Like `decode`; a request without a body, or with the body `null`, has every field's default."""
    if not req.content_length:
        return kind()
    body: dict[str, Any] | None = read_json(req, OPTIONAL_OBJECT)
    return kind() if body is None else convert(body, kind)
