"""The issue's scenario against a real gunicorn server: a release whose automated tasks run as an
empty username with a personal access token, calling the server's own public API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from host.testing import FakeClock

PLUGINS = ["pat_auth", "releases_api"]
SCOPE = ["template#view", "release#create", "release#view", "release#start"]
FAST = {"releases_api": {"poll_seconds": 0.1}}


def pat(token: str) -> dict[str, str]:
    return {"x-release-personal-token": token}


def wait_until_finished(base: str, release_id: str, auth: Any, timeout: float = 60) -> dict[str, Any]:
    """Poll the release until it stops moving (COMPLETED, FAILED or ABORTED)."""
    deadline = time.monotonic() + timeout
    while True:
        release = requests.get(f"{base}/api/v1/releases/{release_id}", auth=auth, timeout=10).json()
        if release["status"] in ("COMPLETED", "FAILED", "ABORTED") or time.monotonic() > deadline:
            return release
        time.sleep(0.1)


def make_templates(base: str, admin) -> tuple[str, str]:
    """A child template with one manual task, and a parent whose automated tasks call this server:
    a CreateReleaseTask that starts the child, then a WebhookTask reading the release itself."""
    auth = (admin.username, admin.password)
    child = requests.post(
        f"{base}/api/v1/templates",
        auth=auth,
        json={"title": "Child", "phases": [{"title": "Wait", "tasks": [{"title": "Sign off"}]}]},
        timeout=10,
    ).json()
    parent = requests.post(
        f"{base}/api/v1/templates",
        auth=auth,
        json={
            "title": "Parent",
            "variables": {"flavour": "vanilla"},
            "phases": [
                {
                    "title": "Automated",
                    "tasks": [
                        {
                            "type": "xlrelease.CreateReleaseTask",
                            "title": "Make the child",
                            "templateId": child["id"],
                            "newReleaseTitle": "Child of ${release.title}",
                            "startRelease": True,
                            "templateVariables": {"flavour": "${flavour}"},
                        },
                        {
                            "type": "xlrelease.WebhookTask",
                            "title": "Read myself",
                            "url": "${server.url}/api/v1/releases/${release.id}",
                            "expectedStatusCodes": [200],
                            "timeoutSeconds": 10,
                        },
                    ],
                }
            ],
        },
        timeout=10,
    ).json()
    return child["id"], parent["id"]


def test_release_running_as_a_scoped_pat_completes_and_creates_the_child(make_host, serve):
    harness = make_host(plugins=PLUGINS, settings=FAST)
    admin = harness.user("root", roles=("admin",))
    alice = harness.user("alice", SCOPE + ["template#create"])
    token = harness.token(alice, "automation", permissions=SCOPE)
    base = serve(harness)
    child_template, parent_template = make_templates(base, admin)

    started = requests.post(
        f"{base}/api/v1/templates/{parent_template}/start",
        headers=pat(token),
        json={"releaseTitle": "Parent 1", "scriptUsername": "", "scriptUserPassword": token},
        timeout=10,
    )
    assert started.status_code == 200, started.text
    assert started.json()["scriptUserPassword"] == "********" and token not in started.text

    final = wait_until_finished(base, started.json()["id"], ("", token))
    create_task, webhook_task = final["phases"][0]["tasks"]
    assert final["status"] == "COMPLETED", [t["failureReason"] for t in (create_task, webhook_task)]
    assert webhook_task["statusCode"] == 200

    child = requests.get(
        f"{base}/api/v1/releases/{create_task['createdReleaseId']}", headers=pat(token), timeout=10
    )
    assert child.status_code == 200
    assert child.json()["title"] == "Child of Parent 1"
    assert child.json()["originTemplateId"] == child_template
    assert child.json()["status"] == "IN_PROGRESS" and child.json()["owner"] == "alice"
    assert {v["key"]: v["value"] for v in child.json()["variables"]} == {"flavour": "vanilla"}

    by_basic = requests.get(f"{base}/api/v1/releases", auth=("", token), timeout=10)
    by_header = requests.get(f"{base}/api/v1/releases", headers=pat(token), timeout=10)
    assert by_basic.status_code == by_header.status_code == 200
    assert by_basic.json() == by_header.json()
    assert [r["id"] for r in by_basic.json()] == [child.json()["id"]]


@pytest.mark.parametrize("how", ["expired", "deleted"])
def test_release_running_as_an_expired_or_deleted_pat_fails_with_the_401_reason(make_host, serve, how):
    clock = FakeClock(datetime.now(UTC) - timedelta(days=30)) if how == "expired" else None
    harness = make_host(plugins=PLUGINS, settings=FAST, clock=clock)
    admin = harness.user("root", roles=("admin",))
    alice = harness.user("alice", SCOPE)
    token = harness.token(alice, "automation", permissions=SCOPE, expiration="7d")
    if how == "deleted":
        (listed,) = harness.call("GET", "/api/v1/personal-access-tokens", as_user=alice).json
        deleted = harness.call("DELETE", f"/api/v1/personal-access-tokens/{listed['id']}", as_user=alice)
        assert deleted.status_code == 204
    base = serve(harness)
    _, parent_template = make_templates(base, admin)
    assert requests.get(f"{base}/api/v1/releases", headers=pat(token), timeout=10).status_code == 401

    started = requests.post(
        f"{base}/api/v1/templates/{parent_template}/start",
        auth=(admin.username, admin.password),
        json={"releaseTitle": "Parent 1", "scriptUsername": "", "scriptUserPassword": token},
        timeout=10,
    )
    assert started.status_code == 200, started.text
    final = wait_until_finished(base, started.json()["id"], (admin.username, admin.password))
    assert final["status"] == "FAILED"
    create_task, webhook_task = final["phases"][0]["tasks"]
    expected = {
        "expired": "401 Unauthorized: The personal access token has expired.",
        "deleted": "401 Unauthorized: Invalid personal access token.",
    }[how]
    assert create_task["status"] == "FAILED" and create_task["failureReason"] == expected
    assert create_task["createdReleaseId"] is None and webhook_task["status"] == "PLANNED"
    titles = [
        r["title"] for r in requests.get(f"{base}/api/v1/releases", auth=("root", admin.password)).json()
    ]
    assert titles == ["Parent 1"]


def test_pat_listing_pagination_visibility_and_a_view_only_token(make_host):
    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    alice = harness.user("alice", ["release#view", "release#start"])
    template = harness.call(
        "POST", "/api/v1/templates", as_user=admin, json={"title": "T", "phases": [{"title": "p"}]}
    ).json
    ids = [
        harness.call(
            "POST",
            f"/api/v1/templates/{template['id']}/create",
            as_user=admin,
            json={"releaseTitle": f"R{i}"},
        ).json["id"]
        for i in range(3)
    ]
    view_only = harness.token(alice, "reader", permissions=["release#view"])
    templates_only = harness.token(alice, "templates", permissions=["release#start"])

    for style in ("basic", "header"):
        pages = [
            harness.call(
                "GET",
                "/api/v1/releases",
                token=view_only,
                token_style=style,
                params={"page": n, "resultsPerPage": 2},
            )
            for n in range(2)
        ]
        assert all(p.status_code == 200 for p in pages)
        assert [r["id"] for p in pages for r in p.json] == ids
        assert pages[0].json[0]["type"] == "xlrelease.Release"

    assert harness.call("GET", "/api/v1/releases", token=templates_only).json == []
    refused = harness.call("POST", f"/api/v1/releases/{ids[0]}/start", token=view_only)
    assert refused.status_code == 403
    assert refused.json["message"] == f"Permission release#start on {ids[0]} is not granted to you."
    assert harness.call("POST", f"/api/v1/releases/{ids[0]}/start", token=templates_only).status_code == 200
