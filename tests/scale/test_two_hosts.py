"""Two independent hosts (`release-host serve` each, own `var/` and port, same configuration and
secret key) on one PostgreSQL database (issue 18, item 1): what one host changes, the other sees
on its next request; limits count across both; both migrate the empty database at once."""

from __future__ import annotations

import http.client
import itertools
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from host.config import SecuritySettings
from host.testing import build_harness, start_hosts, stop_hosts, test_config, token_headers
from plugins.pat_auth import tokens
from plugins.releases_api.models import Job
from tests.releases.support import LOCAL, make_template, release_from, webhook
from tests.releases.support import get as get_release
from tests.webhooks.support import create, stored

ROUTES = "tests.sample_plugins.pat_routes"
WHOAMI = "/api/v1/pat-test/whoami"
TOKENS = "/api/v1/personal-access-tokens"
LIMITS = SecuritySettings(failures_per_account=3, failures_per_address=6, failure_window_minutes=15)
_sources = itertools.count(10)


@pytest.fixture(scope="module")
def deployment(postgres_cluster, tmp_path_factory):
    """An empty database and two hosts started on it at the same moment (both run `migrate`)."""
    postgres_cluster.execute("DROP DATABASE IF EXISTS scale_two_hosts")
    postgres_cluster.execute("CREATE DATABASE scale_two_hosts")
    tmp_path = tmp_path_factory.mktemp("two-hosts")
    config = test_config(
        postgres_cluster.url("scale_two_hosts"),
        tmp_path,
        ["pat_auth", ROUTES, "webhooks", "releases_api"],
        {"releases_api": {"poll_seconds": 0.2, **LOCAL}},
        security=LIMITS,
    )
    harness = build_harness(config, tmp_path, migrate=False)
    hosts = start_hosts(harness, ["a", "b"], env={"RELEASE_HOST_ADMIN_PASSWORD": "admin-pw-" + "x" * 8})
    yield harness, hosts
    stop_hosts(hosts)
    harness.host.shutdown()


def source() -> str:
    """A loopback address of its own per test, so one test's failures do not block another."""
    return f"127.0.0.{next(_sources)}"


def get(base: str, path: str, headers: dict[str, str], address: str = "127.0.0.1") -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10, source_address=(address, 0))
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_both_hosts_migrated_the_empty_database_at_once_and_serve(deployment):
    harness, hosts = deployment
    for served in hosts:
        assert served.proc.poll() is None, served.log_text()
        assert requests.get(f"{served.url}/api/v1/health", timeout=10).json()["database"] == "ok"
    logs = [served.log_text() for served in hosts]
    applied = [re.findall(r"applied migration (\S+)", text) for text in logs]
    every = sorted(name for names in applied for name in names)
    assert every == sorted({name for names in applied for name in names}), "a migration ran twice"
    with harness.db():
        from host.migrations import AppliedMigration

        assert AppliedMigration.select().count() == len(harness.host.migrations())
    assert all("Traceback" not in text for text in logs), logs


def test_a_token_made_on_one_host_works_on_the_other_and_its_deletion_is_seen_at_once(deployment):
    harness, (a, b) = deployment
    alice = harness.user("alice-tokens")
    auth = (alice.username, alice.password)
    made = requests.post(f"{a.url}{TOKENS}", json={"tokenNote": "ci"}, auth=auth, timeout=10)
    assert made.status_code == 201, made.text
    headers = token_headers(made.json()["token"])
    assert requests.get(f"{b.url}{WHOAMI}", headers=headers, timeout=10).json()["username"] == alice.username
    assert requests.delete(f"{a.url}{TOKENS}/{made.json()['id']}", auth=auth, timeout=10).status_code == 204
    for served in (b, a, b):
        refused = requests.get(f"{served.url}{WHOAMI}", headers=headers, timeout=10)
        assert refused.status_code == 401
        assert refused.json()["message"] == "Invalid personal access token."


def test_an_owner_disabled_by_the_operator_is_refused_by_both_hosts_at_once(deployment):
    harness, (a, b) = deployment
    bob = harness.user("bob-disabled")
    secret = harness.token(bob)
    for served in (a, b):
        assert (
            requests.get(f"{served.url}{WHOAMI}", headers=token_headers(secret), timeout=10).status_code
            == 200
        )
    disabled = harness.cli("--conf", str(a.conf), "users", "disable", bob.username)
    assert disabled.returncode == 0, disabled.stderr
    for served in (b, a):
        assert (
            requests.get(f"{served.url}{WHOAMI}", headers=token_headers(secret), timeout=10).status_code
            == 401
        )


