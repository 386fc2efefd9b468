"""Whose credentials run a task, probed with several users: a template's stored secret headers
and run-as password must not be redirected, or put to work on inputs, by whoever starts, edits
or triggers its releases. A Recorder on 127.0.0.2 stands in for a host outside this server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.releases.support import (
    Recorder,
    get,
    make_template,
    manual,
    release_from,
    run_tasks,
    tasks_of,
    webhook,
)

PLUGINS = ["releases_api"]
SETTINGS = {"releases_api": {"allowed_task_hosts": ["127.0.0.1", "127.0.0.2"]}}
RELEASER = ["template#view", "release#create", "release#start", "release#view"]
EDITOR = ["template#view", "template#edit", "release#create", "release#start", "release#view"]
SECRET = "Bearer deploy-secret-1"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=PLUGINS, settings=SETTINGS)


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


@pytest.fixture
def outsider():
    found = Recorder("127.0.0.2")
    yield found
    found.close()


def hostport(url: str) -> str:
    return url.removeprefix("http://")


def authorization(server: Recorder) -> list[str | None]:
    return [{k.lower(): v for k, v in r["headers"].items()}.get("authorization") for r in server.requests]


def deploy_template(harness, admin, recorder: Recorder) -> dict[str, Any]:  # noqa: F811
    return make_template(
        harness,
        admin,
        [webhook("http://${deployHost}/deploy", headers={"Authorization": SECRET})],
        variables={"deployHost": hostport(recorder.url)},
    )


# 1. A stored secret header stays with the origin it was entered for


def test_a_masked_header_does_not_follow_a_start_variable_to_another_host(harness, admin, recorder, outsider):  # noqa: F811
    template = deploy_template(harness, admin, recorder)
    rita = harness.user("rita", RELEASER)
    shown = harness.call("GET", f"/api/v1/templates/{template['id']}", as_user=rita).json
    assert shown["phases"][0]["tasks"][0]["headers"] == {"Authorization": "********"}
    assert "secretOrigin" not in shown["phases"][0]["tasks"][0]

    stolen = release_from(
        harness, rita, template, start=True, variables={"deployHost": hostport(outsider.url)}
    )
    run_tasks(harness)
    assert authorization(outsider) == [None]
    (task,) = tasks_of(get(harness, rita, stolen["id"]))
    assert task["status"] == "COMPLETED"
    assert task["secretsNotSent"].startswith("Not sent: Authorization. The stored value was entered for")

    routine = release_from(harness, rita, template, start=True)
    run_tasks(harness)
    assert authorization(recorder) == [SECRET]
    assert "secretsNotSent" not in tasks_of(get(harness, rita, routine["id"]))[0]


def test_a_masked_header_does_not_follow_an_edited_variable_default(harness, admin, recorder, outsider):  # noqa: F811
    template = deploy_template(harness, admin, recorder)
    eddie = harness.user("eddie", EDITOR)
    path = f"/api/v1/templates/{template['id']}"
    read = harness.call("GET", path, as_user=eddie).json
    moved = {**read, "variables": {"deployHost": hostport(outsider.url)}}
    refused = harness.call("PUT", path, as_user=eddie, json=moved)
    assert refused.status_code == 400
    assert refused.json["message"].startswith("phases[0].tasks[0].headers.Authorization is masked")

    without_phases = {k: v for k, v in moved.items() if k != "phases"}
    assert harness.call("PUT", path, as_user=eddie, json=without_phases).status_code == 200
    release_from(harness, admin, template, start=True)
    run_tasks(harness)
    assert authorization(outsider) == [None] and recorder.requests == []

    same_origin = harness.call("PUT", path, as_user=admin, json=read)
    assert same_origin.status_code == 200, same_origin.text
    release_from(harness, admin, template, start=True)
    run_tasks(harness)
    assert authorization(recorder) == [SECRET]


def test_a_header_entered_again_for_the_new_host_is_sent_there(harness, admin, recorder, outsider):  # noqa: F811
    template = deploy_template(harness, admin, recorder)
    path = f"/api/v1/templates/{template['id']}"
    read = harness.call("GET", path, as_user=admin).json
    task = {**read["phases"][0]["tasks"][0], "headers": {"Authorization": "Bearer for-outside"}}
    entered = {
        **read,
        "variables": {"deployHost": hostport(outsider.url)},
        "phases": [{**read["phases"][0], "tasks": [task]}],
    }
    assert harness.call("PUT", path, as_user=admin, json=entered).status_code == 200
    release_from(harness, admin, template, start=True)
    run_tasks(harness)
    assert authorization(outsider) == ["Bearer for-outside"]


def test_a_plain_template_without_secret_headers_runs_as_before(harness, admin, recorder):  # noqa: F811
    template = make_template(harness, admin, [manual(), webhook(recorder.url + "/x")])
    assert "secretOrigin" not in template["phases"][0]["tasks"][1]


def test_the_migration_binds_secret_headers_saved_before_it_to_their_authors_origin(
    harness,
    admin,
    recorder,  # noqa: F811
    outsider,
):
    """Data as the previous schema version left it: tasks with secret headers and no origin."""
    from host.migrations import AppliedMigration
    from plugins.releases_api.models import Task

    template = deploy_template(harness, admin, recorder)
    stolen = release_from(harness, admin, template, variables={"deployHost": hostport(outsider.url)})
    with harness.db():
        for task in Task.select():
            config = {k: v for k, v in task.config.items() if k != "secretOrigin"}
            Task.update(config=config).where(Task.id == task.id).execute()
        AppliedMigration.delete().where(AppliedMigration.name == "m005_webhook_secret_origins").execute()
    assert harness.host.migrate() == ["releases_api:m005_webhook_secret_origins"]
    with harness.db():
        origins = {t.release_id: t.config["secretOrigin"] for t in Task.select()}
    port = int(recorder.url.rsplit(":", 1)[1])
    assert origins == {template["id"]: ["http", "127.0.0.1", port], stolen["id"]: ["http", "127.0.0.1", port]}
    harness.call("POST", f"/api/v1/releases/{stolen['id']}/start", as_user=admin)
    run_tasks(harness)
    assert authorization(outsider) == [None]


# 2. Someone else's stored run-as password runs only with the inputs its owner set


def abort_template(harness, admin) -> dict[str, Any]:
    return make_template(
        harness,
        admin,
        [webhook("${server.url}/api/v1/releases/${previous}/abort", method="POST")],
        variables={"previous": ""},
        scriptUsername="",
        scriptUserPassword="rpa_admins_token",
    )


def test_a_start_choosing_variables_of_the_tasks_cannot_borrow_the_stored_run_as_password(harness, admin):
    template = abort_template(harness, admin)
    victim = release_from(
        harness, admin, make_template(harness, admin, [manual()], title="Other"), start=True
    )
    rita = harness.user("rita", RELEASER)
    body = {"releaseTitle": "R", "variables": {"previous": victim["id"]}}
    path = f"/api/v1/templates/{template['id']}/start"
    refused = harness.call("POST", path, as_user=rita, json=body)
    assert refused.status_code == 403
    assert refused.json["message"].startswith(
        "The template's automated tasks run with its stored run-as credentials, which act only on the "
        "inputs their owner set; this release would set previous, which those tasks use."
    )
    assert harness.call("POST", path, as_user=rita, json={"releaseTitle": "R"}).status_code == 200
    same = harness.call("POST", path, as_user=rita, json={**body, "variables": {"previous": ""}})
    assert same.status_code == 200
    own = harness.call("POST", path, as_user=rita, json={**body, "scriptUserPassword": "rpa_ritas_own"})
    assert own.status_code == 200
    assert get(harness, admin, victim["id"])["status"] == "IN_PROGRESS"


def test_a_task_using_the_release_title_needs_the_callers_own_credentials(harness, admin):
    template = make_template(
        harness,
        admin,
        [webhook("${server.url}/api/v1/releases/${release.title}/abort", method="POST")],
        scriptUserPassword="rpa_admins_token",
    )
    rita = harness.user("rita", RELEASER)
    refused = harness.call(
        "POST", f"/api/v1/templates/{template['id']}/create", as_user=rita, json={"releaseTitle": "x"}
    )
    assert refused.status_code == 403 and "would set release.title" in refused.json["message"]


def test_a_trigger_without_its_own_run_as_cannot_feed_request_values_to_the_templates(harness, admin):
    from tests.releases.test_releases_triggers import PUSH, make_trigger, received

    template = abort_template(harness, admin)
    eve = harness.user("eve", EDITOR)
    make_trigger(
        harness,
        eve,
        template["id"],
        variables={"previous": "payload.head_commit.id"},
        scriptUsername=None,
        scriptUserPassword=None,
    )
    (fired,) = received(harness, PUSH)
    assert (fired["status"], fired["releaseId"]) == ("failed", None)
    assert "this release would set previous" in fired["reason"]


# 3. Making a release from a template needs a right on that template


@pytest.mark.parametrize("action", ["create", "start"])
def test_a_release_from_a_template_needs_create_release_or_view_on_it(harness, admin, action):
    template = make_template(harness, admin, [manual()], scriptUserPassword="rpa_admins_token")
    nora = harness.user("nora", ["release#create", "release#start", "release#view"])
    assert harness.call("GET", f"/api/v1/templates/{template['id']}", as_user=nora).status_code == 403
    path = f"/api/v1/templates/{template['id']}/{action}"
    refused = harness.call("POST", path, as_user=nora, json={"releaseTitle": "R"})
    assert refused.status_code == 403
    assert refused.json == {
        "error": "Forbidden",
        "message": f"Permission template#create_release on {template['id']} is not granted to you.",
    }
    harness.set_permissions(nora, ["release#create", "release#start", "template#create_release"])
    assert harness.call("POST", path, as_user=nora, json={"releaseTitle": "R"}).status_code == 200
    harness.set_permissions(nora, ["release#create", "release#start", "template#view"])
    assert harness.call("POST", path, as_user=nora, json={"releaseTitle": "R"}).status_code == 200


def test_a_trigger_needs_and_keeps_needing_a_right_on_its_template(harness, admin):
    from tests.releases.test_releases_triggers import PUSH, make_trigger, received

    template = make_template(harness, admin, [manual()])
    tina = harness.user("tina", ["template#edit", "release#create", "release#start"])
    body = {"title": "T", "endpointPath": "github", "templateId": template["id"], "releaseTitle": "R"}
    refused = harness.call("POST", "/api/v1/triggers", as_user=tina, json=body)
    assert refused.status_code == 403 and "template#create_release" in refused.json["message"]
    harness.set_permissions(tina, EDITOR)
    make_trigger(harness, tina, template["id"], filter={})
    harness.set_permissions(tina, ["template#edit", "release#create", "release#start"])
    (fired,) = received(harness, PUSH)
    assert fired["status"] == "failed"
    assert fired["reason"] == (
        f"The trigger's owner 'tina' no longer holds template#create_release on {template['id']}; "
        "the trigger starts no release."
    )


# 10. Attribution: only an admin names another owner; a trigger edited by someone becomes theirs


def test_only_an_admin_may_make_releases_and_templates_owned_by_someone_else(harness, admin):
    template = make_template(harness, admin, [manual()])
    rita = harness.user("rita", [*EDITOR, "template#create"])
    spoofed = harness.call(
        "POST", "/api/v1/releases", as_user=rita, json={"title": "R", "owner": "root", "phases": []}
    )
    assert spoofed.status_code == 403
    assert spoofed.json["message"] == (
        "owner: only an admin may make a release or template owned by someone else ('root')."
    )
    from_template = harness.call(
        "POST",
        f"/api/v1/templates/{template['id']}/create",
        as_user=rita,
        json={"releaseTitle": "R", "releaseOwner": "root"},
    )
    assert from_template.status_code == 403 and from_template.json["message"].startswith("releaseOwner:")
    own_template = make_template(harness, rita, [manual()], title="Mine", owner="rita")
    moved = harness.call(
        "PUT", f"/api/v1/templates/{own_template['id']}", as_user=rita, json={**own_template, "owner": "root"}
    )
    assert moved.status_code == 403
    kept = harness.call("PUT", f"/api/v1/templates/{template['id']}", as_user=rita, json=template)
    assert kept.status_code == 200 and kept.json["owner"] == "root"

    mine = harness.call("POST", "/api/v1/releases", as_user=rita, json={"title": "R", "owner": "rita"})
    assert mine.status_code == 200 and mine.json["owner"] == "rita"
    for_rita = release_from(harness, admin, template, releaseOwner="rita")
    assert for_rita["owner"] == "rita"


def test_a_trigger_edited_by_someone_else_becomes_theirs_without_the_stored_password(harness, admin):
    from tests.releases.test_releases_triggers import make_trigger

    template = make_template(harness, admin, [manual()])
    trigger = make_trigger(harness, admin, template["id"])
    eve = harness.user("eve", EDITOR)
    path = f"/api/v1/triggers/{trigger['id']}"
    edited = harness.call("PUT", path, as_user=eve, json={**trigger, "title": "Mine now"})
    assert edited.status_code == 200
    assert (edited.json["owner"], edited.json["scriptUserPassword"]) == ("eve", None)
    again = harness.call("PUT", path, as_user=admin, json={**edited.json, "scriptUserPassword": "rpa_root2"})
    assert (again.json["owner"], again.json["scriptUserPassword"]) == ("root", "********")
    same_owner = harness.call("PUT", path, as_user=admin, json={**again.json, "title": "T"})
    assert same_owner.json["scriptUserPassword"] == "********"


# 4. A viewer sees no secret value: password variables, URL userinfo, secret query values, headers


def test_a_viewer_reads_no_secret_and_the_task_still_sends_them(harness, admin, recorder):  # noqa: F811
    port = recorder.url.rsplit(":", 1)[1]
    template = make_template(
        harness,
        admin,
        [
            webhook(
                f"http://deployer:sekrit2@127.0.0.1:{port}/x?api_key=sekrit3&v=1",
                method="POST",
                body="${dbPass}",
                headers={"X-Deploy-Pass": "sekrit4", "X-Api-Key": "sekrit5", "Accept": "text/plain"},
            )
        ],
        variables=[{"key": "dbPass", "type": "xlrelease.PasswordStringVariable", "value": "sekrit1"}],
    )
    vera = harness.user("vera", ["release#view"])
    release = release_from(harness, admin, template, start=True)
    run_tasks(harness)
    seen = get(harness, vera, release["id"])
    assert "sekrit" not in str(seen) and "sekrit" not in str(template)
    (task,) = tasks_of(seen)
    assert task["url"] == f"http://deployer:********@127.0.0.1:{port}/x?api_key=********&v=1"
    assert task["headers"] == {"X-Deploy-Pass": "********", "X-Api-Key": "********", "Accept": "text/plain"}
    assert seen["variables"][0]["value"] == "********"
    (sent,) = recorder.requests
    assert sent["path"] == "/x?api_key=sekrit3&v=1" and sent["body"] == "sekrit1"
    assert {k.lower(): v for k, v in sent["headers"].items()}["x-deploy-pass"] == "sekrit4"

    path = f"/api/v1/templates/{template['id']}"
    assert harness.call("PUT", path, as_user=admin, json=template).status_code == 200
    release_from(harness, admin, template, start=True)
    run_tasks(harness)
    again = recorder.requests[1]
    assert again["path"] == "/x?api_key=sekrit3&v=1" and again["body"] == "sekrit1"
    copied = harness.call("POST", "/api/v1/templates", as_user=admin, json=template)
    assert copied.status_code == 400
    assert copied.json["message"].startswith("variables.dbPass is masked: send its value again.")
    elsewhere = {**template["phases"][0]["tasks"][0], "url": "http://deployer:********@127.0.0.2/x"}
    moved = harness.call(
        "PUT", path, as_user=admin, json={**template, "phases": [{"title": "P", "tasks": [elsewhere]}]}
    )
    assert moved.status_code == 400 and moved.json["message"].startswith("phases[0].tasks[0].url is masked")


def test_url_credentials_do_not_follow_a_variable_to_another_host(harness, admin, recorder, outsider):  # noqa: F811
    template = make_template(
        harness,
        admin,
        [webhook("http://deployer:sekrit2@${deployHost}/x?api_key=sekrit3&v=1")],
        variables={"deployHost": hostport(recorder.url)},
    )
    rita = harness.user("rita", RELEASER)
    stolen = release_from(
        harness, rita, template, start=True, variables={"deployHost": hostport(outsider.url)}
    )
    run_tasks(harness)
    (sent,) = outsider.requests
    assert sent["path"] == "/x?v=1" and authorization(outsider) == [None]
    (task,) = tasks_of(get(harness, rita, stolen["id"]))
    assert task["secretsNotSent"].startswith("Not sent: the URL's credentials.")


# 5. The answer of a failed call reaches admins only, in failureReason too


def test_a_viewer_reads_the_status_line_of_a_failed_call_not_the_answer(harness, admin, recorder):  # noqa: F811
    template = make_template(
        harness, admin, [webhook(recorder.url + "/status/409", expectedStatusCodes=[201])]
    )
    vera = harness.user("vera", ["release#view"])
    release = release_from(harness, admin, template, start=True)
    run_tasks(harness)
    (seen,) = tasks_of(get(harness, vera, release["id"]))
    assert (seen["status"], seen["failureReason"], seen["responseBody"]) == ("FAILED", "409 Conflict", None)
    one = harness.call("GET", f"/api/v1/tasks/{seen['id']}", as_user=vera).json
    assert one["failureReason"] == "409 Conflict"
    (full,) = tasks_of(get(harness, admin, release["id"]))
    assert full["failureReason"] == "409 Conflict: answered 409 on purpose"
