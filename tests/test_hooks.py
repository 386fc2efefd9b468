"""One test (or more) per hook of the plugin contract, named `test_hook_<name>`, each exercising the
hook through the host with a small plugin from `tests/sample_plugins/hooks_*.py`.

`tests/test_plugin_docs.py` fails when a hook spec has no test named after it here.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
import requests

from host import ADMIN, Actor, BaseModel, Config, Event, NavLink, StartupError, create_app, database
from host.testing import TEST_SECRET_KEY, PageSession, basic_auth

P = "tests.sample_plugins."
ROUTES = P + "hooks_routes"
CHALLENGE = 'Basic realm="release-host"'


def test_hook_register_routes_mounts_and_enforces_each_declared_access(make_host):
    harness = make_host(plugins=[ROUTES])
    writer = harness.user("writer", ["notes#write"])
    reader = harness.user("reader")

    assert harness.host.routes["/api/v1/hooks/notes"][0] == ROUTES
    assert harness.call("GET", "/api/v1/hooks/notes").json == {"notes": ["public"]}

    anonymous = harness.call("POST", "/api/v1/hooks/notes")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == CHALLENGE
    refused = harness.call("POST", "/api/v1/hooks/notes", as_user=reader)
    assert refused.status_code == 403
    assert refused.json["message"] == "Permission notes#write is not granted to you."
    assert harness.call("POST", "/api/v1/hooks/notes", as_user=writer).json == {"written": True}

    assert harness.call("DELETE", "/api/v1/hooks/notes").status_code == 401
    deleted = harness.call("DELETE", "/api/v1/hooks/notes", as_user=reader)
    assert deleted.json == {"deleted": True, "by": "reader"}


def test_hook_register_routes_object_of_names_the_object_in_the_refusal(make_host):
    harness = make_host(plugins=[ROUTES])
    reader = harness.user("reader")
    result = harness.call("GET", "/api/v1/hooks/notes/Note7", as_user=reader)
    assert result.status_code == 403
    assert result.json["message"] == "Permission notes#read on Notes/Note7 is not granted to you."


def test_hook_register_routes_page_redirects_to_login(make_host):
    harness = make_host(plugins=[ROUTES])
    result = harness.call("GET", "/hooks/notes")
    assert result.status_code == 303
    assert result.headers["location"] == "/login?next=%2Fhooks%2Fnotes"
    reader = harness.user("reader", ["login"])
    assert harness.call("GET", "/hooks/notes", as_user=reader).text == "<p>notes</p>"


def test_hook_register_routes_listed_by_the_routes_command(make_host):
    harness = make_host(plugins=[ROUTES])
    result = harness.cli("routes")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["GET", "/api/v1/hooks/notes", "PUBLIC", ROUTES] in rows
    assert ["POST", "/api/v1/hooks/notes", "notes#write", ROUTES] in rows
    assert ["DELETE", "/api/v1/hooks/notes", "AUTHENTICATED", ROUTES] in rows
    assert ["GET", "/api/v1/hooks/notes/{note_id}", "notes#read", ROUTES] in rows


def test_hook_register_permissions_known_at_startup_and_grantable(make_host):
    harness = make_host(plugins=[ROUTES])
    permissions = harness.host.permissions
    assert permissions["notes#write"].description == "Write notes"
    assert permissions["notes#read"].is_global is False
    alice = harness.user("alice")
    listed = harness.call("GET", "/api/v1/global-permissions", as_user=alice).json
    assert "notes#write" in listed
    assert "notes#read" not in listed
    assert "risk_profile#edit" in listed

    granted = harness.cli("roles", "create", "note-writers", "--permission", "notes#write")
    assert granted.returncode == 0, granted.stderr
    harness.cli("users", "grant", "alice", "note-writers")
    assert harness.call("POST", "/api/v1/hooks/notes", as_user=alice).status_code == 200


def test_hook_register_permissions_absent_when_the_plugin_is_disabled(make_host):
    harness = make_host(plugins=[])
    assert "notes#write" not in harness.host.permissions
    result = harness.cli("roles", "create", "note-writers", "--permission", "notes#write")
    assert result.returncode != 0
    assert "unknown permission(s): notes#write" in result.stderr


def test_hook_actor_from_request_three_answers(make_host):
    harness = make_host(plugins=[P + "hooks_actor", ROUTES])
    bob = harness.user("bob")

    none = harness.call("GET", "/api/v1/hooks/me")
    assert none.status_code == 401
    assert none.json["message"] == "Authentication required."

    key = harness.call("GET", "/api/v1/hooks/me", headers={"X-Hooks-Key": "good-alice"})
    assert key.json == {"username": "alice"}

    # "not mine" (no X-Hooks-Key): the next implementation, the built-in password check, answers
    assert harness.call("GET", "/api/v1/hooks/me", as_user=bob).json == {"username": "bob"}

    # firstresult: the sample runs before the built-in (which is trylast) and its actor is used
    both = harness.call("GET", "/api/v1/hooks/me", as_user=bob, headers={"X-Hooks-Key": "good-alice"})
    assert both.json == {"username": "alice"}

    # AuthenticationFailed: 401 at once, even though bob's valid password is also present
    wrong = harness.call("GET", "/api/v1/hooks/me", as_user=bob, headers={"X-Hooks-Key": "stolen"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == CHALLENGE
    assert wrong.json == {"error": "Unauthorized", "message": "This hooks key is not valid."}


def test_hook_actor_from_request_not_run_on_public_routes(make_host):
    harness = make_host(plugins=[P + "hooks_actor", ROUTES])
    result = harness.call("GET", "/api/v1/hooks/notes", headers={"X-Hooks-Key": "stolen"})
    assert result.status_code == 200


def test_hook_validate_actor_vetoes_an_authenticated_actor(make_host):
    harness = make_host(plugins=[P + "hooks_validate", P + "hooks_actor", ROUTES])
    blocked = harness.user("blocked")
    alice = harness.user("alice")

    refused = harness.call("GET", "/api/v1/hooks/me", as_user=blocked)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == CHALLENGE
    assert refused.json["message"] == "User blocked by the sample policy."
    # whichever chain member produced the actor
    by_key = harness.call("GET", "/api/v1/hooks/me", headers={"X-Hooks-Key": "good-blocked"})
    assert by_key.status_code == 401
    assert harness.call("GET", "/api/v1/hooks/me", as_user=alice).json == {"username": "alice"}
    # not called without an actor, nor on public routes
    assert harness.call("GET", "/api/v1/hooks/me").json["message"] == "Authentication required."
    assert harness.call("GET", "/api/v1/hooks/notes", as_user=blocked).status_code == 200


def test_hook_validate_actor_sees_the_chains_actor_and_request(make_host):
    harness = make_host(plugins=[P + "hooks_validate", P + "hooks_actor"])
    req = _FakeRequest({"X-Hooks-Key": "good-carol"})
    actor = harness.host.authenticate(req)
    assert (actor.username, actor.via) == ("carol", "hooks-key")
    assert req.context.validated == ["carol"]
    assert harness.host.authenticate(req) is actor, "the chain runs once per request"
    assert req.context.validated == ["carol"]


def test_hook_permission_allowed_veto_rule(make_host):
    harness = make_host(plugins=[P + "hooks_permissions", ROUTES])
    mallory = harness.user("mallory", ["risk_profile#edit"])
    root = harness.user("root", roles=(ADMIN,))
    alice = harness.user("alice", ["risk_profile#edit"])
    nobody = harness.user("nobody")

    # any False denies: the sample's veto beats the role's allow, even the admin role's
    vetoed = harness.call("POST", "/api/v1/hooks/releases", as_user=mallory)
    assert vetoed.status_code == 403
    assert vetoed.json["message"] == "Permission risk_profile#edit is not granted to you."
    harness.set_permissions(mallory, [ADMIN])
    assert harness.call("POST", "/api/v1/hooks/releases", as_user=mallory).status_code == 403
    profile = harness.call("GET", "/api/v1/profile", as_user=mallory).json
    assert "risk_profile#edit" not in profile["permissions"]
    # else any True allows: the role (built-in) or the sample (on one object)
    assert harness.call("POST", "/api/v1/hooks/releases", as_user=alice).status_code == 201
    assert harness.call("POST", "/api/v1/hooks/releases", as_user=root).status_code == 201
    assert harness.call("GET", "/api/v1/hooks/notes/shared", as_user=nobody).json == {"note": "shared"}
    # else deny: nobody has an opinion
    other = harness.call("GET", "/api/v1/hooks/notes/private", as_user=nobody)
    assert other.status_code == 403
    assert other.json["message"] == "Permission notes#read on Notes/private is not granted to you."
    with harness.db():
        actor = Actor(user_id=nobody.id, username="nobody")
        assert harness.host.allowed(actor, "notes#read", "Notes/shared") is True
        assert harness.host.allowed(actor, "notes#read", "Notes/private") is False
        assert harness.host.allowed(None, "notes#read", "Notes/shared") is False


def test_hook_permission_decided_sees_each_combined_answer(make_host):
    from tests.sample_plugins import hooks_decided

    hooks_decided.DECISIONS.clear()
    harness = make_host(plugins=[P + "hooks_decided", P + "hooks_permissions", ROUTES])
    mallory = harness.user("mallory", [ADMIN])
    alice = harness.user("alice", ["risk_profile#edit"])
    assert harness.call("POST", "/api/v1/hooks/releases", as_user=mallory).status_code == 403
    assert harness.call("POST", "/api/v1/hooks/releases", as_user=alice).status_code == 201
    # the veto rule's outcome, not any one implementation's answer
    assert ("mallory", "risk_profile#edit", None, False) in hooks_decided.DECISIONS
    assert ("alice", "risk_profile#edit", None, True) in hooks_decided.DECISIONS
    with harness.db():
        harness.host.allowed(Actor(user_id=alice.id, username="alice"), "notes#read", "Notes/shared")
    assert hooks_decided.DECISIONS[-1] == ("alice", "notes#read", "Notes/shared", True)


def test_hook_authenticate_password_for_another_user_source(make_host):
    harness = make_host(plugins=[P + "hooks_password", ROUTES])
    harness.user("lena", source="ldap")
    ingrid = harness.user("ingrid")

    good = harness.call("GET", "/api/v1/hooks/me", headers=basic_auth("lena", "directory-secret"))
    assert good.json == {"username": "lena"}
    wrong = harness.call("GET", "/api/v1/hooks/me", headers=basic_auth("lena", "guess"))
    assert wrong.status_code == 401
    assert wrong.json["message"] == "The directory refused this password."
    # None ("not my kind of user"): the built-in internal check answers
    assert harness.call("GET", "/api/v1/hooks/me", as_user=ingrid).json == {"username": "ingrid"}
    # a disabled user is refused whoever vouched for the password
    lena = harness.users["lena"]
    harness.set_enabled(lena, False)
    disabled = harness.call("GET", "/api/v1/hooks/me", headers=basic_auth("lena", "directory-secret"))
    assert disabled.status_code == 401


def test_hook_authenticate_password_without_the_plugin_refuses_that_source(make_host):
    harness = make_host(plugins=[ROUTES])
    harness.user("lena", source="ldap")
    result = harness.call("GET", "/api/v1/hooks/me", headers=basic_auth("lena", "directory-secret"))
    assert result.status_code == 401
    assert result.json["message"] == "Invalid username or password."


def test_hook_credential_info_first_answer_wins(make_host):
    harness = make_host(plugins=[P + "hooks_actor"])
    ask = harness.host.pm.hook.credential_info
    assert ask(host=harness.host, credential_id="key-alice") == {
        "id": "key-alice",
        "userId": 0,
        "username": "alice",
        "name": "hooks key",
        "kind": "hooks-key",
    }
    assert ask(host=harness.host, credential_id="unknown-7") is None


def test_hook_credential_info_describes_the_callers_credential(make_host):
    harness = make_host(plugins=[P + "hooks_actor", ROUTES])
    hooks = harness.host.pm.hook
    actor = harness.host.authenticate(_FakeRequest({"X-Hooks-Key": "good-dora"}))
    info = hooks.credential_info(host=harness.host, credential_id=actor.credential_id)
    assert (info["username"], info["kind"]) == ("dora", "hooks-key")


def test_hook_credential_info_answered_by_pat_auth(make_host):
    harness = make_host(plugins=["pat_auth", P + "hooks_actor"])
    owner = harness.user("owner", ["risk_profile#edit"])
    harness.token(owner, "ci token")
    listed = harness.call("GET", "/api/v1/personal-access-tokens", as_user=owner)
    assert listed.status_code == 200, listed.text
    token_id = str(listed.json[0]["id"])
    with harness.db():
        info = harness.host.pm.hook.credential_info(host=harness.host, credential_id=token_id)
    assert info is not None
    assert str(info["id"]) == token_id
    assert (info["userId"], info["username"], info["name"]) == (owner.id, "owner", "ci token")
    assert info["kind"]


class _FakeRequest:
    """Just enough of a request for `Host.authenticate` outside an HTTP call."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.context = type("Context", (), {})()

    def get_header(self, name: str) -> str | None:
        return self.headers.get(name)


