"""Expiry reminders through the notifications plugin to a real SMTP server (aiosmtpd): one message
per owner and point listing all their tokens, whatever the number of hosts running at once; no
secret in a message or the log; times in the owner's zone; events; the admins' digest; retries."""

import logging
import threading

import pytest

from host import User
from plugins.notifications import delivery
from plugins.pat_auth import reminders
from tests.sample_plugins import pat_routes

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"
PLUGINS = ["pat_auth", "notifications", ROUTES]


@pytest.fixture(autouse=True)
def _clear_events():
    pat_routes.EVENTS.clear()
    yield
    pat_routes.EVENTS.clear()


def person(harness, name, email="", zone="", roles=()):
    user = harness.user(name, roles=roles)
    with harness.db():
        User.update(email=email, time_zone=zone).where(User.id == user.id).execute()
    return user


def make(harness, user, name, expiration="30d"):
    made = harness.call("POST", TOKENS, as_user=user, json={"tokenNote": name, "expiration": expiration})
    assert made.status_code == 201, made.text
    return made.json


def settings_for(smtp):
    return {
        "notifications": smtp.settings(from_address="Release Host <ops@example.org>"),
        "pat_auth": {"public_url": "https://release.example.org/"},
    }


def run_round(harness):
    """One reminder round, then deliver what it queued."""
    with harness.host.connection():
        summary = reminders.run(harness.host)
        delivery.deliver_due(harness.host)
    return summary


@pytest.fixture
def world(make_host, clock, smtp):
    harness = make_host(plugins=PLUGINS, clock=clock, settings=settings_for(smtp))
    alice = person(harness, "alice", "alice@example.org", "Europe/Paris")
    bob = person(harness, "bob", "bob@example.org")
    carol = person(harness, "carol")  # no address: nothing can reach her
    root = person(harness, "root", "root@example.org", roles=("admin",))
    secrets = {}
    for name in ("deploy", "backup", "metrics"):
        secrets[name] = make(harness, alice, name)
        clock.advance(hours=1)
    secrets["bob ci"] = make(harness, bob, "bob ci")
    secrets["carol ci"] = make(harness, carol, "carol ci")
    secrets["long"] = make(harness, alice, "long", "60d")
    clock.advance(days=23)
    secrets["week"] = make(harness, alice, "week", "7d")  # born at the 7-day point: no reminder for it
    clock.advance(hours=1)
    return harness, secrets, {"alice": alice, "bob": bob, "carol": carol, "root": root}


