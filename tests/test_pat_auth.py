"""Authenticating with a token: both ways of presenting it, scope, refusals, last use, no bcrypt."""

from datetime import timedelta

import pytest

from host import iso
from host.testing import basic_auth
from plugins.pat_auth import tokens
from plugins.pat_auth.models import PatAuditRecord

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"
WHOAMI = "/api/v1/pat-test/whoami"
REPORTS = "/api/v1/pat-test/reports"
RUNNERS = "/api/v1/pat-test/runners"
TEMPLATES = "/api/v1/pat-test/templates"
INVALID = {"error": "Unauthorized", "message": "Invalid personal access token."}


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth", ROUTES], clock=clock)


def without_pid(result):
    return {k: v for k, v in result.json.items() if k != "pid"}


def test_header_and_basic_with_empty_username_give_the_same_result(harness):
    alice = harness.user("alice", ["reports#view"])
    secret = harness.token(alice)
    header = harness.call("GET", WHOAMI, token=secret, token_style="header")
    basic = harness.call("GET", WHOAMI, token=secret, token_style="basic")
    assert header.status_code == basic.status_code == 200
    assert without_pid(header) == without_pid(basic)
    assert header.json["via"] == "token" and header.json["username"] == "alice"
    for path in (REPORTS, RUNNERS):
        assert (
            harness.call("GET", path, token=secret, token_style="header").status_code
            == harness.call("GET", path, token=secret, token_style="basic").status_code
        )
    bad = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    bad_header = harness.call("GET", WHOAMI, token=bad, token_style="header")
    bad_basic = harness.call("GET", WHOAMI, token=bad, token_style="basic")
    assert bad_header.status_code == bad_basic.status_code == 401
    assert bad_header.json == bad_basic.json == INVALID


def test_profile_reports_authentication_by_token(harness):
    alice = harness.user("alice")
    result = harness.call("GET", "/api/v1/profile", token=harness.token(alice))
    assert result.status_code == 200
    assert result.json["authenticatedBy"] == "token"


def test_all_permissions_token_follows_its_owners_role_changes(harness):
    alice = harness.user("alice", ["reports#view"])
    secret = harness.token(alice)
    assert harness.call("GET", REPORTS, token=secret).status_code == 200
    assert harness.call("GET", RUNNERS, token=secret).status_code == 403
    harness.set_permissions(alice, ["runner#registration"])
    assert harness.call("GET", REPORTS, token=secret).status_code == 403
    assert harness.call("GET", RUNNERS, token=secret).status_code == 200
    harness.set_permissions(alice, [])
    assert harness.call("GET", RUNNERS, token=secret).status_code == 403
    assert harness.call("GET", WHOAMI, token=secret).json["scope"] is None


def test_selected_permissions_token_is_refused_on_a_route_needing_another_permission(harness):
    alice = harness.user("alice", ["reports#view", "runner#registration"])
    secret = harness.token(alice, permissions=["reports#view"])
    assert harness.call("GET", REPORTS, token=secret).status_code == 200
    refused = harness.call("GET", RUNNERS, token=secret)
    assert refused.status_code == 403
    assert refused.json["message"] == "Permission runner#registration is not granted to you."
    assert harness.call("GET", RUNNERS, as_user=alice).status_code == 200
    assert harness.call("GET", WHOAMI, token=secret).json["scope"] == ["reports#view"]


def test_selected_permissions_token_never_exceeds_its_owner(harness):
    alice = harness.user("alice", ["reports#view", "runner#registration"])
    secret = harness.token(alice, permissions=["reports#view", "runner#registration"])
    assert harness.call("GET", REPORTS, token=secret).status_code == 200
    harness.set_permissions(alice, ["runner#registration", "global_variables#edit"])
    assert harness.call("GET", REPORTS, token=secret).status_code == 403
    assert harness.call("GET", RUNNERS, token=secret).status_code == 200
    assert harness.call("GET", TEMPLATES, token=secret).status_code == 403
    harness.set_permissions(alice, ["reports#view", "runner#registration"])
    assert harness.call("GET", REPORTS, token=secret).status_code == 200


