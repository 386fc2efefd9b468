"""Finding templates, releases and tasks, for reading and (row-locked) for changing them."""

from __future__ import annotations

from datetime import datetime

from host import Host, to_db
from plugins.releases_api.errors import NotFound
from plugins.releases_api.models import Release, Task
from plugins.releases_api.storage import lock_release
from plugins.releases_api.vocabulary import TEMPLATE


def db_now(host: Host) -> datetime:
    return to_db(host.now())


def find(release_id: str, *, template: bool = False) -> Release:
    """A release (or, with `template=True`, a template) by id, or NotFound."""
    found = Release.get_or_none(Release.id == release_id)
    if found is None or (found.status == TEMPLATE) != template:
        raise NotFound(f"{'Template' if template else 'Release'} {release_id} not found.")
    return found


def find_task(task_id: str) -> Task:
    task = Task.get_or_none(Task.id == task_id)
    if task is None or task.release.status == TEMPLATE:
        raise NotFound(f"Task {task_id} not found.")
    return task


def locked(release_id: str, *, template: bool = False) -> Release:
    """Like `find`, holding the row for the caller's write transaction."""
    found = lock_release(release_id)
    if found is None or (found.status == TEMPLATE) != template:
        raise NotFound(f"{'Template' if template else 'Release'} {release_id} not found.")
    return found
