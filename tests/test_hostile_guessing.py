"""Password guessing (issue 11, item 3): limits per address + account and per address, in the
database, checked before bcrypt; on SQLite and PostgreSQL, in-process and under two gunicorn workers."""

from __future__ import annotations

import base64
import http.client
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from host import limits
from host.config import SecuritySettings, load_config
from host.errors import StartupError
from host.testing import FakeClock, basic_auth
from host.testing.browser import PageSession

ECHO = "tests.sample_plugins.host_echo"
WHOAMI = "/api/v1/whoami"
LIMITS = SecuritySettings(failures_per_account=3, failures_per_address=6, failure_window_minutes=15)
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


@pytest.fixture
def harness(make_host, clock):
    return make_host(plugins=[ECHO], clock=clock, security=LIMITS)


@pytest.fixture
def alice(harness):
    return harness.user("alice", ["login"])


def guess(harness, username, password, address=ATTACKER):
    return harness.call("GET", WHOAMI, headers=basic_auth(username, password), remote_addr=address)


@pytest.fixture
def bcrypt_calls(monkeypatch):
    """The cost (log2 rounds) of every bcrypt check the server runs."""
    import bcrypt

    real = bcrypt.checkpw
    calls: list[int] = []

    def counting(password, hashed):
        calls.append(int(hashed.split(b"$")[2]))
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


def assert_too_many(result):
    assert result.status_code == 429, result.text
    assert 1 <= int(result.headers["retry-after"]) <= 15 * 60
    assert result.json["error"] == "Too Many Requests"
    assert "Too many failed sign-in attempts" in result.json["message"]
    assert "Try again in 15 minutes" in result.json["message"]


def test_wrong_basic_passwords_are_limited_per_address_and_account(harness, alice, clock):
    for _ in range(LIMITS.failures_per_account):
        assert guess(harness, "alice", "wrong").status_code == 401
    assert_too_many(guess(harness, "alice", "wrong"))
    assert "for this account" in guess(harness, "alice", "wrong").json["message"]
    # The right password from the guessing address waits for the window too...
    assert_too_many(guess(harness, "alice", alice.password))
    # ...but alice herself, from anywhere else, is not locked out.
    assert guess(harness, "alice", alice.password, ELSEWHERE).status_code == 200
    clock.advance(minutes=14)
    assert guess(harness, "alice", alice.password).status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert guess(harness, "alice", alice.password).json == {"username": "alice", "via": "password"}


def test_one_address_trying_many_accounts_is_limited_as_a_whole(harness, alice):
    for index in range(LIMITS.failures_per_address):
        assert guess(harness, f"user{index}", "wrong").status_code == 401
    result = guess(harness, "someone-new", "wrong")
    assert_too_many(result)
    assert "for this account" not in result.json["message"]
    assert guess(harness, "alice", alice.password).status_code == 429
    assert guess(harness, "alice", alice.password, ELSEWHERE).status_code == 200


def test_case_variants_of_a_username_share_one_counter(harness, alice):
    for name in ("alice", "Alice", "ALICE"):
        assert guess(harness, name, "wrong").status_code == 401
    assert guess(harness, "aLiCe", "wrong").status_code == 429


def test_refused_attempts_run_no_bcrypt(harness, alice, bcrypt_calls):
    for _ in range(LIMITS.failures_per_account):
        guess(harness, "alice", "wrong")
    assert len(bcrypt_calls) == LIMITS.failures_per_account
    for _ in range(20):
        assert guess(harness, "alice", "wrong").status_code == 429
    assert guess(harness, "alice", alice.password).status_code == 429
    assert len(bcrypt_calls) == LIMITS.failures_per_account


def test_every_refused_login_costs_one_bcrypt_of_the_configured_cost(harness, alice, bcrypt_calls):
    """No user enumeration by timing: unknown, external and internal users cost the same work."""
    harness.user("robot", source="external")
    rounds = harness.config.bcrypt_rounds
    cases = [("nobody", "wrong"), ("alice", "wrong"), ("robot", "wrong"), ("alice", ""), ("nobody", "")]
    for index, (username, password) in enumerate(cases):
        before = len(bcrypt_calls)
        assert guess(harness, username, password, f"10.0.0.{index}").status_code == 401
        assert bcrypt_calls[before:] == [rounds], (username, password)


def test_a_successful_login_clears_its_accounts_counter_but_not_the_addresses(harness, alice):
    for _ in range(LIMITS.failures_per_account - 1):
        assert guess(harness, "alice", "wrong").status_code == 401
    assert guess(harness, "alice", alice.password).status_code == 200
    for _ in range(LIMITS.failures_per_account):
        assert guess(harness, "alice", "wrong").status_code == 401
    assert guess(harness, "alice", "wrong").status_code == 429
    with harness.db():
        address_row = limits.FailedAttempts.get(account=limits.ADDRESS)
    assert address_row.failures == 2 * LIMITS.failures_per_account - 1


