"""Webhook triggers: their API, and `webhook.received` events starting releases from templates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugins.releases_api.models import Release, Trigger
from tests.releases.support import get, make_template, manual

PLUGINS = ["releases_api"]


@pytest.fixture
def harness(make_host):
    return make_host(plugins=PLUGINS)


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


def received(harness, body: Any, path: str = "github", request_id: str = "7", **extra: Any) -> list:
    """What the webhooks plugin emits for an accepted request."""
    payload = {
        "endpointId": "Endpoint1",
        "endpointPath": path,
        "endpointTitle": "GitHub",
        "requestId": request_id,
        "method": "POST",
        "body": body,
        "query": extra.get("query", {}),
        "headers": extra.get("headers", {"X-GitHub-Event": "push", "Authorization": "********"}),
    }
    results = harness.host.emit("webhook.received", payload)
    return [r for found in results for r in found]


def make_trigger(harness, user, template_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Deploy main",
        "endpointPath": "github",
        "templateId": template_id,
        "filter": {"ref": "refs/heads/main", "repository.name": "app"},
        "releaseTitle": "Deploy ${payload.head_commit.id} (${headers.x-github-event})",
        "variables": {
            "version": "payload.head_commit.id",
            "team": "web",
            "note": "by ${payload.pusher.name}",
        },
        "scriptUsername": "",
        "scriptUserPassword": "rpa_trigger",
        **fields,
    }
    result = harness.call("POST", "/api/v1/triggers", as_user=user, json=body)
    assert result.status_code == 201, result.text
    return result.json


PUSH = {
    "ref": "refs/heads/main",
    "repository": {"name": "app"},
    "head_commit": {"id": "abc123"},
    "pusher": {"name": "alice"},
}


def test_trigger_api_masks_the_password_and_validates(harness, admin):
    template = make_template(harness, admin, [manual()])
    trigger = make_trigger(harness, admin, template["id"])
    assert trigger["id"].startswith("Trigger") and trigger["enabled"] is True
    assert trigger["scriptUserPassword"] == "********" and trigger["owner"] == "root"
    with harness.db():
        stored = Trigger.get_by_id(trigger["id"]).script_password
    assert harness.host.secrets.decrypt(stored) == "rpa_trigger"
    assert harness.call("GET", f"/api/v1/triggers/{trigger['id']}", as_user=admin).json == trigger
    listed = harness.call("GET", "/api/v1/triggers", as_user=admin, params={"templateId": template["id"]})
    assert [t["id"] for t in listed.json] == [trigger["id"]]

    updated = harness.call(
        "PUT", f"/api/v1/triggers/{trigger['id']}", as_user=admin, json={**trigger, "enabled": False}
    )
    assert updated.status_code == 200 and updated.json["enabled"] is False
    with harness.db():
        assert harness.host.secrets.decrypt(Trigger.get_by_id(trigger["id"]).script_password) == "rpa_trigger"

    unknown = harness.call(
        "POST", "/api/v1/triggers", as_user=admin, json={**trigger, "templateId": "Applications/Release0"}
    )
    assert unknown.status_code == 404 and unknown.json["message"].startswith("templateId:")
    no_title = harness.call("POST", "/api/v1/triggers", as_user=admin, json={**trigger, "releaseTitle": None})
    assert no_title.json["message"] == "releaseTitle: expected `str`, got `null`."
    viewer = harness.user("viewer", ["template#view"])
    assert harness.call("GET", "/api/v1/triggers", as_user=viewer).status_code == 200
    refused = harness.call("DELETE", f"/api/v1/triggers/{trigger['id']}", as_user=viewer)
    assert refused.status_code == 403
    assert refused.json["message"] == f"Permission template#edit on {trigger['id']} is not granted to you."
    assert harness.call("DELETE", f"/api/v1/triggers/{trigger['id']}", as_user=admin).status_code == 204
    assert harness.call("GET", f"/api/v1/triggers/{trigger['id']}", as_user=admin).status_code == 404


def test_a_matching_request_starts_a_release_from_the_template(harness, admin):
    template = make_template(harness, admin, [manual()], variables={"version": "0", "team": "", "note": ""})
    trigger = make_trigger(harness, admin, template["id"])
    (result,) = received(harness, PUSH, request_id="42")
    assert result["status"] == "started" and result["triggerId"] == trigger["id"]
    assert result["triggerTitle"] == "Deploy main"
    release = get(harness, admin, result["releaseId"])
    assert release["title"] == "Deploy abc123 (push)"
    assert release["status"] == "IN_PROGRESS" and release["createdFromTrigger"] is True
    assert release["originTemplateId"] == template["id"] and release["owner"] == "root"
    assert {v["key"]: v["value"] for v in release["variables"]} == {
        "version": "abc123",
        "team": "web",
        "note": "by alice",
    }
    assert release["scriptUsername"] == "" and release["scriptUserPassword"] == "********"
    with harness.db():
        stored = Release.get_by_id(release["id"]).script_password
    assert harness.host.secrets.decrypt(stored) == "rpa_trigger"

    log = harness.call("GET", f"/api/v1/triggers/{trigger['id']}/executions", as_user=admin).json
    assert log == [
        {
            "triggerId": trigger["id"],
            "requestId": "42",
            "endpointPath": "github",
            "status": "started",
            "releaseId": release["id"],
            "reason": f"Started release {release['id']}.",
            "date": log[0]["date"],
        }
    ]


def test_filters_skip_with_a_reason_and_other_endpoints_are_not_concerned(harness, admin):
    template = make_template(harness, admin, [manual()])
    trigger = make_trigger(harness, admin, template["id"])
    (other_branch,) = received(harness, {**PUSH, "ref": "refs/heads/dev"})
    assert other_branch["status"] == "skipped" and other_branch["releaseId"] is None
    assert (
        other_branch["reason"] == "Filter did not match: ref is 'refs/heads/dev', expected 'refs/heads/main'."
    )
    (no_repo,) = received(harness, {"ref": "refs/heads/main"})
    assert no_repo["reason"] == "Filter did not match: the request has no payload.repository.name."
    (no_body,) = received(harness, None)
    assert no_body["status"] == "skipped"
    assert received(harness, PUSH, path="gitlab") == []
    with harness.db():
        assert not Release.select().where(Release.status != "TEMPLATE").exists()
    log = harness.call("GET", f"/api/v1/triggers/{trigger['id']}/executions", as_user=admin).json
    assert [e["status"] for e in log] == ["skipped", "skipped", "skipped"]


def test_disabled_triggers_do_nothing_and_query_and_header_filters_work(harness, admin):
    template = make_template(harness, admin, [manual()])
    make_trigger(harness, admin, template["id"], enabled=False)
    query_trigger = make_trigger(
        harness,
        admin,
        template["id"],
        title="By query",
        filter={"query.env": "prod", "headers.x-github-event": "push"},
        releaseTitle="Deploy to ${query.env}",
        variables={},
    )
    results = received(harness, None, query={"env": "prod"})
    assert [(r["triggerId"], r["status"]) for r in results] == [(query_trigger["id"], "started")]
    assert get(harness, admin, results[0]["releaseId"])["title"] == "Deploy to prod"


def test_a_trigger_that_cannot_start_its_release_reports_failed(harness, admin):
    template = make_template(harness, admin, [manual()])
    make_trigger(harness, admin, template["id"], variables={"version": "payload.missing.path"})
    (result,) = received(harness, PUSH)
    assert result["status"] == "failed" and result["releaseId"] is None
    assert result["reason"] == "variables.version: the request has no payload.missing.path."


def test_deleting_a_template_deletes_its_triggers(harness, admin):
    template = make_template(harness, admin, [manual()])
    trigger = make_trigger(harness, admin, template["id"])
    assert harness.call("DELETE", f"/api/v1/templates/{template['id']}", as_user=admin).status_code == 204
    assert harness.call("GET", f"/api/v1/triggers/{trigger['id']}", as_user=admin).status_code == 404
    assert received(harness, PUSH) == []


def test_trigger_documents_are_data_never_code(harness, admin):
    template = make_template(harness, admin, [manual()])
    make_trigger(
        harness,
        admin,
        template["id"],
        filter={"ref": "__import__('os').system('false')"},
        releaseTitle="${payload.__class__}",
        variables={},
    )
    (result,) = received(harness, {"ref": "__import__('os').system('false')"})
    assert result["status"] == "started"
    assert get(harness, admin, result["releaseId"])["title"] == "${payload.__class__}"
    assert json.dumps(result)


def test_a_request_to_a_webhooks_endpoint_starts_the_release(make_host):
    """With the webhooks plugin: a real request to `/webhooks/<path>` reaches the trigger."""
    harness = make_host(plugins=["releases_api", "webhooks"])
    admin = harness.user("root", roles=("admin",))
    endpoint = harness.call(
        "POST",
        "/api/v1/config/webhook-endpoints",
        as_user=admin,
        json={"title": "GitHub", "path": "github", "method": "POST", "authentication": "none"},
    )
    assert endpoint.status_code in (200, 201), endpoint.text
    template = make_template(harness, admin, [manual()])
    trigger = make_trigger(harness, admin, template["id"], endpointPath=None, endpointId=endpoint.json["id"])
    delivered = harness.client.simulate_post(
        "/webhooks/github", json=PUSH, headers={"X-GitHub-Event": "push"}
    )
    assert delivered.status_code == 200, delivered.text
    (execution,) = harness.call("GET", f"/api/v1/triggers/{trigger['id']}/executions", as_user=admin).json
    assert execution["status"] == "started" and execution["requestId"]
    release = get(harness, admin, execution["releaseId"])
    assert release["createdFromTrigger"] is True and release["title"] == "Deploy abc123 (push)"
