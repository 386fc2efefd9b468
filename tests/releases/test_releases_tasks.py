"""Automated tasks in-process against a local HTTP server: variables, run-as credentials, failures
and retries, timeouts, and the queue's claims, leases and worker thread."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import pytest

from host import create_app
from plugins.releases_api import queue
from plugins.releases_api.models import Job
from tests.releases.support import (
    LOCAL,
    PLUGINS,
    get,
    make_template,
    manual,
    release_from,
    run_tasks,
    tasks_of,
    webhook,
)


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
    app = create_app(harness.config, context="server")
    try:
        deadline = time.monotonic() + 5
        while not [t for t in threading.enumerate() if t.name == "releases-worker"]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        app.host.shutdown()
    assert not [t for t in threading.enumerate() if t.name == "releases-worker" and t.is_alive()]