def test_hook_register_models_bound_to_the_hosts_database(make_host):
    from tests.sample_plugins.hooks_storage import Bookmark

    harness = make_host(plugins=[P + "hooks_storage"])
    assert Bookmark in harness.host.models
    assert issubclass(Bookmark, BaseModel)
    assert Bookmark._meta.database is database
    with harness.db():
        Bookmark.create(url="https://example.com/", title="by the test")
        titles = sorted(b.title for b in Bookmark.select())
    assert titles == ["by the test", "seeded by m002"]


def test_hook_register_models_creates_no_table_by_itself(make_host):
    from tests.sample_plugins.hooks_storage import Bookmark

    harness = make_host(plugins=[P + "hooks_storage"], migrate=False)
    assert Bookmark in harness.host.models
    with harness.db():
        assert not Bookmark.table_exists()


def test_hook_register_migrations_applied_once_in_order(make_host):
    from tests.sample_plugins.hooks_storage import Bookmark

    harness = make_host(plugins=[P + "hooks_storage"], migrate=False)
    with harness.db():
        applied = harness.host.migrate()
        mine = [name for name in applied if name.startswith(P)]
        assert mine == [f"{P}hooks_storage:m001_create_bookmarks", f"{P}hooks_storage:m002_seed"]
        assert harness.host.migrate() == []
        rows = database.execute_sql(
            f"SELECT name FROM host_migrations WHERE plugin = {database.param} ORDER BY id",
            (P + "hooks_storage",),
        ).fetchall()
        assert [r[0] for r in rows] == ["m001_create_bookmarks", "m002_seed"]
        assert Bookmark.select().count() == 1

    again = harness.cli("migrate")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "no pending migrations"
    restarted = make_host(plugins=[P + "hooks_storage"])
    with restarted.db():
        assert Bookmark.select().count() == 1, "a data migration ran twice"


