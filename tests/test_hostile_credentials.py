"""One credential per request, and every HTTP method Falcon routes fails closed."""

from __future__ import annotations

import pytest

from host.credentials import CONFLICTING
from host.testing import basic_auth, token_headers

ECHO = "tests.sample_plugins.host_echo"
METHODS = "tests.sample_plugins.host_methods"

# falcon.testing checks each simulated request with wsgiref's validator, which knows only the
# HTTP/1.1 core methods and warns about WebDAV ones; real servers pass them through.
pytestmark = pytest.mark.filterwarnings("ignore::wsgiref.validate.WSGIWarning")


@pytest.fixture
def harness(make_host):
    return make_host(plugins=["pat_auth", ECHO, METHODS])


def test_a_token_header_with_a_wrong_basic_password_is_refused(harness):
    alice = harness.user("alice")
    pat = harness.token(alice)
    both = {**token_headers(pat), **basic_auth("alice", "wrong")}
    result = harness.call("GET", "/api/v1/whoami", headers=both)
    assert result.status_code == 401
    assert result.json == {"error": "Unauthorized", "message": CONFLICTING}


@pytest.mark.parametrize(
    "other",
    [
        lambda alice, pat: basic_auth("alice", alice.password),  # even the right password
        lambda alice, pat: basic_auth("", "rpa_another"),
        lambda alice, pat: {"Authorization": f"Bearer {pat}"},
    ],
)
def test_any_second_credential_beside_the_token_header_is_refused(harness, other):
    alice = harness.user("alice")
    pat = harness.token(alice)
    result = harness.call("GET", "/api/v1/whoami", headers={**token_headers(pat), **other(alice, pat)})
    assert (result.status_code, result.json["message"]) == (401, CONFLICTING)


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_authorization_header_beside_the_token_header_is_refused(harness, value):
    """An Authorization header is a credential however it is spelled: empty, it is a second,
    malformed one, not an absent one (schemathesis' ignored_auth check found it accepted)."""
    alice = harness.user("alice")
    pat = harness.token(alice)
    result = harness.call("GET", "/api/v1/whoami", headers={**token_headers(pat), "Authorization": value})
    assert (result.status_code, result.json["message"]) == (401, CONFLICTING)


def test_the_same_token_twice_is_one_credential(harness):
    alice = harness.user("alice")
    pat = harness.token(alice)
    both = {**token_headers(pat), **token_headers(pat, "basic")}
    result = harness.call("GET", "/api/v1/whoami", headers=both)
    assert result.json == {"username": "alice", "via": "token"}


def test_a_declared_webdav_method_is_enforced(harness):
    alice = harness.user("alice")
    assert harness.call("PROPFIND", "/api/v1/dav").status_code == 401
    assert harness.call("PROPFIND", "/api/v1/dav", as_user=alice).json == {"actor": "alice"}


def test_a_declared_options_responder_is_enforced(harness):
    alice = harness.user("alice")
    assert harness.call("OPTIONS", "/api/v1/dav").status_code == 401
    assert harness.call("OPTIONS", "/api/v1/dav", as_user=alice).json == {"actor": "alice"}


@pytest.mark.parametrize("method", ["PROPFIND", "MKCOL", "DELETE", "PATCH", "LOCK"])
def test_an_undeclared_method_is_405_with_the_allowed_ones(harness, method):
    result = harness.call(method, "/api/v1/read-only")
    assert result.status_code == 405
    assert result.headers["allow"] == "GET"
    assert result.json["error"] == "Method Not Allowed"


def test_options_without_a_responder_only_lists_the_methods(harness):
    result = harness.call("OPTIONS", "/api/v1/read-only")
    assert result.status_code == 200
    assert result.text == ""
    assert "GET" in result.headers["allow"]
