"""Under real gunicorn: the seed's two curl forms, and a revocation seen by every worker at once."""

import shutil
import subprocess

import pytest
import requests

from host.testing import require

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"
WHOAMI = "/api/v1/pat-test/whoami"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", ROUTES])


def curl(*args: str) -> tuple[int, str]:
    """Run curl as the seed writes it (`-i -X GET`); the status code and the body."""
    out = subprocess.run(["curl", "-s", *args], capture_output=True, text=True, timeout=30).stdout
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    return int(head.split()[1]), body


def test_the_seeds_two_curl_forms_work_with_api_and_cli_tokens(harness, serve):
    require(shutil.which("curl") is not None, "curl is not installed")
    alice = harness.user("alice", ["reports#view"])
    base = serve(harness, workers=2)
    made = requests.post(
        f"{base}{TOKENS}",
        json={"tokenNote": "api", "expiration": "30d"},
        auth=(alice.username, alice.password),
        timeout=10,
    )
    assert made.status_code == 201, made.text
    from_cli = harness.cli("tokens", "create", "--user", "alice", "--name", "cli", "--expires", "30d")
    assert from_cli.returncode == 0, from_cli.stderr
    url = f"{base}/api/v1/profile"
    for pat in (made.json()["token"], from_cli.stdout.strip()):
        for form in (["-u", f":{pat}"], ["--header", f"x-release-personal-token: {pat}"]):
            status, body = curl(*form, url, "-i", "-X", "GET")
            assert status == 200, body
            assert '"authenticatedBy": "token"' in body or '"authenticatedBy":"token"' in body
        status, _ = curl("-u", f":{pat}", f"{base}/api/v1/pat-test/reports", "-i", "-X", "GET")
        assert status == 200
        for how in ({"auth": ("", pat)}, {"headers": {"x-release-personal-token": pat}}):
            assert requests.get(url, timeout=10, **how).json()["authenticatedBy"] == "token"
    status, body = curl("-u", ":rpa_not_a_token", url, "-i", "-X", "GET")
    assert status == 401 and "Invalid personal access token." in body
    secrets = [made.json()["token"], from_cli.stdout.strip()]
    for log in harness.tmp_path.glob("gunicorn-*.log"):
        text = log.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text and secret[4:-6] not in text


def test_revocation_is_seen_by_every_worker_on_the_next_request(harness, serve):
    events = harness.tmp_path / "events.log"
    alice = harness.user("alice")
    base = serve(harness, workers=2, env={"PAT_TEST_EVENT_LOG": str(events)})
    auth = (alice.username, alice.password)
    made = requests.post(f"{base}{TOKENS}", json={"tokenNote": "ci"}, auth=auth, timeout=10).json()
    headers = {"x-release-personal-token": made["token"]}
    workers = set()
    for _ in range(200):
        answer = requests.get(f"{base}{WHOAMI}", headers=headers, timeout=10)
        assert answer.status_code == 200
        workers.add(answer.json()["pid"])
        if len(workers) == 2:
            break
    assert len(workers) == 2, "only one gunicorn worker answered"
    deleted = requests.delete(f"{base}{TOKENS}/{made['id']}", auth=auth, timeout=10)
    assert deleted.status_code == 204
    for attempt in range(200):
        refused = requests.get(f"{base}{WHOAMI}", headers=headers, timeout=10)
        assert refused.status_code == 401, f"request {attempt} after the deletion was served"
        assert refused.json()["message"] == "Invalid personal access token."
        refusing = {line.split()[0] for line in events.read_text().splitlines() if line.endswith(" deleted")}
        if attempt >= 20 and {str(pid) for pid in workers} <= refusing:
            break
    assert {str(pid) for pid in workers} <= refusing, "not every worker refused the deleted token"
