"""Templates and releases have caps (docs/api.md, Limits), so no answer built from them is unbounded:
a 966 KB body of 23,000 tasks used to be accepted and echoed back as 6.7 MB."""

from __future__ import annotations

import json
from typing import Any

import pytest

TEMPLATES = "/api/v1/templates"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["releases_api"])


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


def manual(i: int, **fields: Any) -> dict[str, Any]:
    return {"title": f"Task {i}", **fields}


def webhook(**fields: Any) -> dict[str, Any]:
    return {"type": "xlrelease.WebhookTask", "title": "Call", "url": "https://ci.example/hook", **fields}


def plan(phases: list[list[dict[str, Any]]], **fields: Any) -> dict[str, Any]:
    return {
        "title": "Deploy",
        "phases": [{"title": f"Phase {i}", "tasks": tasks} for i, tasks in enumerate(phases)],
        **fields,
    }


def post(harness, admin, body, path=TEMPLATES):
    return harness.call("POST", path, as_user=admin, json=body)


def refused(result, start: str) -> None:
    assert result.status_code == 400, result.text[:300]
    assert set(result.json) == {"error", "message"}
    assert result.json["error"] == "Bad Request"
    assert result.json["message"].startswith(start), result.json["message"]


def test_the_reported_23000_task_template_is_refused(harness, admin):
    body = plan([[{"title": f"T{i}", "description": ""} for i in range(23_000)]])
    assert 900_000 < len(json.dumps(body)) < 1_000_000
    refused(post(harness, admin, body), "phases[0].tasks: at most 100 entries are allowed.")
    assert harness.call("GET", TEMPLATES, as_user=admin).json == []


TOO_BIG = [
    (plan([[manual(0)]] * 51), "phases: at most 50 entries are allowed."),
    (plan([[manual(i) for i in range(101)]]), "phases[0].tasks: at most 100 entries are allowed."),
    (plan([[manual(i) for i in range(100)]] * 6), "phases hold 600 tasks in all; at most 500"),
    (plan([], title="x" * 256), "title: at most 255 characters are allowed."),
    (plan([], description="x" * 10_001), "description: at most 10000 characters are allowed."),
    (
        plan([[manual(0, description="x" * 10_001)]]),
        "phases[0].tasks[0].description: at most 10000 characters",
    ),
    (plan([[manual(0, title="x" * 256)]]), "phases[0].tasks[0].title: at most 255 characters"),
    (plan([[webhook(url="https://x/" + "a" * 2_000)]]), "phases[0].tasks[0].url: at most 2000 characters"),
    (plan([[webhook(body="x" * 65_537)]]), "phases[0].tasks[0].body: at most 65536 characters"),
    (
        plan([[webhook(headers={f"X-{i}": "v" for i in range(51)})]]),
        "phases[0].tasks[0].headers: at most 50 entries",
    ),
    (
        plan([[webhook(headers={"X-A": "v" * 4_001})]]),
        "phases[0].tasks[0].headers (a value): at most 4000 characters",
    ),
    (plan([], variables={f"v{i}": "x" for i in range(101)}), "variables: at most 100 entries are allowed."),
    (plan([], variables={"v" * 101: "x"}), "variables: each name: expected a variable name"),
    (plan([], variables={"big": "x" * 10_001}), "variables: big may have a value of at most 10000"),
    (plan([], variables={"big": list(range(3_000))}), "variables: big may have a value of at most"),
    (plan([], tags=["t"] * 51), "tags: at most 50 entries are allowed."),
    (plan([], tags=["t" * 101]), "tags[0]: at most 100 characters are allowed."),
    (
        plan([[manual(i, description="x" * 9_000) for i in range(30)]]),
        "The template or release holds 270",
    ),
]


@pytest.mark.parametrize(("body", "message"), TOO_BIG, ids=[m for _, m in TOO_BIG])
def test_each_cap_is_a_clear_400(harness, admin, body, message):
    refused(post(harness, admin, body), message)
    refused(post(harness, admin, body, path="/api/v1/releases"), message)


def test_a_template_at_the_caps_is_accepted_and_reads_back_small(harness, admin):
    tasks = [manual(i, description="d" * 460) for i in range(10)]
    body = plan([tasks] * 50, variables={f"v{i}": "x" * 100 for i in range(100)}, tags=["t"] * 50)
    created = post(harness, admin, body)
    assert created.status_code == 200, created.text[:300]
    assert sum(len(p["tasks"]) for p in created.json["phases"]) == 500
    assert len(created.text) < 600_000
    listed = harness.call("GET", TEMPLATES, as_user=admin)
    assert listed.status_code == 200 and len(listed.json) == 1


def test_a_release_from_a_template_takes_at_most_100_variables(harness, admin):
    created = post(harness, admin, plan([[manual(0)]]))
    assert created.status_code == 200, created.text
    path = f"{TEMPLATES}/{created.json['id']}/create"
    body = {"releaseTitle": "R", "variables": {f"v{i}": "x" for i in range(101)}}
    refused(post(harness, admin, body, path=path), "variables: at most 100 entries are allowed.")
    ok = post(harness, admin, {"releaseTitle": "R", "variables": {"v": "x"}}, path=path)
    assert ok.status_code == 200, ok.text