def test_selected_permissions_token_of_an_admin_stays_within_its_selection(harness):
    root = harness.user("root", roles=("admin",))
    secret = harness.token(root, permissions=["reports#view"])
    assert harness.call("GET", REPORTS, token=secret).status_code == 200
    assert harness.call("GET", TEMPLATES, token=secret).status_code == 403
    assert harness.call("GET", "/api/v1/admin/personal-access-tokens", token=secret).status_code == 403
    profile = harness.call("GET", "/api/v1/profile", token=secret).json
    assert profile["permissions"] == ["reports#view"]


def test_expired_token_is_401_saying_expired(harness, clock):
    alice = harness.user("alice")
    secret = harness.token(alice, expiration="7d")
    clock.advance(days=8)
    for style in ("header", "basic"):
        result = harness.call("GET", WHOAMI, token=secret, token_style=style)
        assert result.status_code == 401
        assert result.json == {"error": "Unauthorized", "message": "The personal access token has expired."}


def test_deleted_token_is_401_invalid(harness):
    alice = harness.user("alice")
    secret = harness.token(alice)
    token_id = harness.call("GET", TOKENS, as_user=alice).json[0]["id"]
    assert harness.call("GET", WHOAMI, token=secret).status_code == 200
    assert harness.call("DELETE", f"{TOKENS}/{token_id}", as_user=alice).status_code == 204
    result = harness.call("GET", WHOAMI, token=secret)
    assert result.status_code == 401
    assert result.json == INVALID


@pytest.mark.parametrize(
    "value",
    ["", "rpa_", "hello", "rpa_" + "a" * 39, "ghp_" + "a" * 40, "rpa_" + "!" * 40, "rpa_" + "a" * 1000],
    ids=["empty", "prefix-only", "word", "short", "other-prefix", "bad-alphabet", "long"],
)
def test_malformed_token_is_401_invalid(harness, value):
    harness.user("alice")
    for style in ("header", "basic"):
        result = harness.call("GET", WHOAMI, token=value, token_style=style)
        assert result.status_code == 401
        assert result.json == INVALID


def test_bad_checksum_token_is_401_invalid(harness):
    alice = harness.user("alice")
    secret = harness.token(alice)
    body = secret[4:-6]
    flipped = body[:-1] + ("a" if body[-1] != "a" else "b")
    for forged in (secret[:-6] + "000000", "rpa_" + flipped + secret[-6:]):
        assert tokens.shape(forged) is tokens.Shape.BAD_CHECKSUM
        result = harness.call("GET", WHOAMI, token=forged)
        assert result.status_code == 401
        assert result.json == INVALID


def test_malformed_and_bad_checksum_tokens_cost_no_database_query(harness, monkeypatch):
    harness.user("alice")
    database = harness.host.database
    real_execute = database.execute_sql
    statements = []

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real_execute(sql, params, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counting)
    good_shape = tokens.new_token()
    bad_checksum = good_shape[:-6] + ("000000" if good_shape[-6:] != "000000" else "000001")
    for value in ("nonsense", bad_checksum):
        result = harness.call("GET", WHOAMI, token=value)
        assert result.status_code == 401
        assert result.json == INVALID
    assert statements == []
    harness.call("GET", WHOAMI, token=good_shape[:-6] + tokens.checksum(good_shape[4:-6]))
    assert statements, "a well-formed token is looked up: the counter works"


def test_well_formed_unknown_token_is_401_invalid(harness):
    harness.user("alice")
    result = harness.call("GET", WHOAMI, token=tokens.new_token())
    assert result.status_code == 401
    assert result.json == INVALID


def test_disabled_owner_is_401_and_works_again_when_enabled(harness):
    alice = harness.user("alice")
    secret = harness.token(alice)
    harness.set_enabled(alice, False)
    result = harness.call("GET", WHOAMI, token=secret)
    assert result.status_code == 401
    assert result.json == INVALID
    harness.set_enabled(alice, True)
    assert harness.call("GET", WHOAMI, token=secret).status_code == 200


