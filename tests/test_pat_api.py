"""The token JSON API: create, list, delete, who may, the policy, admins, audit and events."""

import threading
from datetime import timedelta

import pytest

from host import iso
from tests.sample_plugins import pat_routes

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"
ADMIN_TOKENS = "/api/v1/admin/personal-access-tokens"


@pytest.fixture(autouse=True)
def _clear_events():
    pat_routes.EVENTS.clear()
    yield
    pat_routes.EVENTS.clear()


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth", ROUTES], clock=clock)


def create(harness, user, **body):
    body.setdefault("tokenNote", "ci")
    return harness.call("POST", TOKENS, as_user=user, json=body)


def session(user):
    return {"x-test-session": user.username}


def test_create_returns_the_secret_once_and_lists_never_show_it(harness, clock):
    alice = harness.user("alice", ["reports#view"])
    result = create(harness, alice, tokenNote="  deploy bot  ", expiration="7d")
    assert result.status_code == 201
    assert result.headers["cache-control"] == "no-store"
    body = result.json
    secret = body["token"]
    assert secret.startswith("rpa_") and len(secret) == 44
    assert body["tokenNote"] == "deploy bot"
    assert body["hint"] == f"rpa_…{secret[-4:]}"
    assert body["createdAt"] == iso(clock.now)
    assert body["expiresAt"] == iso(clock.now + timedelta(days=7))
    assert body["allPermissions"] is True
    assert body["globalPermissions"] == []
    assert body["status"] == "active"
    listed = harness.call("GET", TOKENS, as_user=alice)
    assert listed.status_code == 200
    assert secret not in listed.text
    assert listed.json == [
        {
            "id": body["id"],
            "tokenNote": "deploy bot",
            "hint": body["hint"],
            "createdAt": body["createdAt"],
            "expiresAt": body["expiresAt"],
            "lastUsedAt": None,
            "lastUsedIp": None,
            "allPermissions": True,
            "globalPermissions": [],
            "status": "active",
            "replacedAt": None,
            "replacedById": None,
            "usedPermissions": [],
            "recentAddresses": [],
        }
    ]


@pytest.mark.parametrize(
    ("choice", "lifetime"),
    [
        ("7d", timedelta(days=7)),
        ("30d", timedelta(days=30)),
        ("45d", timedelta(days=45)),
        ("60d", timedelta(days=60)),
        ("1y", timedelta(days=365)),
    ],
)
def test_each_expiration_choice_is_computed_from_the_clock_and_enforced(harness, clock, choice, lifetime):
    bob = harness.user("bob")
    created = create(harness, bob, expiration=choice).json
    expires = clock.now + lifetime
    assert created["expiresAt"] == iso(expires)
    secret = created["token"]
    clock.advance(seconds=lifetime.total_seconds() - 1)
    assert harness.call("GET", "/api/v1/pat-test/whoami", token=secret).status_code == 200
    clock.advance(seconds=1)
    refused = harness.call("GET", "/api/v1/pat-test/whoami", token=secret)
    assert refused.status_code == 401
    assert refused.json["message"] == "The personal access token has expired."
    listed = harness.call("GET", TOKENS, as_user=bob).json
    assert [t["status"] for t in listed] == ["expired"]


def test_no_expiration_keeps_working_years_later(harness, clock):
    bob = harness.user("bob")
    created = create(harness, bob, expiration="never").json
    assert created["expiresAt"] is None
    clock.advance(days=3650)
    assert harness.call("GET", "/api/v1/pat-test/whoami", token=created["token"]).status_code == 200
    assert harness.call("GET", TOKENS, as_user=bob).json[0]["status"] == "active"