def test_token_guessing_is_limited_across_both_hosts(deployment):
    harness, (a, b) = deployment
    carol = harness.user("carol-guessing")
    secret = harness.token(carol)
    address = source()
    statuses = [
        get(served.url, WHOAMI, token_headers(tokens.new_token()), address)[0]
        for served in [a, b] * LIMITS.failures_per_address
    ]
    assert statuses == [401] * LIMITS.failures_per_address + [429] * LIMITS.failures_per_address
    assert get(b.url, WHOAMI, token_headers(secret), address)[0] == 429
    assert get(a.url, WHOAMI, token_headers(secret), source())[0] == 200


def test_wrong_passwords_for_one_account_are_counted_across_both_hosts(deployment):
    harness, (a, b) = deployment
    dave = harness.user("dave-passwords")
    address = source()
    wrong = {"Authorization": requests.auth._basic_auth_str(dave.username, "wrong")}
    right = {"Authorization": requests.auth._basic_auth_str(dave.username, dave.password)}
    statuses = [get(served.url, "/api/v1/profile", wrong, address)[0] for served in (a, b, a)]
    assert statuses == [401] * LIMITS.failures_per_account
    status, body = get(b.url, "/api/v1/profile", right, address)
    assert status == 429, body
    assert get(a.url, "/api/v1/profile", right, source())[0] == 200


def test_a_session_made_on_one_host_is_valid_on_the_other(deployment):
    harness, (a, b) = deployment
    erin = harness.user("erin-session", ["login"])
    browser = requests.Session()
    form = browser.get(f"{a.url}/login", timeout=10)
    csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    signed_in = browser.post(
        f"{a.url}/login",
        data={"username": erin.username, "password": erin.password, "login_csrf": csrf},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 303, signed_in.text
    profile = browser.get(f"{b.url}/api/v1/profile", timeout=10)  # the cookie jar ignores ports
    assert profile.status_code == 200, profile.text
    assert profile.json()["username"] == erin.username


def test_sixty_concurrent_webhook_posts_across_both_hosts_keep_the_retention_exact(deployment):
    harness, hosts = deployment
    admin = harness.user("root-webhooks", roles=("admin",))
    endpoint = create(harness, admin, path="two-hosts", requestRetention=7)
    before = {r["id"] for r in stored(harness, admin, endpoint["id"])}

    def post(n: int) -> int:
        url = f"{hosts[n % 2].url}/webhooks/two-hosts"
        return requests.post(url, json={"n": n}, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(post, range(60)))
    assert statuses == [200] * 60
    kept = stored(harness, admin, endpoint["id"])
    assert len(kept) == 7 and not before & {r["id"] for r in kept}
    with harness.db():
        count = harness.host.database.execute_sql(
            "SELECT COUNT(*) FROM webhooks_requests WHERE endpoint_id = %s", (endpoint["id"],)
        ).fetchone()[0]
    assert count == 7


def test_queued_tasks_are_claimed_by_the_workers_of_both_hosts_and_none_runs_twice(deployment, recorder):
    """Four slow tasks and four worker processes (two per host, one task at a time each): all
    four must be running at once, so every worker of both hosts claimed one."""
    harness, hosts = deployment
    admin = harness.user("root-releases", roles=("admin",))
    template = make_template(harness, admin, [webhook(recorder.url + "/slow/${release.id}")])
    releases = [release_from(harness, admin, template, f"R{i}", start=True)["id"] for i in range(4)]
    deadline = time.monotonic() + 60
    while len(recorder.paths()) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    recorder.release.set()
    while time.monotonic() < deadline:
        if {get_release(harness, admin, r)["status"] for r in releases} == {"COMPLETED"}:
            break
        time.sleep(0.2)
    assert sorted(recorder.paths()) == sorted(f"/slow/{r}" for r in releases)
    with harness.db():
        jobs = list(Job.select().where(Job.release_id.in_(releases)))
    assert sorted((j.status, j.attempts) for j in jobs) == [("done", 1)] * 4
    pids = {j.worker.split(":")[1] for j in jobs}
    for served in hosts:
        children = Path(f"/proc/{served.proc.pid}/task/{served.proc.pid}/children").read_text().split()
        assert set(children) <= pids, f"a worker of {served.url} claimed nothing"
