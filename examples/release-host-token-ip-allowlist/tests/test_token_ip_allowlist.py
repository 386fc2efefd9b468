"""The token IP allowlist through the host, with only the `host.testing` fixtures (the
`release_host` pytest plugin provides them: make_host, serve, clock)."""

from __future__ import annotations

import json

import pytest
import requests
from release_host_token_ip_allowlist.models import AllowedRange

from host import StartupError

PLUGIN = "token_ip_allowlist"
PLUGINS = ["pat_auth", PLUGIN]
EDIT = "token_allowlist#edit"
PROFILE = "/api/v1/profile"


def allowlist(token_id: str) -> str:
    return f"/api/v1/token-allowlist/{token_id}"


def token_id_of(harness, user, name: str) -> str:
    listed = harness.call("GET", "/api/v1/personal-access-tokens", as_user=user)
    assert listed.status_code == 200, listed.text
    return str(next(t["id"] for t in listed.json if t["tokenNote"] == name))


@pytest.fixture
def harness(make_host):
    return make_host(plugins=PLUGINS)


@pytest.fixture
def owner(harness):
    return harness.user("owner", [EDIT, "release#create"])


@pytest.fixture
def token(harness, owner):
    """(secret, id) of a token of `owner`."""
    secret = harness.token(owner, "deploy")
    return secret, token_id_of(harness, owner, "deploy")


def restrict(harness, user, token_id: str, ranges: list[str]):
    result = harness.call("PUT", allowlist(token_id), as_user=user, json={"ranges": ranges})
    assert result.status_code == 200, result.text
    return result.json


def test_restricted_token_refused_then_accepted_through_gunicorn(harness, owner, token, serve):
    secret, token_id = token
    base = serve(harness, workers=2)
    with requests.Session() as http:
        put = http.put(
            f"{base}{allowlist(token_id)}", json={"ranges": ["10.0.0.0/8"]}, auth=("owner", owner.password)
        )
        assert put.status_code == 200, put.text
        assert put.json() == {"tokenId": token_id, "restricted": True, "ranges": ["10.0.0.0/8"]}

        for headers in ({"x-release-personal-token": secret}, None):
            auth = None if headers else ("", secret)
            refused = http.get(f"{base}{PROFILE}", headers=headers, auth=auth)
            assert refused.status_code == 401
            assert refused.headers["WWW-Authenticate"] == 'Basic realm="release-host"'
            assert refused.json() == {
                "error": "Unauthorized",
                "message": "This personal access token may not be used from 127.0.0.1: the address "
                "is outside the token's allowed IP ranges.",
            }

        widened = http.put(
            f"{base}{allowlist(token_id)}",
            json={"ranges": ["10.0.0.0/8", "127.0.0.0/8"]},
            auth=("owner", owner.password),
        )
        assert widened.json()["ranges"] == ["10.0.0.0/8", "127.0.0.0/8"]
        accepted = http.get(f"{base}{PROFILE}", headers={"x-release-personal-token": secret})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["authenticatedBy"] == "token"
        assert http.get(f"{base}{PROFILE}", auth=("", secret)).status_code == 200


