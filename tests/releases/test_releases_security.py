"""Security regressions of the releases API: run-as credentials that could be stolen by editing a
template or a trigger, triggers that outlive their owner's rights, automated tasks calling private
networks and reflecting their answers, and secrets shown in task JSON and failure reasons."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from host import StartupError
from host.testing import free_port
from plugins.releases_api import outgoing
from plugins.releases_api.models import Release, Trigger
from tests.releases.support import (
    LOCAL,
    get,
    make_template,
    manual,
    release_from,
    run_tasks,
    tasks_of,
    webhook,
)
from tests.releases.test_releases_triggers import PUSH, make_trigger, received

PLUGINS = ["releases_api"]
EDITOR = ["template#view", "template#edit", "release#create", "release#start", "release#view"]


def stored_password(harness, model: Any, object_id: str) -> str | None:
    with harness.db():
        secret = model.get_by_id(object_id).script_password
    return harness.host.secrets.decrypt(secret) if secret else None


def headers_seen(request: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in request["headers"].items()}


# 1. Run-as credentials


def test_an_editor_cannot_send_anothers_run_as_token_to_a_url_of_their_choice(harness, admin, recorder):  # noqa: F811
    """The review's exploit: keep the masked password, point a task at your server, start it."""
    template = make_template(harness, admin, [manual()], scriptUserPassword="rpa_root")
    mallory = harness.user("mallory", EDITOR)
    edited = harness.call(
        "PUT",
        f"/api/v1/templates/{template['id']}",
        as_user=mallory,
        json={
            "title": "Deploy",
            "scriptUserPassword": "********",
            "phases": [{"title": "P", "tasks": [webhook(recorder.url + "/steal", authenticate=True)]}],
        },
    )
    assert edited.status_code == 200 and edited.json["scriptUserPassword"] is None
    assert stored_password(harness, Release, template["id"]) is None
    release_from(harness, mallory, template, start=True)
    run_tasks(harness)
    assert not any("rpa_root" in str(r["headers"]) for r in recorder.requests)


def test_changing_a_templates_automated_tasks_or_variables_clears_its_run_as_password(harness, admin):
    template = make_template(
        harness,
        admin,
        [manual(), webhook("${server.url}/api/v1/profile")],
        variables={"path": "profile"},
        scriptUserPassword="rpa_root",
    )
    path = f"/api/v1/templates/{template['id']}"
    renamed = harness.call("PUT", path, as_user=admin, json={**template, "title": "Renamed"})
    assert renamed.json["scriptUserPassword"] == "********"
    reordered_manual = {
        **template,
        "phases": [{"title": "P", "tasks": [manual("Other"), *template["phases"][0]["tasks"][1:]]}],
    }
    assert (
        harness.call("PUT", path, as_user=admin, json=reordered_manual).json["scriptUserPassword"]
        == "********"
    )
    assert stored_password(harness, Release, template["id"]) == "rpa_root"

    new_variable = harness.call("PUT", path, as_user=admin, json={**template, "variables": {"path": "x"}})
    assert new_variable.json["scriptUserPassword"] is None
    assert stored_password(harness, Release, template["id"]) is None

    entered_again = {
        **template,
        "phases": [{"title": "P", "tasks": [webhook("${server.url}/api/v1/releases")]}],
        "scriptUserPassword": "rpa_new",
    }
    assert (
        harness.call("PUT", path, as_user=admin, json=entered_again).json["scriptUserPassword"] == "********"
    )
    assert stored_password(harness, Release, template["id"]) == "rpa_new"

    other_user = harness.call(
        "PUT",
        path,
        as_user=admin,
        json={**entered_again, "scriptUsername": "bot", "scriptUserPassword": "********"},
    )
    assert other_user.status_code == 200
    assert stored_password(harness, Release, template["id"]) is None


def test_changing_a_templates_tasks_clears_the_run_as_password_of_its_triggers(harness, admin):
    template = make_template(harness, admin, [webhook("${server.url}/api/v1/profile")])
    trigger = make_trigger(harness, admin, template["id"])
    harness.call(
        "PUT", f"/api/v1/templates/{template['id']}", as_user=admin, json={**template, "title": "T2"}
    )
    assert stored_password(harness, Trigger, trigger["id"]) == "rpa_trigger"

    changed = {**template, "phases": [{"title": "P", "tasks": [webhook("${server.url}/api/v1/releases")]}]}
    assert (
        harness.call("PUT", f"/api/v1/templates/{template['id']}", as_user=admin, json=changed).status_code
        == 200
    )
    assert stored_password(harness, Trigger, trigger["id"]) is None
    assert (
        harness.call("GET", f"/api/v1/triggers/{trigger['id']}", as_user=admin).json["scriptUserPassword"]
        is None
    )


