"""What a token really used, and narrowing it to that: the issue's script (only `GET
/api/v1/releases`) keeps working after **Narrow to used permissions** and can no longer create
templates; counts are written with the once-a-minute last-used update; never a widening; the
m005 migration on tokens of the previous schema."""

from __future__ import annotations

import pytest

from host.migrations import AppliedMigration
from plugins.pat_auth.models import PersonalAccessToken
from tests.sample_plugins import pat_routes

TOKENS = "/api/v1/personal-access-tokens"
PLAN = {"title": "Nightly", "phases": [{"title": "Build", "tasks": [{"title": "Compile"}]}]}


@pytest.fixture
def harness(make_host, clock):
    pat_routes.EVENTS.clear()
    return make_host(plugins=["pat_auth", "releases_api", "tests.sample_plugins.pat_routes"], clock=clock)


def pat(secret: str) -> dict[str, str]:
    return {"x-release-personal-token": secret}


def listed(harness, user) -> dict[int, dict]:
    return {t["id"]: t for t in harness.call("GET", TOKENS, as_user=user).json}


def used(token: dict) -> dict[str, tuple[bool, int]]:
    return {
        f"{u['permission']}{'' if u['granted'] else ' (refused)'}": u["count"]
        for u in token["usedPermissions"]
    }


def test_a_script_that_lists_releases_keeps_working_after_narrowing_and_cannot_make_templates(harness):
    alice = harness.user("alice", ["release#view", "template#create", "template#view", "reports#view"])
    secret = harness.token(alice, "release lister")
    (token_id,) = listed(harness, alice)
    assert listed(harness, alice)[token_id]["allPermissions"] is True

    for _ in range(3):
        assert harness.call("GET", "/api/v1/releases", headers=pat(secret)).status_code == 200
    token = listed(harness, alice)[token_id]
    # the first use is written at once; releases_api also asks whether the caller is an admin
    assert used(token) == {"release#view": 1, "admin (refused)": 1}
    (view,) = [u for u in token["usedPermissions"] if u["granted"]]
    assert view["firstUsedAt"] and view["lastUsedAt"]

    narrowed = harness.call("POST", f"{TOKENS}/{token_id}/narrow", as_user=alice, json={"days": 90})
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json["allPermissions"] is False
    assert narrowed.json["globalPermissions"] == ["release#view"]

    assert harness.call("GET", "/api/v1/releases", headers=pat(secret)).status_code == 200
    refused = harness.call("POST", "/api/v1/templates", headers=pat(secret), json=PLAN)
    assert refused.status_code == 403
    assert refused.json["message"] == "Permission template#create is not granted to you."
    # the refusal is recorded too: the owner sees what the script tried
    assert used(listed(harness, alice)[token_id])["template#create (refused)"] == 1
    # the owner's password still may
    assert harness.call("POST", "/api/v1/templates", as_user=alice, json=PLAN).status_code == 200
    audit = harness.call(
        "GET", "/api/v1/admin/personal-access-tokens/audit", as_user=harness.user("root", roles=("admin",))
    )
    (row,) = [r for r in audit.json if r["action"] == "narrowed"]
    assert (row["tokenId"], row["by"], row["samples"]) == (token_id, "alice", ["release#view"])
    (event,) = [e for e in pat_routes.EVENTS if e.name == "pat.narrowed"]
    assert event.payload["before"] is None and event.payload["globalPermissions"] == ["release#view"]


def test_counts_after_the_first_use_are_written_with_the_minutes_last_used_update(harness, clock):
    alice = harness.user("alice", ["reports#view"])
    secret = harness.token(alice, "reporter")
    (token_id,) = listed(harness, alice)
    for _ in range(5):
        assert harness.call("GET", "/api/v1/pat-test/reports", headers=pat(secret)).status_code == 200
    with harness.db():
        stored = PersonalAccessToken.get_by_id(token_id).permission_use
    assert '"+reports#view":[1,' in stored, "later uses wait in the worker for the minute's update"
    clock.advance(seconds=61)
    assert harness.call("GET", "/api/v1/pat-test/reports", headers=pat(secret)).status_code == 200
    assert used(listed(harness, alice)[token_id]) == {"reports#view": 5}, (
        "the sixth waits for the next minute"
    )
    clock.advance(seconds=61)
    assert harness.call("GET", "/api/v1/pat-test/whoami", headers=pat(secret)).status_code == 200
    assert used(listed(harness, alice)[token_id]) == {"reports#view": 6}