def test_ranges_are_checked_against_the_client_address(harness, owner, token):
    secret, token_id = token
    restrict(harness, owner, token_id, ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
    for address, status in [
        ("10.20.30.40", 200),
        ("11.0.0.1", 401),
        ("192.0.2.7", 200),
        ("192.0.2.8", 401),
        ("2001:db8::1", 200),
        ("2001:db9::1", 401),
        ("::ffff:10.1.2.3", 200),
        ("127.0.0.1", 401),
    ]:
        result = harness.call("GET", PROFILE, token=secret, remote_addr=address)
        assert result.status_code == status, (address, result.text)


def test_unrestricted_tokens_and_passwords_are_not_affected(harness, owner, token):
    secret, token_id = token
    other = harness.token(owner, "unrestricted")
    restrict(harness, owner, token_id, ["10.0.0.0/8"])
    assert harness.call("GET", PROFILE, token=other).status_code == 200
    assert harness.call("GET", PROFILE, as_user=owner).status_code == 200
    assert harness.call("GET", PROFILE, token=secret).status_code == 401


def test_forwarded_for_is_believed_only_from_configured_proxies(make_host):
    plain = make_host(plugins=PLUGINS)
    owner = plain.user("owner", [EDIT])
    secret = plain.token(owner, "behind proxy")
    token_id = token_id_of(plain, owner, "behind proxy")
    restrict(plain, owner, token_id, ["10.0.0.0/8"])
    forwarded = {"X-Forwarded-For": "10.9.9.9"}
    assert plain.call("GET", PROFILE, token=secret, headers=forwarded).status_code == 401

    proxied = make_host(plugins=PLUGINS, settings={PLUGIN: {"trusted_proxies": ["127.0.0.1/32"]}})
    assert proxied.call("GET", PROFILE, token=secret, headers=forwarded).status_code == 200
    # the rightmost untrusted hop counts: what a client prepends is ignored
    spoofed = {"X-Forwarded-For": "10.9.9.9, 203.0.113.5"}
    assert proxied.call("GET", PROFILE, token=secret, headers=spoofed).status_code == 401
    # from a peer that is not a trusted proxy, the header is ignored
    outside = proxied.call("GET", PROFILE, token=secret, headers=forwarded, remote_addr="203.0.113.9")
    assert outside.status_code == 401
    garbage = proxied.call("GET", PROFILE, token=secret, headers={"X-Forwarded-For": "not-an-ip"})
    assert garbage.status_code == 401
    assert "unknown address" in garbage.json["message"]


def test_invalid_trusted_proxies_setting_stops_startup(make_host):
    with pytest.raises(StartupError, match=r"trusted_proxies: Invalid CIDR range '10\.0\.0\.1/8'"):
        make_host(plugins=PLUGINS, settings={PLUGIN: {"trusted_proxies": ["10.0.0.1/8"]}})


def test_get_put_delete_round_trip(harness, owner, token):
    _, token_id = token
    assert harness.call("GET", allowlist(token_id), as_user=owner).json == {
        "tokenId": token_id,
        "restricted": False,
        "ranges": [],
    }
    assert restrict(harness, owner, token_id, ["10.0.0.0/8", "10.0.0.0/8", "::1"])["ranges"] == [
        "10.0.0.0/8",
        "::1/128",
    ]
    assert harness.call("GET", allowlist(token_id), as_user=owner).json["ranges"] == ["10.0.0.0/8", "::1/128"]
    cleared = harness.call("DELETE", allowlist(token_id), as_user=owner)
    assert cleared.json == {"tokenId": token_id, "restricted": False, "ranges": []}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ranges": ["10.0.0.0/8", "10.0.0.300/8"]}, "Invalid CIDR range '10.0.0.300/8'"),
        ({"ranges": ["10.0.0.1/8"]}, "Invalid CIDR range '10.0.0.1/8': 10.0.0.1/8 has host bits set."),
        ({"ranges": ["example.org"]}, "Invalid CIDR range 'example.org'"),
        ({"ranges": [42]}, "Invalid CIDR range 42"),
        ({"ranges": "10.0.0.0/8"}, "ranges must be a list"),
        ({"ranges": ["10.0.0.0/8"] * 51}, "At most 50 ranges per token"),
        ({"cidr": "10.0.0.0/8"}, 'Give the allowed ranges as {"ranges"'),
    ],
)
def test_invalid_ranges_are_400_naming_them(harness, owner, token, body, message):
    _, token_id = token
    result = harness.call("PUT", allowlist(token_id), as_user=owner, json=body)
    assert result.status_code == 400
    assert result.json["error"] == "Bad Request"
    assert message in result.json["message"]
    assert harness.call("GET", allowlist(token_id), as_user=owner).json["ranges"] == []


def test_the_route_declares_its_permission(harness, token):
    _, token_id = token
    bare = harness.user("bare")
    assert harness.call("GET", allowlist(token_id)).status_code == 401
    refused = harness.call("PUT", allowlist(token_id), as_user=bare, json={"ranges": []})
    assert refused.status_code == 403
    assert refused.json["message"] == (
        f"Permission {EDIT} on PersonalAccessTokens/{token_id} is not granted to you."
    )
    assert EDIT in harness.host.permissions


def test_only_the_owner_or_an_admin_may_see_or_change_a_tokens_ranges(harness, owner, token):
    _, token_id = token
    colleague = harness.user("colleague", [EDIT])
    admin = harness.user("root", roles=("admin",))
    for method, body in (("GET", None), ("PUT", {"ranges": ["10.0.0.0/8"]})):
        result = harness.call(method, allowlist(token_id), as_user=colleague, json=body)
        assert result.status_code == 403
        assert "Only the token's owner or an administrator" in result.json["message"]
    assert restrict(harness, admin, token_id, ["10.0.0.0/8"])["restricted"] is True
    assert harness.call("GET", allowlist(token_id), as_user=owner).json["ranges"] == ["10.0.0.0/8"]
    missing = harness.call("GET", allowlist("999999"), as_user=admin)
    assert missing.status_code == 404
    assert missing.json["message"] == "There is no personal access token 999999."


