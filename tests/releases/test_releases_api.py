"""The releases API in-process: templates, releases, status changes, permissions, listing and
bodies that must never cause a server error."""

from __future__ import annotations

import json

import pytest

from plugins.releases_api.models import Job, Release
from tests.releases.support import (
    get,
    make_template,
    manual,
    release_from,
    run_tasks,
    tasks_of,
    webhook,
)


def test_template_round_trip_in_the_products_shape(harness, admin):
    template = make_template(
        harness,
        admin,
        [manual("Approve"), webhook("https://example.invalid/hook", method="post")],
        [
            {
                "type": "xlrelease.CreateReleaseTask",
                "title": "Child",
                "templateId": "Applications/Release1",
                "newReleaseTitle": "child",
            }
        ],
        tags=["web"],
        variables=[{"key": "${version}", "value": "1.0"}],
        scriptUsername="bot",
        scriptUserPassword="s3cret",
    )
    assert template["id"].startswith("Applications/Release")
    assert template["type"] == "xlrelease.Release" and template["status"] == "TEMPLATE"
    assert template["scriptUserPassword"] == "********" and template["scriptUsername"] == "bot"
    assert template["variables"][0]["key"] == "version" and template["variables"][0]["value"] == "1.0"
    phase = template["phases"][0]
    assert phase["type"] == "xlrelease.Phase" and phase["id"].startswith(template["id"] + "/Phase")
    hook = phase["tasks"][1]
    assert hook["id"].startswith(phase["id"] + "/Task") and hook["method"] == "POST"
    assert hook["expectedStatusCodes"] == [200, 201, 202, 204]
    assert template["phases"][1]["tasks"][0]["createdReleaseId"] is None
    with harness.db():
        stored = Release.get_by_id(template["id"]).script_password
    assert "s3cret" not in stored and harness.host.secrets.decrypt(stored) == "s3cret"

    fetched = harness.call("GET", f"/api/v1/templates/{template['id']}", as_user=admin).json
    assert fetched == template
    assert [t["id"] for t in harness.call("GET", "/api/v1/templates", as_user=admin).json] == [template["id"]]

    updated = harness.call(
        "PUT", f"/api/v1/templates/{template['id']}", as_user=admin, json={**fetched, "title": "Deploy 2"}
    )
    assert updated.status_code == 200 and updated.json["title"] == "Deploy 2"
    assert updated.json["phases"][0]["tasks"][0]["title"] == "Approve"
    with harness.db():
        assert harness.host.secrets.decrypt(Release.get_by_id(template["id"]).script_password) == "s3cret"

    assert harness.call("DELETE", f"/api/v1/templates/{template['id']}", as_user=admin).status_code == 204
    assert harness.call("GET", f"/api/v1/templates/{template['id']}", as_user=admin).status_code == 404


def test_release_from_template_copies_plan_overrides_variables_and_hides_the_password(harness, admin):
    template = make_template(harness, admin, [manual()], variables={"version": "1.0", "env": "test"})
    release = release_from(
        harness, admin, template, "Deploy 1.4", variables={"${version}": "1.4"}, scriptUserPassword="rpa_x"
    )
    assert release["status"] == "PLANNED" and release["originTemplateId"] == template["id"]
    assert {v["key"]: v["value"] for v in release["variables"]} == {"version": "1.4", "env": "test"}
    assert release["scriptUsername"] is None and release["scriptUserPassword"] == "********"
    assert "rpa_x" not in json.dumps(release)
    assert release["phases"][0]["id"] != template["phases"][0]["id"]
    assert release["createdFromTrigger"] is False and release["owner"] == "root"


