"""The Templates and Releases pages in-process, on both databases: what they render for whom, the
New release form's run-as fields, the release buttons and the JSON the release page polls."""

from __future__ import annotations

import re
from html import unescape

import pytest
from playhouse.migrate import SchemaMigrator, migrate

from host.migrations import AppliedMigration
from host.testing.browser import PageSession
from plugins.releases_api.models import Release, TriggerExecution
from tests.releases.support import (
    LOCAL,
    get,
    make_template,
    manual,
    release_from,
    run_tasks,
    tasks_of,
    webhook,
)

PLUGINS = ["pat_auth", "releases_api"]
USE = ["login", "template#view", "release#create", "release#view", "release#start"]


@pytest.fixture
def harness(make_host, recorder):
    """The recorder stands in for this server (`server_url`): tasks send it the run-as token."""
    settings = {**LOCAL, "run_worker": False, "server_url": recorder.url}
    return make_host(plugins=PLUGINS, settings={"releases_api": settings})


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


def browser(harness, user) -> PageSession:
    session = PageSession(harness)
    assert session.login(user.username, user.password).status_code == 303
    return session


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_menu_links_templates_and_releases_and_both_need_a_login(harness, admin):
    assert harness.call("GET", "/templates").headers["location"] == "/login?next=%2Ftemplates"
    assert harness.call("GET", "/releases").headers["location"] == "/login?next=%2Freleases"
    home = browser(harness, admin).get("/").text
    assert '<a href="/templates">Templates</a>' in home and '<a href="/releases">Releases</a>' in home


def test_templates_list_searches_by_title_and_tag_and_shows_phases_read_only(harness, admin, recorder):
    deploy = make_template(
        harness,
        admin,
        [manual("Sign off")],
        [webhook(f"{recorder.url}/ok")],
        title="Deploy web",
        tags=["web"],
    )
    make_template(harness, admin, [manual()], title="Database migration", tags=["db"])
    page = browser(harness, admin)
    assert "Deploy web" in page.get("/templates").text and "Database migration" in page.get("/templates").text
    by_title = page.get("/templates", params={"title": "DEPLOY"}).text
    assert "Deploy web" in by_title and "Database migration" not in by_title
    by_tag = page.get("/templates", params={"tag": "db"}).text
    assert "Database migration" in by_tag and "Deploy web" not in by_tag
    assert "No template matches." in page.get("/templates", params={"tag": "none"}).text

    detail = page.get(f"/templates/{deploy['id']}")
    assert detail.status_code == 200
    shown = text(detail.text)
    assert "Phase 0" in shown and "Sign off" in shown and "Manual task" in shown
    assert f"Webhook · GET {recorder.url}/ok" in shown
    assert "<form" not in detail.text.split('<main id="main"')[1], "the template page is read-only"
    assert f'href="/templates/{deploy["id"]}/new-release"' in detail.text


def test_lists_show_only_what_the_viewer_may_see(harness, admin):
    template = make_template(harness, admin, [manual()], title="Secret plan")
    release_from(harness, admin, template, title="Secret release")
    nobody = harness.user("nobody", ["login"])
    page = browser(harness, nobody)
    assert "Secret plan" not in page.get("/templates").text
    assert "Secret release" not in page.get("/releases").text
    assert "There are no releases you may see yet." in page.get("/releases").text
    assert page.get(f"/templates/{template['id']}").status_code == 403