def _lifecycle(harness) -> list[list[str]]:
    path = Path(harness.config.var_dir) / "hooks_lifecycle.log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_hook_startup_in_process_cli_and_each_gunicorn_worker(make_host, serve):
    harness = make_host(plugins=[P + "hooks_lifecycle"])
    assert [row[:2] for row in _lifecycle(harness)] == [["startup", "test"]]

    result = harness.cli("routes")
    assert result.returncode == 0, result.stderr
    cli = [row for row in _lifecycle(harness) if row[1] == "cli"]
    assert [row[0] for row in cli] == ["startup", "shutdown"]

    base = serve(harness, workers=2)
    assert requests.get(f"{base}/api/v1/health", timeout=10).status_code == 200
    deadline = time.monotonic() + 20
    workers: set[str] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = {row[2] for row in _lifecycle(harness) if row[:2] == ["startup", "server"]}
        time.sleep(0.1)
    assert len(workers) == 2, _lifecycle(harness)


def test_hook_shutdown_called_when_the_host_stops(make_host):
    harness = make_host(plugins=[P + "hooks_lifecycle"])
    assert ["shutdown", "test"] not in [row[:2] for row in _lifecycle(harness)]
    harness.host.shutdown()
    assert [row[:2] for row in _lifecycle(harness)] == [["startup", "test"], ["shutdown", "test"]]


