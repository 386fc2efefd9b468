"""A user's e-mail address and time zone: `users set-email`, `users set-time-zone`, checked before
they are stored; the host's m003 migration adds the time zone to users of the previous schema."""

from playhouse.migrate import SchemaMigrator, migrate

from host import users
from host.migrations import AppliedMigration


def contact(harness, username):
    with harness.db():
        user = users.find_user(username)
        return user.email, user.time_zone or ""


def test_set_email_and_time_zone_and_refuse_what_is_not_one(make_host):
    harness = make_host()
    harness.user("alice")
    done = harness.cli("users", "set-email", "alice", "  alice@example.org ")
    assert done.returncode == 0, done.stderr
    assert harness.cli("users", "set-time-zone", "alice", "Europe/Paris").returncode == 0
    assert contact(harness, "alice") == ("alice@example.org", "Europe/Paris")
    for args, fragment in [
        (("set-email", "alice", "not an address"), "is not an e-mail address"),
        (("set-email", "alice", "a@b.org\nBcc: x@y.org"), "is not an e-mail address"),
        (("set-email", "alice", "a@b.org, c@d.org"), "is not an e-mail address"),
        (("set-time-zone", "alice", "Mars/Olympus"), "is not a time zone name"),
        (("set-time-zone", "alice", "../../etc/passwd"), "is not a time zone name"),
        (("set-email", "nobody", "n@example.org"), "no user 'nobody'"),
    ]:
        refused = harness.cli("users", *args)
        assert refused.returncode == 2 and fragment in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert contact(harness, "alice") == ("alice@example.org", "Europe/Paris")
    assert harness.cli("users", "set-email", "alice", "").returncode == 0
    assert harness.cli("users", "set-time-zone", "alice", "").returncode == 0
    assert contact(harness, "alice") == ("", "")


def test_m003_adds_the_time_zone_to_users_of_the_previous_schema(make_host):
    harness = make_host()
    harness.user("alice")
    with harness.db():
        db = harness.host.database
        migrate(SchemaMigrator.from_database(db).drop_column("host_users", "time_zone"))
        AppliedMigration.delete().where(AppliedMigration.name == "m003_user_time_zone").execute()
        assert harness.host.migrate() == ["host.builtin.users:m003_user_time_zone"]
    assert contact(harness, "alice") == ("", "")
    assert harness.cli("users", "set-time-zone", "alice", "Asia/Tokyo").returncode == 0
    assert contact(harness, "alice") == ("", "Asia/Tokyo")


def test_the_profile_page_sets_the_address_and_zone_with_the_sessions_csrf_token(make_host):
    from host.testing import PageSession

    harness = make_host()
    alice = harness.user("alice", ["login"])
    browser = PageSession(harness)
    assert browser.login("alice", alice.password).status_code == 303
    page = browser.get("/profile")
    assert page.status_code == 200 and 'name="email"' in page.text and 'href="/profile"' in page.text
    saved = browser.post_form("/profile", {"email": "alice@example.org", "time_zone": "Asia/Tokyo"})
    assert saved.status_code == 303 and saved.headers["location"] == "/profile?saved=1"
    assert contact(harness, "alice") == ("alice@example.org", "Asia/Tokyo")
    assert "Your profile was saved." in browser.get("/profile?saved=1").text
    bad = browser.post_form("/profile", {"email": "alice at example", "time_zone": "Nowhere/Land"})
    assert bad.status_code == 400
    assert "is not an e-mail address" in bad.text and "is not a time zone name" in bad.text
    assert 'value="alice at example"' in bad.text, "what was typed stays in the form"
    assert contact(harness, "alice") == ("alice@example.org", "Asia/Tokyo")
    forged = browser.post_form("/profile", {"email": "mallory@example.org", "time_zone": ""}, csrf=False)
    assert forged.status_code == 403
    assert contact(harness, "alice") == ("alice@example.org", "Asia/Tokyo")
