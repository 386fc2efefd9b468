"""Rotating a token: a new secret, the old one kept for the overlap, then refused as rotated; a token
may rotate itself and nothing else; the CLI; the m003 migration on data of the previous schema."""

from datetime import timedelta

import peewee
import pytest
import requests
from playhouse.migrate import SchemaMigrator, migrate

from host import iso
from host.migrations import AppliedMigration
from host.testing import FileClock
from plugins.pat_auth.models import PatAuditRecord, PersonalAccessToken

ROUTES = "tests.sample_plugins.pat_routes"
CLOCK = "tests.sample_plugins.shared_clock"
TOKENS = "/api/v1/personal-access-tokens"
WHOAMI = "/api/v1/pat-test/whoami"
ROTATED = "This personal access token was rotated; use its replacement."


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth", ROUTES], clock=clock)


def make(harness, user, name="ci", **body):
    made = harness.call("POST", TOKENS, as_user=user, json={"tokenNote": name, **body})
    assert made.status_code == 201, made.text
    return made.json


def rotate(harness, token_id, as_user=None, token=None, **body):
    kwargs = {"json": body} if body else {}
    return harness.call("POST", f"{TOKENS}/{token_id}/rotate", as_user=as_user, token=token, **kwargs)


def whoami(harness, secret):
    return harness.call("GET", WHOAMI, token=secret)


def test_the_old_secret_works_until_the_overlap_ends_then_is_refused_as_rotated(harness, clock):
    alice = harness.user("alice", ["reports#view"])
    old = make(harness, alice, expiration="30d", globalPermissions=["reports#view"])
    clock.advance(days=10)
    rotated = rotate(harness, old["id"], as_user=alice)
    assert rotated.status_code == 201, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new = rotated.json
    assert new["token"] != old["token"] and new["id"] != old["id"]
    assert (new["tokenNote"], new["globalPermissions"]) == ("ci", ["reports#view"])
    assert new["expiresAt"] == iso(clock.now + timedelta(days=30)), "the original's lifetime by default"
    assert new["replaces"] == old["id"] and new["previousValidUntil"] == iso(clock.now + timedelta(days=1))
    listed = {t["id"]: t for t in harness.call("GET", TOKENS, as_user=alice).json}
    assert set(listed) == {old["id"], new["id"]}
    assert listed[old["id"]]["replacedAt"] == iso(clock.now)
    assert listed[old["id"]]["replacedById"] == new["id"]
    assert listed[old["id"]]["expiresAt"] == new["previousValidUntil"]
    assert listed[new["id"]]["replacedAt"] is None
    assert new["token"] not in str(listed) and old["token"] not in str(listed)
    clock.advance(hours=23, minutes=59)
    for secret in (old["token"], new["token"]):
        assert whoami(harness, secret).status_code == 200
    clock.advance(minutes=1)
    refused = whoami(harness, old["token"])
    assert refused.status_code == 401
    assert refused.json == {"error": "Unauthorized", "message": ROTATED}
    assert whoami(harness, new["token"]).json["credentialId"] == str(new["id"])
    assert [t["id"] for t in harness.call("GET", TOKENS, as_user=alice).json] == [new["id"]]


def test_overlap_zero_refuses_the_old_secret_at_once_and_expiration_may_be_chosen(harness, clock):
    alice = harness.user("alice")
    old = make(harness, alice, expiration="7d")
    new = rotate(harness, old["id"], as_user=alice, overlap="0", expiration="60d").json
    assert new["expiresAt"] == iso(clock.now + timedelta(days=60))
    assert whoami(harness, old["token"]).json["message"] == ROTATED
    assert whoami(harness, new["token"]).status_code == 200
    never = make(harness, alice, "forever", expiration="never")
    assert rotate(harness, never["id"], as_user=alice, overlap="1h").json["expiresAt"] is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"overlap": "8d"}, "at most 7d"),
        ({"overlap": "1w"}, "overlap must be"),
        ({"overlap": 3}, "overlap: expected a string or null, got a whole number."),
        ({"overlap": "-1h"}, "overlap must be"),
        ({"expiration": "2d"}, "expiration must be one of"),
        ({"overlapp": "1d"}, "Unknown field overlapp."),
    ],
)
def test_a_bad_rotation_body_is_a_clear_400_and_changes_nothing(harness, body, fragment):
    alice = harness.user("alice")
    old = make(harness, alice)
    refused = rotate(harness, old["id"], as_user=alice, **body)
    assert refused.status_code == 400, refused.text
    assert fragment in refused.json["message"]
    assert [t["replacedAt"] for t in harness.call("GET", TOKENS, as_user=alice).json] == [None]
    assert whoami(harness, old["token"]).status_code == 200