def test_deleted_owner_is_401(harness):
    from host.users import User

    alice = harness.user("alice")
    secret = harness.token(alice)
    with harness.db():
        User.delete().where(User.id == alice.id).execute()
    assert harness.call("GET", WHOAMI, token=secret).status_code == 401


def test_owner_who_became_external_is_401(harness):
    from host.users import User

    alice = harness.user("alice")
    secret = harness.token(alice)
    with harness.db():
        User.update(source="external").where(User.id == alice.id).execute()
    assert harness.call("GET", WHOAMI, token=secret).json == INVALID


def test_a_presented_token_never_falls_through_to_another_credential(harness):
    alice = harness.user("alice")
    headers = {**alice.basic, "x-release-personal-token": "rpa_wrong"}
    assert harness.call("GET", WHOAMI, headers=headers).status_code == 401
    assert harness.call("GET", WHOAMI, headers=basic_auth("", "")).json == INVALID
    assert harness.call("GET", "/api/v1/health", token="rpa_wrong").status_code == 200


def test_last_use_is_written_at_most_once_a_minute(harness, clock):
    alice = harness.user("alice")
    secret = harness.token(alice)

    def last_used():
        token = harness.call("GET", TOKENS, as_user=alice).json[0]
        return token["lastUsedAt"], token["lastUsedIp"]

    assert last_used() == (None, None)
    first_use = clock.now
    harness.call("GET", WHOAMI, token=secret)
    assert last_used() == (iso(first_use), "127.0.0.1")
    clock.advance(seconds=59)
    harness.call("GET", WHOAMI, token=secret, token_style="basic")
    assert last_used() == (iso(first_use), "127.0.0.1")
    clock.advance(seconds=1)
    harness.call("GET", WHOAMI, token=secret, headers={"X-Forwarded-For": "10.9.9.9"})
    assert last_used() == (iso(first_use + timedelta(seconds=60)), "127.0.0.1")


def test_bcrypt_never_runs_on_a_token_request(harness, monkeypatch):
    import bcrypt

    alice = harness.user("alice", ["reports#view"])
    secret = harness.token(alice)

    def forbidden(*args, **kwargs):
        raise AssertionError("bcrypt ran on a token request")

    monkeypatch.setattr(bcrypt, "checkpw", forbidden)
    monkeypatch.setattr(bcrypt, "hashpw", forbidden)
    for style in ("header", "basic"):
        assert harness.call("GET", REPORTS, token=secret, token_style=style).status_code == 200
        assert harness.call("GET", REPORTS, token=tokens.new_token(), token_style=style).status_code == 401


def test_refusals_are_audited_with_ip_and_token_id_or_hint(harness, clock, caplog):
    alice = harness.user("alice")
    secret = harness.token(alice, expiration="7d")
    token_id = harness.call("GET", TOKENS, as_user=alice).json[0]["id"]
    unknown = tokens.new_token()
    harness.call("GET", WHOAMI, token=unknown)
    with caplog.at_level("WARNING", logger="release_host.pat_auth"):
        harness.call("GET", WHOAMI, token="rpa_short")
    assert "reason=invalid detail=malformed" in caplog.text
    clock.advance(days=7)
    harness.call("GET", WHOAMI, token=secret)
    harness.set_enabled(alice, False)
    clock.advance(days=-1)
    harness.call("GET", WHOAMI, token=secret)
    with harness.db():
        rows = list(
            PatAuditRecord.select().where(PatAuditRecord.action == "refused").order_by(PatAuditRecord.id)
        )
    seen = [(r.reason, r.detail, r.token_id, r.hint, r.username, r.ip) for r in rows]
    assert seen == [
        ("invalid", "unknown", None, tokens.hint(unknown), None, "127.0.0.1"),
        ("expired", "expired", token_id, tokens.hint(secret), "alice", "127.0.0.1"),
        ("owner-disabled", "owner-disabled", token_id, tokens.hint(secret), "alice", "127.0.0.1"),
    ]
