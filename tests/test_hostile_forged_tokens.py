"""Forged tokens (issue 11, item 4): well-formed `rpa_` values with a valid CRC32 checksum.

Their refusals are aggregated (one audit row per address, reason and minute, with a count), count
toward the host's per-address limit like wrong passwords, and once the address is over it the
answer is 429 with no lookup and no write; on SQLite and PostgreSQL, and under two gunicorn workers.
"""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import peewee
import pytest

from host import create_tables, limits, to_db
from host.config import SecuritySettings
from host.migrations import Migration, apply_migrations
from host.testing import basic_auth, token_headers
from plugins.pat_auth import store, tokens
from plugins.pat_auth.models import PatAuditRecord, PersonalAccessToken

ROUTES = "tests.sample_plugins.pat_routes"
WHOAMI = "/api/v1/pat-test/whoami"
AUDIT = "/api/v1/admin/personal-access-tokens/audit"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=["pat_auth", ROUTES], clock=clock)


def forged() -> str:
    """A value the offline check accepts: a public checksum is no secret."""
    value = tokens.new_token()
    assert tokens.shape(value) is tokens.Shape.OK
    return value


def call(harness, token, address=ATTACKER):
    return harness.call("GET", WHOAMI, token=token, remote_addr=address)


@pytest.fixture
def statements(harness, monkeypatch):
    database = harness.host.database
    real = database.execute_sql
    seen: list[str] = []

    def counting(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counting)
    return seen


def refused_rows(harness):
    with harness.db():
        return list(
            PatAuditRecord.select().where(PatAuditRecord.action == "refused").order_by(PatAuditRecord.id)
        )


def test_500_forged_tokens_write_a_bounded_number_of_rows(harness, statements, caplog):
    limit = harness.config.security.failures_per_address
    with caplog.at_level("WARNING"):
        results = [call(harness, forged()) for _ in range(500)]
    assert [r.status_code for r in results] == [401] * limit + [429] * (500 - limit)
    too_many = results[-1]
    assert too_many.json["error"] == "Too Many Requests"
    assert "Try again in 15 minutes" in too_many.json["message"]
    assert 1 <= int(too_many.headers["retry-after"]) <= 15 * 60
    writes = [s for s in statements if WRITES.match(s)]
    # Per counted refusal: the attempt counter and the audit row, once each; then nothing.
    assert len(writes) <= 2 * limit + 1
    rows = refused_rows(harness)
    assert len(rows) == 1
    assert (rows[0].count, rows[0].ip, rows[0].detail) == (limit, ATTACKER, "unknown")
    assert len(rows[0].samples.split(",")) == 5
    assert all(re.fullmatch(r"rpa_…[0-9A-Za-z]{4}", s) for s in rows[0].samples.split(","))
    with harness.db():
        assert limits.FailedAttempts.select().count() == 1
    assert caplog.text.count("personal access token refused") == 1
    assert caplog.text.count(f"client address {ATTACKER} blocked") == 1


def test_a_blocked_address_costs_no_query_at_all(harness, statements):
    limit = harness.config.security.failures_per_address
    for _ in range(limit + 1):
        call(harness, forged())
    statements.clear()
    for _ in range(50):
        assert call(harness, forged()).status_code == 429
    assert statements == [], "the token lookup is skipped once this worker read the block"


def test_a_guessing_address_is_blocked_for_passwords_too_and_others_are_not(harness, clock, statements):
    alice = harness.user("alice")
    secret = harness.token(alice)
    for _ in range(harness.config.security.failures_per_address):
        call(harness, forged())
    assert call(harness, secret).status_code == 429
    password = harness.call("GET", WHOAMI, headers=alice.basic, remote_addr=ATTACKER)
    assert password.status_code == 429
    assert call(harness, secret, ELSEWHERE).status_code == 200
    clock.advance(minutes=15, seconds=1)
    assert call(harness, secret).status_code == 200


def test_password_and_token_failures_share_the_address_limit(make_host, clock):
    security = SecuritySettings(failures_per_account=10, failures_per_address=8)
    harness = make_host(plugins=["pat_auth", ROUTES], clock=clock, security=security)
    for index in range(4):
        wrong = harness.call("GET", WHOAMI, headers=basic_auth(f"u{index}", "x"), remote_addr=ATTACKER)
        assert wrong.status_code == 401
        assert call(harness, forged()).status_code == 401
    assert call(harness, forged()).status_code == 429


def test_refusals_of_a_real_token_are_aggregated_per_minute_and_real_events_stay_one_row_each(harness, clock):
    alice = harness.user("alice")
    secret = harness.token(alice, "first", expiration="7d")
    harness.token(alice, "second")
    clock.advance(days=8)
    for _ in range(3):
        assert call(harness, secret).status_code == 401
    clock.advance(minutes=1)
    assert call(harness, secret).status_code == 401
    with harness.db():
        rows = list(PatAuditRecord.select().order_by(PatAuditRecord.id))
    # the same token again within the minute is neither counted nor audited again (no write)
    assert [(r.action, r.detail or None, r.count) for r in rows] == [
        ("created", None, 1),
        ("created", None, 1),
        ("refused", "expired", 1),
        ("refused", "expired", 1),
    ]
    assert rows[2].token_id == rows[0].token_id and rows[2].username == "alice"


