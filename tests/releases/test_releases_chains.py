"""A release that makes releases from its own template stops at max_release_depth, and one
template makes at most max_releases_per_template_per_minute releases a minute. The loop runs
under gunicorn, where the tasks' calls come back through the public API and the workers."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests

from host.testing import FakeClock

PLUGINS = ["pat_auth", "releases_api"]


def test_a_release_creating_itself_stops_at_the_depth_limit(make_host, serve):
    harness = make_host(
        plugins=PLUGINS, settings={"releases_api": {"poll_seconds": 0.1, "max_release_depth": 2}}
    )
    admin = harness.user("root", roles=("admin",))
    token = harness.token(admin, "automation")
    base = serve(harness)
    auth = (admin.username, admin.password)
    template = requests.post(f"{base}/api/v1/templates", auth=auth, json={"title": "Loop"}, timeout=10).json()
    loop = {
        "type": "xlrelease.CreateReleaseTask",
        "title": "Again",
        "templateId": template["id"],
        "newReleaseTitle": "Loop",
        "startRelease": True,
    }
    saved = requests.put(
        f"{base}/api/v1/templates/{template['id']}",
        auth=auth,
        json={
            "title": "Loop",
            "scriptUsername": "",
            "scriptUserPassword": token,
            "phases": [{"title": "P", "tasks": [loop]}],
        },
        timeout=10,
    )
    assert saved.status_code == 200, saved.text
    started = requests.post(
        f"{base}/api/v1/templates/{template['id']}/start",
        auth=auth,
        json={"releaseTitle": "Loop"},
        timeout=10,
    )
    assert started.status_code == 200, started.text

    deadline = time.monotonic() + 60
    while True:
        found = requests.post(f"{base}/api/v1/releases/search", auth=auth, json={}, timeout=10).json()
        failed = [r for r in found if r["status"] == "FAILED"]
        if failed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(1)
    found = requests.post(f"{base}/api/v1/releases/search", auth=auth, json={}, timeout=10).json()
    assert len(found) == 3
    (last,) = [r for r in found if r["status"] == "FAILED"]
    reason = last["phases"][0]["tasks"][0]["failureReason"]
    assert reason.startswith("409 Conflict: Release ")
    assert reason.endswith(
        "was itself made by a chain of 2 releases: a release may make releases 2 levels deep at most "
        "(max_release_depth in [plugins.releases_api])."
    )


def test_one_template_makes_a_bounded_number_of_releases_a_minute(make_host):
    clock = FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    harness = make_host(
        plugins=PLUGINS, settings={"releases_api": {"max_releases_per_template_per_minute": 3}}, clock=clock
    )
    admin = harness.user("root", roles=("admin",))
    template = harness.call("POST", "/api/v1/templates", as_user=admin, json={"title": "T"}).json
    path = f"/api/v1/templates/{template['id']}/create"
    codes = [
        harness.call("POST", path, as_user=admin, json={"releaseTitle": "R"}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    refused = harness.call("POST", path, as_user=admin, json={"releaseTitle": "R"})
    assert refused.json == {
        "error": "Too Many Requests",
        "message": f"Template {template['id']} made 3 releases in the last minute, its limit "
        "(max_releases_per_template_per_minute in [plugins.releases_api]); try again later.",
    }
    clock.advance(seconds=61)
    assert harness.call("POST", path, as_user=admin, json={"releaseTitle": "R"}).status_code == 200


def test_the_depth_column_is_added_to_a_database_of_the_previous_schema(make_host):
    from playhouse.migrate import SchemaMigrator, migrate

    from host.migrations import AppliedMigration
    from plugins.releases_api.models import Release

    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    template = harness.call("POST", "/api/v1/templates", as_user=admin, json={"title": "T"}).json
    with harness.db():
        db = harness.host.database.obj if hasattr(harness.host.database, "obj") else harness.host.database
        migrate(SchemaMigrator.from_database(db).drop_column(Release._meta.table_name, "depth"))
        AppliedMigration.delete().where(AppliedMigration.name == "m004_release_depth").execute()
        assert "depth" not in {c.name for c in db.get_columns(Release._meta.table_name)}
    assert harness.host.migrate() == ["releases_api:m004_release_depth"]
    with harness.db():
        assert Release.get_by_id(template["id"]).depth == 0