def test_hook_register_commands_adds_a_sub_command(make_host):
    harness = make_host(plugins=[P + "hooks_commands"])
    listed = harness.cli("--help")
    assert "hooks-greet" in listed.stdout
    greeted = harness.cli("hooks-greet", "ada")
    assert greeted.returncode == 0, greeted.stderr
    assert greeted.stdout.strip() == "hello ada, the database says 42, context cli"
    assert harness.cli("hooks-greet", "ada", "--shout").stdout.strip().startswith("HELLO ADA")
    assert harness.cli("hooks-greet", "fail").returncode == 3, "the handler's return value is the exit code"


def test_hook_register_commands_gone_when_disabled(make_host):
    harness = make_host(plugins=[])
    result = harness.cli("hooks-greet", "ada")
    assert result.returncode == 2
    assert "invalid choice: 'hooks-greet'" in result.stderr


def test_hook_navigation_links_collected_and_ordered(make_host):
    harness = make_host(plugins=[P + "hooks_navigation", P + "hooks_navigation_more"])
    root = harness.user("root", roles=(ADMIN,))
    alice = harness.user("alice", ["login"])
    with harness.db():
        for_admin = harness.host.navigation(Actor(user_id=root.id, username="root"))
        for_alice = harness.host.navigation(Actor(user_id=alice.id, username="alice"))
    assert for_admin == [
        NavLink("Hooks admin", "/hooks/admin", order=5),
        NavLink("Profile", "/profile", order=5),  # the host's own
        NavLink("Archive", "/hooks/archive", order=50),
        NavLink("Bookmarks", "/hooks/bookmarks", order=50),
        NavLink("Configuration › Users", "/configuration/users", order=70),  # the host's own
        NavLink("Configuration › Roles", "/configuration/roles", order=71),
        NavLink("API reference", "/api/docs", order=90),  # the host's own
        NavLink("Help", "/hooks/help", order=900),
    ]
    assert [link.label for link in for_alice] == ["Profile", "Archive", "Bookmarks", "API reference", "Help"]

    page = harness.call("GET", "/", as_user=root)
    assert page.status_code == 200, page.text
    hrefs = ["/hooks/admin", "/hooks/archive", "/hooks/bookmarks", "/hooks/help"]
    positions = [page.text.index(f'href="{href}"') for href in hrefs]
    assert positions == sorted(positions), "the user menu shows the links in order"
    alice_page = harness.call("GET", "/", as_user=alice)
    assert alice_page.status_code == 200, alice_page.text
    assert 'href="/hooks/archive"' in alice_page.text
    assert 'href="/hooks/admin"' not in alice_page.text