def test_a_token_cannot_change_its_own_ranges(harness, owner, token):
    secret, token_id = token
    result = harness.call("PUT", allowlist(token_id), token=secret, json={"ranges": []})
    assert result.status_code == 403
    assert "A token cannot change its own allowed ranges" in result.json["message"]


def test_cli_sets_adds_shows_and_clears(harness, owner, token):
    secret, token_id = token
    result = harness.cli("token-allowlist", "set", token_id, "10.0.0.0/8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"token {token_id} ('deploy' of owner): 10.0.0.0/8"
    assert harness.call("GET", PROFILE, token=secret).status_code == 401
    added = harness.cli("token-allowlist", "add", token_id, "127.0.0.0/8")
    assert added.stdout.strip().endswith("10.0.0.0/8, 127.0.0.0/8")
    assert harness.call("GET", PROFILE, token=secret).status_code == 200
    shown = harness.cli("token-allowlist", "show", token_id)
    assert shown.stdout.strip().endswith("10.0.0.0/8, 127.0.0.0/8")
    cleared = harness.cli("token-allowlist", "clear", token_id)
    assert cleared.stdout.strip().endswith("any address (not restricted)")


def test_cli_refuses_invalid_ranges_and_unknown_tokens(harness, token):
    _, token_id = token
    bad = harness.cli("token-allowlist", "set", token_id, "10.0.0.0/33")
    assert bad.returncode == 2
    assert "Invalid CIDR range '10.0.0.0/33'" in bad.stderr
    assert "Traceback" not in bad.stderr
    unknown = harness.cli("token-allowlist", "show", "424242")
    assert unknown.returncode == 2
    assert "There is no personal access token 424242." in unknown.stderr


def test_plugins_and_routes_commands_show_it_when_enabled(harness):
    listed = harness.cli("plugins")
    assert listed.returncode == 0, listed.stderr
    assert f"{PLUGIN} 0.1.0" in listed.stdout.splitlines()
    rows = json.loads(harness.cli("plugins", "--json").stdout)
    mine = next(row for row in rows if row["name"] == PLUGIN)
    assert "release_host_token_ip_allowlist" in mine["location"]
    assert {"validate_actor", "register_routes", "register_commands", "handle_event"} <= set(mine["hooks"])
    routes = [line.split() for line in harness.cli("routes").stdout.splitlines()]
    assert ["PUT", "/api/v1/token-allowlist/{token_id}", EDIT, PLUGIN] in routes


def test_disabling_the_plugin_in_the_configuration_restores_previous_behaviour(make_host, serve):
    enabled = make_host(plugins=PLUGINS)
    owner = enabled.user("owner", [EDIT])
    secret = enabled.token(owner, "restricted")
    restrict(enabled, owner, token_id_of(enabled, owner, "restricted"), ["10.0.0.0/8"])
    token = {"x-release-personal-token": secret}
    with_plugin = serve(enabled, workers=1)
    assert requests.get(f"{with_plugin}{PROFILE}", headers=token, timeout=10).status_code == 401

    # the same database, `enabled` without the plugin in the configuration file the server reads
    disabled = make_host(plugins=["pat_auth"])
    assert "token_ip_allowlist" not in disabled.write_conf().read_text()
    without = serve(disabled, workers=1)
    assert requests.get(f"{without}{PROFILE}", headers=token, timeout=10).status_code == 200
    assert PLUGIN not in disabled.cli("plugins").stdout
    assert "token-allowlist" not in disabled.cli("--help").stdout
    assert (
        requests.get(f"{without}{allowlist('1')}", auth=("owner", owner.password), timeout=10).status_code
        == 404
    )


def test_deleting_a_token_drops_its_ranges(harness, owner, token):
    _, token_id = token
    restrict(harness, owner, token_id, ["10.0.0.0/8"])
    deleted = harness.call("DELETE", f"/api/v1/personal-access-tokens/{token_id}", as_user=owner)
    assert deleted.status_code in (200, 204), deleted.text
    admin = harness.user("root", roles=("admin",))
    assert harness.call("GET", allowlist(token_id), as_user=admin).status_code == 404
    with harness.db():
        assert not AllowedRange.select().where(AllowedRange.credential_id == token_id).exists()
