"""Templates and releases as plans: made from a client's JSON, a template updated, a release
copied from a template. Status changes live in `lifecycle`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from host import Host, to_db, write_transaction
from plugins.releases_api import chains, guard, lifecycle, queue
from plugins.releases_api import variables as variables_
from plugins.releases_api.errors import Forbidden
from plugins.releases_api.ids import new_phase_id, new_release_id, new_task_id, new_variable_id
from plugins.releases_api.models import Phase, Release, Task, Trigger
from plugins.releases_api.releases import db_now, locked
from plugins.releases_api.settings import load_settings
from plugins.releases_api.specs import FromTemplate, Keep, PhaseSpec, PlanSpec
from plugins.releases_api.vocabulary import AUTOMATED_TYPES, MASK, PASSWORD_VARIABLE, PLANNED


def _with_ids(
    release_id: str, variables: Iterable[dict[str, Any]], *, fresh: bool = False
) -> list[dict[str, Any]]:
    """Variables with ids under this release; `fresh` gives copies new ids (a template's, copied
    into a release)."""
    return [{**v, "id": (None if fresh else v.get("id")) or new_variable_id(release_id)} for v in variables]


def _run_as(
    host: Host,
    username: str | None | Keep,
    password: str | None | Keep,
    current: tuple[str | None, str | None],
) -> tuple[str | None, str | None]:
    """The run-as user and encrypted password after a change; KEEP leaves a value as it was."""
    name = current[0] if isinstance(username, Keep) else username
    secret = (
        current[1] if isinstance(password, Keep) else (host.secrets.encrypt(password) if password else None)
    )
    return name, secret


def _ordered_tasks(release_id: str) -> list[Task]:
    positions = {p.id: p.position for p in Phase.select().where(Phase.release == release_id)}
    found = Task.select().where(Task.release == release_id)
    return sorted(found, key=lambda t: (positions.get(t.phase_id, 0), t.position))


def _automation(tasks: Iterable[tuple[str, dict[str, Any]]], variables: Iterable[dict[str, Any]]) -> str:
    """What decides where the run-as credentials go and what they do: the automated tasks in
    order and the variables substituted into them."""
    return json.dumps(
        {
            "tasks": [
                [kind, {k: v for k, v in config.items() if k != guard.SECRET_ORIGIN}]
                for kind, config in tasks
                if kind in AUTOMATED_TYPES
            ],
            "variables": sorted([v["key"], v.get("value")] for v in variables),
        },
        sort_keys=True,
        default=str,
    )


def _new_task(release: Release, phase: Phase, position: int, source: Any) -> Task:
    """A PLANNED task in `phase` copying what `source` (a `TaskSpec` or a template's `Task`) says."""
    return Task.create(
        id=new_task_id(phase.id),
        release=release,
        phase=phase,
        position=position,
        type=source.type,
        title=source.title,
        description=source.description,
        owner=source.owner,
        status=PLANNED,
        config=source.config,
    )


def _new_phase(release: Release, position: int, title: str, description: str | None) -> Phase:
    return Phase.create(
        id=new_phase_id(release.id),
        release=release,
        position=position,
        title=title,
        description=description,
        status=PLANNED,
    )


def _add_phases(release: Release, phases: list[PhaseSpec]) -> None:
    for i, spec in enumerate(phases):
        phase = _new_phase(release, i, spec.title, spec.description)
        for j, task in enumerate(spec.tasks):
            _new_task(release, phase, j, task)


def owner_of(wanted: str | None, field: str, keep: str, *, may_reassign: bool) -> str:
    """The owner a plan gets: `keep` (the caller, or a template's current owner) unless the body
    names another, which only an admin may (else anyone could attribute their releases to admin)."""
    if not wanted or wanted == keep:
        return keep
    if not may_reassign:
        raise Forbidden(
            f"{field}: only an admin may make a release or template owned by someone else ({wanted!r})."
        )
    return wanted


def create_plan(
    host: Host, spec: PlanSpec, *, status: str, owner: str, may_reassign: bool = False
) -> Release:
    """A template (status TEMPLATE) or a release made directly (PLANNED) from a client's JSON."""
    release_id = new_release_id()
    owner = owner_of(spec.owner, "owner", owner, may_reassign=may_reassign)
    guard.restore_masked_variables(spec.variables, [])
    guard.restore_masked(spec.phases, {}, spec.variables, load_settings(host).server_url)
    username, password = _run_as(host, spec.script_username, spec.script_password, (None, None))
    with write_transaction():
        release = Release.create(
            id=release_id,
            title=spec.title,
            description=spec.description,
            owner=owner,
            status=status,
            tags=spec.tags,
            variables=_with_ids(release_id, spec.variables),
            script_username=username,
            script_password=password,
            created_at=db_now(host),
            due_date=to_db(spec.due_date),
        )
        _add_phases(release, spec.phases)
    return release


def update_template(
    host: Host, template_id: str, spec: PlanSpec, *, replace_phases: bool, may_reassign: bool = False
) -> Release:
    """Replace a template's fields (and its phases when the body has them); secrets sent back
    masked stay as they were.

    The stored run-as password was entered by someone for the tasks as they were: when the
    automated tasks, the variables or the run-as username change, it is cleared unless this
    request enters it again, and the run-as passwords of the template's triggers are cleared.
    Otherwise an editor could have someone else's token run tasks of the editor's choosing.
    """
    with write_transaction():
        template = locked(template_id, template=True)
        stored = _ordered_tasks(template.id)
        guard.restore_masked_variables(spec.variables, template.variables or [])
        if replace_phases:
            guard.restore_masked(
                spec.phases, {t.id: t for t in stored}, spec.variables, load_settings(host).server_url
            )
        before = _automation(((t.type, t.config) for t in stored), template.variables or [])
        after = _automation(
            ((t.type, t.config) for p in spec.phases for t in p.tasks)
            if replace_phases
            else ((t.type, t.config) for t in stored),
            spec.variables,
        )
        renamed = not isinstance(spec.script_username, Keep) and (spec.script_username or "") != (
            template.script_username or ""
        )
        password = spec.script_password
        if (before != after or renamed) and isinstance(password, Keep):
            password = None
        if before != after:
            Trigger.update(script_password=None).where(
                (Trigger.template_id == template.id) & Trigger.script_password.is_null(False)
            ).execute()
        template.script_username, template.script_password = _run_as(
            host,
            spec.script_username,
            password,
            (template.script_username, template.script_password),
        )
        template.title = spec.title
        template.description = spec.description
        template.owner = owner_of(spec.owner, "owner", template.owner, may_reassign=may_reassign)
        template.tags = spec.tags
        template.variables = _with_ids(template.id, spec.variables)
        template.due_date = to_db(spec.due_date)
        template.save()
        if replace_phases:
            Task.delete().where(Task.release == template.id).execute()
            Phase.delete().where(Phase.release == template.id).execute()
            _add_phases(template, spec.phases)
    return template


BORROWED = (
    "The template's automated tasks run with its stored run-as credentials, which act only on the "
    "inputs their owner set; this release would set {names}, which those tasks use. Send your own "
    "scriptUsername and scriptUserPassword (a trigger: its own), or leave those at the template's values."
)


def _refuse_chosen_inputs(template: Release, request: FromTemplate) -> None:
    """Someone else's stored run-as password runs only with the inputs its owner set."""
    tasks = [(t.type, t.config) for t in Task.select().where(Task.release == template.id)]
    chosen = guard.chosen_inputs(tasks, template.variables or [], request.variables)
    if chosen:
        raise Forbidden(BORROWED.format(names=", ".join(chosen)))


def create_from_template(
    host: Host,
    template_id: str,
    request: FromTemplate,
    *,
    owner: str,
    created_from_trigger: bool = False,
    may_reassign: bool = False,
    parent: str | None = None,
) -> Release:
    """A PLANNED release copying the template's phases and tasks, started at once on `autoStart`.

    The run-as user comes from the request when it names one (username or password), else from
    the template; then the request may not choose inputs the automated tasks use (`guard`).
    `parent` is the release whose task asks (`chains`: depth and rate are bounded).
    """
    release_id = new_release_id()
    owner = owner_of(request.owner, "releaseOwner", owner, may_reassign=may_reassign)
    with write_transaction():
        template = locked(template_id, template=True)
        depth = chains.depth_of_child(host, parent)
        chains.check_rate(host, template.id)
        passwords = {v["key"] for v in template.variables or [] if v.get("type") == PASSWORD_VARIABLE}
        request.variables = {
            k: v
            for k, v in request.variables.items()
            if not (v == MASK and variables_.bare_key(k) in passwords)
        }
        if isinstance(request.script_username, Keep) and isinstance(request.script_password, Keep):
            username, password = template.script_username, template.script_password
            if password:
                _refuse_chosen_inputs(template, request)
        else:
            username, password = _run_as(
                host,
                None if isinstance(request.script_username, Keep) else request.script_username,
                None if isinstance(request.script_password, Keep) else request.script_password,
                (None, None),
            )
        release = Release.create(
            id=release_id,
            title=request.title,
            description=template.description,
            owner=owner,
            status=PLANNED,
            tags=list(template.tags or []),
            variables=_with_ids(
                release_id, variables_.with_values(template.variables or [], request.variables), fresh=True
            ),
            script_username=username,
            script_password=password,
            origin_template_id=template.id,
            created_from_trigger=created_from_trigger,
            depth=depth,
            created_at=db_now(host),
            due_date=template.due_date,
        )
        for phase in Phase.select().where(Phase.release == template.id).order_by(Phase.position):
            copy = _new_phase(release, phase.position, phase.title, phase.description)
            for task in Task.select().where(Task.phase == phase.id).order_by(Task.position):
                _new_task(release, copy, task.position, task)
        if request.auto_start:
            lifecycle.start_locked(host, release)
    if request.auto_start:
        queue.notify()
    return release