def test_default_expiration_is_30_days(harness, clock):
    bob = harness.user("bob")
    created = create(harness, bob).json
    assert created["expiresAt"] == iso(clock.now + timedelta(days=30))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"tokenNote": None}, "tokenNote"),
        ({"tokenNote": "   "}, "tokenNote"),
        ({"tokenNote": "x" * 101}, "tokenNote"),
        ({"tokenNote": 42}, "tokenNote"),
        ({"tokenNote": "two\nlines"}, "tokenNote"),
        ({"tokenNote": "zero\u200bwidth"}, "tokenNote"),
        ({"tokenNote": "txt.exe\u202egnp"}, "tokenNote"),
        ({"expiration": "2w"}, "7d, 30d, 45d, 60d, 1y, never"),
        ({"expiration": 30}, "expiration"),
        ({"globalPermissions": "reports#view"}, "globalPermissions"),
        ({"globalPermissions": []}, "globalPermissions"),
        ({"globalPermissions": ["reports#veiw"]}, "reports#veiw"),
        ({"globalPermissions": ["runner#registration"]}, "runner#registration"),
        ({"allPermissions": True, "globalPermissions": ["reports#view"]}, "allPermissions"),
        ({"allPermissions": False}, "globalPermissions"),
    ],
)
def test_bad_create_bodies_are_400_naming_the_problem(harness, body, words):
    alice = harness.user("alice", ["reports#view"])
    result = create(harness, alice, **body)
    assert result.status_code == 400, result.text
    assert words in result.json["message"]
    assert harness.call("GET", TOKENS, as_user=alice).json == []


def test_a_name_of_100_characters_is_accepted(harness):
    alice = harness.user("alice")
    assert create(harness, alice, tokenNote="n" * 100).status_code == 201


def test_a_name_may_hold_any_visible_character_the_document_allows(harness):
    """Only control and format characters are refused (the document's pattern says the same):
    a private-use or a not yet assigned character is a character like another."""
    alice = harness.user("alice")
    assert create(harness, alice, tokenNote="logo \ue000").status_code == 201
    assert create(harness, alice, tokenNote="new \U0003ffff").status_code == 201


def test_asking_for_a_permission_the_owner_lacks_is_400_naming_it(harness):
    alice = harness.user("alice", ["reports#view"])
    result = create(harness, alice, globalPermissions=["reports#view", "security#edit"])
    assert result.status_code == 400
    assert "security#edit" in result.json["message"]
    assert "reports#view" not in result.json["message"]


def test_selected_permissions_are_returned_sorted_and_unique(harness):
    alice = harness.user("alice", ["reports#view", "runner#registration"])
    body = create(
        harness, alice, globalPermissions=["runner#registration", "reports#view", "reports#view"]
    ).json
    assert body["allPermissions"] is False
    assert body["globalPermissions"] == ["reports#view", "runner#registration"]


def test_admin_may_select_any_registered_permission(harness):
    root = harness.user("root", roles=("admin",))
    result = create(harness, root, globalPermissions=["security#edit", "runner#registration"])
    assert result.status_code == 201


def test_duplicate_live_name_is_409_and_reusable_once_expired_or_deleted(harness, clock):
    alice = harness.user("alice")
    first = create(harness, alice, tokenNote="ci", expiration="7d").json
    duplicate = create(harness, alice, tokenNote=" ci ")
    assert duplicate.status_code == 409
    assert "tokenNote" in duplicate.json["message"] and "'ci'" in duplicate.json["message"]
    other = harness.user("other")
    assert create(harness, other, tokenNote="ci").status_code == 201
    clock.advance(days=7)
    second = create(harness, alice, tokenNote="ci", expiration="30d")
    assert second.status_code == 201
    assert harness.call("DELETE", f"{TOKENS}/{second.json['id']}", as_user=alice).status_code == 204
    assert create(harness, alice, tokenNote="ci").status_code == 201
    assert first["id"] != second.json["id"]