def test_what_cannot_be_rotated(harness, clock):
    alice, bob = harness.user("alice"), harness.user("bob")
    old = make(harness, alice)
    assert rotate(harness, old["id"], as_user=bob).status_code == 404
    assert rotate(harness, "12abc", as_user=alice).status_code == 404
    assert rotate(harness, old["id"], as_user=alice).status_code == 201
    again = rotate(harness, old["id"], as_user=alice)
    assert again.status_code == 409 and "rotate its replacement" in again.json["message"]
    short = make(harness, alice, "short", expiration="7d")
    clock.advance(days=8)
    expired = rotate(harness, short["id"], as_user=alice)
    assert expired.status_code == 409 and "has expired" in expired.json["message"]


def test_a_token_may_rotate_itself_but_nothing_else(harness, clock):
    alice = harness.user("alice")
    mine = make(harness, alice, "self")
    other = make(harness, alice, "other")
    refused = rotate(harness, other["id"], token=mine["token"])
    assert refused.status_code == 403 and "only itself" in refused.json["message"]
    assert harness.call("POST", TOKENS, token=mine["token"], json={"tokenNote": "x"}).status_code == 403
    by_id = rotate(harness, mine["id"], token=mine["token"], overlap="1h")
    assert by_id.status_code == 201, by_id.text
    successor = by_id.json
    by_self = harness.call("POST", f"{TOKENS}/self/rotate", token=successor["token"], json={"overlap": "0"})
    assert by_self.status_code == 201, by_self.text
    assert by_self.json["replaces"] == successor["id"] and by_self.json["tokenNote"] == "self"
    assert whoami(harness, successor["token"]).json["message"] == ROTATED
    assert whoami(harness, mine["token"]).status_code == 401, "rotating its successor ended its overlap"
    password = harness.call("POST", f"{TOKENS}/self/rotate", as_user=alice)
    assert password.status_code == 403 and "presents none" in password.json["message"]


def test_a_token_in_its_overlap_does_not_count_toward_the_limit(make_host, clock):
    harness = make_host(
        plugins=["pat_auth", ROUTES], clock=clock, settings={"pat_auth": {"max_tokens_per_user": 1}}
    )
    alice = harness.user("alice")
    old = make(harness, alice)
    assert rotate(harness, old["id"], as_user=alice).status_code == 201
    full = harness.call("POST", TOKENS, as_user=alice, json={"tokenNote": "second"})
    assert full.status_code == 409 and "maximum" in full.json["message"]


def test_rotating_again_ends_the_overlap_before_so_rotations_cannot_pile_up_secrets(harness, clock):
    alice = harness.user("alice")
    first = make(harness, alice, expiration="30d")
    second = rotate(harness, first["id"], as_user=alice, overlap="7d").json
    third = rotate(harness, second["id"], token=second["token"], overlap="7d").json
    assert whoami(harness, first["token"]).status_code == 401, "the oldest secret stopped"
    assert whoami(harness, second["token"]).status_code == 200, "the one just replaced keeps its overlap"
    assert whoami(harness, third["token"]).status_code == 200
    live = [t["id"] for t in harness.call("GET", TOKENS, as_user=alice).json]
    assert sorted(live) == sorted([second["id"], third["id"]])
    for _ in range(5):
        third = rotate(harness, third["id"], token=third["token"], overlap="7d").json
    assert len(harness.call("GET", TOKENS, as_user=alice).json) == 2


def test_rotation_is_audited_and_emitted_without_secrets(harness):
    from tests.sample_plugins import pat_routes

    root = harness.user("root", roles=("admin",))
    old = make(harness, root)
    pat_routes.EVENTS.clear()
    new = rotate(harness, old["id"], as_user=root).json
    (event,) = [e for e in pat_routes.EVENTS if e.name == "pat.rotated"]
    assert (event.payload["tokenId"], event.payload["replacementId"]) == (old["id"], new["id"])
    assert event.payload["validUntil"] == new["previousValidUntil"]
    trail = harness.call("GET", "/api/v1/admin/personal-access-tokens/audit", as_user=root).json
    assert trail[0]["action"] == "rotated" and trail[0]["tokenId"] == old["id"]
    assert old["token"] not in str(trail) + str(event) and new["token"] not in str(trail) + str(event)


