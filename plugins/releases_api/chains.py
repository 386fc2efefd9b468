"""Releases made by releases: how deep a chain may go and how fast one template may be used.

A CreateReleaseTask (or a WebhookTask calling this server's API) may make a release from its
own template, and that one again: without a bound a single start makes releases until someone
deletes the template. Every request a task sends to this server carries the id of the task's
release in PARENT_HEADER (set by the task runner over any header of the same name), so a
release made by it is one level deeper. The rate per template is counted in the database,
so it holds across workers and hosts and also catches a loop that goes round another way.
"""

from __future__ import annotations

from datetime import timedelta

from host import Host
from plugins.releases_api.errors import Busy, Conflict
from plugins.releases_api.models import Release
from plugins.releases_api.releases import db_now
from plugins.releases_api.settings import load_settings

PARENT_HEADER = "X-Release-Host-Parent"


def depth_of_child(host: Host, parent_id: str | None) -> int:
    """The depth of a release made by a task of `parent_id` (0 when no release made it)."""
    parent = Release.get_or_none(Release.id == parent_id) if parent_id else None
    depth = (parent.depth or 0) + 1 if parent is not None else 0
    limit = load_settings(host).max_release_depth
    if depth > limit:
        raise Conflict(
            f"Release {parent_id} was itself made by a chain of {depth - 1} releases: a release may "
            f"make releases {limit} levels deep at most (max_release_depth in [plugins.releases_api])."
        )
    return depth


def check_rate(host: Host, template_id: str) -> None:
    """Refuse when the template made its allowance of releases in the last minute. The caller
    holds the template's row, so concurrent creations count one after the other."""
    limit = load_settings(host).max_releases_per_template_per_minute
    since = db_now(host) - timedelta(minutes=1)
    made = (
        Release.select()
        .where((Release.origin_template_id == template_id) & (Release.created_at >= since))
        .count()
    )
    if made >= limit:
        raise Busy(
            f"Template {template_id} made {made} releases in the last minute, its limit "
            "(max_releases_per_template_per_minute in [plugins.releases_api]); try again later."
        )