def test_new_release_with_an_empty_username_and_a_pat_runs_its_tasks_with_the_token(harness, admin, recorder):
    alice = harness.user("alice", USE)
    template = make_template(
        harness,
        admin,
        [webhook("${server.url}/ok", expectedStatusCodes=[200])],
        scriptUsername="root",
        scriptUserPassword=admin.password,
    )
    token = harness.token(alice, "automation", permissions=["release#view"])
    page = browser(harness, alice)
    form = page.get(f"/templates/{template['id']}/new-release").text
    assert 'value="root"' in form and "••• set" in form and admin.password not in form
    created = page.post_form(
        f"/templates/{template['id']}/new-release",
        {"releaseTitle": "R1", "scriptUsername": "", "scriptUserPassword": token, "action": "start"},
    )
    assert created.status_code == 303, created.text
    release_id = created.headers["location"].removeprefix("/releases/")
    with harness.db():
        stored = Release.get_by_id(release_id)
        assert not stored.script_username and token not in (stored.script_password or "")
        assert harness.host.secrets.decrypt(stored.script_password) == token
    assert get(harness, admin, release_id)["status"] == "IN_PROGRESS"
    run_tasks(harness)
    assert recorder.requests[-1]["headers"]["x-release-personal-token"] == token
    assert get(harness, admin, release_id)["status"] == "COMPLETED"
    detail = page.get(created.headers["location"]).text
    assert token not in detail and "a personal access token" in detail and "••• set" in detail


def test_new_release_refuses_an_empty_title_and_keeps_what_was_typed_but_the_password(harness, admin):
    template = make_template(harness, admin, [manual()], variables={"version": "1.0"})
    page = browser(harness, admin)
    refused = page.post_form(
        f"/templates/{template['id']}/new-release",
        {
            "releaseTitle": " ",
            "variable:version": "2.0",
            "scriptUserPassword": "rpa_typed",
            "action": "create",
        },
    )
    assert refused.status_code == 400
    assert "Enter a release title." in refused.text
    assert 'value="2.0"' in refused.text and "rpa_typed" not in refused.text
    too_long = page.post_form(
        f"/templates/{template['id']}/new-release", {"releaseTitle": "x" * 300, "action": "create"}
    )
    assert (
        too_long.status_code == 400 and "releaseTitle: at most 255 characters are allowed." in too_long.text
    )


def test_create_only_leaves_the_release_planned_with_the_changed_variable(harness, admin):
    template = make_template(harness, admin, [manual()], variables={"version": "1.0", "env": "prod"})
    page = browser(harness, admin)
    created = page.post_form(
        f"/templates/{template['id']}/new-release",
        {
            "releaseTitle": "Planned one",
            "variable:version": "2.0",
            "variable:env": "prod",
            "action": "create",
        },
    )
    assert created.status_code == 303
    release = get(harness, admin, created.headers["location"].removeprefix("/releases/"))
    assert release["status"] == "PLANNED"
    assert {v["key"]: v["value"] for v in release["variables"]} == {"version": "2.0", "env": "prod"}


def test_buttons_follow_permissions_and_status_start_abort_delete(harness, admin):
    template = make_template(harness, admin, [manual()])
    release = release_from(harness, admin, template, title="Buttons")
    path = f"/releases/{release['id']}"
    viewer = harness.user("viewer", ["login", "release#view"])
    seen = browser(harness, viewer).get(path).text
    assert all(f'data-action="{a}"' not in seen for a in ("start", "abort", "delete"))
    assert browser(harness, viewer).post_form(path + "/start", {}).status_code == 403

    page = browser(harness, admin)
    planned = page.get(path).text
    assert re.search(r'action="[^"]+/start" data-action="start">', planned)
    assert page.post_form(path + "/start", {}).headers["location"] == path
    again = page.post_form(path + "/start", {})
    assert again.status_code == 409 and "only a PLANNED release can be started" in again.text
    no_comment = page.post_form(path + "/abort", {"abortComment": ""})
    assert no_comment.status_code == 400 and "Enter a comment" in no_comment.text
    assert page.post_form(path + "/abort", {"abortComment": "Superseded"}).status_code == 303
    aborted = get(harness, admin, release["id"])
    assert aborted["status"] == "ABORTED" and aborted["abortComment"] == "Superseded"
    assert "Superseded" in page.get(path).text
    deleted = page.post_form(path + "/delete", {})
    assert deleted.headers["location"] == "/releases?deleted=1"
    assert page.get(path).status_code == 404