def test_one_message_per_owner_at_the_7_day_point_whatever_the_number_of_hosts(
    world,
    make_host,
    clock,
    smtp,
    caplog,
):
    harness, secrets, people = world
    other = make_host(plugins=PLUGINS, clock=clock, settings=settings_for(smtp))
    caplog.set_level(logging.INFO)
    start = threading.Barrier(4)
    results = []

    def remind(h):
        start.wait()
        with h.host.connection():
            results.append(reminders.run(h.host))

    threads = [threading.Thread(target=remind, args=(h,)) for h in (harness, other, harness, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(r.messages for r in results) == 3 and sum(r.tokens for r in results) == 5
    assert sum(r.digest for r in results) == 1
    with harness.host.connection():
        delivery.deliver_due(harness.host)
    (to_alice,) = smtp.to("alice@example.org")
    (to_bob,) = smtp.to("bob@example.org")
    assert smtp.to("carol@example.org") == []
    text = to_alice.text
    for name in ("deploy", "backup", "metrics"):
        token = secrets[name]
        assert f'"{name}" ({token["hint"]}) expires within 7 days' in text
        link = f"https://release.example.org/profile/access-tokens?rotate={token['id']}"
        assert link in text and f'href="{link}"' in to_alice.html
    assert '"long"' not in text and '"week"' not in text
    assert "2026-12-28 13:00 Europe/Paris" in text, "deploy expires at 12:00 UTC, 13:00 in Paris"
    assert "last used: not yet" in text
    assert to_alice.message["From"] == "Release Host <ops@example.org>"
    assert to_alice.message["Subject"] == "3 of your personal access tokens expire soon"
    assert "UTC" in to_bob.text and '"bob ci"' in to_bob.text
    everything = "".join(r.raw for r in smtp.received) + caplog.text
    for token in secrets.values():
        assert token["token"] not in everything and token["token"][4:-6] not in everything
    expiring = [e.payload["tokenNote"] for e in pat_routes.EVENTS if e.name == "pat.expiring"]
    assert sorted(expiring) == ["backup", "bob ci", "carol ci", "deploy", "metrics"]
    assert "carol" in caplog.text and "no recipient with an e-mail address" in caplog.text
    assert len(smtp.to("root@example.org")) == 1, "the admins' digest"
    assert len(smtp.received) == 3
    smtp.received.clear()
    run_round(harness)
    run_round(other)
    assert smtp.received == [], "each reminder once"


def test_the_1_day_point_and_expiry_each_come_once_more(world, clock, smtp):
    harness, secrets, people = world
    run_round(harness)
    smtp.received.clear()
    clock.advance(days=6)  # 1 day minus an hour before "deploy" expires, all three are within 1 day
    run_round(harness)
    (to_alice,) = smtp.to("alice@example.org")
    assert to_alice.text.count("expires within 1 day:") == 4
    assert '"week"' in to_alice.text, "the 7-day token reaches its 1-day point"
    smtp.received.clear()
    run_round(harness)
    assert smtp.to("alice@example.org") == []
    clock.advance(hours=22)  # deploy, backup and metrics have expired; "week" and bob's not yet
    run_round(harness)
    (expired,) = smtp.to("alice@example.org")
    assert expired.text.count("has expired") == 3 and '"week"' not in expired.text
    assert expired.message["Subject"] == "3 of your personal access tokens have expired or expire soon"
    names = sorted(e.payload["tokenNote"] for e in pat_routes.EVENTS if e.name == "pat.expired")
    assert names == ["backup", "deploy", "metrics"]


def test_a_missed_7_day_point_gives_one_reminder_at_1_day(world, clock, smtp):
    harness, secrets, people = world
    clock.advance(days=6)
    run_round(harness)
    (to_alice,) = smtp.to("alice@example.org")
    assert "expires within 7 days" not in to_alice.text and "expires within 1 day" in to_alice.text


def test_the_admin_digest_lists_everyones_tokens_once_a_day(world, clock, smtp):
    harness, secrets, people = world
    run_round(harness)
    (digest,) = smtp.to("root@example.org")
    assert digest.message["Subject"] == "6 personal access token(s) expire this week"
    for line in ('alice: "deploy"', 'bob: "bob ci"', 'carol: "carol ci"', 'alice: "week"'):
        assert line in digest.text
    smtp.received.clear()
    clock.advance(hours=2)
    run_round(harness)
    assert smtp.to("root@example.org") == []
    clock.advance(days=1)
    run_round(harness)
    assert len(smtp.to("root@example.org")) == 1


def test_a_refused_delivery_is_retried_with_backoff_and_never_lost(world, clock, smtp):
    harness, secrets, people = world
    smtp.refuse(2)
    run_round(harness)
    assert len(smtp.received) == 1, "alice's and bob's were refused, root's digest went through"
    with harness.host.connection():
        assert delivery.deliver_due(harness.host) == 0, "not due yet"
        clock.advance(seconds=60)
        assert delivery.deliver_due(harness.host) == 2
    assert sorted(r.to[0] for r in smtp.received) == [
        "alice@example.org",
        "bob@example.org",
        "root@example.org",
    ]


def test_without_smtp_nothing_is_sent_and_messages_are_logged_without_secrets(make_host, clock, caplog):
    harness = make_host(plugins=PLUGINS, clock=clock)
    alice = person(harness, "alice", "alice@example.org")
    token = make(harness, alice, "deploy")
    clock.advance(days=24)
    caplog.set_level(logging.INFO)
    assert run_round(harness).messages == 1
    assert "not sent (no SMTP server configured)" in caplog.text and "deploy" in caplog.text
    assert token["token"] not in caplog.text
    from host.jobs import Job

    with harness.db():
        assert Job.select().count() == 0


def test_with_notifications_disabled_reminders_still_run_and_emit(make_host, clock):
    harness = make_host(plugins=["pat_auth", ROUTES], clock=clock)
    alice = person(harness, "alice", "alice@example.org")
    make(harness, alice, "deploy")
    clock.advance(days=24)
    with harness.host.connection():
        assert reminders.run(harness.host).messages == 1
    seen = [(e.name, e.payload.get("kind")) for e in pat_routes.EVENTS if e.name != "pat.created"]
    assert seen == [
        ("pat.expiring", None),
        ("notification.requested", "pat.expiring"),
        ("notification.requested", "pat.digest"),
    ]
    done = harness.cli("tokens", "remind")
    assert done.returncode == 0 and "sent 0 reminder message(s)" in done.stdout


def test_reuse_is_reported_to_the_owner_by_e_mail(world, smtp):
    harness, secrets, people = world
    old = secrets["deploy"]
    rotated = harness.call(
        "POST", f"{TOKENS}/{old['id']}/rotate", as_user=people["alice"], json={"overlap": "0"}
    )
    assert rotated.status_code == 201
    refused = harness.call(
        "GET", "/api/v1/pat-test/whoami", token=old["token"], headers={"User-Agent": "stolen/1"}
    )
    assert refused.status_code == 401
    with harness.host.connection():
        delivery.deliver_due(harness.host)
    (report,) = smtp.to("alice@example.org")
    assert report.message["Subject"] == 'Possible theft of your personal access token "deploy"'
    assert "stolen/1" in report.text and old["hint"] in report.text
    assert old["token"] not in report.raw and rotated.json["token"] not in report.raw