def test_hook_handle_event_reaches_every_handler_despite_a_failing_one(make_host, clock, caplog):
    from tests.sample_plugins import hooks_events

    harness = make_host(
        plugins=[P + "hooks_events", P + "hooks_events_failing", P + "hooks_events_other"], clock=clock
    )
    host = harness.host
    actor = Actor(user_id=1, username="emitter")
    with caplog.at_level(logging.ERROR, logger="release_host"):
        results = host.emit("hooks.ping", {"n": 1}, actor=actor, source="the test")

    # tryfirst (the failing one), then the default, then trylast; failures are logged and skipped
    assert results == [
        {"handled_by": "hooks_events", "name": "hooks.ping"},
        {"handled_by": "hooks_events_other", "name": "hooks.ping"},
    ]
    assert f"plugin {P}hooks_events_failing failed handling event hooks.ping" in caplog.text
    assert f"plugin {P}hooks_events_failing failed handling event hooks.pong" in caplog.text
    seen = [event for h, event in hooks_events.SEEN if h is host]
    assert [e.name for e in seen] == ["hooks.ping", "hooks.pong"]
    ping, pong = seen
    assert ping == Event(name="hooks.ping", payload={"n": 1}, at=clock.now, actor=actor, source="the test")
    assert (pong.payload, pong.source, pong.actor) == ({"reply_to": 1}, "hooks_events", None)


def test_hook_handle_event_without_handlers_returns_nothing(make_host):
    harness = make_host(plugins=[])
    assert harness.host.emit("hooks.nobody.listens", {}) == []


def test_hook_handle_event_receives_pat_events(make_host):
    from tests.sample_plugins import hooks_events

    harness = make_host(plugins=["pat_auth", P + "hooks_events"])
    owner = harness.user("owner")
    harness.token(owner, "evented")
    names = [event.name for h, event in hooks_events.SEEN if h is harness.host]
    assert "pat.created" in names
    created = next(e for h, e in hooks_events.SEEN if h is harness.host and e.name == "pat.created")
    assert created.actor is not None and created.actor.username == "owner"
    assert json.dumps(dict(created.payload), default=str)


def test_hook_secret_patterns_redact_what_every_plugin_issues(make_host):
    harness = make_host(plugins=["pat_auth", P + "hooks_reduced"])
    root = harness.user("root", roles=(ADMIN,))
    pat = harness.token(root)
    text = f"token {pat}, reduced-secret-7, and rpa_short stays"
    assert harness.host.redact(text) == "token ********, ********, and rpa_short stays"
    assert harness.host.redact(text, "[x]") == "token [x], [x], and rpa_short stays"


