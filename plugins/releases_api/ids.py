"""Ids in the product's form: `Applications/Release<hex>`, `…/Phase<hex>`, `…/Task<hex>`."""

from __future__ import annotations

import re
import uuid

FOLDER = "Applications"
RELEASE_ID = re.compile(r"^Applications/Release[0-9A-Za-z]+$")
TASK_ID = re.compile(r"^(Applications/Release[0-9A-Za-z]+)/Phase[0-9A-Za-z]+/Task[0-9A-Za-z]+$")
TRIGGER_ID = re.compile(r"^Trigger[0-9A-Za-z]+$")


def _hex() -> str:
    return uuid.uuid4().hex


def new_release_id() -> str:
    return f"{FOLDER}/Release{_hex()}"


def new_phase_id(release_id: str) -> str:
    return f"{release_id}/Phase{_hex()}"


def new_task_id(phase_id: str) -> str:
    return f"{phase_id}/Task{_hex()}"


def new_variable_id(release_id: str) -> str:
    return f"{release_id}/Variable{_hex()}"


def new_trigger_id() -> str:
    return f"Trigger{_hex()}"


def release_of_task(task_id: str) -> str | None:
    found = TASK_ID.match(task_id)
    return found.group(1) if found else None


def release_param(params: dict) -> str:
    """The release id from a route's `{folder}/{release}` segments."""
    return f"{params['folder']}/{params['release']}"


def task_param(params: dict) -> str:
    return f"{params['folder']}/{params['release']}/{params['phase']}/{params['task']}"
