"""What the plugin's operations take: a template, release, request or trigger as checked values.

The request bodies (`bodies.py`) turn into these; triggers and pages build them too. A secret
that the caller did not change is `KEEP` (absent, or sent back masked), `None` clears it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
    """A release to make from a template (`POST /api/v1/templates/{id}/create`, triggers)."""

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


@dataclass
class TriggerSpec:
    title: str
    template_id: str
    release_title: str
    enabled: bool = True
    endpoint_path: str | None = None
    endpoint_id: str | None = None
    filter: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    script_username: str | None | Keep = KEEP
    script_password: str | None | Keep = KEEP