def test_rows_written_are_bounded_per_address(harness, alice):
    for index in range(200):
        guess(harness, f"user{index}", "wrong")
    with harness.db():
        rows = list(limits.FailedAttempts.select())
    # One row for the address, one per account tried before the address was blocked.
    assert len(rows) == LIMITS.failures_per_address + 1
    assert max(r.failures for r in rows) == LIMITS.failures_per_address


def test_ipv6_clients_are_counted_by_their_slash_64(harness, alice):
    for index in range(LIMITS.failures_per_address):
        assert guess(harness, f"user{index}", "wrong", f"2001:db8:1:2::{index + 1:x}").status_code == 401
    assert guess(harness, "alice", alice.password, "2001:db8:1:2:ffff::1").status_code == 429
    assert guess(harness, "alice", alice.password, "2001:db8:1:3::1").status_code == 200


def test_a_scoped_ipv6_client_is_counted_without_its_zone(harness, alice):
    """A link-local peer (getpeername gives `fe80::1%eth0`) gets 401/429 like any other, never 500."""
    assert guess(harness, "alice", alice.password, "fe80::1%eth0").status_code == 200
    for index in range(LIMITS.failures_per_account):
        assert guess(harness, "alice", "wrong", f"fe80::{index + 1:x}%eth{index}").status_code == 401
    assert_too_many(guess(harness, "alice", alice.password, "fe80::ff%eth9"))
    assert guess(harness, "alice", alice.password, "fe80:0:0:1::1%eth0").status_code == 200


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("fe80::1%eth0", "fe80::/64"),
        ("[fe80::1%25]", "fe80::/64"),
        ("::ffff:192.0.2.1%lo", "192.0.2.1"),
        ("192.0.2.1%eth0", "192.0.2.1"),
        ("fe80::1%", "fe80::/64"),
        ("not an ip", "not an ip"),
        ("evil\nline", "evil\\nline"),
        ("%", "%"),
        ("", "unknown"),
        (None, "unknown"),
        ("x" * 100, "x" * 64),
    ],
)
def test_any_address_string_is_counted_and_never_raises(address, counted):
    assert limits.address_key(address) == counted


def test_the_login_page_answers_429_with_a_message(harness, alice, clock):
    page = PageSession(harness)
    for _ in range(LIMITS.failures_per_account):
        assert "Invalid username or password." in login(page, "alice", "wrong").text
    result = login(page, "alice", alice.password)
    assert result.status_code == 429
    assert result.headers["content-type"].startswith("text/html")
    assert 1 <= int(result.headers["retry-after"]) <= 15 * 60
    assert "Too many failed sign-in attempts for this account from your address" in result.text
    assert 'name="login_csrf"' in result.text, "the form is shown again"
    assert login(PageSession(harness), "alice", alice.password, ELSEWHERE).status_code == 303
    clock.advance(minutes=16)
    assert login(page, "alice", alice.password).status_code == 303


def login(page, username, password, address=ATTACKER):
    form = page.get("/login", remote_addr=address)
    token = form.text.split('name="login_csrf" value="', 1)[1].split('"', 1)[0]
    body = f"username={username}&password={password}&login_csrf={token}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return page.request("POST", "/login", body=body, headers=headers, remote_addr=address)


def test_cli_lists_and_clears_blocks(make_host, tmp_path):
    now = FakeClock(datetime.now(UTC))
    harness = make_host(plugins=[ECHO], clock=now, security=LIMITS)
    alice = harness.user("alice")
    for _ in range(LIMITS.failures_per_account + 1):
        guess(harness, "alice", "wrong")
    guess(harness, "evil\x1b[2j\nname", "wrong", ELSEWHERE)
    listed = harness.cli("security", "blocks")
    assert listed.returncode == 0, listed.stderr
    assert f"{ELSEWHERE}\tevil\\x1b[2j\\nname\t1/3\tcounting" in listed.stdout
    assert "\x1b" not in listed.stdout
    assert f"{ATTACKER}\talice\t3/3\tBLOCKED" in listed.stdout
    assert f"{ATTACKER}\t(any account)\t3/6\tcounting" in listed.stdout
    cleared = harness.cli("security", "unblock", ATTACKER)
    assert cleared.returncode == 0, cleared.stderr
    assert f"cleared 2 counter(s) of {ATTACKER}" in cleared.stdout
    assert ATTACKER not in harness.cli("security", "blocks").stdout
    assert harness.cli("security", "unblock", ELSEWHERE).returncode == 0
    assert "no failed attempts" in harness.cli("security", "blocks").stdout
    now.advance(seconds=11)  # this in-process worker trusts a block it read for 10 s
    assert guess(harness, "alice", alice.password).status_code == 200
    bad = harness.cli("security", "unblock", " ")
    assert bad.returncode == 2
    assert "give a client address" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_clears_an_ipv6_block_by_its_slash_64_or_any_address_in_it(harness, alice):
    for address in ("2001:db8:1:2::/64", "2001:db8:1:2::99", "[fe80::1%eth0]"):
        client = "fe80::7%eth1" if address.startswith("[fe80") else "2001:db8:1:2::1"
        guess(harness, "alice", "wrong", client)
        cleared = harness.cli("security", "unblock", address)
        assert cleared.returncode == 0, cleared.stderr
        assert "cleared 2 counter(s) of " in cleared.stdout
    wide = harness.cli("security", "unblock", "2001:db8::/48")
    assert wide.returncode == 2
    assert "wider than one counter" in wide.stderr