def test_hook_secret_patterns_none_leaves_text_alone(make_host):
    harness = make_host(plugins=[])
    assert harness.host.redact("rpa_" + "a" * 40) == "rpa_" + "a" * 40


def test_hook_secret_patterns_invalid_expression_stops_startup(tmp_path):
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        secret_key=TEST_SECRET_KEY,
        var_dir=tmp_path / "var",
        enabled_plugins=[P + "hooks_bad_secret_pattern"],
    )
    with pytest.raises(
        StartupError, match="hooks_bad_secret_pattern.*secret pattern '\\(unclosed' is invalid"
    ):
        create_app(config, context="test")


SETTINGS_PLUGIN = P + "hooks_settings"


def test_hook_register_settings_parsed_once_and_handed_to_every_request(make_host):
    from tests.sample_plugins import hooks_settings

    hooks_settings.PARSED.clear()
    harness = make_host(
        plugins=[SETTINGS_PLUGIN], settings={SETTINGS_PLUGIN: {"greeting": "hi", "repeat": "2"}}
    )
    for _ in range(3):
        assert harness.call("GET", "/api/v1/greet").json == {"greeting": "hi hi"}
    assert len(hooks_settings.PARSED) == 1, "parsed at startup only, not per request"
    assert harness.host.settings(SETTINGS_PLUGIN).api_token == ""


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"greting": "hi"}, "unknown setting(s) greting; known: api_token, greeting, repeat"),
        ({"repeat": 9}, "repeat: Expected `int` <= 5"),
        ({"repeat": "often"}, "repeat: Expected `int`, got `str`"),
        ({"greeting": ["hi"]}, "greeting: Expected `str`, got `array`"),
        ({"greeting": " hi"}, "greeting must not start or end with spaces"),
    ],
)
def test_hook_register_settings_mistakes_stop_startup_naming_plugin_and_key(tmp_path, table, message):
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        secret_key=TEST_SECRET_KEY,
        var_dir=tmp_path / "var",
        enabled_plugins=[SETTINGS_PLUGIN],
        plugin_settings={SETTINGS_PLUGIN: table},
    )
    with pytest.raises(StartupError) as raised:
        create_app(config, context="test")
    assert str(raised.value) == f"[plugins.{SETTINGS_PLUGIN}] {message}"


def test_hook_register_settings_shown_with_defaults_and_secrets_redacted(make_host):
    harness = make_host(plugins=[SETTINGS_PLUGIN], settings={SETTINGS_PLUGIN: {"api_token": "s3cret-value"}})
    shown = harness.cli("config", "show")
    assert shown.returncode == 0, shown.stderr
    table = json.loads(shown.stdout)["plugins"][SETTINGS_PLUGIN]
    assert table == {"greeting": "hello", "repeat": 1, "api_token": "********"}
    assert "s3cret-value" not in shown.stdout


def test_hook_login_options_shown_on_the_login_page_in_order(make_host):
    without = make_host(plugins=[]).call("GET", "/login")
    assert "Other ways to sign in" not in without.text
    page = make_host(plugins=[P + "hooks_login_options"]).call("GET", "/login")
    assert page.status_code == 200
    zeta, acme = page.text.index('href="/hooks/zeta"'), page.text.index('href="/hooks/acme"')
    assert zeta < acme, "order 20 before the default 100"
    assert ">Sign in with Acme</a>" in page.text


def test_hook_logout_redirect_sends_the_browser_on_after_the_session_ended(make_host):
    harness = make_host(plugins=[P + "hooks_login_options"])
    for name in ("zed", "amy"):
        harness.user(name, ["login"])
        browser = PageSession(harness)
        assert browser.login(name, "pw-" + "x" * 8).status_code == 303
        out = browser.post_form("/logout", {})
        if name == "zed":  # a page that goes on (the CSP's form-action stops a cross-site redirect)
            assert out.status_code == 200 and 'href="https://zeta.example/logout"' in out.text
            assert 'content="0;url=https://zeta.example/logout"' in out.text
        else:
            assert out.status_code == 303 and out.headers["location"] == "/login?logged_out=1"
        assert browser.get("/").status_code == 303, "the session ended either way"