@pytest.mark.parametrize("field", ["templateId", "endpointPath", "endpointId", "variables", "scriptUsername"])
def test_retargeting_a_trigger_clears_its_run_as_password_unless_entered_again(harness, admin, field):
    template = make_template(harness, admin, [manual()])
    other = make_template(harness, admin, [manual()], title="Other")
    trigger = make_trigger(harness, admin, template["id"])
    change = {
        "templateId": other["id"],
        "endpointPath": "elsewhere",
        "endpointId": "Endpoint9",
        "variables": {"version": "payload.other"},
        "scriptUsername": "bot",
    }
    path = f"/api/v1/triggers/{trigger['id']}"
    moved = harness.call("PUT", path, as_user=admin, json={**trigger, field: change[field]})
    assert moved.status_code == 200 and moved.json["scriptUserPassword"] is None
    assert stored_password(harness, Trigger, trigger["id"]) is None

    again = {**trigger, field: change[field], "scriptUserPassword": "rpa_again"}
    assert harness.call("PUT", path, as_user=admin, json=again).json["scriptUserPassword"] == "********"
    assert stored_password(harness, Trigger, trigger["id"]) == "rpa_again"


def test_credentials_follow_the_host_requests_really_contacts(make_host, recorder):  # noqa: F811
    """`http://B\\@A/` is A for urllib.parse but requests sends it to B: B must not get the token."""
    harness = make_host(plugins=PLUGINS, settings={"releases_api": {**LOCAL, "server_url": recorder.url}})
    admin = harness.user("root", roles=("admin",))
    port = recorder.url.rsplit(":", 1)[1]
    other = type(recorder)()
    try:
        other_port = other.url.rsplit(":", 1)[1]
        tricky = f"http://127.0.0.1:{other_port}\\@127.0.0.1:{port}/x"
        template = make_template(harness, admin, [webhook(tricky)])
        release_from(harness, admin, template, start=True, scriptUserPassword="rpa_token")
        run_tasks(harness)
        assert recorder.requests == []
        (sent,) = other.requests
        assert "x-release-personal-token" not in headers_seen(sent)
    finally:
        other.close()


# 2. Triggers and their owner's rights


def test_saving_a_trigger_needs_release_create_and_start(harness, admin):
    template = make_template(harness, admin, [manual()])
    trigger = make_trigger(harness, admin, template["id"])
    eve = harness.user("eve", ["template#view", "template#edit"])
    body = {k: v for k, v in trigger.items() if k != "id"}
    refused = harness.call("POST", "/api/v1/triggers", as_user=eve, json=body)
    assert refused.status_code == 403
    assert refused.json["message"] == "Permission release#create is not granted to you."
    harness.set_permissions(eve, ["template#view", "template#edit", "release#create"])
    put = harness.call("PUT", f"/api/v1/triggers/{trigger['id']}", as_user=eve, json=body)
    assert put.status_code == 403
    assert put.json["message"] == "Permission release#start is not granted to you."
    harness.set_permissions(eve, EDITOR)
    assert harness.call("POST", "/api/v1/triggers", as_user=eve, json=body).status_code == 201


def test_a_trigger_stops_when_its_owner_is_disabled_or_loses_the_rights(harness, admin):
    template = make_template(harness, admin, [manual()])
    eve = harness.user("eve", EDITOR)
    trigger = make_trigger(harness, eve, template["id"])
    (fired,) = received(harness, PUSH)
    assert fired["status"] == "started"

    harness.set_enabled(eve, False)
    (disabled,) = received(harness, PUSH)
    assert (disabled["status"], disabled["releaseId"]) == ("failed", None)
    assert disabled["reason"] == "The trigger's owner 'eve' is disabled; the trigger starts no release."

    harness.set_enabled(eve, True)
    harness.set_permissions(eve, ["template#view", "template#edit", "release#create"])
    (no_start,) = received(harness, PUSH)
    assert no_start["status"] == "failed"
    assert (
        no_start["reason"]
        == "The trigger's owner 'eve' no longer holds release#start; the trigger starts no release."
    )
    with harness.db():
        made = Release.select().where(Release.created_from_trigger == True).count()  # noqa: E712 - SQL
    assert made == 1
    log = harness.call("GET", f"/api/v1/triggers/{trigger['id']}/executions", as_user=admin).json
    assert [e["status"] for e in log] == ["failed", "failed", "started"]


# 3. Outgoing requests: private networks and response bodies


