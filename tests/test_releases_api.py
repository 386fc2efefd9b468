"""The releases API in-process: templates, releases, status changes, permissions, listing,
automated tasks against a local HTTP server, and the queue's claims and leases."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from plugins.releases_api import queue
from plugins.releases_api.models import Job, Release
from plugins.releases_api.settings import load_settings
from plugins.releases_api.worker import Worker

PLUGINS = ["releases_api"]
LOCAL = {"allowed_task_hosts": ["127.0.0.1"]}
"""Automated tasks may not call loopback by default; these tests' HTTP server is on 127.0.0.1."""


class Recorder:
    """A loopback HTTP server for automated tasks to call: records every request; `/status/N`
    answers N with a JSON message, `/slow` waits until `release` is set (or 30 s)."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.arrived = threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                with recorder.lock:
                    recorder.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                        }
                    )
                recorder.arrived.set()
                status, payload = 200, {"ok": True}
                if self.path.startswith("/status/"):
                    status = int(self.path.split("/")[2])
                    payload = {"error": "Nope", "message": f"answered {status} on purpose"}
                elif self.path.startswith("/slow"):
                    recorder.release.wait(30)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        with self.lock:
            return [r["path"] for r in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    found = Recorder()
    yield found
    found.close()


@pytest.fixture
def harness(make_host):
    return make_host(plugins=PLUGINS, settings={"releases_api": LOCAL})


def run_tasks(harness) -> int:
    """Run every queued automated task in this process, the way `release-host worker` does."""
    return Worker(harness.host, load_settings(harness.host), name="test").run_until_idle()


def manual(title: str = "Check") -> dict[str, Any]:
    return {"type": "xlrelease.Task", "title": title}


def webhook(url: str, **fields: Any) -> dict[str, Any]:
    return {"type": "xlrelease.WebhookTask", "title": "Call", "url": url, **fields}


def make_template(harness, user, *phases: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    body = {
        "title": fields.pop("title", "Deploy"),
        "phases": [{"title": f"Phase {i}", "tasks": tasks} for i, tasks in enumerate(phases)],
        **fields,
    }
    result = harness.call("POST", "/api/v1/templates", as_user=user, json=body)
    assert result.status_code == 200, result.text
    return result.json


def release_from(harness, user, template: dict[str, Any], title: str = "R", start: bool = False, **body):
    action = "start" if start else "create"
    result = harness.call(
        "POST",
        f"/api/v1/templates/{template['id']}/{action}",
        as_user=user,
        json={"releaseTitle": title, **body},
    )
    assert result.status_code == 200, result.text
    return result.json


def get(harness, user, release_id: str) -> dict[str, Any]:
    result = harness.call("GET", f"/api/v1/releases/{release_id}", as_user=user)
    assert result.status_code == 200, result.text
    return result.json


def tasks_of(release: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in release["phases"] for t in p["tasks"]]


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


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
        ("POST", "/api/v1/templates", {"title": "t", "phases": {}}, None, "phases must be a list."),
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
            "phases[0].tasks[0].type must be one of",
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
        ("POST", "/api/v1/templates", {"title": "t", "variables": 3}, None, "variables must be"),
        ("POST", "/api/v1/templates", {"title": "t", "scriptUserPassword": 5}, None, "scriptUserPassword"),
        ("POST", "/api/v1/releases/search", {"statuses": ["DONE"]}, None, "statuses: DONE"),
        (
            "GET",
            "/api/v1/releases",
            None,
            {"resultsPerPage": "101"},
            "resultsPerPage must be a whole number from 1 to 100,",
        ),
        ("GET", "/api/v1/releases", None, {"page": "x"}, "page must be a whole number from 0 to"),
        ("GET", "/api/v1/releases/byTitle", None, None, "releaseTitle is required."),
        ("POST", "/api/v1/triggers", {"title": "t"}, None, "endpointPath"),
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
    assert bad.status_code == 400 and bad.json["message"].startswith("variables must be an object")
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


def test_webhook_task_runs_with_variables_and_completes(harness, admin, recorder):
    template = make_template(
        harness,
        admin,
        [
            webhook(
                recorder.url + "/deploy/${version}",
                method="POST",
                body='{"release": "${release.id}", "v": "${version}"}',
                headers={"X-Version": "${version}"},
            )
        ],
        variables={"version": "1.0"},
    )
    release = release_from(harness, admin, template, start=True, variables={"version": "2.0"})
    assert run_tasks(harness) == 1
    final = get(harness, admin, release["id"])
    assert final["status"] == "COMPLETED"
    task = tasks_of(final)[0]
    assert task["status"] == "COMPLETED" and task["statusCode"] == 200
    (sent,) = recorder.requests
    assert sent["method"] == "POST" and sent["path"] == "/deploy/2.0"
    assert json.loads(sent["body"]) == {"release": release["id"], "v": "2.0"}
    assert sent["headers"]["X-Version"] == "2.0"
    assert "Authorization" not in sent["headers"] and "x-release-personal-token" not in sent["headers"]


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("", {"x-release-personal-token": "rpa_token"}),
        ("bot", {"Authorization": "Basic Ym90OnJwYV90b2tlbg=="}),
    ],
)
def test_run_as_credentials_go_to_this_server_as_pat_header_or_basic(make_host, recorder, username, expected):
    harness = make_host(plugins=PLUGINS, settings={"releases_api": {"server_url": recorder.url}})
    admin = harness.user("root", roles=("admin",))
    template = make_template(harness, admin, [webhook("${server.url}/api/v1/profile")])
    release = release_from(
        harness, admin, template, start=True, scriptUsername=username, scriptUserPassword="rpa_token"
    )
    run_tasks(harness)
    assert get(harness, admin, release["id"])["status"] == "COMPLETED"
    headers = {k.lower(): v for k, v in recorder.requests[0]["headers"].items()}
    for name, value in expected.items():
        assert headers[name.lower()] == value
    other = {"x-release-personal-token", "authorization"} - {k.lower() for k in expected}
    assert not other & set(headers)


def test_run_as_credentials_never_leave_for_other_servers(harness, admin, recorder):
    """`authenticate: true` used to send them anywhere; now it fails the task before any request."""
    template = make_template(
        harness, admin, [webhook(recorder.url + "/a")], [webhook(recorder.url + "/b", authenticate=True)]
    )
    release = release_from(harness, admin, template, start=True, scriptUserPassword="rpa_token")
    run_tasks(harness)
    (first,) = recorder.requests
    assert first["path"] == "/a"
    assert "x-release-personal-token" not in {k.lower() for k in first["headers"]}
    second = tasks_of(get(harness, admin, release["id"]))[1]
    assert second["status"] == "FAILED"
    assert second["failureReason"].startswith(f"authenticate is true but {recorder.url}/b is not this server")


def test_unexpected_status_fails_the_release_with_the_servers_message_and_retry_recovers(
    harness, admin, recorder
):
    template = make_template(harness, admin, [webhook(recorder.url + "/status/401"), manual()])
    release = release_from(harness, admin, template, start=True)
    run_tasks(harness)
    failed = get(harness, admin, release["id"])
    assert failed["status"] == "FAILED" and failed["phases"][0]["status"] == "FAILED"
    task = tasks_of(failed)[0]
    assert task["status"] == "FAILED"
    assert task["failureReason"] == "401 Unauthorized: answered 401 on purpose"

    with harness.db():
        from plugins.releases_api.models import Task

        Task.update(config={**Task.get_by_id(task["id"]).config, "url": recorder.url + "/ok"}).where(
            Task.id == task["id"]
        ).execute()
    retried = harness.call("POST", f"/api/v1/tasks/{task['id']}/retry", as_user=admin)
    assert retried.status_code == 200 and retried.json["status"] == "QUEUED"
    assert harness.call("POST", f"/api/v1/tasks/{task['id']}/retry", as_user=admin).status_code == 409
    run_tasks(harness)
    again = get(harness, admin, release["id"])
    assert again["status"] == "IN_PROGRESS" and [t["status"] for t in tasks_of(again)] == [
        "COMPLETED",
        "IN_PROGRESS",
    ]


def test_http_timeout_fails_the_task_with_a_timeout_reason(harness, admin, recorder):
    template = make_template(harness, admin, [webhook(recorder.url + "/slow", timeoutSeconds=0.3)])
    release = release_from(harness, admin, template, start=True)
    run_tasks(harness)
    task = tasks_of(get(harness, admin, release["id"]))[0]
    assert task["status"] == "FAILED"
    assert task["failureReason"] == f"Timed out after 0.3 s: GET {recorder.url}/slow"


def test_claims_are_exclusive_under_concurrent_workers(harness, admin):
    with harness.db():
        for i in range(30):
            queue.enqueue(f"Applications/Release{i}/Phase1/Task1", f"Applications/Release{i}")
    claimed: list[int] = []
    lock = threading.Lock()

    def claim_all(name: str) -> None:
        with harness.host.database.connection_context():
            while (job := queue.claim(name, 60)) is not None:
                with lock:
                    claimed.append(job.id)

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 30


def test_an_expired_lease_is_claimed_again_and_the_old_claim_cannot_finish(harness, admin):
    with harness.db():
        queue.enqueue("Applications/Release1/Phase1/Task1", "Applications/Release1")
        first = queue.claim("dead", 60)
        assert queue.claim("other", 60) is None
        expire(first.id)
        second = queue.claim("other", 60)
        assert second.id == first.id and second.attempts == 2
        assert not queue.renew(first, 60) and not queue.finish(first, queue.DONE)
        assert queue.finish(second, queue.DONE)


def test_a_task_whose_worker_keeps_dying_fails_after_max_attempts(make_host, recorder):
    harness = make_host(plugins=PLUGINS, settings={"releases_api": {"max_attempts": 2, **LOCAL}})
    admin = harness.user("root", roles=("admin",))
    release = release_from(
        harness, admin, make_template(harness, admin, [webhook(recorder.url + "/ok")]), start=True
    )
    with harness.db():
        for _ in range(2):
            job = queue.claim("dying", 60)
            expire(job.id)
    assert run_tasks(harness) == 1
    task = tasks_of(get(harness, admin, release["id"]))[0]
    assert task["status"] == "FAILED" and "stopped before it finished, 2 times" in task["failureReason"]
    assert recorder.requests == []


def expire(job_id: int) -> None:
    """Make a job's lease run out now, as if its worker had died long ago."""
    Job.update(lease_until=datetime(2000, 1, 1)).where(Job.id == job_id).execute()


def test_worker_thread_starts_only_in_a_server_process(make_host):
    harness = make_host(plugins=PLUGINS)
    assert not [t for t in threading.enumerate() if t.name == "releases-worker"]
    from host import create_app

    app = create_app(harness.config, context="server")
    try:
        deadline = time.monotonic() + 5
        while not [t for t in threading.enumerate() if t.name == "releases-worker"]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        app.host.shutdown()
    assert not [t for t in threading.enumerate() if t.name == "releases-worker" and t.is_alive()]


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
