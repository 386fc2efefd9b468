"""Under real gunicorn with two workers: a token reported through `revoke-leaked` is refused by
every worker on the next request; a first use from a new address makes exactly one audit row and
one `pat.new_address` event however many requests race from it; a first permission use is
written once, not once per worker."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from host.config import SecuritySettings
from plugins.pat_auth.models import PatAuditRecord, PatTokenAddress, PersonalAccessToken

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"
WHOAMI = "/api/v1/pat-test/whoami"
REPORTS = "/api/v1/pat-test/reports"
NEW = ["203.0.113.50", "203.0.113.51", "2001:db8:1:2::7"]


@pytest.fixture
def harness(make_host):
    # the test client is the proxy: X-Forwarded-For says which address the request came from
    return make_host(plugins=["pat_auth", ROUTES], security=SecuritySettings(trusted_proxies=["127.0.0.1"]))


def both_workers(base: str, headers: dict[str, str]) -> set[int]:
    workers: set[int] = set()
    for _ in range(200):
        answer = requests.get(f"{base}{WHOAMI}", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        workers.add(answer.json()["pid"])
        if len(workers) == 2:
            break
    assert len(workers) == 2, "only one gunicorn worker answered"
    return workers


@pytest.mark.parametrize(
    "database_url", ["sqlite"], indirect=True
)  # its SQL runs on both databases in-process
def test_a_reported_token_is_refused_by_every_worker_on_the_next_request(harness, serve):
    alice = harness.user("alice")
    base = serve(harness, workers=2)
    auth = (alice.username, alice.password)
    made = requests.post(f"{base}{TOKENS}", json={"tokenNote": "ci"}, auth=auth, timeout=30).json()
    headers = {"x-release-personal-token": made["token"]}
    both_workers(base, headers)
    answer = requests.post(
        f"{base}{TOKENS}/revoke-leaked", json={"tokens": [made["token"]], "source": "paste"}, timeout=30
    )
    assert (answer.status_code, answer.json()) == (202, {"received": 1})
    for attempt in range(100):
        refused = requests.get(f"{base}{WHOAMI}", headers=headers, timeout=30)
        assert refused.status_code == 401, f"request {attempt} after the report was served"


def test_a_first_use_from_a_new_address_is_one_audit_row_and_one_event_whatever_the_workers(harness, serve):
    events = harness.tmp_path / "events.log"
    alice = harness.user("alice", ["reports#view"])
    base = serve(harness, workers=2, env={"PAT_TEST_EVENT_LOG": str(events)})
    made = requests.post(
        f"{base}{TOKENS}", json={"tokenNote": "ci"}, auth=(alice.username, alice.password), timeout=30
    ).json()
    secret = made["token"]
    both_workers(base, {"x-release-personal-token": secret})  # from 127.0.0.1: its first address

    def call(address: str) -> int:
        headers = {"x-release-personal-token": secret, "X-Forwarded-For": address}
        return requests.get(f"{base}{REPORTS}", headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(call, [a for a in NEW for _ in range(16)]))
    assert statuses == [200] * len(statuses)

    announced = [line.split() for line in events.read_text().splitlines() if " pat.new_address " in line]
    networks = sorted(fields[2] for fields in announced)
    assert networks == sorted(["127.0.0.1", "203.0.113.50", "203.0.113.51", "2001:db8:1:2::/64"])
    messages = [line for line in events.read_text().splitlines() if " notification.requested " in line]
    assert len(messages) == 3, "the owner is told of each address after the first"
    with harness.db():
        rows = PatAuditRecord.select().where(PatAuditRecord.action == "new-address")
        assert sorted(row.detail for row in rows) == networks
        assert {row.ip for row in rows} == {"127.0.0.1", *NEW}
        assert PatTokenAddress.select().where(PatTokenAddress.token_id == made["id"]).count() == 4
        stored = json.loads(PersonalAccessToken.get_by_id(made["id"]).permission_use)
    assert stored["+reports#view"][0] == 1, "the first use was written once, by one worker"
