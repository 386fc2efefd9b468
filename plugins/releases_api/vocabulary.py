"""The product's words: statuses of releases, phases and tasks, and the task types we run."""

from __future__ import annotations

from typing import Literal, get_args

TEMPLATE = "TEMPLATE"
PLANNED = "PLANNED"
IN_PROGRESS = "IN_PROGRESS"
PAUSED = "PAUSED"
FAILING = "FAILING"
FAILED = "FAILED"
COMPLETED = "COMPLETED"
ABORTED = "ABORTED"
QUEUED = "QUEUED"
SKIPPED = "SKIPPED"

ReleaseStatus = Literal[
    "TEMPLATE", "PLANNED", "IN_PROGRESS", "PAUSED", "FAILING", "FAILED", "COMPLETED", "ABORTED"
]
ItemStatus = Literal["PLANNED", "QUEUED", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED", "ABORTED"]
"""What a phase or a task can be in."""
RELEASE_STATUSES: tuple[str, ...] = get_args(ReleaseStatus)
ACTIVE_STATUSES = (IN_PROGRESS, PAUSED, FAILING, FAILED)
"""Started and not finished: what `GET /api/v1/releases` lists with the planned ones."""
OPEN_STATUSES = (PLANNED, *ACTIVE_STATUSES)
ABORTABLE = (PLANNED, IN_PROGRESS, PAUSED, FAILING, FAILED)
DELETABLE = (PLANNED, COMPLETED, ABORTED)
TASK_DONE = (COMPLETED, SKIPPED)

MANUAL_TASK = "xlrelease.Task"
WEBHOOK_TASK = "xlrelease.WebhookTask"
CREATE_RELEASE_TASK = "xlrelease.CreateReleaseTask"
TASK_TYPES = (MANUAL_TASK, WEBHOOK_TASK, CREATE_RELEASE_TASK)
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
"""What a WebhookTask may send."""
AUTOMATED_TYPES = (WEBHOOK_TASK, CREATE_RELEASE_TASK)

RELEASE_TYPE = "xlrelease.Release"
PHASE_TYPE = "xlrelease.Phase"
STRING_VARIABLE = "xlrelease.StringVariable"
PASSWORD_VARIABLE = "xlrelease.PasswordStringVariable"
MASK = "********"
