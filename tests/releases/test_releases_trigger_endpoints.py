"""Under gunicorn: loosening a webhook endpoint must not re-arm other users' triggers. A user with
configuration rights but no release rights switches a trigger owner's token endpoint to
`authentication: none`; an anonymous POST must then start nothing in the owner's name."""

from __future__ import annotations

import requests

from tests.webhooks.test_webhooks_triggers import ENDPOINTS, Client

PLUGINS = ["pat_auth", "releases_api", "webhooks"]
EDITOR = ["template#view", "template#edit", "release#create", "release#start", "release#view"]


def test_loosening_an_endpoint_disables_other_owners_triggers_until_they_confirm(make_host, serve):
    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    tom = harness.user("tom", EDITOR)
    carl = harness.user("carl", ["configuration#edit"])
    git = harness.user("git-server")
    git_pat = harness.token(git, "pushes")
    base = serve(harness, workers=2)
    as_admin = Client(base, admin.username, admin.password)
    as_tom = Client(base, tom.username, tom.password)
    as_carl = Client(base, carl.username, carl.password)

    endpoint = as_admin.call(
        "POST",
        ENDPOINTS,
        expect=201,
        json={"title": "Pushes", "path": "pushes", "authentication": "token", "secretToken": git_pat},
    )
    template = as_admin.call(
        "POST",
        "/api/v1/templates",
        json={"title": "Ship", "phases": [{"title": "P", "tasks": [{"title": "M"}]}]},
    )
    trigger = as_tom.call(
        "POST",
        "/api/v1/triggers",
        expect=201,
        json={
            "title": "Ship",
            "endpointPath": "pushes",
            "templateId": template["id"],
            "releaseTitle": "Ship",
        },
    )
    hook = f"{base}/webhooks/pushes"
    assert requests.post(hook, json={}, timeout=30).status_code == 401

    as_carl.call("PUT", f"{ENDPOINTS}/{endpoint['id']}", json={"authentication": "none"})
    assert requests.post(hook, json={}, timeout=30).status_code == 200
    assert as_admin.call("GET", "/api/v1/releases") == []
    shown = as_tom.call("GET", f"/api/v1/triggers/{trigger['id']}")
    assert shown["enabled"] is False
    (audit,) = as_admin.call("GET", f"/api/v1/triggers/{trigger['id']}/executions")
    assert audit["status"] == "disabled"
    assert audit["reason"] == (
        "Disabled: webhook endpoint 'pushes' was changed from token to none by 'carl', so who may "
        "start this trigger changed. Its owner enables it again to confirm."
    )

    as_carl.call("PUT", f"{ENDPOINTS}/{endpoint['id']}", json={"title": "Renamed only"})
    as_tom.call("PUT", f"/api/v1/triggers/{trigger['id']}", json={**shown, "enabled": True})
    assert requests.post(hook, json={}, timeout=30).status_code == 200
    (started,) = as_admin.call("GET", "/api/v1/releases")
    assert (started["owner"], started["createdFromTrigger"]) == ("tom", True)