def test_per_user_cap_on_live_tokens_is_409(make_host, clock):
    harness = make_host(plugins=["pat_auth"], clock=clock, settings={"pat_auth": {"max_tokens_per_user": 2}})
    alice = harness.user("alice")
    assert create(harness, alice, tokenNote="a", expiration="7d").status_code == 201
    made = create(harness, alice, tokenNote="b").json
    refused = create(harness, alice, tokenNote="c")
    assert refused.status_code == 409
    assert "2" in refused.json["message"] and "maximum" in refused.json["message"]
    assert create(harness, harness.user("bob"), tokenNote="c").status_code == 201
    harness.call("DELETE", f"{TOKENS}/{made['id']}", as_user=alice)
    assert create(harness, alice, tokenNote="c").status_code == 201
    assert create(harness, alice, tokenNote="d").status_code == 409
    clock.advance(days=7)
    assert create(harness, alice, tokenNote="d").status_code == 201


def test_default_cap_is_50(harness):
    alice = harness.user("alice")
    for number in range(50):
        assert create(harness, alice, tokenNote=f"t{number}").status_code == 201
    assert create(harness, alice, tokenNote="t50").status_code == 409


def test_max_lifetime_forbids_no_expiration_and_longer_choices(make_host, clock):
    harness = make_host(plugins=["pat_auth"], clock=clock, settings={"pat_auth": {"max_lifetime_days": 30}})
    alice = harness.user("alice")
    for choice in ("never", "1y", "45d", "60d"):
        refused = create(harness, alice, tokenNote=choice, expiration=choice)
        assert refused.status_code == 400
        assert "7d, 30d" in refused.json["message"] and "30 days" in refused.json["message"]
    assert create(harness, alice, tokenNote="ok", expiration="30d").status_code == 201


def test_configured_expiration_list(make_host, clock):
    settings = {"pat_auth": {"expirations": ["1d", "90d"], "default_expiration": "1d"}}
    harness = make_host(plugins=["pat_auth"], clock=clock, settings=settings)
    alice = harness.user("alice")
    assert create(harness, alice, tokenNote="a", expiration="30d").status_code == 400
    made = create(harness, alice, tokenNote="b", expiration="90d").json
    assert made["expiresAt"] == iso(clock.now + timedelta(days=90))
    default = create(harness, alice, tokenNote="c").json
    assert default["expiresAt"] == iso(clock.now + timedelta(days=1))


def test_external_user_cannot_create_or_list_tokens(harness):
    harness.user("oidc-ext", source="external")
    headers = {"x-test-session": "oidc-ext"}
    result = harness.call("POST", TOKENS, headers=headers, json={"tokenNote": "ci"})
    assert result.status_code == 403
    message = result.json["message"]
    assert "not available to external users" in message and "OIDC" in message
    assert harness.call("GET", TOKENS, headers=headers).status_code == 403


def test_session_may_manage_tokens(harness):
    alice = harness.user("alice")
    made = harness.call("POST", TOKENS, headers=session(alice), json={"tokenNote": "ui"})
    assert made.status_code == 201
    assert len(harness.call("GET", TOKENS, headers=session(alice)).json) == 1
    deleted = harness.call("DELETE", f"{TOKENS}/{made.json['id']}", headers=session(alice))
    assert deleted.status_code == 204


@pytest.mark.parametrize("style", ["header", "basic"])
def test_a_token_cannot_create_list_or_delete_tokens(harness, style):
    alice = harness.user("alice", roles=("admin",))
    secret = harness.token(alice)
    token_id = harness.call("GET", TOKENS, as_user=alice).json[0]["id"]
    attempts = [
        harness.call("POST", TOKENS, token=secret, token_style=style, json={"tokenNote": "more"}),
        harness.call("GET", TOKENS, token=secret, token_style=style),
        harness.call("DELETE", f"{TOKENS}/{token_id}", token=secret, token_style=style),
        harness.call("GET", ADMIN_TOKENS, token=secret, token_style=style),
        harness.call("DELETE", f"{ADMIN_TOKENS}/{token_id}", token=secret, token_style=style),
    ]
    for result in attempts:
        assert result.status_code == 403, result.text
        assert "personal access token" in result.json["message"]
    assert len(harness.call("GET", TOKENS, as_user=alice).json) == 1


def test_management_needs_authentication(harness):
    assert harness.call("GET", TOKENS).status_code == 401
    assert harness.call("POST", TOKENS, json={"tokenNote": "x"}).status_code == 401


