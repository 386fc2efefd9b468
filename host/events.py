"""Events: how plugins tell each other what happened without importing each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from host.actors import Actor


@dataclass(frozen=True)
class Event:
    """Something that happened: `name` is dotted (`pat.created`, `webhook.received`)."""

    name: str
    payload: Mapping[str, Any]
    at: datetime
    actor: Actor | None = None
    source: str = ""
