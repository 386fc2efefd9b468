"""LDAP login against a real slapd: directory password, local provisioning, then tokens."""

import pytest

from host import StartupError
from host.testing import basic_auth, free_port
from host.users import User, roles_of

ROUTES = "tests.sample_plugins.pat_routes"
TOKENS = "/api/v1/personal-access-tokens"
WHOAMI = "/api/v1/pat-test/whoami"
INVALID_LOGIN = "Invalid username or password."


@pytest.fixture
def harness(make_host, slapd):
    return make_host(plugins=["pat_auth", "ldap_auth", ROUTES], settings={"ldap_auth": slapd.settings()})


def login(harness, username, password, path=WHOAMI):
    return harness.call("GET", path, headers=basic_auth(username, password))


def local_user(harness, username):
    with harness.db():
        return User.get_or_none(User.username == username)


def test_ldap_user_logs_in_creates_a_token_and_uses_it(harness, slapd):
    password = slapd.people["lara"]
    first = login(harness, "lara", password)
    assert first.status_code == 200, first.text
    assert first.json["source"] == "ldap" and first.json["via"] == "password"
    user = local_user(harness, "lara")
    assert (user.source, user.display_name, user.email) == ("ldap", "Lara Directory", "lara@example.org")
    assert user.password_hash is None
    made = harness.call(
        "POST", TOKENS, headers=basic_auth("lara", password), json={"tokenNote": "ci", "expiration": "7d"}
    )
    assert made.status_code == 201, made.text
    for style in ("header", "basic"):
        used = harness.call("GET", WHOAMI, token=made.json["token"], token_style=style)
        assert used.status_code == 200
        assert used.json["username"] == "lara" and used.json["via"] == "token"
    assert login(harness, "lara", password).status_code == 200
    with harness.db():
        assert User.select().where(User.username == "lara").count() == 1


def test_disabled_local_account_refuses_the_token_and_the_password(harness, slapd):
    password = slapd.people["lara"]
    made = harness.call("POST", TOKENS, headers=basic_auth("lara", password), json={"tokenNote": "ci"})
    assert made.status_code == 201
    user = local_user(harness, "lara")
    with harness.db():
        User.update(enabled=False).where(User.id == user.id).execute()
    refused = harness.call("GET", WHOAMI, token=made.json["token"])
    assert refused.status_code == 401
    assert refused.json["message"] == "Invalid personal access token."
    assert login(harness, "lara", password).status_code == 401


def test_wrong_empty_and_unknown_credentials_are_refused_alike(harness, slapd):
    assert login(harness, "lara", slapd.people["lara"]).status_code == 200
    for username, password in (
        ("lara", "wrong"),
        ("lara", ""),
        ("nobody", "x"),
        ("nobody", ""),
        ("nopass", "x"),
    ):
        result = login(harness, username, password)
        assert result.status_code == 401, (username, password)
        assert result.json["message"] == INVALID_LOGIN
    assert local_user(harness, "nobody") is None
    assert local_user(harness, "nopass") is None


def test_empty_password_never_binds_anonymously(harness):
    result = login(harness, "lara", "")
    assert result.status_code == 401
    assert local_user(harness, "lara") is None


def test_special_characters_are_escaped_in_the_dn(harness, slapd):
    result = login(harness, "ann+lee", slapd.people["ann+lee"])
    assert result.status_code == 200, result.text
    assert result.json["username"] == "ann+lee"
    for hostile in ("lara,ou=people", "*", "lara)(uid=*", "ann\\+lee", "lara\t"):
        assert login(harness, hostile, slapd.people["lara"]).status_code == 401


def test_search_mode_finds_users_with_a_service_account(make_host, slapd):
    settings = {"ldap_auth": slapd.search_settings(default_roles=["ldap-users"])}
    harness = make_host(plugins=["pat_auth", "ldap_auth", ROUTES], settings=settings)
    assert login(harness, "lara", slapd.people["lara"]).status_code == 200
    assert login(harness, "ann+lee", slapd.people["ann+lee"]).status_code == 200
    with harness.db():
        assert roles_of(User.get(User.username == "lara")) == ["ldap-users"]
    for hostile in ("*", "lara)(uid=*", "la*"):
        assert login(harness, hostile, slapd.people["lara"]).status_code == 401
    assert login(harness, "lara", "wrong").status_code == 401


def test_search_mode_without_a_service_account_searches_anonymously(make_host, slapd):
    settings = slapd.search_settings()
    del settings["bind_dn"], settings["bind_password"]
    harness = make_host(plugins=["pat_auth", "ldap_auth", ROUTES], settings={"ldap_auth": settings})
    assert login(harness, "lara", slapd.people["lara"]).status_code == 200
    assert login(harness, "lara", "wrong").status_code == 401


def test_case_variants_sign_in_to_the_same_local_account(harness, slapd):
    assert login(harness, "lara", slapd.people["lara"]).status_code == 200
    again = login(harness, "LARA", slapd.people["lara"])
    assert again.status_code == 200
    assert again.json["username"] == "lara"
    assert local_user(harness, "LARA") is None


def test_internal_user_of_the_same_name_is_not_taken_over(harness, slapd):
    internal = harness.user("lara")
    assert login(harness, "lara", slapd.people["lara"]).status_code == 401
    assert harness.call("GET", WHOAMI, as_user=internal).json["source"] == "internal"


def test_unreachable_directory_refuses_without_crashing(make_host):
    settings = {
        "ldap_auth": {
            "url": f"ldap://127.0.0.1:{free_port()}",
            "user_dn_template": "uid={username},ou=people,dc=example,dc=org",
            "connect_timeout": 2,
        }
    }
    harness = make_host(plugins=["pat_auth", "ldap_auth", ROUTES], settings=settings)
    result = login(harness, "lara", "whatever")
    assert result.status_code == 401
    assert result.json["message"] == INVALID_LOGIN


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "url"),
        ({"url": "http://x"}, "url"),
        ({"url": "ldap://x"}, "user_dn_template"),
        ({"url": "ldap://x", "user_dn_template": "uid=a,dc=x"}, "{username}"),
        (
            {
                "url": "ldap://x",
                "search_base": "dc=x",
                "search_filter": "(uid={username})",
                "bind_dn": "cn=a",
            },
            "bind_password",
        ),
        ({"url": "ldap://x", "user_dn_template": "uid={username}", "typo": 1}, "typo"),
    ],
)
def test_configuration_mistakes_stop_the_startup(make_host, settings, named):
    with pytest.raises(StartupError, match=named):
        make_host(plugins=["ldap_auth"], settings={"ldap_auth": settings})


@pytest.mark.parametrize("local", ["Lara", "1ara"])
def test_no_second_account_for_a_directory_name_that_looks_like_a_local_one(harness, slapd, local):
    """The host's username rule holds for LDAP provisioning too: `lara` is `Lara`, and looks like `1ara`."""
    harness.user(local)
    assert login(harness, "lara", slapd.people["lara"]).status_code == 401
    with harness.db():
        assert User.select().where(User.source == "ldap").count() == 0