def test_the_cli_rotates_and_refuses_a_bad_overlap_with_exit_2(harness):
    alice = harness.user("alice")
    old = make(harness, alice)
    bad = harness.cli("tokens", "rotate", str(old["id"]), "--overlap", "9d")
    assert bad.returncode == 2 and "at most 7d" in bad.stderr and "Traceback" not in bad.stderr
    missing = harness.cli("tokens", "rotate", "999")
    assert missing.returncode == 2 and "no personal access token 999" in missing.stderr
    done = harness.cli("tokens", "rotate", str(old["id"]), "--overlap", "0")
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip()
    assert secret.startswith("rpa_") and secret not in done.stderr
    replacement = whoami(harness, secret).json
    assert replacement["username"] == "alice"
    (listed,) = [t for t in harness.call("GET", TOKENS, as_user=alice).json if t["id"] == old["id"]]
    # the CLI ran on the real clock, so only the record is checked here (the app runs on the test's)
    assert str(listed["replacedById"]) == replacement["credentialId"] and listed["replacedAt"]


def test_m003_adds_the_rotation_columns_to_tokens_of_the_previous_schema(harness):
    alice = harness.user("alice")
    old = make(harness, alice)
    db = harness.host.database
    with harness.db():
        migrator = SchemaMigrator.from_database(db)
        migrate(
            *(
                migrator.drop_column("pat_tokens", name)
                for name in ("replaced_by_id", "replaced_at", "reuse_reported_at")
            ),
            migrator.drop_column("pat_audit", "user_agent"),
        )
        AppliedMigration.delete().where(AppliedMigration.name == "m003_rotation").execute()
        with pytest.raises(peewee.DatabaseError), db.atomic():
            PersonalAccessToken.select(PersonalAccessToken.replaced_at).first()
        assert harness.host.migrate() == ["pat_auth:m003_rotation"]
        assert harness.host.migrate() == []
    assert whoami(harness, old["token"]).status_code == 200
    assert rotate(harness, old["id"], as_user=alice, overlap="0").status_code == 201
    assert whoami(harness, old["token"]).json["message"] == ROTATED


def test_under_two_gunicorn_workers_the_old_secret_works_through_the_overlap_then_stops_everywhere(
    make_host, serve, tmp_path
):
    clock = FileClock(tmp_path / "clock")
    harness = make_host(plugins=["pat_auth", ROUTES, CLOCK], clock=clock)
    alice = harness.user("alice")
    base = serve(harness, workers=2, env={"RELEASE_HOST_TEST_CLOCK": str(clock.path)})
    auth = (alice.username, alice.password)
    old = requests.post(f"{base}{TOKENS}", json={"tokenNote": "script"}, auth=auth, timeout=10).json()
    new = requests.post(f"{base}{TOKENS}/{old['id']}/rotate", json={"overlap": "1h"}, auth=auth, timeout=10)
    assert new.status_code == 201, new.text

    def call(secret):
        return requests.get(f"{base}{WHOAMI}", headers={"x-release-personal-token": secret}, timeout=10)

    def served_by_both_workers(secret):
        """Up to 200 calls until both workers answered 200; any other answer fails the test."""
        workers = set()
        for _ in range(200):
            answer = call(secret)
            assert answer.status_code == 200, answer.text
            workers.add(answer.json()["pid"])
            if len(workers) == 2:
                return True
        return False

    assert served_by_both_workers(old["token"]), "both workers accept the old secret in the overlap"
    clock.advance(minutes=59)
    assert all(call(old["token"]).status_code == 200 for _ in range(10))
    clock.advance(minutes=1)
    for _ in range(20):
        refused = call(old["token"])
        assert refused.status_code == 401 and refused.json()["message"] == ROTATED
    assert served_by_both_workers(new.json()["token"])
    with harness.db():
        reuse = PatAuditRecord.select().where(PatAuditRecord.action == "reused")
        assert [(r.token_id, r.user_agent.split("/")[0]) for r in reuse] == [
            (old["id"], "python-requests")
        ], "one reuse report for twenty presentations on two workers"
    log = "".join(p.read_text(errors="replace") for p in tmp_path.glob("gunicorn-*.log"))
    assert old["token"] not in log and new.json()["token"] not in log
