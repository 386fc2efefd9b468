"""A signed webhook delivery is accepted once: replaying it (same delivery id, or the same signed
body under a new id) within the window is a 409 and fires no trigger. Under gunicorn with two
workers and concurrent copies, since the check must hold across processes."""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import json

import requests

from tests.webhooks.test_webhooks_triggers import ENDPOINTS, Client

PLUGINS = ["pat_auth", "releases_api", "webhooks"]
SECRET = "gh-webhook-secret-7f3a"


def signed(body: bytes, delivery: str) -> dict[str, str]:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature,
        "X-GitHub-Delivery": delivery,
    }


def test_a_replayed_signed_delivery_is_refused_and_fires_no_trigger(make_host, serve):
    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    base = serve(harness, workers=2)
    client = Client(base, admin.username, admin.password)
    endpoint = client.call(
        "POST",
        ENDPOINTS,
        expect=201,
        json={"title": "GitHub", "path": "gh", "authentication": "hmac-sha256", "secretToken": SECRET},
    )
    template = client.call(
        "POST",
        "/api/v1/templates",
        json={"title": "T", "phases": [{"title": "P", "tasks": [{"title": "M"}]}]},
    )
    client.call(
        "POST",
        "/api/v1/triggers",
        expect=201,
        json={"title": "T", "endpointPath": "gh", "templateId": template["id"], "releaseTitle": "R"},
    )
    hook = f"{base}/webhooks/gh"
    body = json.dumps({"ref": "refs/heads/main", "after": "abc"}).encode()

    def send(headers: dict[str, str]) -> int:
        return requests.post(hook, data=body, headers=headers, timeout=30).status_code

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(send, [signed(body, "d-1")] * 6))
    assert codes == [200, 409, 409, 409, 409, 409]
    renamed = requests.post(hook, data=body, headers=signed(body, "d-2"), timeout=30)
    assert renamed.status_code == 409
    assert renamed.json()["message"] == (
        "This signed delivery was already accepted (same delivery id or signature)."
    )
    other = json.dumps({"ref": "refs/heads/main", "after": "def"}).encode()
    assert requests.post(hook, data=other, headers=signed(other, "d-3"), timeout=30).status_code == 200
    same_id = requests.post(hook, data=b"{}", headers=signed(b"{}", "d-3"), timeout=30)
    assert same_id.status_code == 409

    assert len(client.call("GET", "/api/v1/releases")) == 2
    outcomes = [r["outcome"] for r in client.call("GET", f"{ENDPOINTS}/{endpoint['id']}/requests")]
    assert sorted(outcomes) == ["accepted", "accepted", *["duplicate"] * 7]


def test_the_deliveries_table_is_added_to_a_database_of_the_previous_schema(make_host):
    from host.migrations import AppliedMigration
    from plugins.webhooks.models import WebhookDelivery

    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    made = harness.call(
        "POST",
        ENDPOINTS,
        as_user=admin,
        json={"title": "GitHub", "path": "gh", "authentication": "hmac-sha256", "secretToken": SECRET},
    ).json
    with harness.db():
        harness.host.database.drop_tables([WebhookDelivery])
        AppliedMigration.delete().where(AppliedMigration.name == "m004_signed_deliveries").execute()
    assert harness.host.migrate() == ["webhooks:m004_signed_deliveries"]
    assert harness.call("GET", f"{ENDPOINTS}/{made['id']}", as_user=admin).json["path"] == "gh"
    assert harness.call("POST", "/webhooks/gh", body=b"{}", headers=signed(b"{}", "x")).status_code == 200
    assert harness.call("POST", "/webhooks/gh", body=b"{}", headers=signed(b"{}", "x")).status_code == 409
