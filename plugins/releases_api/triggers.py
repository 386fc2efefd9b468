"""Webhook triggers: when an HTTP endpoint of the webhooks plugin receives a request
(`webhook.received`), each enabled trigger bound to that endpoint checks its filter against
the request and, on a match, creates and starts a release from its template.

Paths into the request are dotted (`repository.name`, `commits.0.id`) and rooted at `payload`
(the JSON body, the default), `query` or `headers`. Filters compare values; nothing in a
trigger is ever executed as code.

A trigger starts releases on its owner's behalf long after it was saved, so it fires only while
the owner is enabled and still holds `release#create` and `release#start`, and its stored run-as
password is cleared when it is pointed at another template, endpoint or variable mapping without
the password being entered again.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Mapping
from functools import reduce
from typing import Any

from host import Host, actor_for, find_user, iso, to_db, write_transaction
from plugins.releases_api import plans
from plugins.releases_api.answers import ExecutionOut, TriggerOut
from plugins.releases_api.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from plugins.releases_api.ids import new_trigger_id
from plugins.releases_api.models import Release, Trigger, TriggerExecution
from plugins.releases_api.permissions import CREATE, START, TEMPLATE_CREATE_RELEASE, TEMPLATE_VIEW
from plugins.releases_api.specs import KEEP, FromTemplate, Keep, TriggerSpec
from plugins.releases_api.variables import PLACEHOLDER
from plugins.releases_api.vocabulary import MASK, TEMPLATE

log = logging.getLogger("release_host.releases_api")
ROOTS = ("payload", "query", "headers")
PATH = re.compile(r"^(payload|query|headers)(\.[^\s]+)?$")
STARTED, SKIPPED, FAILED, DISABLED = "started", "skipped", "failed", "disabled"


def trigger_out(trigger: Trigger) -> TriggerOut:
    return TriggerOut(
        id=trigger.id,
        title=trigger.title,
        enabled=bool(trigger.enabled),
        endpoint_path=trigger.endpoint_path,
        endpoint_id=trigger.endpoint_id,
        template_id=trigger.template_id,
        filter=trigger.filter or {},
        release_title=trigger.release_title,
        variables=trigger.variables or {},
        script_username=trigger.script_username,
        script_user_password=MASK if trigger.script_password else None,
        owner=trigger.owner,
        created_date=iso(trigger.created_at),
        updated_date=iso(trigger.updated_at),
    )


def execution_out(row: tuple[Any, ...]) -> ExecutionOut:
    """From a row of `EXECUTION_COLUMNS`."""
    trigger_id, request_id, endpoint_path, status, release_id, reason, at = row
    return ExecutionOut(
        trigger_id=trigger_id,
        request_id=request_id,
        endpoint_path=endpoint_path,
        status=status,
        release_id=release_id,
        reason=reason,
        date=iso(at),
    )


EXECUTION_COLUMNS = (
    TriggerExecution.trigger_id,
    TriggerExecution.request_id,
    TriggerExecution.endpoint_path,
    TriggerExecution.status,
    TriggerExecution.release_id,
    TriggerExecution.reason,
    TriggerExecution.at,
)


def executions(trigger_id: str, page: int, per_page: int) -> list[ExecutionOut]:
    """A trigger's execution log, newest first, one page of it."""
    rows: Any = (
        TriggerExecution.select(*EXECUTION_COLUMNS)
        .where(TriggerExecution.trigger_id == trigger_id)
        .order_by(TriggerExecution.id.desc())
        .paginate(page + 1, per_page)
        .tuples()
    )
    return [execution_out(row) for row in rows]


def find(trigger_id: str) -> Trigger:
    found = Trigger.get_or_none(Trigger.id == trigger_id)
    if found is None:
        raise NotFound(f"Trigger {trigger_id} not found.")
    return found


def _check_template(template_id: str) -> None:
    template = Release.get_or_none(Release.id == template_id)
    if template is None or template.status != TEMPLATE:
        raise NotFound(f"templateId: template {template_id} not found.")


def _retargeted(trigger: Trigger, spec: TriggerSpec) -> bool:
    """Whether the change sends the stored run-as password somewhere its owner did not choose."""
    renamed = not isinstance(spec.script_username, Keep) and (spec.script_username or "") != (
        trigger.script_username or ""
    )
    return renamed or (
        (trigger.template_id, trigger.endpoint_path, trigger.endpoint_id, trigger.variables or {})
        != (spec.template_id, spec.endpoint_path, spec.endpoint_id, spec.variables)
    )


