"""Faults (issue 18, item 2): PostgreSQL stopped under two running hosts answers 503 with a JSON
message (health: database unreachable), never a 500 or a hang, and both hosts serve again once it
is back, without a restart; no webhook request that got a 200 is lost. SQLite locked by another
process past the busy timeout: 503 with a message too. A gunicorn worker killed with SIGKILL while
webhook posts arrive: every post that got a 200 is stored."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from host import db as storage
from host.responses import DATABASE_UNAVAILABLE
from host.testing import (
    PostgresCluster,
    ServedHost,
    build_harness,
    require,
    start_hosts,
    stop_hosts,
    test_config,
    token_headers,
)
from tests.webhooks.support import create, stored

ROUTES = "tests.sample_plugins.pat_routes"
WHOAMI = "/api/v1/pat-test/whoami"
OUTAGE_SECONDS = 3.0


@pytest.fixture(scope="module")
def own_cluster():
    """A cluster of this module's own: stopping it must not cut other tests' connections."""
    require(PostgresCluster.available(), "PostgreSQL server binaries not found")
    cluster = PostgresCluster()
    cluster.start()
    cluster.execute("CREATE DATABASE faults")
    yield cluster
    cluster.stop()


def test_a_database_outage_gives_503_and_both_hosts_recover_without_a_restart(own_cluster, tmp_path):
    config = test_config(own_cluster.url("faults"), tmp_path, ["pat_auth", ROUTES, "webhooks"])
    harness = build_harness(config, tmp_path)
    try:
        admin = harness.user("root", roles=("admin",))
        secret = harness.token(harness.user("alice"))
        endpoint = create(harness, admin, requestRetention=500)
        hosts = start_hosts(harness, ["a", "b"], workers=1)
        try:
            accepted = _outage(own_cluster, hosts, secret)
            kept = {json.loads(r["body"])["n"] for r in stored(harness, admin, endpoint["id"])}
        finally:
            stop_hosts(hosts)
        assert accepted and accepted <= kept, "a webhook request that got a 200 was not stored"
        for served in hosts:
            log = served.log_text()
            assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]
    finally:
        harness.host.shutdown()


def _outage(cluster: PostgresCluster, hosts: list[ServedHost], secret: str) -> set[int]:
    """Requests before, during and after an outage; the webhook posts that got a 200."""
    accepted: set[int] = set()
    numbers = itertools.count()

    def post(served: ServedHost) -> int:
        n = next(numbers)
        answer = requests.post(f"{served.url}/webhooks/git-pushes", json={"n": n}, timeout=15)
        if answer.status_code == 200:
            accepted.add(n)
        return answer.status_code

    def every_host_answers(expect: int) -> None:
        for served in hosts:
            who = requests.get(f"{served.url}{WHOAMI}", headers=token_headers(secret), timeout=15)
            health = requests.get(f"{served.url}/api/v1/health", timeout=15)
            assert (who.status_code, health.status_code) == (expect, expect), who.text
            if expect == 503:
                assert who.json() == {"error": "Service Unavailable", "message": DATABASE_UNAVAILABLE}
                assert int(who.headers["Retry-After"]) >= 1
                assert health.json() == {"status": "degraded", "database": "unreachable"}
            assert post(served) == expect

    every_host_answers(200)
    with ThreadPoolExecutor(max_workers=6) as pool:
        load = [pool.submit(post, hosts[i % 2]) for i in range(30)]  # under load when it stops
        cluster.pause()
        started = time.monotonic()
        assert {f.result() for f in load} <= {200, 503}
        while time.monotonic() - started < OUTAGE_SECONDS:
            every_host_answers(503)
        cluster.resume()
    every_host_answers(200)
    every_host_answers(200)
    return accepted


def test_sqlite_locked_past_the_busy_timeout_gives_503(monkeypatch, tmp_path):
    monkeypatch.setitem(storage.SQLITE_PRAGMAS, "busy_timeout", 200)  # not 10 s in a test
    path = tmp_path / "locked.db"
    harness = build_harness(test_config(f"sqlite:///{path}", tmp_path, ["pat_auth", ROUTES]), tmp_path)
    try:
        alice = harness.user("alice")
        secret = harness.token(alice)
        assert harness.call("GET", WHOAMI, token=secret).status_code == 200
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")  # another process holding the file, as a backup tool might
            refused = harness.call(
                "POST", "/api/v1/personal-access-tokens", as_user=alice, json={"tokenNote": "x"}
            )
        finally:
            other.close()
        assert refused.status_code == 503, refused.text
        assert refused.json == {"error": "Service Unavailable", "message": DATABASE_UNAVAILABLE}
        assert harness.call("GET", WHOAMI, token=secret).status_code == 200
    finally:
        harness.host.shutdown()


def test_a_worker_killed_while_webhook_posts_arrive_loses_no_accepted_post(postgres_cluster, tmp_path):
    postgres_cluster.execute("DROP DATABASE IF EXISTS scale_kill")
    postgres_cluster.execute("CREATE DATABASE scale_kill")
    config = test_config(postgres_cluster.url("scale_kill"), tmp_path, ["webhooks"])
    harness = build_harness(config, tmp_path)
    try:
        admin = harness.user("root", roles=("admin",))
        endpoint = create(harness, admin, requestRetention=500)
        (served,) = start_hosts(harness, ["a"], workers=2)
        try:
            accepted: set[int] = set()

            def post(n: int) -> int:
                try:
                    answer = requests.post(f"{served.url}/webhooks/git-pushes", json={"n": n}, timeout=15)
                except requests.ConnectionError:
                    return 0  # the killed worker's connection: no answer, so nothing promised
                if answer.status_code == 200:
                    accepted.add(n)
                return answer.status_code

            workers = _workers(served)
            with ThreadPoolExecutor(max_workers=8) as pool:
                burst = [pool.submit(post, n) for n in range(80)]
                while len(accepted) < 10:
                    time.sleep(0.01)
                os.kill(int(workers[0]), signal.SIGKILL)  # a worker this test's server started
                statuses = [f.result() for f in burst]
            assert set(statuses) <= {0, 200} and statuses.count(200) >= 10
            assert post(1000) == 200  # gunicorn replaced the worker
            kept = {json.loads(r["body"])["n"] for r in stored(harness, admin, endpoint["id"])}
        finally:
            stop_hosts([served])
        assert accepted <= kept, "a webhook post that got a 200 was not stored"
    finally:
        harness.host.shutdown()


def _workers(served: ServedHost) -> list[str]:
    """The pids of the server's two gunicorn workers, once both have booted."""
    children = Path(f"/proc/{served.proc.pid}/task/{served.proc.pid}/children")
    deadline = time.monotonic() + 20
    while len(found := children.read_text().split()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(found) == 2, found
    return found