def test_the_release_page_forms_need_their_csrf_field(harness, admin):
    template = make_template(harness, admin, [manual()])
    release = release_from(harness, admin, template)
    page = browser(harness, admin)
    refused = page.post_form(f"/releases/{release['id']}/start", {}, csrf=False)
    assert refused.status_code == 403 and "CSRF token" in refused.text
    assert get(harness, admin, release["id"])["status"] == "PLANNED"


def test_releases_list_filters_by_status_and_title_and_pages(harness, admin):
    template = make_template(harness, admin, [manual()])
    for number in range(27):
        release_from(harness, admin, template, title=f"Nightly {number:02d}")
    release_from(harness, admin, template, title="Hotfix", start=True)
    page = browser(harness, admin)
    first = page.get("/releases").text
    assert first.index("Hotfix") < first.index("Nightly 26"), "newest first"
    assert 'rel="next"' in first and "Nightly 02" not in first
    second = page.get("/releases", params={"page": "1"}).text
    assert "Nightly 00" in second and "Nightly 02" in second and 'rel="next"' not in second
    in_progress = page.get("/releases", params={"status": "IN_PROGRESS"}).text
    assert "Hotfix" in in_progress and "Nightly" not in in_progress
    assert "Hotfix" not in page.get("/releases", params={"title": "nightly 1"}).text
    assert page.get("/releases", params={"status": "BOGUS"}).status_code == 400
    assert page.get("/releases", params={"page": "-1"}).status_code == 400


def test_progress_json_has_statuses_attempts_and_a_deleted_tokens_reason(harness, admin):
    alice = harness.user("alice", USE)
    token = harness.token(alice, "automation", permissions=["release#view"])
    template = make_template(harness, admin, [webhook("${server.url}/status/401"), manual()])
    release = release_from(harness, admin, template, start=True, scriptUsername="", scriptUserPassword=token)
    (listed,) = harness.call("GET", "/api/v1/personal-access-tokens", as_user=alice).json
    assert (
        harness.call("DELETE", f"/api/v1/personal-access-tokens/{listed['id']}", as_user=alice).status_code
        == 204
    )
    run_tasks(harness)
    progress = browser(harness, alice).get(f"/releases/{release['id']}/progress").json
    assert progress["status"] == "FAILED" and progress["moving"] is False
    failed, waiting = progress["tasks"]
    assert failed["status"] == "FAILED" and failed["attempts"] == 1 and failed["endDate"]
    assert failed["failureReason"].startswith("401 Unauthorized")
    assert failed["tokenProblem"]["state"] == "deleted"
    hint = "rpa_…" + token[-4:]
    assert (
        failed["tokenProblem"]["message"]
        == f"The personal access token {hint} (automation) has been deleted."
    )
    assert waiting["status"] == "PLANNED" and waiting["attempts"] == 0
    assert progress["actions"] == {"start": False, "abort": False, "delete": False}, "alice may not abort"
    as_admin = browser(harness, admin).get(f"/releases/{release['id']}/progress").json
    assert as_admin["actions"] == {"start": False, "abort": True, "delete": False}
    assert token not in str(progress)
    assert tasks_of(get(harness, admin, release["id"]))[0]["status"] == "FAILED"


def test_a_token_without_the_permission_reads_not_permitted(harness, admin):
    alice = harness.user("alice", USE)
    token = harness.token(alice, "narrow", permissions=["release#view"])
    template = make_template(harness, admin, [webhook("${server.url}/status/403")])
    release = release_from(harness, admin, template, start=True, scriptUsername="", scriptUserPassword=token)
    run_tasks(harness)
    shown = text(browser(harness, alice).get(f"/releases/{release['id']}").text)
    assert "Task failed: 403 Forbidden" in shown and "on purpose" not in shown, "the answer is for admins"
    assert f"not permitted The personal access token rpa_…{token[-4:]} (narrow) is valid." in shown
    assert "It is not permitted to do what this task does" in shown