def test_manual_tasks_run_in_order_until_the_release_completes(harness, admin):
    template = make_template(harness, admin, [manual("a"), manual("b")], [manual("c")])
    release = release_from(harness, admin, template)
    started = harness.call("POST", f"/api/v1/releases/{release['id']}/start", as_user=admin)
    assert started.status_code == 200 and started.json["status"] == "IN_PROGRESS"
    assert [t["status"] for t in tasks_of(started.json)] == ["IN_PROGRESS", "PLANNED", "PLANNED"]
    for task in tasks_of(started.json):
        done = harness.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_user=admin)
        assert done.status_code == 200 and done.json["status"] == "COMPLETED"
    final = get(harness, admin, release["id"])
    assert final["status"] == "COMPLETED" and final["endDate"]
    assert {p["status"] for p in final["phases"]} == {"COMPLETED"}

    again = harness.call("POST", f"/api/v1/releases/{release['id']}/start", as_user=admin)
    assert again.status_code == 409 and "COMPLETED" in again.json["message"]
    task = tasks_of(final)[0]["id"]
    assert harness.call("POST", f"/api/v1/tasks/{task}/complete", as_user=admin).status_code == 409
    assert harness.call("POST", f"/api/v1/releases/{release['id']}/abort", as_user=admin).status_code == 409
    assert harness.call("DELETE", f"/api/v1/releases/{release['id']}", as_user=admin).status_code == 204
    assert harness.call("GET", f"/api/v1/releases/{release['id']}", as_user=admin).status_code == 404


def test_a_release_without_tasks_completes_when_started(harness, admin):
    release = release_from(harness, admin, make_template(harness, admin), start=True)
    assert release["status"] == "COMPLETED"


def test_abort_stops_the_release_and_drops_its_queued_work(harness, admin, recorder):
    template = make_template(harness, admin, [webhook(recorder.url + "/ok")], [manual()])
    release = release_from(harness, admin, template, start=True)
    assert tasks_of(release)[0]["status"] == "QUEUED"
    in_progress = harness.call("DELETE", f"/api/v1/releases/{release['id']}", as_user=admin)
    assert in_progress.status_code == 409 and "abort it" in in_progress.json["message"]
    aborted = harness.call(
        "POST", f"/api/v1/releases/{release['id']}/abort", as_user=admin, json={"abortComment": "no longer"}
    )
    assert aborted.status_code == 200
    assert aborted.json["status"] == "ABORTED" and aborted.json["abortComment"] == "no longer"
    assert {t["status"] for t in tasks_of(aborted.json)} == {"ABORTED"}
    assert run_tasks(harness) == 0 and recorder.requests == []
    with harness.db():
        assert Job.get(Job.release_id == release["id"]).status == "cancelled"


def test_direct_release_search_and_by_title(harness, admin):
    made = harness.call("POST", "/api/v1/releases", as_user=admin, json={"title": "Hotfix", "tags": ["x"]})
    assert (
        made.status_code == 200 and made.json["status"] == "PLANNED" and made.json["originTemplateId"] is None
    )
    template = make_template(harness, admin)
    release_from(harness, admin, template, "Deploy web", start=True)
    release_from(harness, admin, template, "Deploy api")

    def search(body, **params):
        result = harness.call("POST", "/api/v1/releases/search", as_user=admin, json=body, params=params)
        assert result.status_code == 200, result.text
        return sorted(r["title"] for r in result.json)

    assert search({"title": "deploy"}) == ["Deploy api", "Deploy web"]
    assert search({"completed": True}) == ["Deploy web"]
    assert search({"statuses": ["PLANNED"]}) == ["Deploy api", "Hotfix"]
    assert search({"planned": True, "completed": True, "title": "web"}) == ["Deploy web"]
    assert search({"tags": ["x"]}) == ["Hotfix"]
    assert (
        search({}, resultsPerPage="1", page="1") == ["Deploy api"] or len(search({}, resultsPerPage="1")) == 1
    )
    by_title = harness.call(
        "GET", "/api/v1/releases/byTitle", as_user=admin, params={"releaseTitle": "Deploy api"}
    )
    assert [r["title"] for r in by_title.json] == ["Deploy api"]
    listed = harness.call("GET", "/api/v1/releases", as_user=admin).json
    assert sorted(r["title"] for r in listed) == ["Deploy api", "Hotfix"]