def _apply(host: Host, trigger: Trigger, spec: TriggerSpec) -> None:
    if _retargeted(trigger, spec) and isinstance(spec.script_password, Keep):
        trigger.script_password = None
    trigger.title = spec.title
    trigger.enabled = spec.enabled
    trigger.endpoint_path = spec.endpoint_path
    trigger.endpoint_id = spec.endpoint_id
    trigger.template_id = spec.template_id
    trigger.filter = spec.filter
    trigger.release_title = spec.release_title
    trigger.variables = spec.variables
    if not isinstance(spec.script_username, Keep):
        trigger.script_username = spec.script_username
    if not isinstance(spec.script_password, Keep):
        trigger.script_password = host.secrets.encrypt(spec.script_password) if spec.script_password else None
    trigger.updated_at = to_db(host.now())


def create(host: Host, spec: TriggerSpec, owner: str) -> Trigger:
    with write_transaction():
        _check_template(spec.template_id)
        now = to_db(host.now())
        trigger = Trigger(
            id=new_trigger_id(), owner=owner, created_at=now, script_username=None, script_password=None
        )
        _apply(host, trigger, spec)
        trigger.save(force_insert=True)
    return trigger


def update(host: Host, trigger_id: str, spec: TriggerSpec, editor: str) -> Trigger:
    """Replace a trigger. Edited by someone else, it becomes the editor's: its releases are then
    started on the editor's behalf, and the previous owner's stored password is cleared unless
    this request enters one."""
    with write_transaction():
        trigger = find(trigger_id)
        _check_template(spec.template_id)
        if trigger.owner != editor:
            trigger.owner = editor
            if isinstance(spec.script_password, Keep):
                trigger.script_password = None
        _apply(host, trigger, spec)
        trigger.save()
    return trigger


def delete(trigger_id: str) -> None:
    with write_transaction():
        find(trigger_id)
        TriggerExecution.delete().where(TriggerExecution.trigger_id == trigger_id).execute()
        Trigger.delete().where(Trigger.id == trigger_id).execute()