def test_narrowing_never_widens_and_says_why_when_it_cannot(harness, clock):
    alice = harness.user("alice", ["reports#view", "runner#registration", "release#view"])
    bob = harness.user("bob", ["reports#view"])
    secret = harness.token(
        alice, "picked", permissions=["reports#view", "runner#registration"], expiration="60d"
    )
    idle = harness.token(alice, "idle")
    ids = {t["tokenNote"]: t["id"] for t in listed(harness, alice).values()}
    harness.call("GET", "/api/v1/pat-test/reports", headers=pat(secret))
    harness.call("GET", "/api/v1/releases", headers=pat(secret))  # release#view: refused by the scope
    narrowed = harness.call("POST", f"{TOKENS}/{ids['picked']}/narrow", as_user=alice, body="null")
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json["globalPermissions"] == ["reports#view"]
    assert harness.call("GET", "/api/v1/pat-test/runners", headers=pat(secret)).status_code == 403

    unused = harness.call("POST", f"{TOKENS}/{ids['idle']}/narrow", as_user=alice)
    assert unused.status_code == 409
    assert "no permission in the last 90 days" in unused.json["message"]
    assert idle  # its scope is unchanged
    assert listed(harness, alice)[ids["idle"]]["allPermissions"] is True
    # a use older than the window does not count
    clock.advance(days=31)
    old = harness.call("POST", f"{TOKENS}/{ids['picked']}/narrow", as_user=alice, json={"days": 30})
    assert old.status_code == 409
    # only the owner, by password or session, with a sane window
    assert harness.call("POST", f"{TOKENS}/{ids['picked']}/narrow", as_user=bob).status_code == 404
    by_token = harness.call("POST", f"{TOKENS}/{ids['picked']}/narrow", headers=pat(secret))
    assert by_token.status_code == 403
    for days in (0, 367, "90"):
        bad = harness.call("POST", f"{TOKENS}/{ids['picked']}/narrow", as_user=alice, json={"days": days})
        assert bad.status_code == 400 and bad.json["error"] == "Bad Request", bad.text
    assert harness.call("POST", f"{TOKENS}/nope/narrow", as_user=alice).status_code == 404


def test_m005_adds_the_use_columns_to_tokens_of_the_previous_schema(make_host):
    harness = make_host(plugins=["pat_auth", "tests.sample_plugins.pat_routes"])
    alice = harness.user("alice", ["reports#view"])
    secret = harness.token(alice, "before m005")
    db = harness.host.database
    with harness.db():
        db.execute_sql('DROP TABLE "pat_token_addresses"')
        for table, column in (
            ("pat_tokens", "permission_use"),
            ("pat_tokens", "addresses"),
            ("pat_audit", "source"),
        ):
            db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        AppliedMigration.delete().where(AppliedMigration.name == "m005_token_use").execute()
        assert harness.host.migrate() == ["pat_auth:m005_token_use"]
    assert harness.call("GET", "/api/v1/pat-test/reports", headers=pat(secret)).status_code == 200
    (token,) = listed(harness, alice).values()
    assert token["tokenNote"] == "before m005"
    assert used(token) == {"reports#view": 1}
    assert [a["network"] for a in token["recentAddresses"]] == ["127.0.0.1"] or token["recentAddresses"] == []


@pytest.mark.parametrize(
    "database_url", ["sqlite"], indirect=True
)  # its SQL runs on both databases in-process
def test_the_cli_narrows_a_token_to_what_it_used(harness):
    alice = harness.user("alice", ["reports#view", "runner#registration"])
    secret = harness.token(alice, "cron")
    (token_id,) = listed(harness, alice)
    harness.call("GET", "/api/v1/pat-test/reports", headers=pat(secret))
    done = harness.cli("tokens", "narrow", str(token_id), "--days", "30")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"narrowed token {token_id} (cron) to: reports#view"
    assert harness.call("GET", "/api/v1/pat-test/runners", headers=pat(secret)).status_code == 403
    unused = harness.cli("tokens", "narrow", "999")
    assert unused.returncode != 0 and "no personal access token 999" in unused.stderr


def test_patch_renames_and_narrows_a_token_but_never_widens_it(harness):
    alice = harness.user("alice", ["reports#view", "runner#registration", "release#view"])
    secret = harness.token(alice, "deploy", permissions=["reports#view", "runner#registration"])
    harness.token(alice, "other")
    ids = {t["tokenNote"]: t["id"] for t in listed(harness, alice).values()}
    url = f"{TOKENS}/{ids['deploy']}"
    changed = harness.call(
        "PATCH", url, as_user=alice, json={"tokenNote": "deploy bot", "globalPermissions": ["reports#view"]}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json["tokenNote"], changed.json["globalPermissions"]) == ("deploy bot", ["reports#view"])
    assert harness.call("GET", "/api/v1/pat-test/runners", headers=pat(secret)).status_code == 403
    wider = harness.call(
        "PATCH", url, as_user=alice, json={"globalPermissions": ["reports#view", "release#view"]}
    )
    assert wider.status_code == 400
    assert wider.json["message"].startswith(
        "A token's permissions can be narrowed, never widened: release#view is"
    )
    taken = harness.call("PATCH", url, as_user=alice, json={"tokenNote": "other"})
    assert taken.status_code == 409
    for body in ({}, {"globalPermissions": []}, {"tokenNote": ""}, {"scope": "all"}):
        bad = harness.call("PATCH", url, as_user=alice, json=body)
        assert bad.status_code == 400 and set(bad.json) == {"error", "message"}, body
    assert harness.call("PATCH", url, headers=pat(secret), json={"tokenNote": "x"}).status_code == 403
    assert harness.call("PATCH", url, as_user=harness.user("bob"), json={"tokenNote": "x"}).status_code == 404
    assert listed(harness, alice)[ids["deploy"]]["tokenNote"] == "deploy bot"
    (event,) = [e for e in pat_routes.EVENTS if e.name == "pat.changed"]
    assert event.payload["before"] == ["reports#view", "runner#registration"]