def test_pagination_walks_planned_and_active_releases_once_each(harness, admin):
    template = make_template(harness, admin, [manual()])
    made = {release_from(harness, admin, template, f"R{i}", start=i % 2 == 0)["id"] for i in range(5)}
    release_from(harness, admin, make_template(harness, admin), "done", start=True)
    pages = [
        harness.call("GET", "/api/v1/releases", as_user=admin, params={"page": n, "resultsPerPage": 2}).json
        for n in range(4)
    ]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert {r["id"] for p in pages for r in p} == made
    assert len(harness.call("GET", "/api/v1/releases", as_user=admin).json) == 5


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "message"),
    [
        ("POST", "/api/v1/templates", {"phases": []}, None, "title is required."),
        (
            "POST",
            "/api/v1/templates",
            {"title": "t", "phases": {}},
            None,
            "phases: expected `array | null`, got `object`.",
        ),
        (
            "POST",
            "/api/v1/templates",
            {
                "title": "t",
                "phases": [{"title": "p", "tasks": [{"type": "xlrelease.WebhookTask", "title": "w"}]}],
            },
            None,
            "phases[0].tasks[0].url is required.",
        ),
        (
            "POST",
            "/api/v1/templates",
            {"title": "t", "phases": [{"title": "p", "tasks": [{"type": "xlrelease.Nope", "title": "w"}]}]},
            None,
            "phases[0].tasks[0].type: invalid value 'xlrelease.Nope' (a task's type is one of",
        ),
        (
            "POST",
            "/api/v1/templates",
            {
                "title": "t",
                "phases": [{"title": "p", "tasks": [webhook("http://x", expectedStatusCodes=[])]}],
            },
            None,
            "phases[0].tasks[0].expectedStatusCodes",
        ),
        (
            "POST",
            "/api/v1/templates",
            {"title": "t", "variables": 3},
            None,
            "variables: expected `object | array | null`",
        ),
        ("POST", "/api/v1/templates", {"title": "t", "scriptUserPassword": 5}, None, "scriptUserPassword"),
        (
            "POST",
            "/api/v1/releases/search",
            {"statuses": ["DONE"]},
            None,
            "statuses[0]: invalid enum value 'DONE'",
        ),
        (
            "GET",
            "/api/v1/releases",
            None,
            {"resultsPerPage": "101"},
            "resultsPerPage must be a whole number from 1 to 100,",
        ),
        ("GET", "/api/v1/releases", None, {"page": "x"}, "page must be a whole number from 0 to"),
        ("GET", "/api/v1/releases/byTitle", None, None, "releaseTitle is required."),
        ("POST", "/api/v1/triggers", {"title": "t"}, None, "templateId is required."),
    ],
)
def test_bad_input_is_400_naming_the_field(harness, admin, method, path, body, params, message):
    result = harness.call(method, path, as_user=admin, json=body, params=params)
    assert result.status_code == 400, result.text
    assert result.json["message"].startswith(message)


