"""The notifications plugin on its own: STARTTLS and implicit TLS with a verified certificate and a
login against real aiosmtpd servers, a text and an HTML part, settings checked at startup, no
password in a log or `config show`, and a delivery that never blocks the request that asked."""

import logging

import pytest

from host import StartupError, User
from plugins.notifications import delivery

PLUGINS = ["notifications"]


def ask(harness, user_id, subject="Hello", text="Plain words.\n", html="<p>Plain words.</p>"):
    with harness.host.connection():
        harness.host.emit(
            "notification.requested",
            {"kind": "test.hello", "userId": user_id, "subject": subject, "text": text, "html": html},
        )
        return delivery.deliver_due(harness.host)


def with_address(harness, name="alice", email="alice@example.org"):
    user = harness.user(name)
    with harness.db():
        User.update(email=email).where(User.id == user.id).execute()
    return user


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_a_verified_certificate_and_a_login(make_host, tls_smtp, security, caplog):
    server = tls_smtp(security, login=("mailer", "smtp-pass-0123"))
    harness = make_host(plugins=PLUGINS, settings={"notifications": server.settings()})
    alice = with_address(harness)
    caplog.set_level(logging.DEBUG)
    assert ask(harness, alice.id) == 1
    (got,) = server.to("alice@example.org")
    assert server.logins == [("mailer", True)]
    assert got.text.strip() == "Plain words." and "<p>Plain words.</p>" in got.html
    assert got.message["Subject"] == "Hello" and got.message["Auto-Submitted"] == "auto-generated"
    assert "smtp-pass-0123" not in caplog.text
    shown = harness.cli("config", "show")
    assert shown.returncode == 0 and "smtp-pass-0123" not in shown.stdout


def test_an_untrusted_certificate_or_a_wrong_password_is_a_retried_failure(make_host, tls_smtp, clock):
    server = tls_smtp("starttls", login=("mailer", "right"))
    untrusted = {**server.settings(), "ca_file": ""}
    harness = make_host(plugins=PLUGINS, clock=clock, settings={"notifications": untrusted})
    alice = with_address(harness)
    assert ask(harness, alice.id) == 1, "one attempt ran"
    assert server.received == [] and server.logins == []
    wrong = make_host(
        plugins=PLUGINS, clock=clock, settings={"notifications": {**server.settings(), "password": "wrong"}}
    )
    with wrong.host.connection():
        clock.advance(seconds=61)
        assert delivery.deliver_due(wrong.host) == 1
    assert server.logins == [("mailer", False)] and server.received == []
    from host.jobs import Job

    with harness.db():
        (job,) = Job.select()
        assert (job.status, job.attempts) == ("queued", 2) and "right" not in (job.error or "")


def test_a_secret_shaped_value_never_leaves_in_a_message(make_host, smtp):
    harness = make_host(plugins=["pat_auth", *PLUGINS], settings={"notifications": smtp.settings()})
    alice = with_address(harness)
    leaked = harness.token(alice)
    ask(harness, alice.id, subject=f"about {leaked}", text=f"text {leaked}\n", html=f"<p>{leaked}</p>")
    (got,) = smtp.received
    assert leaked not in got.raw and "********" in got.text


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"password": "x"}, "password is set but username is not"),
        ({"security": "ssl"}, "security"),
        ({"smtp_port": 70000}, "smtp_port"),
        ({"from_address": "a@b.org\nBcc: c@d.org"}, "from_address must be one line"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_bad_settings_stop_the_startup_with_a_clear_message(make_host, settings, fragment):
    with pytest.raises(StartupError, match=fragment):
        make_host(plugins=PLUGINS, settings={"notifications": settings})


def test_an_unreachable_server_does_not_block_or_fail_the_request(make_host, clock):
    from host.testing import free_port

    harness = make_host(
        plugins=PLUGINS,
        clock=clock,
        settings={"notifications": {"smtp_host": "127.0.0.1", "smtp_port": free_port(), "security": "none"}},
    )
    alice = with_address(harness)
    with harness.host.connection():
        queued = harness.host.emit(
            "notification.requested",
            {"kind": "t", "userId": alice.id, "subject": "s", "text": "t", "html": ""},
        )
    assert queued == [1], "the handler only queued the message"
    with harness.host.connection():
        assert delivery.deliver_due(harness.host) == 1  # refused connection: retried later
        assert delivery.deliver_due(harness.host) == 0
