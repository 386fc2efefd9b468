"""How big a template or release may be, so that no answer built from one is unbounded.

A 1 MB body of tiny tasks used to be accepted and echoed back as 6.7 MB, then returned again by
every list. Counts are capped here, each text field where its body is declared (`bodies.py`), and the
text of a whole plan once more, so a template's JSON stays under about half a megabyte and a
page of a list (at most `MAX_RESULTS_PER_PAGE` items) under about 50 MB. `docs/api.md` lists them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from plugins.releases_api.errors import Invalid

MAX_PHASES = 50
MAX_TASKS_PER_PHASE = 100
MAX_TASKS = 500
MAX_VARIABLES = 100
MAX_VARIABLE_KEY = 100
MAX_VARIABLE_VALUE = 10_000
MAX_TAGS = 50
MAX_TAG = 100
MAX_TITLE = 255
MAX_DESCRIPTION = 10_000
MAX_URL = 2_000
MAX_HEADERS = 50
MAX_HEADER_NAME = 200
MAX_HEADER_VALUE = 4_000
MAX_TASK_BODY = 65_536
MAX_PLAN_TEXT = 262_144
"""Characters of text in one template or release, all fields together."""


def count(items: list[Any], limit: int, name: str) -> None:
    if len(items) > limit:
        raise Invalid(f"{name} has {len(items)} entries; at most {limit} are allowed.")


def text_size(value: Any) -> int:
    """Characters of text in a parsed spec (dataclasses, dicts, lists, strings; keys count)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(text_size(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(text_size(k) + text_size(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return sum(text_size(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return len(str(value))
    return 0  # None, booleans, dates, the "keep the stored secret" marker


def check_plan(spec: Any) -> None:
    """The caps that span the whole plan: tasks in all phases, and its text."""
    tasks = sum(len(phase.tasks) for phase in spec.phases)
    if tasks > MAX_TASKS:
        raise Invalid(f"phases hold {tasks} tasks in all; at most {MAX_TASKS} are allowed.")
    size = text_size(spec)
    if size > MAX_PLAN_TEXT:
        raise Invalid(
            f"The template or release holds {size} characters of text; at most {MAX_PLAN_TEXT} are allowed."
        )