def test_bad_template_create_body_is_400(harness, admin):
    template = make_template(harness, admin)
    path = f"/api/v1/templates/{template['id']}/create"
    assert harness.call("POST", path, as_user=admin, json={}).json["message"] == "releaseTitle is required."
    bad = harness.call("POST", path, as_user=admin, json={"releaseTitle": "x", "variables": []})
    assert bad.status_code == 400 and bad.json["message"].startswith(
        "variables: expected `object | null`, got `array`"
    )
    not_json = harness.call(
        "POST", path, as_user=admin, body="{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400


def test_unknown_ids_are_404(harness, admin):
    missing = "Applications/Release0000"
    task = f"{missing}/Phase1/Task1"
    for method, path in [
        ("GET", f"/api/v1/releases/{missing}"),
        ("POST", f"/api/v1/releases/{missing}/start"),
        ("POST", f"/api/v1/releases/{missing}/abort"),
        ("DELETE", f"/api/v1/releases/{missing}"),
        ("GET", f"/api/v1/templates/{missing}"),
        ("DELETE", f"/api/v1/templates/{missing}"),
        ("POST", f"/api/v1/templates/{missing}/create"),
        ("GET", f"/api/v1/tasks/{task}"),
        ("POST", f"/api/v1/tasks/{task}/complete"),
        ("GET", "/api/v1/triggers/Trigger0"),
        ("GET", "/api/v1/triggers/Trigger0/executions"),
    ]:
        body = {"releaseTitle": "x"} if path.endswith("/create") else None
        result = harness.call(method, path, as_user=admin, json=body)
        assert result.status_code == 404, (method, path, result.text)
    template = make_template(harness, admin)
    assert harness.call("GET", f"/api/v1/releases/{template['id']}", as_user=admin).status_code == 404


def test_permissions_are_declared_per_route_and_admin_passes(harness, admin):
    template = make_template(harness, admin, [manual()])
    release = release_from(harness, admin, template)
    viewer = harness.user("viewer", ["release#view"])
    nobody = harness.user("nobody")
    creator = harness.user("creator", ["release#create", "template#view"])

    assert [r["id"] for r in harness.call("GET", "/api/v1/releases", as_user=viewer).json] == [release["id"]]
    assert harness.call("GET", f"/api/v1/releases/{release['id']}", as_user=viewer).status_code == 200
    refused = harness.call("POST", f"/api/v1/releases/{release['id']}/start", as_user=viewer)
    assert refused.status_code == 403
    assert refused.json["message"] == f"Permission release#start on {release['id']} is not granted to you."
    assert harness.call("POST", f"/api/v1/releases/{release['id']}/abort", as_user=viewer).status_code == 403
    assert harness.call("DELETE", f"/api/v1/releases/{release['id']}", as_user=viewer).status_code == 403

    assert harness.call("GET", "/api/v1/releases", as_user=nobody).json == []
    assert harness.call("POST", "/api/v1/releases/search", as_user=nobody, json={}).json == []
    assert harness.call("GET", "/api/v1/templates", as_user=nobody).json == []
    assert harness.call("GET", f"/api/v1/releases/{release['id']}", as_user=nobody).status_code == 403
    assert harness.call("GET", "/api/v1/releases").status_code == 401

    made = harness.call(
        "POST", f"/api/v1/templates/{template['id']}/create", as_user=creator, json={"releaseTitle": "mine"}
    )
    assert made.status_code == 200 and made.json["owner"] == "creator"
    needs_start = harness.call(
        "POST", f"/api/v1/templates/{template['id']}/start", as_user=creator, json={"releaseTitle": "x"}
    )
    assert needs_start.status_code == 403
    assert needs_start.json["message"] == "Permission release#start is not granted to you."
    auto = harness.call(
        "POST",
        f"/api/v1/templates/{template['id']}/create",
        as_user=creator,
        json={"releaseTitle": "x", "autoStart": True},
    )
    assert auto.status_code == 403
    assert harness.call("POST", "/api/v1/templates", as_user=creator, json={"title": "t"}).status_code == 403
    assert harness.call("DELETE", f"/api/v1/templates/{template['id']}", as_user=creator).status_code == 403
    assert harness.call("POST", f"/api/v1/releases/{release['id']}/start", as_user=admin).status_code == 200


ODD_BODIES = [
    [],
    "x",
    1,
    {"title": 1},
    {"title": "t", "phases": [1]},
    {"title": "t", "phases": [{"title": "p", "tasks": [1]}]},
    {"title": "t", "phases": [{"title": "p", "tasks": [webhook("http://x", headers={"a": 1})]}]},
    {"title": "t", "phases": [{"title": "p", "tasks": [webhook("http://x", timeoutSeconds=True)]}]},
    {"title": "t", "owner": "o" * 151},
    {"title": "t", "dueDate": "tomorrow"},
    {"title": "t", "variables": [{"key": 1}]},
    {"releaseTitle": "x", "variables": {"": 1}},
    {"releaseTitle": "x", "releaseOwner": ["a"]},
    {"releaseTitle": "x", "folderId": "Elsewhere"},
    {"abortComment": 5},
    {"statuses": "PLANNED"},
    {"title": "t", "endpointPath": "p", "templateId": "x", "releaseTitle": "r", "filter": []},
]


def test_odd_bodies_never_cause_a_server_error(harness, admin):
    template = make_template(harness, admin, [manual()])
    release = release_from(harness, admin, template)
    targets = [
        ("POST", "/api/v1/releases"),
        ("POST", "/api/v1/releases/search"),
        ("POST", f"/api/v1/releases/{release['id']}/abort"),
        ("POST", "/api/v1/templates"),
        ("PUT", f"/api/v1/templates/{template['id']}"),
        ("POST", f"/api/v1/templates/{template['id']}/create"),
        ("POST", "/api/v1/triggers"),
    ]
    for method, path in targets:
        for body in ODD_BODIES:
            result = harness.call(method, path, as_user=admin, json=body)
            assert result.status_code < 500, (method, path, body, result.text)
            assert result.status_code == 200 or result.json["message"], (method, path, body)
