"""Refused webhook requests (anyone who knows the URL can send them) must not fill the disk: they
are kept without their body, with bounded headers, at most MAX_REFUSED per endpoint, and the
retention itself is capped. Under gunicorn with two workers, since the bound must hold across them."""

from __future__ import annotations

import concurrent.futures
import json

import requests

from tests.webhooks.test_webhooks_triggers import ENDPOINTS, Client

PLUGINS = ["pat_auth", "webhooks"]
MAX_REFUSED = 50
MIB = 1024 * 1024


def test_unauthenticated_posts_cannot_grow_the_database_beyond_a_small_bound(make_host, serve):
    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    git = harness.user("git-server")
    base = serve(harness, workers=2)
    client = Client(base, admin.username, admin.password)
    too_many = client.call(
        "POST",
        ENDPOINTS,
        expect=400,
        json={"title": "T", "path": "t", "secretToken": harness.token(git, "t"), "requestRetention": 100000},
    )
    assert too_many["message"] == "Request Retention must be a whole number from 1 to 1000."
    endpoint = client.call(
        "POST",
        ENDPOINTS,
        expect=201,
        json={
            "title": "Pushes",
            "path": "pushes",
            "secretToken": harness.token(git, "p"),
            "requestRetention": 1000,
        },
    )
    body = b'{"x": "' + b"a" * (MIB - 20) + b'"}'
    noisy = {f"X-Noise-{n}": "n" * 4000 for n in range(20)}

    def refused(_: int) -> int:
        return requests.post(f"{base}/webhooks/pushes", data=body, headers=noisy, timeout=60).status_code

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert set(pool.map(refused, range(MAX_REFUSED + 10))) == {401}

    kept = client.call("GET", f"{ENDPOINTS}/{endpoint['id']}/requests")
    assert len(kept) == MAX_REFUSED
    assert all(r["outcome"] == "unauthorized" and r["body"] is None for r in kept)
    assert sum(len(json.dumps(r)) for r in kept) < MAX_REFUSED * 16 * 1024


def test_the_migration_caps_retention_and_drops_bodies_of_refusals_kept_before(make_host):
    """Data as the previous version left it: a retention of 100000 and refused bodies."""
    from host.migrations import AppliedMigration
    from plugins.webhooks.models import WebhookEndpoint, WebhookRequest

    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    made = harness.call(
        "POST",
        ENDPOINTS,
        as_user=admin,
        json={"title": "Open", "path": "open", "authentication": "none"},
    ).json
    assert harness.call("PUT", "/webhooks/open", json={"n": 1}).status_code == 405
    assert harness.call("POST", "/webhooks/open", json={"n": 2}).status_code == 200
    with harness.db():
        WebhookEndpoint.update(request_retention=100000).execute()
        WebhookRequest.update(body='{"n": 1}').where(WebhookRequest.outcome == "method_not_allowed").execute()
        AppliedMigration.delete().where(AppliedMigration.name == "m003_cap_request_retention").execute()
    assert harness.host.migrate() == ["webhooks:m003_cap_request_retention"]
    assert harness.call("GET", f"{ENDPOINTS}/{made['id']}", as_user=admin).json["requestRetention"] == 1000
    kept = harness.call("GET", f"{ENDPOINTS}/{made['id']}/requests", as_user=admin).json
    assert [(r["outcome"], r["body"]) for r in kept] == [
        ("accepted", '{"n": 2}'),
        ("method_not_allowed", None),
    ]
