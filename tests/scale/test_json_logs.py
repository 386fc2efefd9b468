"""`[logging] format = "json"` (issue 18, item 5): under gunicorn every log line is one JSON object;
every response carries `X-Request-Id` (a sane incoming one kept), and the same id is in the logs
of that request, with route, status, duration, actor id and credential kind, never a secret."""

from __future__ import annotations

import json

import pytest
import requests

from host.testing import build_harness, test_config, token_headers
from plugins.pat_auth import tokens

ROUTES = "tests.sample_plugins.pat_routes"
WHOAMI = "/api/v1/pat-test/whoami"


@pytest.fixture
def harness(tmp_path):
    """On SQLite only: the database plays no part here."""
    config = test_config(
        f"sqlite:///{tmp_path / 'host.db'}", tmp_path, ["pat_auth", ROUTES], log_format="json"
    )
    built = build_harness(config, tmp_path)
    yield built
    built.host.shutdown()


def test_json_logs_name_the_request_id_the_response_carries(harness, serve):
    alice = harness.user("alice-json-logs")
    secret = harness.token(alice)
    base = serve(harness, workers=1)
    good = requests.get(
        f"{base}{WHOAMI}", headers={**token_headers(secret), "X-Request-Id": "trace-42"}, timeout=10
    )
    assert good.status_code == 200 and good.headers["X-Request-Id"] == "trace-42"
    forged = tokens.new_token()
    bad = requests.get(
        f"{base}{WHOAMI}", headers={**token_headers(forged), "X-Request-Id": "no spaces <b>"}, timeout=10
    )
    assert bad.status_code == 401
    minted = bad.headers["X-Request-Id"]
    assert minted != "no spaces <b>" and len(minted) == 16
    stolen = requests.get(f"{base}/api/v1/health", headers={"X-Request-Id": secret}, timeout=10)
    assert stolen.headers["X-Request-Id"] != secret  # shaped like a token: never echoed or logged

    (log,) = harness.tmp_path.glob("gunicorn-*.log")
    text = log.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    (done,) = [r for r in records if r.get("request_id") == "trace-42" and r["message"] == "request"]
    assert done["route"] == WHOAMI and done["status"] == 200 and done["method"] == "GET"
    assert done["credential"] == "token" and done["actor_id"] == alice.id and done["duration_ms"] >= 0
    refused = [r for r in records if r.get("request_id") == minted]
    assert {r["message"] for r in refused} >= {"request"}
    assert any("refused" in r["message"] for r in refused), refused
    assert not [r for r in records if r["logger"] == "gunicorn.access"], "the request record replaces it"
    for value in (secret, forged):
        assert value not in text