def test_by_default_tasks_may_not_call_loopback(make_host, recorder):  # noqa: F811
    harness = make_host(plugins=PLUGINS)
    admin = harness.user("root", roles=("admin",))
    template = make_template(harness, admin, [webhook(recorder.url + "/latest/meta-data")])
    release = release_from(harness, admin, template, start=True)
    run_tasks(harness)
    task = tasks_of(get(harness, admin, release["id"]))[0]
    assert task["status"] == "FAILED" and recorder.requests == []
    assert task["failureReason"].startswith("Refused: 127.0.0.1 is a loopback address.")
    assert "allowed_task_hosts" in task["failureReason"]


def test_this_servers_own_origin_is_allowed_but_not_its_other_ports(make_host, recorder):  # noqa: F811
    harness = make_host(plugins=PLUGINS, settings={"releases_api": {"server_url": recorder.url}})
    admin = harness.user("root", roles=("admin",))
    closed = f"http://127.0.0.1:{free_port()}/"
    template = make_template(harness, admin, [webhook("${server.url}/api/v1/profile")], [webhook(closed)])
    release = release_from(harness, admin, template, start=True)
    run_tasks(harness)
    own, other = tasks_of(get(harness, admin, release["id"]))
    assert own["status"] == "COMPLETED" and len(recorder.requests) == 1
    assert other["status"] == "FAILED" and other["failureReason"].startswith(
        "Refused: 127.0.0.1 is a loopback"
    )


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://localhost:9/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::127.0.0.1]/", "loopback"),
        ("http://[::10.0.0.1]/", "private"),
        ("http://[64:ff9b::7f00:1]/", "loopback"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local"),
        ("http://[64:ff9b:1::a00:1]/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("https://192.168.0.1/", "private"),
        ("http://0.0.0.0:8080/", "unspecified"),
        ("http://100.64.0.1/", "non-public"),
        ("http://224.0.0.1/", "multicast"),
    ],
)
def test_the_policy_refuses_every_non_public_address(url, kind):
    policy = outgoing.Policy(server_origin=outgoing.origin("http://127.0.0.1:5516"))
    with pytest.raises(outgoing.Refused) as refused:
        policy.check(url)
    assert f"a {kind} address" in refused.value.reason


def test_nat64_and_ipv4_compatible_forms_of_public_addresses_stay_public():
    """The embedded-address check refuses by the IPv4 address carried, not by the form."""
    policy = outgoing.Policy(server_origin=None)
    policy.check("http://[64:ff9b::5db8:d822]/")
    policy.check("http://[::5db8:d822]/")


def test_the_policy_exempts_the_server_the_allow_list_or_everything_when_turned_off():
    hosts, networks = outgoing.parse_networks(["build.internal", "10.1.0.0/16"])
    policy = outgoing.Policy(
        server_origin=outgoing.origin("http://localhost:5516"), allowed_hosts=hosts, allowed_networks=networks
    )
    policy.check("http://LOCALHOST:5516/api/v1/profile")
    policy.check("http://10.1.200.3/")
    assert policy.addresses("http", "build.internal", 80) is None
    for refused in ("http://localhost:5517/", "https://localhost:5516/", "http://10.2.0.1/"):
        with pytest.raises(outgoing.Refused):
            policy.check(refused)
    outgoing.Policy(server_origin=None, deny_private_networks=False).check("http://10.2.0.1/")


def test_a_name_that_resolves_elsewhere_when_connecting_is_refused(harness, admin, recorder, monkeypatch):  # noqa: F811
    """DNS rebinding: public for the check, loopback for the connection. The connection re-checks."""
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34", "10.9.9.9"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
        if host == "rebind.test":
            address = next(answers, "10.9.9.9")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    template = make_template(harness, admin, [webhook("http://rebind.test/x")])
    release = release_from(harness, admin, template, start=True)
    run_tasks(harness)
    task = tasks_of(get(harness, admin, release["id"]))[0]
    assert task["status"] == "FAILED"
    assert task["failureReason"].startswith("Refused: rebind.test resolves to 10.9.9.9, which is a private")