def test_delete_own_token_only(harness):
    alice = harness.user("alice")
    bob = harness.user("bob")
    mine = create(harness, alice).json
    assert harness.call("DELETE", f"{TOKENS}/{mine['id']}", as_user=bob).status_code == 404
    assert harness.call("DELETE", f"{TOKENS}/999", as_user=alice).status_code == 404
    assert harness.call("DELETE", f"{TOKENS}/abc", as_user=alice).status_code == 404
    assert harness.call("DELETE", f"{TOKENS}/99999999999", as_user=alice).status_code == 404
    assert harness.call("DELETE", f"{TOKENS}/{'9' * 40}", as_user=alice).status_code == 404
    assert harness.call("GET", "/api/v1/pat-test/whoami", token=mine["token"]).status_code == 200
    assert harness.call("DELETE", f"{TOKENS}/{mine['id']}", as_user=alice).status_code == 204
    assert harness.call("DELETE", f"{TOKENS}/{mine['id']}", as_user=alice).status_code == 404
    assert harness.call("GET", TOKENS, as_user=alice).json == []


def test_listing_shows_only_my_tokens_newest_first_with_status_filter(harness, clock):
    alice = harness.user("alice", ["reports#view"])
    bob = harness.user("bob")
    create(harness, alice, tokenNote="old", expiration="7d")
    clock.advance(days=1)
    create(harness, alice, tokenNote="new", globalPermissions=["reports#view"])
    create(harness, bob, tokenNote="bobs")
    listed = harness.call("GET", TOKENS, as_user=alice).json
    assert [t["tokenNote"] for t in listed] == ["new", "old"]
    assert listed[0]["globalPermissions"] == ["reports#view"] and listed[0]["allPermissions"] is False
    clock.advance(days=7)
    expired = harness.call("GET", TOKENS, as_user=alice, params={"status": "expired"}).json
    assert [t["tokenNote"] for t in expired] == ["old"]
    active = harness.call("GET", TOKENS, as_user=alice, params={"status": "active"}).json
    assert [t["tokenNote"] for t in active] == ["new"]
    assert harness.call("GET", TOKENS, as_user=alice, params={"status": "revoked"}).status_code == 400


def test_admin_lists_and_filters_everyones_tokens(harness, clock):
    root = harness.user("root", roles=("admin",))
    security = harness.user("sec", ["security#edit"])
    alice = harness.user("alice")
    bob = harness.user("bob")
    create(harness, alice, tokenNote="a1", expiration="7d")
    create(harness, bob, tokenNote="b1")
    clock.advance(days=8)
    for viewer in (root, security):
        listed = harness.call("GET", ADMIN_TOKENS, as_user=viewer)
        assert listed.status_code == 200
        assert {(t["username"], t["tokenNote"], t["status"]) for t in listed.json} == {
            ("alice", "a1", "expired"),
            ("bob", "b1", "active"),
        }
        assert "token" not in listed.json[0]
    by_user = harness.call("GET", ADMIN_TOKENS, as_user=root, params={"username": "bob"}).json
    assert [t["tokenNote"] for t in by_user] == ["b1"]
    expired = harness.call("GET", ADMIN_TOKENS, as_user=root, params={"status": "expired"}).json
    assert [t["username"] for t in expired] == ["alice"]
    page = harness.call("GET", ADMIN_TOKENS, as_user=root, params={"resultsPerPage": "1", "page": "1"}).json
    assert len(page) == 1
    assert harness.call("GET", ADMIN_TOKENS, as_user=alice).status_code == 403


def test_admin_revokes_anyones_token(harness):
    root = harness.user("root", roles=("admin",))
    alice = harness.user("alice")
    made = create(harness, alice).json
    assert harness.call("DELETE", f"{ADMIN_TOKENS}/{made['id']}", as_user=alice).status_code == 403
    assert harness.call("DELETE", f"{ADMIN_TOKENS}/{made['id']}", as_user=root).status_code == 204
    assert harness.call("DELETE", f"{ADMIN_TOKENS}/{made['id']}", as_user=root).status_code == 404
    refused = harness.call("GET", "/api/v1/pat-test/whoami", token=made["token"])
    assert refused.status_code == 401
    assert harness.call("GET", TOKENS, as_user=alice).json == []