def lookup(document: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """Follow a dotted path (`payload.commits.0.id`); headers match whatever their case."""
    parts = path.split(".")
    value: Any = document
    for i, part in enumerate(parts):
        if isinstance(value, Mapping):
            key = part.lower() if i == 1 and parts[0] == "headers" else part
            if key not in value:
                return False, None
            value = value[key]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def rooted(path: str) -> str:
    """`repository.name` means `payload.repository.name`; `$.x` is accepted for `x`."""
    path = path[2:] if path.startswith("$.") else path
    return path if path.split(".", 1)[0] in ROOTS else f"payload.{path}"


def _matches(expected: Any, actual: Any) -> bool:
    if actual == expected:
        return True
    return (
        isinstance(expected, str)
        and isinstance(actual, int | float | bool)
        and str(actual).lower() == expected.lower()
    )


def mismatch(filters: Mapping[str, Any], document: Mapping[str, Any]) -> str | None:
    """Why the request does not pass the filter, or None when every path has its value."""
    for path, expected in filters.items():
        found, actual = lookup(document, rooted(path))
        if not found:
            return f"Filter did not match: the request has no {rooted(path)}."
        if not _matches(expected, actual):
            return f"Filter did not match: {path} is {actual!r}, expected {expected!r}."
    return None


def render(template: str, document: Mapping[str, Any]) -> str:
    """Fill `${payload.x}` (and `${query.x}`, `${headers.x}`) placeholders; unknown ones stay."""

    def value(match: re.Match) -> str:
        found, item = lookup(document, match.group(1))
        if not found or match.group(1).split(".", 1)[0] not in ROOTS:
            return match.group(0)
        return item if isinstance(item, str) else ("" if item is None else str(item))

    return PLACEHOLDER.sub(value, template)


def resolve_variables(variables: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """A value that is a path (`payload.version`) takes the request's value, a string with
    placeholders is rendered, anything else is a literal."""
    resolved = {}
    for name, spec in variables.items():
        if isinstance(spec, str) and PATH.match(spec):
            found, item = lookup(document, spec)
            if not found:
                raise Invalid(f"variables.{name}: the request has no {spec}.")
            resolved[name] = item
        elif isinstance(spec, str):
            resolved[name] = render(spec, document)
        else:
            resolved[name] = spec
    return resolved


def _document(payload: Mapping[str, Any]) -> dict[str, Any]:
    headers = payload.get("headers") or {}
    return {
        "payload": payload.get("body"),
        "query": dict(payload.get("query") or {}),
        "headers": {str(k).lower(): v for k, v in headers.items()},
    }


def owner_refusal(host: Host, trigger: Trigger) -> str | None:
    """Why the trigger's owner may not start a release now, or None when they may."""
    user = find_user(trigger.owner) if trigger.owner else None
    if user is None:
        return f"The trigger's owner {trigger.owner!r} no longer exists; the trigger starts no release."
    if not user.enabled:
        return f"The trigger's owner {trigger.owner!r} is disabled; the trigger starts no release."
    actor = actor_for(user, via="trigger")
    for permission in (CREATE, START):
        if not host.allowed(actor, permission):
            return (
                f"The trigger's owner {trigger.owner!r} no longer holds {permission}; "
                "the trigger starts no release."
            )
    if not any(host.allowed(actor, p, trigger.template_id) for p in (TEMPLATE_CREATE_RELEASE, TEMPLATE_VIEW)):
        return (
            f"The trigger's owner {trigger.owner!r} no longer holds {TEMPLATE_CREATE_RELEASE} on "
            f"{trigger.template_id}; the trigger starts no release."
        )
    return None


def _fire(host: Host, trigger: Trigger, document: Mapping[str, Any]) -> tuple[str, str | None, str]:
    reason = mismatch(trigger.filter or {}, document)
    if reason:
        return SKIPPED, None, reason
    refused = owner_refusal(host, trigger)
    if refused:
        return FAILED, None, refused
    username: str | None | Keep = KEEP
    password: str | None | Keep = KEEP
    if trigger.script_username or trigger.script_password:
        username = trigger.script_username
        password = host.secrets.decrypt(trigger.script_password) if trigger.script_password else None
        if trigger.script_password and password is None:
            return FAILED, None, "The trigger's run-as password cannot be decrypted; set it again."
    try:
        request = FromTemplate(
            title=render(trigger.release_title, document)[:255] or trigger.title,
            variables=resolve_variables(trigger.variables or {}, document),
            auto_start=True,
            owner=trigger.owner,
            script_username=username,
            script_password=password,
        )
        release = plans.create_from_template(
            host, trigger.template_id, request, owner=trigger.owner, created_from_trigger=True
        )
    except (Invalid, Forbidden, NotFound, Conflict, Busy) as exc:
        return FAILED, None, exc.message
    return STARTED, release.id, f"Started release {release.id}."


def on_webhook(host: Host, payload: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Fire the enabled triggers bound to the endpoint; None when no trigger listens to it."""
    path = str(payload.get("endpointPath") or "").strip("/") or None
    endpoint_id = str(payload["endpointId"]) if payload.get("endpointId") is not None else None
    request_id = str(payload["requestId"]) if payload.get("requestId") is not None else None
    endpoints = [Trigger.endpoint_path == path] if path else []
    if endpoint_id:
        endpoints.append(Trigger.endpoint_id == endpoint_id)
    if not endpoints:
        return None
    with host.connection():
        bound = (Trigger.enabled == True) & reduce(operator.or_, endpoints)  # noqa: E712 - SQL
        found = list(Trigger.select().where(bound).order_by(Trigger.created_at, Trigger.id))
        if not found:
            return None
        document = _document(payload)
        results = []
        for trigger in found:
            try:
                status, release_id, reason = _fire(host, trigger, document)
            except Exception:
                log.exception("trigger %s failed", trigger.id)
                status, release_id, reason = (
                    FAILED,
                    None,
                    "The trigger failed unexpectedly; see the server log.",
                )
            TriggerExecution.create(
                trigger_id=trigger.id,
                request_id=request_id,
                endpoint_path=path,
                endpoint_id=endpoint_id,
                status=status,
                release_id=release_id,
                reason=reason,
                at=to_db(host.now()),
            )
            results.append(
                {
                    "triggerId": trigger.id,
                    "triggerTitle": trigger.title,
                    "releaseId": release_id,
                    "status": status,
                    "reason": reason,
                }
            )
    return results


def on_endpoint_changed(host: Host, payload: Mapping[str, Any]) -> None:
    """Who may call the endpoint changed (or a new one took a path): its enabled triggers of other
    owners than whoever changed it stop until their owners enable them again, each with a row in
    its execution log. Otherwise loosening someone's endpoint would start releases in their name."""
    by = payload.get("by")
    paths = [p for p in (payload.get("endpointPath"), payload.get("previousPath")) if p]
    bound = Trigger.endpoint_id == str(payload["endpointId"])
    if paths:
        bound = bound | Trigger.endpoint_path.in_(paths)
    how = payload.get("authentication")
    was = payload.get("previousAuthentication")
    change = f"changed from {was} to {how}" if was else f"created with {how}"
    with host.connection(), write_transaction():
        found = Trigger.select().where(bound & (Trigger.enabled == True) & (Trigger.owner != (by or "")))  # noqa: E712 - SQL
        for trigger in found:
            trigger.enabled = False
            trigger.updated_at = to_db(host.now())
            trigger.save()
            TriggerExecution.create(
                trigger_id=trigger.id,
                endpoint_path=payload.get("endpointPath"),
                status=DISABLED,
                reason=(
                    f"Disabled: webhook endpoint {payload.get('endpointPath')!r} was {change} by {by!r}, "
                    "so who may start this trigger changed. Its owner enables it again to confirm."
                ),
                at=to_db(host.now()),
            )
