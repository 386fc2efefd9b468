"""The one place the pages touch the API's body types (`bodies`, `specs`, `serialize`): they build the
inputs `plans` and `listing` take, and read a task's failure reason as the API shows it.

Kept apart so that a change of those types (msgspec Structs) is one edit here, not in every view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from plugins.releases_api.bodies import ReleaseFromTemplate, convert
from plugins.releases_api.models import Task
from plugins.releases_api.serialize import task_json
from plugins.releases_api.specs import FromTemplate, Search


def from_template(
    title: str,
    variables: Mapping[str, str],
    *,
    start: bool,
    run_as: tuple[str, str] | None,
) -> FromTemplate:
    """A "New release" form as `plans.create_from_template` takes it, checked by the API's own
    rules (lengths, variable names). `run_as` None keeps the template's run-as user and password;
    else `(username, password)`, where an empty username with a password is a personal access
    token (the seed's "Automated tasks" steps). Raises `Invalid` naming the API's field."""
    body: dict[str, Any] = {"releaseTitle": title, "variables": dict(variables), "autoStart": start}
    if run_as is not None:
        body["scriptUsername"], body["scriptUserPassword"] = run_as
    return convert(body, ReleaseFromTemplate).spec()


def search(title: str, statuses: Iterable[str]) -> Search:
    """The releases list's filters as `listing.search` takes them."""
    return Search(title=title or None, statuses=set(statuses))


def shown_reason(task: Task, *, full: bool) -> str | None:
    """The task's `failureReason` exactly as the API gives it to this viewer (an HTTP answer's
    message only to admins: see `serialize`)."""
    data: dict[str, Any] = msgspec.to_builtins(task_json(task, full=full))
    return data.get("failureReason")