def test_credential_info_describes_a_live_token(harness):
    alice = harness.user("alice")
    made = create(harness, alice, tokenNote="ci").json
    seen = harness.call("GET", "/api/v1/pat-test/whoami", token=made["token"]).json
    assert seen["credentialId"] == str(made["id"])
    assert seen["credential"] == {
        "id": str(made["id"]),
        "userId": alice.id,
        "username": "alice",
        "name": "ci",
        "kind": "personal-access-token",
        "state": "active",
        "expiresAt": made["expiresAt"],
    }
    hook = harness.host.pm.hook.credential_info
    with harness.db():
        assert hook(host=harness.host, credential_id="nope") is None
        assert hook(host=harness.host, credential_id="12345") is None
        harness.call("DELETE", f"{TOKENS}/{made['id']}", as_user=alice)
        assert hook(host=harness.host, credential_id=str(made["id"])) is None


def test_events_and_audit_name_tokens_without_the_secret(harness, clock):
    root = harness.user("root", roles=("admin",))
    alice = harness.user("alice")
    made = create(harness, alice, expiration="7d").json
    secret = made["token"]
    clock.advance(days=8)
    harness.call("GET", "/api/v1/pat-test/whoami", token=secret)
    harness.call("GET", "/api/v1/pat-test/whoami", token="rpa_garbage")
    harness.call("DELETE", f"{TOKENS}/{made['id']}", as_user=alice)
    events = [(e.name, dict(e.payload)) for e in pat_routes.EVENTS]
    assert [name for name, _ in events] == ["pat.created", "pat.refused", "pat.refused", "pat.deleted"]
    created, expired, garbage, deleted = (payload for _, payload in events)
    assert created["tokenId"] == made["id"] and created["username"] == "alice"
    assert created["hint"] == made["hint"] and created["tokenNote"] == "ci"
    assert expired["reason"] == "expired" and expired["tokenId"] == made["id"]
    assert expired["ip"] == "127.0.0.1"
    assert garbage["reason"] == "invalid" and garbage["tokenId"] is None and garbage["hint"] is None
    assert deleted["tokenId"] == made["id"] and deleted["by"] == "alice"
    assert secret not in repr(events)
    trail = harness.call("GET", f"{ADMIN_TOKENS}/audit", as_user=root)
    assert trail.status_code == 200
    assert [(r["action"], r["reason"], r["tokenId"]) for r in trail.json] == [
        ("deleted", None, made["id"]),
        ("refused", "expired", made["id"]),
        ("created", None, made["id"]),
    ]
    assert garbage["detail"] == "malformed"
    assert trail.json[1]["ip"] == "127.0.0.1"
    assert secret not in trail.text
    assert harness.call("GET", f"{ADMIN_TOKENS}/audit", as_user=alice).status_code == 403


def test_concurrent_creations_respect_the_cap_without_errors(make_host):
    harness = make_host(plugins=["pat_auth"], settings={"pat_auth": {"max_tokens_per_user": 3}})
    alice = harness.user("alice")
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def create_one(index: int) -> None:
        client = harness.client
        barrier.wait()
        result = client.simulate_post(
            TOKENS, json={"tokenNote": f"n{index}", "expiration": "30d"}, headers=alice.basic
        )
        statuses.append(result.status_code)

    threads = [threading.Thread(target=create_one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [409] * 5
    assert len(harness.call("GET", TOKENS, as_user=alice).json) == 3


def test_absurd_page_number_is_a_400(harness):
    alice = harness.user("alice")
    result = harness.call("GET", TOKENS, as_user=alice, query_string="page=99999999999999999999")
    assert result.status_code == 400
