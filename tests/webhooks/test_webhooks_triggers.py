"""End to end under gunicorn: a webhook POST matching a trigger starts a release from its template,
and the release's automated tasks call this server with the trigger's PAT.

webhooks and releases_api never import each other: the receiver emits `webhook.received`, the
triggers answer with what they did, and the receiver keeps that with the retained request.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

PLUGINS = ["pat_auth", "releases_api", "webhooks"]
ENDPOINTS = "/api/v1/config/webhook-endpoints"


class Client:
    """Calls the running server as the admin, with the password (never the PATs under test)."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.auth = (username, password)

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = requests.request(method, self.base + path, auth=self.auth, timeout=30, **kwargs)
        assert response.status_code == expect, response.text
        return response.json() if response.content else None


def wait_for_release(client: Client, release_id: str) -> dict[str, Any]:
    """Poll until the worker has run the release to an end state (a deadline, not a timing check)."""
    deadline = time.monotonic() + 90
    while True:
        release = client.call("GET", f"/api/v1/releases/{release_id}")
        if release["status"] in ("COMPLETED", "FAILED", "ABORTED") or time.monotonic() > deadline:
            return release
        time.sleep(0.2)


def test_matching_webhook_starts_a_release_whose_tasks_run_with_the_triggers_pat(make_host, serve):
    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    caller = harness.user("git-server")
    runner = harness.user("runner")
    caller_pat = harness.token(caller, "git server webhook")
    runner_pat = harness.token(runner, "release automation")
    base = serve(harness, workers=2)
    client = Client(base, admin.username, admin.password)

    pushes = client.call(
        "POST",
        ENDPOINTS,
        expect=201,
        json={
            "title": "Git pushes",
            "path": "git-pushes",
            "authentication": "token",
            "secretToken": caller_pat,
        },
    )
    # Where the release's tasks call back: it accepts the runner's PAT and nothing else.
    echo = client.call(
        "POST",
        ENDPOINTS,
        expect=201,
        json={
            "title": "Task echo",
            "path": "task-echo",
            "method": "GET",
            "authentication": "token",
            "secretToken": runner_pat,
        },
    )
    template = client.call(
        "POST",
        "/api/v1/templates",
        json={
            "title": "Deploy",
            "variables": {"version": "0.0"},
            "phases": [
                {
                    "title": "Deploy",
                    "tasks": [
                        {
                            "type": "xlrelease.WebhookTask",
                            "title": "Who am I",
                            "url": "${server.url}/api/v1/profile",
                            "method": "GET",
                            "expectedStatusCodes": [200],
                        },
                        {
                            "type": "xlrelease.WebhookTask",
                            "title": "Tell the echo endpoint",
                            "url": "${server.url}/webhooks/task-echo?version=${version}",
                            "method": "GET",
                            "expectedStatusCodes": [200],
                        },
                    ],
                }
            ],
        },
    )
    trigger = client.call(
        "POST",
        "/api/v1/triggers",
        expect=201,
        json={
            "title": "Deploy main",
            "endpointId": pushes["id"],
            "templateId": template["id"],
            "filter": {"ref": "refs/heads/main"},
            "releaseTitle": "Deploy ${payload.head_commit.id}",
            "variables": {"version": "payload.head_commit.id"},
            "scriptUsername": "",
            "scriptUserPassword": runner_pat,
        },
    )

    webhook = f"{base}/webhooks/git-pushes"
    headers = {"x-release-personal-token": caller_pat}
    other_branch = requests.post(
        webhook, json={"ref": "refs/heads/topic", "head_commit": {"id": "f00"}}, headers=headers, timeout=30
    )
    assert (other_branch.status_code, other_branch.text) == (200, "")
    push = requests.post(
        webhook, json={"ref": "refs/heads/main", "head_commit": {"id": "abc123"}}, headers=headers, timeout=30
    )
    assert (push.status_code, push.text) == (200, "")

    matched, skipped = client.call("GET", f"{ENDPOINTS}/{pushes['id']}/requests")
    assert skipped["triggers"] == [
        {
            "triggerId": trigger["id"],
            "triggerTitle": "Deploy main",
            "releaseId": None,
            "status": "skipped",
            "reason": "Filter did not match: ref is 'refs/heads/topic', expected 'refs/heads/main'.",
        }
    ]
    (started,) = matched["triggers"]
    assert (started["triggerId"], started["status"]) == (trigger["id"], "started")
    release_id = started["releaseId"]
    assert release_id.startswith("Applications/Release")

    release = wait_for_release(client, release_id)
    assert release["status"] == "COMPLETED", release
    assert release["createdFromTrigger"] is True
    assert release["originTemplateId"] == template["id"]
    assert release["title"] == "Deploy abc123"
    assert {v["key"]: v["value"] for v in release["variables"]}["version"] == "abc123"
    assert release["scriptUserPassword"] != runner_pat

    who, told = [t for p in release["phases"] for t in p["tasks"]]
    profile = json.loads(who["responseBody"])
    assert (profile["username"], profile["authenticatedBy"]) == ("runner", "token")
    assert told["statusCode"] == 200
    (echoed,) = client.call("GET", f"{ENDPOINTS}/{echo['id']}/requests")
    assert (echoed["outcome"], echoed["method"], echoed["query"]) == (
        "accepted",
        "GET",
        {"version": "abc123"},
    )
    assert echoed["headers"]["x-release-personal-token"] == "********"

    executions = client.call("GET", f"/api/v1/triggers/{trigger['id']}/executions")
    linked = {(str(e["requestId"]), e["status"], e["releaseId"]) for e in executions}
    assert linked == {(str(matched["id"]), "started", release_id), (str(skipped["id"]), "skipped", None)}

    with harness.db():
        dump = "\n".join(
            json.dumps(row, default=str) for model in harness.host.models for row in model.select().dicts()
        )
    logs = "".join(p.read_text(errors="replace") for p in Path(harness.tmp_path).glob("gunicorn-*.log"))
    shown = json.dumps([matched, skipped, echoed, pushes, echo, release, trigger, executions])
    for secret in (caller_pat, runner_pat):
        assert secret not in dump and secret not in logs and secret not in shown