def test_response_bodies_are_shown_to_admins_only(harness, admin, recorder):  # noqa: F811
    bob = harness.user(
        "bob", ["template#create", "template#view", "release#create", "release#start", "release#view"]
    )
    template = make_template(harness, bob, [webhook(recorder.url + "/internal")])
    release = release_from(harness, bob, template, start=True)
    run_tasks(harness)
    assert tasks_of(get(harness, bob, release["id"]))[0]["responseBody"] is None
    (task,) = tasks_of(get(harness, admin, release["id"]))
    assert task["responseBody"] == '{"ok": true}' and task["statusCode"] == 200
    one = harness.call("GET", f"/api/v1/tasks/{task['id']}", as_user=bob).json
    assert one["responseBody"] is None and one["statusCode"] == 200
    listed = harness.call("POST", "/api/v1/releases/search", as_user=bob, json={}).json
    assert tasks_of(listed[0])[0]["responseBody"] is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"deny_private_networks": "no"}, "deny_private_networks: Expected `bool`, got `str`"),
        ({"allowed_task_hosts": "10.0.0.0/8"}, "allowed_task_hosts: Expected `array`, got `str`"),
        ({"allowed_task_hosts": ["10.0.0.0/99"]}, "is not a host name or network"),
        ({"allowed_task_hosts": [3]}, r"allowed_task_hosts\[0\]: Expected `str`, got `int`"),
        ({"poll_seconds": 0}, r"\[plugins.releases_api\] poll_seconds: Expected `float` > 0"),
        ({"server_url": "ftp://x"}, r"\[plugins.releases_api\] server_url must be an http"),
        ({"run_workers": False}, r"\[plugins.releases_api\] unknown setting.s. run_workers; known: "),
    ],
)
def test_bad_outgoing_settings_stop_the_startup(make_host, settings, message):
    with pytest.raises(StartupError, match=message):
        make_host(plugins=PLUGINS, settings={"releases_api": settings})


# 4. Secrets in task JSON and failure reasons

SECRET_HEADERS = {
    "Authorization": "Bearer sekrit-1",
    "x-release-personal-token": "rpa_sekrit2",
    "Cookie": "session=sekrit3",
    "X-Api-Token": "sekrit4",
    "X-Client-Secret": "sekrit5",
    "X-Password": "sekrit6",
}


def test_secret_headers_are_masked_in_json_and_still_sent(harness, admin, recorder):  # noqa: F811
    template = make_template(
        harness, admin, [webhook(recorder.url + "/h", headers={"Accept": "text/plain", **SECRET_HEADERS})]
    )
    shown = template["phases"][0]["tasks"][0]["headers"]
    assert shown == {"Accept": "text/plain", **{name: "********" for name in SECRET_HEADERS}}
    release = release_from(harness, admin, template, start=True)
    assert "sekrit" not in str(release)
    run_tasks(harness)
    assert "sekrit" not in str(get(harness, admin, release["id"]))
    (sent,) = recorder.requests
    assert {k: headers_seen(sent)[k.lower()] for k in SECRET_HEADERS} == SECRET_HEADERS


def test_masked_headers_sent_back_are_kept_only_for_the_same_task_and_origin(harness, admin, recorder):  # noqa: F811
    template = make_template(
        harness, admin, [webhook(recorder.url + "/h", headers={"Authorization": "Bearer s1"})]
    )
    path = f"/api/v1/templates/{template['id']}"
    kept = harness.call("PUT", path, as_user=admin, json={**template, "title": "Again"})
    assert kept.status_code == 200, kept.text
    release_from(harness, admin, template, start=True)
    run_tasks(harness)
    assert headers_seen(recorder.requests[0])["authorization"] == "Bearer s1"

    task = kept.json["phases"][0]["tasks"][0]
    moved = {
        **kept.json,
        "phases": [{"title": "P", "tasks": [{**task, "url": f"http://127.0.0.1:{free_port()}/x"}]}],
    }
    refused = harness.call("PUT", path, as_user=admin, json=moved)
    assert refused.status_code == 400
    assert refused.json["message"].startswith("phases[0].tasks[0].headers.Authorization is masked")
    copied = harness.call("POST", "/api/v1/templates", as_user=admin, json=kept.json)
    assert copied.status_code == 400 and "headers.Authorization is masked" in copied.json["message"]
    entered = {
        **moved,
        "phases": [{"title": "P", "tasks": [{**task, "headers": {"Authorization": "Bearer s2"}}]}],
    }
    assert harness.call("PUT", path, as_user=admin, json=entered).status_code == 200


@pytest.mark.parametrize("kind", ["connect", "timeout", "authenticate"])
def test_failure_reasons_never_show_url_credentials(harness, admin, recorder, kind):  # noqa: F811
    closed = f"http://deployer:hunter2@127.0.0.1:{free_port()}"
    shown = closed.replace("deployer:hunter2@", "")
    task, expected = {
        "connect": (webhook(closed + "/x"), f"Could not connect: GET {shown}/x"),
        "timeout": (
            webhook(recorder.url.replace("//", "//deployer:hunter2@") + "/slow", timeoutSeconds=0.3),
            f"Timed out after 0.3 s: GET {recorder.url}/slow",
        ),
        "authenticate": (
            webhook(closed + "/a", authenticate=True),
            f"authenticate is true but {shown}/a is not this server",
        ),
    }[kind]
    release = release_from(harness, admin, make_template(harness, admin, [task]), start=True)
    run_tasks(harness)
    reason = tasks_of(get(harness, admin, release["id"]))[0]["failureReason"]
    assert reason.startswith(expected) and "hunter2" not in reason
