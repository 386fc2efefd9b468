"""`GET /metrics` (issue 18, item 4): Prometheus text from every gunicorn worker, for holders of
`metrics#view` only; the counters move with good and bad token requests, and no label carries a
secret, a token hint, a username or a path a client made up."""

from __future__ import annotations

import re

import requests
from prometheus_client.parser import text_string_to_metric_families

from host.testing import token_headers
from plugins.pat_auth import tokens

ROUTES = "tests.sample_plugins.pat_routes"
WHOAMI = "/api/v1/pat-test/whoami"


def scrape(base: str, secret: str) -> dict[tuple[str, tuple], float]:
    answer = requests.get(f"{base}/metrics", headers=token_headers(secret), timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_good_and_bad_token_requests_across_workers(make_host, serve):
    harness = make_host(plugins=["pat_auth", ROUTES])
    admin = harness.user("root", roles=("admin",))
    alice = harness.user("alice-metrics-user")
    scraper = harness.token(admin, "prometheus")
    good = harness.token(alice)
    base = serve(harness, workers=2)
    before = scrape(base, scraper)
    for _ in range(6):
        assert requests.get(f"{base}{WHOAMI}", headers=token_headers(good), timeout=10).status_code == 200
    forged = [tokens.new_token() for _ in range(3)]
    for secret in forged:
        assert requests.get(f"{base}{WHOAMI}", headers=token_headers(secret), timeout=10).status_code == 401
    assert requests.get(f"{base}{WHOAMI}", headers=token_headers("rpa_short"), timeout=10).status_code == 401
    assert requests.get(f"{base}/no/such/secret-path-xyz", timeout=10).status_code == 404
    after = scrape(base, scraper)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = {"route": WHOAMI, "method": "GET"}
    assert moved("release_host_http_requests_total", **route, status="200") == 6
    assert moved("release_host_http_requests_total", **route, status="401") == 4
    assert moved("release_host_authentications_total", kind="token", outcome="ok") >= 6
    assert moved("release_host_authentications_total", kind="token", outcome="unknown") == 3
    assert moved("release_host_authentications_total", kind="token", outcome="malformed") == 1
    assert moved("release_host_token_uses_total") >= 6
    assert moved("release_host_http_requests_total", route="(unmatched)", method="GET", status="404") == 1
    assert ("release_host_work_queue_jobs", (("status", "queued"),)) in after

    text = requests.get(f"{base}/metrics", headers=token_headers(scraper), timeout=10).text
    for secret in [good, scraper, *forged]:
        assert secret not in text and tokens.hint(secret) not in text
    assert "alice-metrics-user" not in text and "secret-path-xyz" not in text
    assert not re.search(r"127\.0\.0\.1", text)


def test_metrics_need_the_permission(make_host):
    harness = make_host(plugins=["pat_auth"])
    alice = harness.user("alice")
    assert harness.call("GET", "/metrics").status_code == 401
    assert harness.call("GET", "/metrics", token=harness.token(alice)).status_code == 403
    watcher = harness.user("prometheus", ["metrics#view"])
    assert harness.call("GET", "/metrics", token=harness.token(watcher)).status_code == 200
