"""Receiving on webhook endpoints: each authentication method, retention under concurrent gunicorn
workers, events, and secrets kept out of every copy."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from playhouse.db_url import connect as connect_url

from host import hookimpl
from host.testing import basic_auth, token_headers
from tests.webhooks.support import API, PAT_ROUTE, create, everything_stored, stored

# -- receiving -----------------------------------------------------------------------------------


def test_no_authentication_endpoint_accepts_and_retains(harness, admin):
    endpoint = create(harness, admin)
    result = harness.call(
        "POST", "/webhooks/git-pushes", json={"ref": "refs/heads/main"}, params={"source": "git"}
    )
    assert result.status_code == 200
    assert result.text == ""
    (request,) = stored(harness, admin, endpoint["id"])
    assert request["outcome"] == "accepted"
    assert request["status"] == 200
    assert request["method"] == "POST"
    assert request["clientIp"] == "127.0.0.1"
    assert json.loads(request["body"]) == {"ref": "refs/heads/main"}
    assert request["query"] == {"source": "git"}
    assert request["headers"]["content-type"] == "application/json"
    assert request["receivedAt"].endswith("Z")


def test_unknown_disabled_wrong_method_bad_json_and_too_large(make_host):
    harness = make_host(plugins=["webhooks"], settings={"webhooks": {"max_body_bytes": 64}})
    admin = harness.user("root", roles=("admin",))
    endpoint = create(harness, admin)
    assert harness.call("POST", "/webhooks/nothing-here", json={}).status_code == 404

    wrong = harness.call("GET", "/webhooks/git-pushes")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert harness.call("PUT", "/webhooks/git-pushes", json={}).status_code == 405

    bad = harness.call("POST", "/webhooks/git-pushes", body="not json")
    assert bad.status_code == 400
    assert bad.json == {"error": "Bad Request", "message": "The request body is not valid JSON."}
    assert harness.call("POST", "/webhooks/git-pushes", body="").status_code == 400

    large = harness.call("POST", "/webhooks/git-pushes", json={"x": "y" * 100})
    assert large.status_code == 413

    outcomes = [(r["method"], r["outcome"], r["status"]) for r in stored(harness, admin, endpoint["id"])]
    assert outcomes == [
        ("POST", "too_large", 413),
        ("POST", "bad_request", 400),
        ("POST", "bad_request", 400),
        ("PUT", "method_not_allowed", 405),
        ("GET", "method_not_allowed", 405),
    ]
    assert stored(harness, admin, endpoint["id"])[0]["body"] is None

    harness.call("PUT", f"{API}/{endpoint['id']}", as_user=admin, json={"enabled": False})
    assert harness.call("POST", "/webhooks/git-pushes", json={}).status_code == 404


def test_get_endpoint_takes_no_body_and_refuses_post(harness, admin):
    endpoint = create(harness, admin, method="GET", path="poll")
    assert harness.call("GET", "/webhooks/poll", params={"build": "42"}).status_code == 200
    assert harness.call("POST", "/webhooks/poll", json={}).status_code == 405
    latest = stored(harness, admin, endpoint["id"])[-1]
    assert (latest["method"], latest["query"], latest["body"]) == ("GET", {"build": "42"}, None)


def test_basic_authentication(harness, admin):
    endpoint = create(harness, admin, authentication="basic", username="ci", password="basic-pw-8u2k")
    assert (
        harness.call(
            "POST", "/webhooks/git-pushes", json={}, headers=basic_auth("ci", "basic-pw-8u2k")
        ).status_code
        == 200
    )
    for headers in (
        {},
        basic_auth("ci", "wrong-password"),
        basic_auth("other", "basic-pw-8u2k"),
        {"Authorization": "Basic !!"},
    ):
        refused = harness.call("POST", "/webhooks/git-pushes", json={}, headers=headers)
        assert refused.status_code == 401
        assert refused.json == {
            "error": "Unauthorized",
            "message": f"Unauthorized request for '{endpoint['id']} (Git pushes)' "
            "(authentication method: basic)",
        }
    kept = stored(harness, admin, endpoint["id"])
    assert [r["outcome"] for r in kept] == ["unauthorized"] * 4 + ["accepted"]
    assert [r["reason"] for r in kept] == [
        "Malformed Authorization header: not base64-encoded UTF-8.",
        "Wrong username or password.",
        "Wrong username or password.",
        "No Basic credentials were presented.",
        "",
    ]
    assert "basic-pw-8u2k" not in everything_stored(harness)


def test_github_signature(harness, admin):
    secret = "gh-webhook-secret-7f3a"
    endpoint = create(harness, admin, authentication="hmac-sha256", secretToken=secret)
    assert endpoint["secretTokenSet"] is True
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    good = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": good}
    assert harness.call("POST", "/webhooks/git-pushes", body=body, headers=headers).status_code == 200
    tampered = harness.call("POST", "/webhooks/git-pushes", body=body + b" ", headers=headers)
    assert tampered.status_code == 401
    assert tampered.json["message"].endswith("(authentication method: hmac-sha256)")
    assert harness.call("POST", "/webhooks/git-pushes", body=body).status_code == 401
    requests_ = stored(harness, admin, endpoint["id"])
    assert all(r["headers"].get("x-hub-signature-256") in (None, "********") for r in requests_)
    dump = everything_stored(harness)
    assert secret not in dump and good not in dump


def test_switching_method_needs_the_new_secret_and_drops_the_old(harness, admin):
    endpoint = create(harness, admin, authentication="hmac-sha256", secretToken="first-secret-1234")
    switch = harness.call("PUT", f"{API}/{endpoint['id']}", as_user=admin, json={"authentication": "token"})
    assert switch.status_code == 409  # the same change is right once a token is set
    none = harness.call("PUT", f"{API}/{endpoint['id']}", as_user=admin, json={"authentication": "none"})
    assert none.json["secretTokenSet"] is False
    with harness.db():
        from plugins.webhooks.models import WebhookEndpoint

        row = WebhookEndpoint.get_by_id(endpoint["id"])
        assert (row.hmac_secret, row.token_digest, row.password_digest) == (None, None, None)


def test_accepted_requests_are_emitted_and_trigger_results_kept(make_host):
    received = []

    class Triggers:
        """Stands in for releases_api: answers the event the way its triggers do."""

        @hookimpl
        def handle_event(self, host, event):
            if event.name != "webhook.received":
                return None
            received.append(event)
            return [
                {
                    "triggerId": "Trigger1",
                    "triggerTitle": "On push",
                    "releaseId": None,
                    "status": "skipped",
                    "reason": "filter did not match",
                }
            ]

    harness = make_host(plugins=["webhooks"])
    harness.host.pm.register(Triggers(), name="test-triggers")
    admin = harness.user("root", roles=("admin",))
    endpoint = create(harness, admin, authentication="basic", username="ci", password="basic-pw-8u2k")
    headers = {**basic_auth("ci", "basic-pw-8u2k"), "X-Event": "push"}
    harness.call("POST", "/webhooks/git-pushes", json={"ref": "main"}, headers=headers, params={"a": "1"})
    harness.call("POST", "/webhooks/git-pushes", json={"ref": "main"})

    (event,) = received
    assert event.source == "webhooks"
    (request,) = [r for r in stored(harness, admin, endpoint["id"]) if r["outcome"] == "accepted"]
    assert event.payload == {
        "endpointId": endpoint["id"],
        "endpointPath": "git-pushes",
        "endpointTitle": "Git pushes",
        "requestId": request["id"],
        "method": "POST",
        "body": {"ref": "main"},
        "query": {"a": "1"},
        "headers": request["headers"],
    }
    assert event.payload["headers"]["authorization"] == "********"
    assert event.payload["headers"]["x-event"] == "push"
    assert request["triggers"] == [
        {
            "triggerId": "Trigger1",
            "triggerTitle": "On push",
            "releaseId": None,
            "status": "skipped",
            "reason": "filter did not match",
        }
    ]


def test_presented_credentials_are_scrubbed_from_body_and_query(harness, admin):
    endpoint = create(harness, admin, authentication="basic", username="ci", password="basic-pw-8u2k")
    harness.call(
        "POST",
        "/webhooks/git-pushes",
        json={"echo": "basic-pw-8u2k"},
        params={"q": "basic-pw-8u2k", "api_key": "k-123456"},
        headers={
            **basic_auth("ci", "basic-pw-8u2k"),
            "Cookie": "session=abcdef",
            "X-Gitlab-Token": "gl-tok-9",
        },
    )
    (request,) = stored(harness, admin, endpoint["id"])
    assert json.loads(request["body"]) == {"echo": "********"}
    assert request["query"] == {"q": "********", "api_key": "********"}
    for name in ("authorization", "cookie", "x-gitlab-token"):
        assert request["headers"][name] == "********"
    dump = everything_stored(harness)
    for secret in ("basic-pw-8u2k", "session=abcdef", "gl-tok-9", "k-123456"):
        assert secret not in dump


# -- Token Authentication (with pat_auth) -------------------------------------------------------


def test_token_authentication_accepts_only_the_endpoints_live_pat(make_host):
    harness = make_host(plugins=["pat_auth", "webhooks"])
    admin = harness.user("root", roles=("admin",))
    ci = harness.user("ci")
    pat = harness.token(ci, "webhook caller")
    other = harness.token(ci, "another token")
    endpoint = create(harness, admin, authentication="token", secretToken=pat)
    assert endpoint["secretTokenSet"] is True
    url = "/webhooks/git-pushes"
    unauthorized = {
        "error": "Unauthorized",
        "message": f"Unauthorized request for '{endpoint['id']} (Git pushes)' (authentication method: token)",
    }

    for style in ("header", "basic"):
        accepted = harness.call("POST", url, json={"n": 1}, token=pat, token_style=style)
        assert (accepted.status_code, accepted.text) == (200, "")
    for headers in (
        token_headers(other),
        token_headers(other, "basic"),
        {},
        basic_auth("ci", ci.password),
        basic_auth("ci", pat),
        {**token_headers(pat), **token_headers(other, "basic")},
        token_headers("rpa_" + "x" * 40),
    ):
        refused = harness.call("POST", url, json={"n": 2}, headers=headers)
        assert refused.status_code == 401, headers
        assert refused.json == unauthorized

    listed = harness.call("GET", PAT_ROUTE, as_user=ci).json
    pat_id = next(t["id"] for t in listed if t["tokenNote"] == "webhook caller")
    assert harness.call("DELETE", f"{PAT_ROUTE}/{pat_id}", as_user=ci).status_code in (200, 204)
    gone = harness.call("POST", url, json={"n": 3}, token=pat)
    assert gone.status_code == 401
    assert gone.json == unauthorized

    reasons = [r["reason"] for r in stored(harness, admin, endpoint["id"])]
    assert reasons == [
        "The Secret Token is no longer a valid personal access token: Invalid personal access token.",
        "The personal access token is not this endpoint's Secret Token.",
        "This request carries two different credentials (the x-release-personal-token header and an "
        "Authorization header); send only one.",
        "Credentials other than a personal access token were presented.",
        "Credentials other than a personal access token were presented.",
        "No personal access token was presented.",
        "The personal access token is not this endpoint's Secret Token.",
        "The personal access token is not this endpoint's Secret Token.",
        "",
        "",
    ]

    dump = everything_stored(harness)
    assert pat not in dump and other not in dump
    api = json.dumps(stored(harness, admin, endpoint["id"])) + json.dumps(
        harness.call("GET", API, as_user=admin).json
    )
    assert pat not in api and other not in api


def test_token_endpoint_refuses_a_disabled_owners_pat(make_host):
    harness = make_host(plugins=["pat_auth", "webhooks"])
    admin = harness.user("root", roles=("admin",))
    ci = harness.user("ci")
    pat = harness.token(ci)
    create(harness, admin, authentication="token", secretToken=pat)
    assert harness.call("POST", "/webhooks/git-pushes", json={}, token=pat).status_code == 200
    harness.set_enabled(ci, False)
    assert harness.call("POST", "/webhooks/git-pushes", json={}, token=pat).status_code == 401


# -- retention under concurrency, real gunicorn ----------------------------------------------------


def test_retention_keeps_exactly_the_newest_under_concurrent_workers(make_host, serve):
    harness = make_host(plugins=["webhooks"])
    admin = harness.user("root", roles=("admin",))
    password = "basic-pw-8u2k"
    endpoint = create(
        harness, admin, authentication="basic", username="ci", password=password, requestRetention=5
    )
    base = serve(harness, workers=2)
    url = f"{base}/webhooks/git-pushes"

    def post(n: int) -> int:
        auth = ("ci", password) if n % 10 else ("ci", "wrong-password")
        return requests.post(url, json={"n": n}, auth=auth, timeout=30).status_code

    assert post(1001) == 200
    first_id = stored(harness, admin, endpoint["id"])[0]["id"]
    done = threading.Event()

    def most_ever_stored() -> int:
        """The retention must hold at every instant, not only once the burst is over."""
        db = connect_url(harness.config.database_url)
        most = 0
        try:
            while not done.is_set():
                most = max(most, db.execute_sql("SELECT COUNT(*) FROM webhooks_requests").fetchone()[0])
        finally:
            db.close()
        return most

    with ThreadPoolExecutor(max_workers=13) as pool:
        watcher = pool.submit(most_ever_stored)
        statuses = list(pool.map(post, range(50)))
        done.set()
    assert statuses.count(200) == 45 and statuses.count(401) == 5
    assert watcher.result() == 5

    kept = stored(harness, admin, endpoint["id"])
    ids = [r["id"] for r in kept]
    # ids grow in the order the per-endpoint lock was taken: the newest five are the last five stored
    assert ids == list(range(first_id + 50, first_id + 45, -1))
    assert all((r["body"] is None) == (r["outcome"] == "unauthorized") for r in kept)
    accepted = [json.loads(r["body"])["n"] for r in kept if r["body"]]
    assert len(set(accepted)) == len(accepted)
    with harness.db():
        from plugins.webhooks.models import WebhookRequest

        assert WebhookRequest.select().count() == 5

    logs = "".join(p.read_text(errors="replace") for p in Path(harness.tmp_path).glob("gunicorn-*.log"))
    assert "/webhooks/git-pushes" in logs
    assert password not in logs and password not in everything_stored(harness)
