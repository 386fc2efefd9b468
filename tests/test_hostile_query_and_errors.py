"""Numbers in query strings are ASCII digits on every plugin's list, and every 4xx has one shape:
`{"error": <the status's reason phrase>, "message": <why, naming the parameter>}`."""

from __future__ import annotations

import pytest

PLUGINS = ["pat_auth", "releases_api", "webhooks"]
WEBHOOKS = "/api/v1/config/webhook-endpoints"
LISTS = [
    "/api/v1/releases",
    "/api/v1/releases/byTitle?releaseTitle=x&",
    "/api/v1/templates",
    "/api/v1/triggers",
    "/api/v1/personal-access-tokens",
    "/api/v1/admin/personal-access-tokens",
    "/api/v1/admin/personal-access-tokens/audit",
    WEBHOOKS,
    WEBHOOKS + "/{endpoint}/requests",
]
BAD_NUMBERS = [
    "page=%EF%BC%91",  # fullwidth １
    "page=%2B1",  # +1
    "page=%201",  # " 1"
    "page=1%20",
    "page=-1",
    "page=1.0",
    "page=1_0",
    "page=%D9%A3",  # Arabic-Indic ٣
    "page=1&page=2",
    "page=" + "9" * 5000,
    "resultsPerPage=0",
    "resultsPerPage=%C2%B2",  # superscript ²
    "resultsPerPage=100000",
]


@pytest.fixture
def harness(make_host):
    return make_host(plugins=PLUGINS)


@pytest.fixture
def admin(harness):
    return harness.user("root", roles=("admin",))


@pytest.fixture
def endpoint(harness, admin):
    body = {"title": "Pushes", "path": "pushes", "authentication": "none"}
    result = harness.call("POST", WEBHOOKS, as_user=admin, json=body)
    assert result.status_code == 201, result.text
    return result.json["id"]


def _url(path: str, endpoint: str, query: str) -> str:
    path = path.format(endpoint=endpoint)
    return f"{path}{'' if path.endswith('&') else '?'}{query}"


def assert_shape(result, status: int, phrase: str) -> None:
    assert result.status_code == status, result.text
    body = result.json
    assert set(body) == {"error", "message"}, body
    assert body["error"] == phrase, body
    assert body["message"] and body["message"] != phrase, body


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query", BAD_NUMBERS)
def test_query_numbers_are_ascii_digits_on_every_list(harness, admin, endpoint, path, query):
    result = harness.call("GET", _url(path, endpoint, query), as_user=admin)
    assert_shape(result, 400, "Bad Request")
    name = query.split("=")[0]
    assert result.json["message"].startswith(f"{name} must be a whole number from "), result.json


@pytest.mark.parametrize("path", LISTS)
def test_query_numbers_in_ascii_digits_are_accepted(harness, admin, endpoint, path):
    result = harness.call("GET", _url(path, endpoint, "page=0&resultsPerPage=07"), as_user=admin)
    assert result.status_code == 200, result.text
    assert isinstance(result.json, list)


def test_a_search_takes_its_page_as_ascii_digits_too(harness, admin):
    result = harness.call("POST", "/api/v1/releases/search?page=%2B1", as_user=admin, json={})
    assert_shape(result, 400, "Bad Request")


def test_every_error_has_the_same_two_keys_across_plugins(harness, admin):
    user = harness.user("viewer")
    token = harness.token(admin, "scoped", permissions=["release#view"])
    bad = [
        (harness.call("GET", "/api/v1/nowhere"), 404, "Not Found"),
        (harness.call("PATCH", "/api/v1/profile", as_user=admin), 405, "Method Not Allowed"),
        (harness.call("GET", "/api/v1/releases"), 401, "Unauthorized"),
        (harness.call("GET", WEBHOOKS, as_user=user), 403, "Forbidden"),
        (harness.call("POST", "/api/v1/templates", token=token, json={"title": "t"}), 403, "Forbidden"),
        (harness.call("GET", "/api/v1/releases/Applications/Release0"), 401, "Unauthorized"),
        (harness.call("GET", "/api/v1/releases/Applications/Release0", as_user=admin), 404, "Not Found"),
        (harness.call("POST", "/api/v1/templates", as_user=admin, body="{"), 400, "Bad Request"),
        (harness.call("POST", "/api/v1/templates", as_user=admin, json={}), 400, "Bad Request"),
        (harness.call("POST", WEBHOOKS, as_user=admin, json={"nope": 1}), 400, "Bad Request"),
        (harness.call("POST", "/api/v1/personal-access-tokens", as_user=admin, json={}), 400, "Bad Request"),
        (harness.call("GET", "/api/v1/personal-access-tokens?status=x", as_user=admin), 400, "Bad Request"),
        (harness.call("GET", "/api/v1/releases?page=%00", as_user=admin), 400, "Bad Request"),
        (harness.call("GET", "/webhooks/nowhere"), 404, "Not Found"),
    ]
    for result, status, phrase in bad:
        assert_shape(result, status, phrase)


def test_falcons_own_parameter_errors_take_the_same_shape(make_host):
    """Falcon titles these "Invalid parameter" / "Missing parameter"; a plugin may still raise them."""
    import falcon

    from host.responses import _serialize_http_error

    class Req:
        path = "/api/v1/x"
        accept = "application/json"

        class context:
            route = None

    for exc in (
        falcon.HTTPInvalidParam("The value must be an integer.", "page"),
        falcon.HTTPMissingParam("q"),
    ):
        resp = falcon.Response()
        _serialize_http_error(Req(), resp, exc)
        assert resp.status == "400 Bad Request"
        import json

        body = json.loads(resp.text)
        assert body["error"] == "Bad Request"
        assert set(body) == {"error", "message"}
        assert exc.description.split('"')[1] in body["message"]