def webhook_started_release(make_host):
    """A path-bound trigger fired by a real request to `/webhooks/github`; returns what it made."""
    harness = make_host(
        plugins=["releases_api", "webhooks"], settings={"releases_api": {"run_worker": False}}
    )
    admin = harness.user("root", roles=("admin",))
    endpoint = harness.call(
        "POST",
        "/api/v1/config/webhook-endpoints",
        as_user=admin,
        json={"title": "GitHub", "path": "github", "method": "POST", "authentication": "none"},
    ).json
    template = make_template(harness, admin, [manual()])
    trigger = harness.call(
        "POST",
        "/api/v1/triggers",
        as_user=admin,
        json={
            "title": "Deploy main",
            "endpointPath": "github",
            "templateId": template["id"],
            "releaseTitle": "From a push",
        },
    )
    assert trigger.status_code == 201, trigger.text
    assert harness.client.simulate_post("/webhooks/github", json={"ref": "main"}).status_code == 200
    (execution,) = harness.call(
        "GET", f"/api/v1/triggers/{trigger.json['id']}/executions", as_user=admin
    ).json
    return harness, admin, endpoint["id"], execution


def test_a_release_started_by_a_webhook_links_to_the_received_request(make_host):
    harness, admin, endpoint_id, execution = webhook_started_release(make_host)
    page = browser(harness, admin)
    shown = page.get(f"/releases/{execution['releaseId']}").text
    link = f"/configuration/connections/webhooks/{endpoint_id}/requests#request-{execution['requestId']}"
    assert f'<a href="{link}">request #{execution["requestId"]}</a>' in shown
    assert "Deploy main" in text(shown)
    received = page.get(link.partition("#")[0]).text
    assert f'id="request-{execution["requestId"]}"' in received

    viewer = harness.user("viewer", ["login", "release#view"])
    seen = browser(harness, viewer).get(f"/releases/{execution['releaseId']}").text
    assert f"request #{execution['requestId']}" in seen and link not in seen, (
        "no link to a page it may not open"
    )


def test_m006_keeps_older_trigger_executions_which_show_the_request_without_a_link(make_host):
    harness, admin, _, execution = webhook_started_release(make_host)
    with harness.db():
        db = harness.host.database.obj if hasattr(harness.host.database, "obj") else harness.host.database
        table = TriggerExecution._meta.table_name
        migrate(SchemaMigrator.from_database(db).drop_column(table, "endpoint_id"))
        AppliedMigration.delete().where(AppliedMigration.name == "m006_trigger_execution_endpoint").execute()
    assert harness.host.migrate() == ["releases_api:m006_trigger_execution_endpoint"]
    with harness.db():
        assert TriggerExecution.get(TriggerExecution.release_id == execution["releaseId"]).endpoint_id is None
    shown = browser(harness, admin).get(f"/releases/{execution['releaseId']}")
    assert shown.status_code == 200
    assert f"request #{execution['requestId']}" in shown.text and "/requests#request-" not in shown.text


def test_hostile_form_and_query_values_get_a_clear_4xx_and_write_nothing(harness, admin):
    template = make_template(harness, admin, [manual()], variables={"version": "1.0"})
    page = browser(harness, admin)
    path = f"/templates/{template['id']}/new-release"
    long_name = page.post_form(path, {"releaseTitle": "R", "scriptUsername": "u" * 200, "action": "create"})
    assert (
        long_name.status_code == 400
        and "scriptUsername: at most 150 characters are allowed." in long_name.text
    )
    huge = page.post_form(path, {"releaseTitle": "R", "variable:version": "v" * 100_000, "action": "create"})
    assert huge.status_code == 400 and "version may have a value of at most" in huge.text
    as_json = page.api("POST", path, json={"releaseTitle": "R"})
    assert as_json.status_code == 415
    assert page.get("/releases", params={"title": "x" * 201}).status_code == 400
    assert page.get("/releases/Applications/Releasenothing").status_code == 404
    missing = page.get("/releases/Applications/Releasenothing/progress")
    assert missing.status_code == 404 and missing.json["error"] == "Not Found"
    assert harness.call("GET", "/releases/Applications/Releasenothing/progress").status_code == 401
    searched = harness.call("POST", "/api/v1/releases/search", as_user=admin, json={})
    assert searched.json == [], "nothing was created"