@pytest.mark.parametrize("kind", ["unknown", "expired", "deleted"])
def test_a_token_refused_again_within_the_minute_writes_nothing(harness, clock, statements, kind):
    """A script left running with a dead token: its first refusal of the minute is counted and
    audited, the repeats cost the lookup only (issue 20: refusals as cheap as successes)."""
    alice = harness.user("alice")
    secret = forged() if kind == "unknown" else harness.token(alice, "dead", expiration="7d")
    if kind == "expired":
        clock.advance(days=8)
    elif kind == "deleted":
        with harness.db():
            digest = harness.host.secrets.digest(secret, tokens.DIGEST_PURPOSE)
            store.delete_token(harness.host, PersonalAccessToken.get(digest=digest).id, by="test")
    assert call(harness, secret).status_code == 401
    statements.clear()
    for _ in range(20):
        assert call(harness, secret).status_code == 401
    assert [sql for sql in statements if WRITES.match(sql)] == []
    with harness.db():
        assert limits.FailedAttempts.select().where(limits.FailedAttempts.account == "").get().failures == 1
    clock.advance(minutes=1)
    assert call(harness, secret).status_code == 401
    assert [row.count for row in refused_rows(harness)] == [1, 1]
    other = forged()
    assert call(harness, other).status_code == 401  # another value is another guess: counted
    with harness.db():
        assert limits.FailedAttempts.select().where(limits.FailedAttempts.account == "").get().failures == 3


def test_the_audit_api_and_cli_show_the_count(harness, clock):
    root = harness.user("root", roles=("admin",))
    samples = [forged() for _ in range(7)]
    for value in samples:
        call(harness, value)
    clock.advance(seconds=30)
    call(harness, forged())
    trail = harness.call("GET", AUDIT, as_user=root)
    assert trail.status_code == 200
    refused = [r for r in trail.json if r["action"] == "refused"]
    assert len(refused) == 1
    assert refused[0]["count"] == 8
    assert refused[0]["samples"] == [tokens.hint(v) for v in samples[:5]]
    assert refused[0]["lastAt"] == "2026-11-28T12:00:30.000Z"
    assert all(value not in trail.text for value in samples)
    printed = harness.cli("tokens", "audit").stdout
    assert "\tcount=8" in printed.splitlines()[0]


class PreviousAudit(peewee.Model):
    """`pat_audit` as m001 created it, before the aggregation columns."""

    at = peewee.DateTimeField(index=True)
    action = peewee.CharField(max_length=20)
    reason = peewee.CharField(max_length=40, null=True)
    detail = peewee.CharField(max_length=40, default="")
    token_id = peewee.IntegerField(null=True, index=True)
    hint = peewee.CharField(max_length=16, null=True)
    user_id = peewee.IntegerField(null=True)
    username = peewee.CharField(max_length=150, null=True)
    actor = peewee.CharField(max_length=150, null=True)
    ip = peewee.CharField(max_length=45, null=True)

    class Meta:
        table_name = "pat_audit"


def test_the_migration_keeps_rows_made_with_the_previous_schema(make_host, clock):
    harness = make_host(plugins=["pat_auth", ROUTES], clock=clock, migrate=False)
    host = harness.host
    previous = []
    for plugin, step in host.migrations():
        if plugin == "pat_auth" and step.name == "m001_create_tokens_and_audit":
            step = Migration(step.name, create_tables(PersonalAccessToken, PreviousAudit))
        if (plugin, step.name) != ("pat_auth", "m002_aggregate_refusals"):
            previous.append((plugin, step))
    with harness.db(), PreviousAudit.bind_ctx(host.database):
        apply_migrations(previous)
        for action, detail in [("created", ""), ("refused", "unknown"), ("refused", "unknown")]:
            PreviousAudit.create(
                at=to_db(clock()), action=action, detail=detail, hint="rpa_…abcd", ip=ATTACKER
            )
    with harness.db():
        assert host.migrate() == ["pat_auth:m002_aggregate_refusals"]
        old = list(PatAuditRecord.select().order_by(PatAuditRecord.id))
    assert [(r.action, r.count, r.aggregate_key) for r in old] == [
        ("created", 1, None),
        ("refused", 1, None),
        ("refused", 1, None),
    ]
    root = harness.user("root", roles=("admin",))
    for _ in range(2):
        assert call(harness, forged()).status_code == 401
    trail = harness.call("GET", AUDIT, as_user=root).json
    assert [(r["action"], r["count"]) for r in trail] == [
        ("refused", 2),
        ("refused", 1),
        ("refused", 1),
        ("created", 1),
    ]
    with harness.db():
        assert host.migrate() == []


def forged_over_http(base_url, token, source="127.0.0.1"):
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", WHOAMI, headers=token_headers(token))
        response = conn.getresponse()
        return response.status, response.getheader("Retry-After"), response.read()
    finally:
        conn.close()


def test_aggregation_and_limit_hold_across_two_gunicorn_workers(make_host, serve):
    security = SecuritySettings(failures_per_address=20)
    harness = make_host(plugins=["pat_auth", ROUTES], security=security)
    alice = harness.user("alice")
    secret = harness.token(alice)
    base = serve(harness, workers=2)
    statuses = [forged_over_http(base, forged())[0] for _ in range(80)]
    assert statuses == [401] * 20 + [429] * 60
    status, retry_after, body = forged_over_http(base, forged())
    assert status == 429 and int(retry_after) >= 1 and b"Too Many Requests" in body
    assert forged_over_http(base, secret, source="127.0.0.2")[0] == 200
    rows = refused_rows(harness)
    assert 1 <= len(rows) <= 2, "one row per minute (the run may straddle a minute)"
    assert sum(r.count for r in rows) == 20
    log = "".join(p.read_text() for p in harness.tmp_path.glob("gunicorn-*.log"))
    assert 1 <= log.count("personal access token refused") <= 2