def test_security_settings_are_read_and_checked(tmp_path):
    conf = tmp_path / "host.toml"
    conf.write_text(
        "[security]\nfailures_per_account = 5\nfailure_window_minutes = 30\n"
        'trusted_proxies = ["10.0.0.0/8"]\n'
    )
    config = load_config(conf, env={})
    assert config.security == SecuritySettings(
        failures_per_account=5, failure_window_minutes=30, trusted_proxies=("10.0.0.0/8",)
    )
    assert config.redacted()["security"]["failures_per_address"] == 100
    for bad, said in [
        ("failures_per_account = 0", "at least 1"),
        ('failures_per_address = "many"', "whole number"),
        ("lockout = 3", "unknown setting"),
        ('trusted_proxies = ["proxy.local"]', "not an IP address"),
    ]:
        conf.write_text(f"[security]\n{bad}\n")
        with pytest.raises(StartupError, match=said):
            load_config(conf, env={})


def basic_over_http(base_url, username, password, source="127.0.0.1"):
    """A Basic request from a chosen loopback source address (Linux routes all of 127/8 locally)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10, source_address=(source, 0))
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    try:
        conn.request("GET", WHOAMI, headers={"Authorization": f"Basic {credentials}"})
        response = conn.getresponse()
        return response.status, response.getheader("Retry-After"), response.read()
    finally:
        conn.close()


def test_limits_hold_across_two_gunicorn_workers(make_host, serve):
    harness = make_host(plugins=[ECHO], security=LIMITS)
    alice = harness.user("alice")
    base = serve(harness, workers=2)
    statuses = [basic_over_http(base, f"user{i}", "wrong")[0] for i in range(LIMITS.failures_per_address)]
    assert statuses == [401] * LIMITS.failures_per_address
    for _ in range(10):  # whichever worker answers
        status, retry_after, body = basic_over_http(base, "alice", alice.password)
        assert status == 429, body
        assert int(retry_after) >= 1
        assert b"Too many failed sign-in attempts" in body
    assert basic_over_http(base, "alice", alice.password, source="127.0.0.2")[0] == 200


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(make_host, clock):
    security = SecuritySettings(
        failures_per_account=3, failures_per_address=6, trusted_proxies=("10.0.0.0/8",)
    )
    harness = make_host(plugins=[ECHO], clock=clock, security=security)
    alice = harness.user("alice")

    def via_proxy(password, forwarded, peer="10.1.2.3"):
        headers = {**basic_auth("alice", password), "X-Forwarded-For": forwarded}
        return harness.call("GET", WHOAMI, headers=headers, remote_addr=peer)

    # What the client wrote before the proxy's entry is not believed: the last untrusted one counts.
    for index in range(3):
        assert via_proxy("wrong", f"192.0.2.{index}, {ATTACKER}, 10.9.9.9").status_code == 401
    assert via_proxy(alice.password, ATTACKER).status_code == 429
    assert via_proxy(alice.password, ELSEWHERE).status_code == 200
    # A peer that is not a trusted proxy is counted itself, whatever it forwards.
    for index in range(3):
        assert via_proxy("wrong", f"192.0.2.{index}", peer=ELSEWHERE).status_code == 401
    assert via_proxy(alice.password, "192.0.2.99", peer=ELSEWHERE).status_code == 429


def test_directory_passwords_are_limited_without_asking_the_directory(make_host, clock, slapd, monkeypatch):
    from plugins.ldap_auth.directory import Directory

    harness = make_host(
        plugins=["ldap_auth", ECHO], clock=clock, settings={"ldap_auth": slapd.settings()}, security=LIMITS
    )
    binds = []
    real = Directory.verify
    monkeypatch.setattr(Directory, "verify", lambda self, u, p: binds.append(u) or real(self, u, p))
    for _ in range(LIMITS.failures_per_account):
        assert guess(harness, "lara", "not-her-password").status_code == 401
    assert_too_many(guess(harness, "lara", slapd.people["lara"]))
    assert len(binds) == LIMITS.failures_per_account
    assert guess(harness, "lara", slapd.people["lara"], ELSEWHERE).json == {
        "username": "lara",
        "via": "password",
    }
