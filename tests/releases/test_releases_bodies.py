"""The declared bodies are the truth: every answer of the releases API decodes strictly as the type
its route declares for that status, the request types say what the server refuses, and the lists
are built from a fixed number of queries whatever the number of releases."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import pytest

from tests.releases.support import make_template, manual, release_from, run_tasks, webhook
from tests.releases.test_releases_triggers import PUSH, make_trigger, received


def declared(harness, method: str, path: str, status: int) -> Any:
    """The type the route mounted for `path` declares for `status`."""
    template = harness.app._router.find(path)[3]
    _, route = harness.host.routes[template]
    responses = route.operations[method].responses
    assert status in responses, f"{method} {template} answered {status}, which it does not declare"
    return responses[status]


def checked(harness, user, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
    """Call, expect `status`, and decode the body strictly as the declared type (None: no body)."""
    result = harness.call(method, path, as_user=user, **kwargs)
    assert result.status_code == status, result.text
    kind = declared(harness, method, path, status)
    if kind is None:
        assert result.content == b""
        return None
    msgspec.json.decode(result.content, type=kind, strict=True)
    return result.json


def test_every_answer_decodes_as_its_declared_type(harness, admin, recorder):
    child = make_template(harness, admin, [manual()], title="Child")
    creates = {
        "type": "xlrelease.CreateReleaseTask",
        "title": "Child",
        "templateId": child["id"],
        "newReleaseTitle": "Child of ${release.title}",
    }
    parent = make_template(harness, admin, [creates], title="Parent")
    template = make_template(
        harness,
        admin,
        [webhook(recorder.url + "/ok", headers={"Authorization": "Bearer x"})],
        [manual("Sign off")],
        variables={"version": "1.0"},
        tags=["web"],
    )
    release = release_from(harness, admin, template, "R1", start=True)
    assert run_tasks(harness) == 1
    trigger = make_trigger(harness, admin, template["id"])
    received(harness, PUSH)

    rid, tid = release["id"], template["id"]
    task = release["phases"][1]["tasks"][0]["id"]
    got = checked(harness, admin, "GET", f"/api/v1/releases/{rid}")
    assert got["phases"][0]["tasks"][0]["statusCode"] == 200
    assert got["phases"][0]["tasks"][0]["headers"] == {"Authorization": "********"}
    made = checked(harness, admin, "GET", f"/api/v1/templates/{parent['id']}")
    assert made["phases"][0]["tasks"][0]["createdReleaseId"] is None
    for path in ("/api/v1/releases", "/api/v1/templates", "/api/v1/releases/byTitle"):
        assert checked(harness, admin, "GET", path, params={"releaseTitle": "R1"})
    assert checked(harness, admin, "POST", "/api/v1/releases/search", json={"active": True})
    checked(harness, admin, "GET", f"/api/v1/templates/{tid}")
    checked(
        harness,
        admin,
        "PUT",
        f"/api/v1/templates/{tid}",
        json=checked(harness, admin, "GET", f"/api/v1/templates/{tid}"),
    )
    checked(harness, admin, "GET", f"/api/v1/tasks/{task}")
    checked(harness, admin, "POST", f"/api/v1/tasks/{task}/complete")
    checked(harness, admin, "POST", f"/api/v1/tasks/{task}/complete", status=409)
    checked(harness, admin, "POST", "/api/v1/releases", json={"title": "Direct", "phases": [{"title": "P"}]})
    checked(harness, admin, "GET", "/api/v1/triggers")
    checked(harness, admin, "GET", f"/api/v1/triggers/{trigger['id']}")
    assert checked(harness, admin, "GET", f"/api/v1/triggers/{trigger['id']}/executions")[0]["status"]
    checked(harness, admin, "GET", "/api/v1/releases/Applications/Release0", status=404)
    checked(harness, admin, "POST", f"/api/v1/releases/{rid}/abort", status=409, json={})
    checked(harness, admin, "DELETE", f"/api/v1/releases/{rid}", status=204)
    checked(harness, admin, "GET", "/api/v1/releases", status=400, params={"page": "x"})
    checked(harness, admin, "POST", "/api/v1/templates", status=400, json={"title": " "})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "t", "phases": [{"title": "p", "tasks": [{"title": "w", "type": None}]}]}, None),
        ({"title": "t", "phases": [{"title": "p", "tasks": [webhook("http://x", method="post")]}]}, None),
        ({"title": "t", "dueDate": "2026-12-01T09:00:00"}, None),
        ({"title": "t", "unknown": {"deep": [1]}, "status": "IN_PROGRESS"}, None),
        (
            {"title": "t", "phases": [{"title": "p", "tasks": [webhook("ftp://x")]}]},
            "phases[0].tasks[0].url: expected an http:// or https:// URL",
        ),
        ({"title": "t", "variables": {"a b": 1}}, "variables: each name: expected a variable name"),
        (
            {"title": "t", "phases": [{"title": "p", "tasks": [webhook("http://x", timeoutSeconds=0)]}]},
            "phases[0].tasks[0].timeoutSeconds: expected",
        ),
        (
            {"title": "t", "phases": [{"title": "p", "tasks": [webhook("http://x", authenticate="yes")]}]},
            "phases[0].tasks[0].authenticate: expected `bool | null`",
        ),
        ({"title": "\t"}, "title: expected a string that is not blank."),
    ],
)
def test_a_plan_body_is_checked_by_its_declaration(harness, admin, body, message):
    result = harness.call("POST", "/api/v1/templates", as_user=admin, json=body)
    if message is None:
        assert result.status_code == 200, result.text
        assert result.json["status"] == "TEMPLATE"
    else:
        assert result.status_code == 400, result.text
        assert result.json["message"].startswith(message), result.json["message"]


def test_a_plan_read_back_keeps_its_shape(harness, admin):
    """The dueDate without a zone is UTC, a lower-case method is the upper-case one, a task
    without type is manual, and masked secrets are kept as they were."""
    created = harness.call(
        "POST",
        "/api/v1/templates",
        as_user=admin,
        json={
            "title": "t",
            "dueDate": "2026-12-01T09:00:00",
            "scriptUserPassword": "rpa_secret",
            "phases": [{"title": "p", "tasks": [{"title": "m"}, webhook("http://x", method="post")]}],
        },
    ).json
    assert created["dueDate"] == "2026-12-01T09:00:00.000Z"
    assert [t["type"] for t in created["phases"][0]["tasks"]] == ["xlrelease.Task", "xlrelease.WebhookTask"]
    assert created["phases"][0]["tasks"][1]["method"] == "POST"
    assert created["scriptUserPassword"] == "********"
    again = harness.call("PUT", f"/api/v1/templates/{created['id']}", as_user=admin, json=created)
    assert again.status_code == 200, again.text
    assert again.json["scriptUserPassword"] == "********"
    assert again.json["phases"][0]["tasks"][1]["expectedStatusCodes"] == [200, 201, 202, 204]


def statements(harness, admin, caplog, path: str) -> int:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        result = harness.call("GET", path, as_user=admin)
    assert result.status_code == 200, result.text
    sql = [str(r.msg) for r in caplog.records if r.name == "peewee"]
    return sum(1 for text in sql if "PREPARE " not in text)  # PostgreSQL: once per connection


def test_the_lists_run_the_same_queries_for_one_release_or_twenty(harness, admin, caplog):
    template = make_template(harness, admin, [manual(), manual()], [manual()])
    release_from(harness, admin, template, "R0")
    one = {p: statements(harness, admin, caplog, p) for p in ("/api/v1/releases", "/api/v1/templates")}
    for i in range(1, 20):
        release_from(harness, admin, template, f"R{i}")
    assert len(harness.call("GET", "/api/v1/releases", as_user=admin).json) == 20
    twenty = {p: statements(harness, admin, caplog, p) for p in ("/api/v1/releases", "/api/v1/templates")}
    assert twenty == one
    assert one["/api/v1/releases"] <= 8


def test_an_optional_body_may_be_null(harness, admin):
    release = release_from(harness, admin, make_template(harness, admin, [manual()]), "R")
    search = harness.call("POST", "/api/v1/releases/search", as_user=admin, body="null")
    assert search.status_code == 200 and [r["id"] for r in search.json] == [release["id"]]
    aborted = harness.call("POST", f"/api/v1/releases/{release['id']}/abort", as_user=admin, body="null")
    assert aborted.status_code == 200 and aborted.json["status"] == "ABORTED"
    listed = harness.call("POST", "/api/v1/releases/search", as_user=admin, body="[]")
    assert listed.status_code == 400 and "expected an object or null" in listed.json["message"]


def test_a_whole_number_written_with_a_fraction_is_a_whole_number(harness, admin):
    """JSON Schema's `integer` (the document's `expectedStatusCodes`) takes 200.0: so does the server."""
    task = {**webhook("http://127.0.0.1:9/hook"), "expectedStatusCodes": [200.0, 204]}
    made = harness.call(
        "POST",
        "/api/v1/templates",
        as_user=admin,
        json={"title": "T", "phases": [{"title": "P", "tasks": [task]}]},
    )
    assert made.status_code == 200, made.text
    assert made.json["phases"][0]["tasks"][0]["expectedStatusCodes"] == [200, 204]
    half = {**task, "expectedStatusCodes": [200.5]}
    refused = harness.call(
        "POST",
        "/api/v1/templates",
        as_user=admin,
        json={"title": "T", "phases": [{"title": "P", "tasks": [half]}]},
    )
    assert refused.status_code == 400
