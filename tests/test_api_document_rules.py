"""The rules a request schema carries beyond types (no NUL anywhere, which fields go together, what
the server's configuration offers) agree with what the server answers: for each body, the
document's verdict (JSON Schema 2020-12 over the served document) is the server's (2xx or 400)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DOCUMENT = "/api/v1/openapi.json"
TOKENS = "/api/v1/personal-access-tokens"
ENDPOINTS = "/api/v1/config/webhook-endpoints"
PLUGINS = ["pat_auth", "releases_api", "webhooks"]
TASK = {"title": "Sign off"}


@pytest.fixture
def served(make_host):
    harness = make_host(plugins=PLUGINS)
    admin = harness.user("admin", roles=("admin",))
    document = harness.call("GET", DOCUMENT).json
    return harness, admin, document


def verdict(document: dict[str, Any], method: str, path: str, body: Any) -> bool:
    """Whether the document's request schema of `method path` takes `body`."""
    schema = document["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    registry = Registry().with_resource("urn:api", DRAFT202012.create_resource(document))
    checker = Draft202012Validator.FORMAT_CHECKER
    return Draft202012Validator(_rooted(schema), registry=registry, format_checker=checker).is_valid(body)


def _rooted(schema: Any) -> Any:
    """`#/components/...` references read from the document registered as `urn:api`."""
    if isinstance(schema, dict):
        return {
            k: (v.replace("#/", "urn:api#/", 1) if k == "$ref" else _rooted(v)) for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rooted(v) for v in schema]
    return schema


CASES = [
    ("POST", "/api/v1/templates", {"title": "T", "phases": [{"title": "P", "tasks": [TASK]}]}, True),
    ("POST", "/api/v1/templates", {"title": "T", "unknown": {"deep": ["a\x00b"]}}, False),
    ("POST", "/api/v1/templates", {"title": "T", "un\x00known": 1}, False),
    ("POST", "/api/v1/templates", {"title": "T\x00"}, False),
    ("POST", "/api/v1/templates", {"title": "T", "dueDate": ""}, False),
    ("POST", "/api/v1/templates", {"title": "T", "dueDate": "2030-01-02T03:04:05Z"}, True),
    ("POST", "/api/v1/releases/search", None, True),
    ("POST", TOKENS, {"tokenNote": "ci 1", "allPermissions": False}, False),
    ("POST", TOKENS, {"tokenNote": "ci 2", "allPermissions": False, "globalPermissions": ["login"]}, True),
    ("POST", TOKENS, {"tokenNote": "ci 3", "allPermissions": True, "globalPermissions": []}, True),
    ("POST", TOKENS, {"tokenNote": "ci 4", "globalPermissions": ["no#such"]}, False),
    ("POST", TOKENS, {"tokenNote": "ci 5", "expiration": "2w"}, False),
    ("POST", TOKENS, {"tokenNote": "zero\u200bwidth"}, False),
    ("POST", f"{TOKENS}/self/rotate", {"overlap": ""}, False),
    ("POST", f"{TOKENS}/self/rotate", {"overlap": "8d"}, False),
    ("POST", ENDPOINTS, {"title": "G", "path": "g"}, False),
    (
        "POST",
        ENDPOINTS,
        {"title": "G", "path": "g", "authentication": "hmac-sha256", "secretToken": "k"},
        True,
    ),
    ("POST", ENDPOINTS, {"title": "G", "path": "g", "authentication": "basic", "password": "p"}, False),
    (
        "POST",
        ENDPOINTS,
        {"title": "G", "path": "g2", "authentication": "none", "requestRetention": 5.0},
        True,
    ),
]


def test_the_document_and_the_server_agree_on_each_body(served):
    harness, admin, document = served
    for method, path, body, valid in CASES:
        assert verdict(document, method, path, body) is valid, (path, body)
        if path.endswith("/self/rotate"):
            continue  # a password may not rotate "self" (403) whatever the body: the document alone
        sent = {"json": body} if body is not None else {}
        status = harness.call(method, path, as_user=admin, **sent).status_code
        assert (200 <= status < 300) is valid, (status, path, body)


def test_a_trigger_needs_the_endpoint_it_listens_to(served):
    _, _, document = served
    trigger = {"title": "T", "templateId": "Applications/Release1", "releaseTitle": "R"}
    assert not verdict(document, "POST", "/api/v1/triggers", trigger)
    assert not verdict(document, "POST", "/api/v1/triggers", {**trigger, "endpointPath": "//"})
    assert verdict(document, "POST", "/api/v1/triggers", {**trigger, "endpointPath": "git"})
    assert verdict(document, "POST", "/api/v1/triggers", {**trigger, "endpointId": 3})


def test_a_status_only_the_http_server_answers_is_documented_without_a_body(served):
    _, _, document = served
    too_long = document["paths"]["/api/v1/releases/search"]["post"]["responses"]["414"]
    assert "content" not in too_long
