"""`release-host worker` processes: a task whose worker is killed mid-run is picked up again after
its lease, and two workers never run the same task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from host.testing import PROJECT_ROOT
from plugins.releases_api.models import Job
from tests.releases.support import (
    LOCAL,
    get,
    make_template,
    release_from,
    tasks_of,
    webhook,
)

PLUGINS = ["releases_api"]


def start_worker(harness, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "host.cli", "worker", *args],
        env={**os.environ, "RELEASE_HOST_CONF": str(harness.write_conf())},
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_task_whose_worker_was_killed_is_run_again_after_the_lease(make_host, recorder):  # noqa: F811
    harness = make_host(
        plugins=PLUGINS, settings={"releases_api": {"lease_seconds": 1, "poll_seconds": 0.1, **LOCAL}}
    )
    admin = harness.user("root", roles=("admin",))
    template = make_template(harness, admin, [webhook(recorder.url + "/slow")])
    release = release_from(harness, admin, template, start=True)

    worker = start_worker(harness)
    try:
        assert recorder.arrived.wait(30), "the worker never called the task's URL"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    with harness.db():
        job = Job.get(Job.release_id == release["id"])
    assert job.status == "running" and job.attempts == 1
    assert tasks_of(get(harness, admin, release["id"]))[0]["status"] == "IN_PROGRESS"

    recorder.release.set()
    again = harness.cli("worker", "--until-idle")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "ran 1 task(s)" in again.stdout
    final = get(harness, admin, release["id"])
    assert final["status"] == "COMPLETED"
    assert recorder.paths() == ["/slow", "/slow"]
    keys = [r["headers"].get("Idempotency-Key") for r in recorder.requests]
    assert keys[0] and keys == [keys[0]] * 2, "the repeat of one run must carry the same key"
    with harness.db():
        job = Job.get(Job.release_id == release["id"])
    assert job.status == "done" and job.attempts == 2 and f":{worker.pid}:" not in job.worker


def test_two_worker_processes_never_run_the_same_task(make_host, recorder):  # noqa: F811
    harness = make_host(plugins=PLUGINS, settings={"releases_api": {"poll_seconds": 0.05, **LOCAL}})
    admin = harness.user("root", roles=("admin",))
    template = make_template(
        harness,
        admin,
        [webhook(recorder.url + "/once/${release.id}/a")],
        [webhook(recorder.url + "/once/${release.id}/b")],
    )
    releases = [release_from(harness, admin, template, f"R{i}", start=True)["id"] for i in range(6)]

    workers = [start_worker(harness, "--until-idle") for _ in range(2)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    ran = sum(int(out.split("ran ")[1].split(" ")[0]) for out in outputs)
    assert ran == 12

    expected = sorted(f"/once/{r}/{step}" for r in releases for step in "ab")
    assert sorted(recorder.paths()) == expected
    keys = {r["headers"].get("Idempotency-Key") for r in recorder.requests}
    assert len(keys) == 12 and None not in keys, "each run of each task has its own key"
    assert {get(harness, admin, r)["status"] for r in releases} == {"COMPLETED"}
    with harness.db():
        assert {(j.status, j.attempts) for j in Job.select()} == {("done", 1)}
