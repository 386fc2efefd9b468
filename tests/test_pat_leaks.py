"""`POST /api/v1/personal-access-tokens/revoke-leaked`: anyone may report strings; a live token
among them is revoked at once, audited with the source and the reporter's address, and its owner
told; the answer is the same whatever was sent; junk costs no query, unknown well-formed strings
count as failed attempts toward the host's limit."""

from __future__ import annotations

import re

import pytest

from host.config import SecuritySettings
from host.limits import FailedAttempts
from plugins.pat_auth import tokens
from plugins.pat_auth.models import PatAuditRecord
from tests.sample_plugins import pat_routes

LEAKED = "/api/v1/personal-access-tokens/revoke-leaked"
WHOAMI = "/api/v1/pat-test/whoami"
REPORTER = "198.51.100.9"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
LIMITS = SecuritySettings(failures_per_account=3, failures_per_address=3, failure_window_minutes=15)


@pytest.fixture
def harness(make_host, clock):
    pat_routes.EVENTS.clear()
    return make_host(plugins=["pat_auth", "tests.sample_plugins.pat_routes"], clock=clock, security=LIMITS)


def report(harness, strings, source=None, address=REPORTER):
    body = {"tokens": strings} if source is None else {"tokens": strings, "source": source}
    return harness.call("POST", LEAKED, json=body, remote_addr=address)


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


def test_a_reported_live_token_is_revoked_audited_and_its_owner_told(harness):
    alice = harness.user("alice")
    secret = harness.token(alice, "pushed by mistake")
    assert harness.call("GET", WHOAMI, token=secret).status_code == 200
    source = f"https://git.example.org/repo/blob/main/ci.yml#L3 {secret}"
    answer = report(harness, ["noise", secret, secret.lower()], source=source)
    assert answer.status_code == 202
    assert answer.json == {"received": 3}
    refused = harness.call("GET", WHOAMI, token=secret)
    assert refused.status_code == 401 and refused.json["message"] == "Invalid personal access token."
    with harness.db():
        rows = {
            row.action: row
            for row in PatAuditRecord.select().where(PatAuditRecord.action.in_(["leaked", "deleted"]))
        }
    assert set(rows) == {"leaked", "deleted"}
    assert (rows["leaked"].ip, rows["leaked"].actor, rows["leaked"].username) == (
        REPORTER,
        "leak-report",
        "alice",
    )
    assert rows["leaked"].source.startswith("https://git.example.org/repo/blob/main/ci.yml#L3")
    assert secret not in rows["leaked"].source, "a secret in the source is redacted"
    names = [event.name for event in pat_routes.EVENTS]
    assert "pat.leaked" in names and "pat.deleted" in names
    (message,) = [e for e in pat_routes.EVENTS if e.name == "notification.requested"]
    assert message.payload["userId"] == alice.id and message.payload["kind"] == "pat.leaked"
    assert "pushed by mistake" in message.payload["subject"] and secret not in message.payload["text"]
    again = report(harness, [secret])
    assert (again.status_code, again.json) == (202, {"received": 1}), "a revoked token answers the same"


def test_random_strings_change_nothing_answer_the_same_and_junk_costs_no_query(harness, statements):
    alice = harness.user("alice")
    secret = harness.token(alice)
    junk = [
        "rpa_" + "x" * 40,
        "hello",
        "",
        "ghp_" + "a" * 36,
        secret[:-1] + ("A" if secret[-1] != "A" else "B"),
    ]
    statements.clear()
    answer = report(harness, junk)
    assert (answer.status_code, answer.json) == (202, {"received": 5})
    assert statements == [], "strings that fail the checksum cost no query"
    well_formed = [tokens.new_token() for _ in range(3)]
    answer = report(harness, well_formed)
    assert (answer.status_code, answer.json) == (202, {"received": 3})
    writes = [s for s in statements if WRITES.match(s) and "DELETE" not in s]  # the limits' purge aside
    assert len(writes) == 1 and "host_failed_attempts" in writes[0], "one failed-attempt count, nothing else"
    assert harness.call("GET", WHOAMI, token=secret).status_code == 200
    with harness.db():
        assert not PatAuditRecord.select().where(PatAuditRecord.action == "leaked").exists()


def test_unknown_well_formed_reports_are_limited_per_address(harness):
    for _ in range(LIMITS.failures_per_address):
        assert report(harness, [tokens.new_token()]).status_code == 202
    limited = report(harness, [tokens.new_token()])
    assert limited.status_code == 429
    assert limited.json["error"] == "Too Many Requests" and limited.headers["retry-after"]
    with harness.db():
        counted = FailedAttempts.select().where(FailedAttempts.address == REPORTER).count()
    assert counted == 1
    assert report(harness, [tokens.new_token()], address="192.0.2.1").status_code == 202
    assert report(harness, ["junk only"]).status_code == 202, "junk is never looked up, so never limited"


@pytest.mark.parametrize(
    "database_url", ["sqlite"], indirect=True
)  # its SQL runs on both databases in-process
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"tokens": []},
        {"tokens": "rpa_x"},
        {"tokens": ["x"] * 1001},
        {"tokens": ["x" * 201]},
        {"tokens": ["x"], "source": "s" * 2001},
        {"tokens": ["x"], "extra": 1},
        {"tokens": [1]},
    ],
)
def test_a_malformed_report_is_a_clear_400(harness, body):
    answer = harness.call("POST", LEAKED, json=body, remote_addr=REPORTER)
    assert answer.status_code == 400, answer.text
    assert set(answer.json) == {"error", "message"}


@pytest.mark.parametrize(
    "database_url", ["sqlite"], indirect=True
)  # its SQL runs on both databases in-process
def test_scan_finds_tokens_offline_never_prints_them_and_revokes_the_live_ones(harness, tmp_path):
    alice = harness.user("alice")
    live = harness.token(alice, "in the repo")
    dead = tokens.new_token()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "config").write_text(f"token = {tokens.new_token()}\n")
    (repo / "ci.yml").write_text(f"steps:\n  - run: curl -u :{live} https://x\n  env: {dead}\n")
    (repo / "notes.txt").write_text(f"not one: rpa_{'a' * 40}\n")
    offline = harness.cli("tokens", "scan", str(repo))
    assert offline.returncode == 1, offline.stderr
    assert (
        f"ci.yml:2: {tokens.hint(live)}" in offline.stdout
        and f"ci.yml:3: {tokens.hint(dead)}" in offline.stdout
    )
    assert "2 token(s) found" in offline.stdout and ".git" not in offline.stdout
    assert live not in offline.stdout + offline.stderr and dead not in offline.stdout
    assert harness.call("GET", WHOAMI, token=live).status_code == 200, "without --revoke nothing changes"
    revoked = harness.cli("tokens", "scan", "--revoke", str(repo / "ci.yml"))
    assert "revoked 1 live token(s)" in revoked.stdout and "1 of them live" in revoked.stdout
    assert harness.call("GET", WHOAMI, token=live).status_code == 401
    clean = harness.cli("tokens", "scan", str(repo / "notes.txt"), str(tmp_path / "missing"))
    assert clean.returncode == 0 and "skipped" in clean.stdout and "0 token(s) found" in clean.stdout
