"""Central enforcement: who is calling, what the route declares, and answers to bad input."""

import base64
import logging

import pytest

from host.permissions import combine

ECHO = "tests.sample_plugins.host_echo"


@pytest.fixture
def harness(make_host):
    return make_host(plugins=[ECHO], max_body_bytes=2048)


def basic(raw: bytes) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_public_route_needs_no_credentials(harness):
    assert harness.call("GET", "/api/v1/echo").json == {"actor": None}


def test_missing_credentials_get_401_with_basic_challenge(harness):
    result = harness.call("GET", "/api/v1/whoami")
    assert result.status_code == 401
    assert result.headers["www-authenticate"] == 'Basic realm="release-host"'
    assert result.json == {"error": "Unauthorized", "message": "Authentication required."}


def test_password_login_authenticates_the_user(harness):
    alice = harness.user("alice")
    result = harness.call("GET", "/api/v1/whoami", as_user=alice)
    assert result.json == {"username": "alice", "via": "password"}


def test_wrong_password_is_refused_without_falling_through(harness):
    harness.user("alice")
    result = harness.call("GET", "/api/v1/whoami", headers=basic(b"alice:wrong"))
    assert result.status_code == 401
    assert result.json["message"] == "Invalid username or password."
    unknown = harness.call("GET", "/api/v1/whoami", headers=basic(b"nobody:wrong"))
    assert unknown.json == result.json


def test_disabled_user_is_refused(harness):
    alice = harness.user("alice")
    harness.set_enabled(alice, False)
    assert harness.call("GET", "/api/v1/whoami", as_user=alice).status_code == 401


def test_lacking_permission_is_403_in_the_products_words(harness):
    alice = harness.user("alice")
    result = harness.call("GET", "/api/v1/things/Release42", as_user=alice)
    assert result.status_code == 403
    assert result.json == {
        "error": "Forbidden",
        "message": "Permission echo#read on Things/Release42 is not granted to you.",
    }
    post = harness.call("POST", "/api/v1/echo", as_user=alice, json={"a": 1})
    assert post.json["message"] == "Permission echo#write is not granted to you."


def test_granted_permission_and_admin_pass(harness):
    reader = harness.user("reader", ["echo#read"])
    admin = harness.user("root", roles=("admin",))
    assert harness.call("GET", "/api/v1/things/x", as_user=reader).json == {"thing": "x"}
    assert harness.call("GET", "/api/v1/things/x", as_user=admin).status_code == 200
    assert harness.call("POST", "/api/v1/echo", as_user=admin, json={"a": 1}).json == {"a": 1}


def test_role_change_applies_on_the_next_request(harness):
    bob = harness.user("bob", ["echo#read"])
    assert harness.call("GET", "/api/v1/things/x", as_user=bob).status_code == 200
    harness.set_permissions(bob, [])
    assert harness.call("GET", "/api/v1/things/x", as_user=bob).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        basic(b"no-colon-here"),
        {"Authorization": "Basic %%%not-base64%%%"},
        basic(b"\xff\xfe:\xfa"),
        {"Authorization": "Basic " + "QUFB" * 2600},
        {"Authorization": "Basic"},
        basic(b"al\x00ice:pw"),
    ],
    ids=["no-colon", "bad-base64", "not-utf8", "10kB", "empty", "nul-byte"],
)
def test_malformed_authorization_is_a_clear_401(harness, headers):
    result = harness.call("GET", "/api/v1/whoami", headers=headers)
    assert result.status_code == 401
    assert result.json["error"] == "Unauthorized"
    assert result.json["message"]


def test_unknown_scheme_is_refused_as_not_accepted(harness):
    result = harness.call("GET", "/api/v1/whoami", headers={"Authorization": "Bearer abc"})
    assert result.status_code == 401
    assert result.json["message"] == "These credentials are not accepted here."


def test_unknown_route_is_404_json_under_api_and_html_elsewhere(harness):
    api = harness.call("GET", "/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.json == {"error": "Not Found", "message": "Nothing is at this address."}
    page = harness.call("GET", "/nothing-here", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_wrong_method_is_405(harness):
    assert harness.call("DELETE", "/api/v1/echo").status_code == 405


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The request body is not valid JSON"),
        (b"[1, 2]", "The request body must be a JSON object."),
        (b"", "A JSON object is required as the request body."),
        (b"\xff\xfe", "The request body is not valid JSON"),
    ],
)
def test_bad_json_bodies_are_400_saying_why(harness, body, message):
    admin = harness.user("root", roles=("admin",))
    result = harness.call("POST", "/api/v1/echo", as_user=admin, body=body)
    assert result.status_code == 400
    assert result.json["message"].startswith(message)


def test_oversized_body_is_413(harness):
    admin = harness.user("root", roles=("admin",))
    result = harness.call("POST", "/api/v1/echo", as_user=admin, json={"x": "y" * 5000})
    assert result.status_code == 413
    assert "2048 bytes" in result.json["message"]


def test_unexpected_error_is_500_without_details(harness, caplog):
    with caplog.at_level(logging.ERROR, logger="release_host"):
        result = harness.call("GET", "/api/v1/boom")
    assert result.status_code == 500
    assert "internal detail" not in result.text
    assert "Traceback" not in result.text
    assert "internal detail that must not leak" in caplog.text


def test_page_route_without_login_redirects_to_login_with_local_next(harness):
    result = harness.call("GET", "/echo-page", params={"a": "1"})
    assert result.status_code == 303
    assert result.headers["location"] == "/login?next=%2Fecho-page%3Fa%3D1"


def test_veto_rule_any_false_denies_then_any_true_allows_else_deny():
    assert combine([None, True, None]) is True
    assert combine([True, False]) is False
    assert combine([None, None]) is False
    assert combine([]) is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 2000, "The request body is nested too deeply."),
        (b'{"name": "a\\u0000b"}', "The request body contains a NUL character in name."),
        (
            b'{"x": {"y": ["ok", "\\ud800"]}}',
            "The request body contains invalid Unicode (an unpaired surrogate) in x.y[1].",
        ),
        (b'{"a\\u0000": 1}', "The request body contains a NUL character in a field name."),
    ],
    ids=["deep", "nul", "surrogate", "nul-key"],
)
def test_json_no_database_could_store_is_a_400(harness, body, message):
    admin = harness.user("root", roles=("admin",))
    result = harness.call("POST", "/api/v1/echo", as_user=admin, body=body)
    assert result.status_code == 400
    assert result.json["message"] == message


def test_nul_in_a_path_parameter_is_404_and_in_a_query_400(harness):
    admin = harness.user("root", roles=("admin",))
    assert harness.call("GET", "/api/v1/things/a%00b", as_user=admin).status_code == 404
    query = harness.call("GET", "/api/v1/things/ab", as_user=admin, query_string="q=a%00b")
    assert query.status_code == 400
    assert query.json["message"] == "The query parameter 'q' contains a NUL character."


def test_cross_site_browser_request_cannot_change_anything(harness):
    admin = harness.user("root", roles=("admin",))
    cross = harness.call(
        "POST", "/api/v1/echo", as_user=admin, json={}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert cross.json["message"] == "Cross-site requests may not change anything here."
    same = harness.call(
        "POST", "/api/v1/echo", as_user=admin, json={}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert same.status_code == 200
    read = harness.call("GET", "/api/v1/whoami", as_user=admin, headers={"Sec-Fetch-Site": "cross-site"})
    assert read.status_code == 200
