"""The API document the host serves (`/api/v1/openapi.json`) against the routes it really mounts,
and its reference for people (`/api/docs`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from host.config import load_config
from host.openapi import PARAM, operations
from host.routes import access_label
from host.testing import PROJECT_ROOT

DEFAULT_PLUGINS = load_config(PROJECT_ROOT / "conf" / "host.toml").enabled_plugins
DOCUMENT = "/api/v1/openapi.json"


def mounted(app) -> Iterator[tuple[str, str]]:
    """(template, method) of every responder in Falcon's router, found by walking its tree:
    what the server answers, whatever the host's own bookkeeping says."""

    def walk(nodes: list[Any]) -> Iterator[Any]:
        for node in nodes:
            if node.resource is not None:
                yield node
            yield from walk(node.children)

    for node in walk(app._router._roots):
        for method, responder in node.method_map.items():
            if getattr(responder, "__self__", None) is node.resource:
                yield node.uri_template, method


def document_of(make_host, plugins: list[str]) -> dict[str, Any]:
    result = make_host(plugins=plugins).call("GET", DOCUMENT)
    assert result.status_code == 200
    return result.json


def test_the_served_document_is_valid_openapi_3_1(make_host, serve):
    base = serve(make_host(plugins=DEFAULT_PLUGINS), workers=1)
    document = requests.get(base + DOCUMENT, timeout=30).json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema, refs included


def test_the_document_lists_every_api_route_of_every_loaded_plugin_and_nothing_else(make_host):
    harness = make_host(plugins=DEFAULT_PLUGINS)
    document = harness.call("GET", DOCUMENT).json
    real = {
        (PARAM.sub(r"{\1}", template), method)
        for template, method in mounted(harness.app)
        if template.startswith(("/api/", "/webhooks/")) and not harness.host.routes[template][1].page
    }
    assert operations(document) == real
    assert ("/api/v1/releases/{folder}/{release}/start", "POST") in real
    assert ("/api/v1/personal-access-tokens", "POST") in real

    for template, (_, route) in harness.host.routes.items():
        path = PARAM.sub(r"{\1}", template)
        for method, access in route.access.items():
            if path not in document["paths"]:
                continue
            operation = document["paths"][path][method.lower()]
            label = access_label(access)
            assert operation["x-required-permission"] == label
            assert f"Requires: {label}" in operation["description"]
            params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert params == set(PARAM.findall(template))


def test_the_permission_in_each_description_is_what_release_host_routes_prints(make_host):
    harness = make_host(plugins=DEFAULT_PLUGINS)
    document = harness.call("GET", DOCUMENT).json
    printed = harness.cli("routes").stdout
    for line in printed.splitlines():
        method, template, access = line.split()[:3]
        path = PARAM.sub(r"{\1}", template)
        if path in document["paths"]:
            assert f"Requires: {access}" in document["paths"][path][method.lower()]["description"], line


def test_credentials_and_their_refusals_are_documented(make_host):
    paths = document_of(make_host, DEFAULT_PLUGINS)["paths"]
    tokens = paths["/api/v1/personal-access-tokens"]["post"]
    assert tokens["security"] == [{"basic": []}, {"personalAccessToken": []}]
    assert "WWW-Authenticate" in tokens["responses"]["401"]["headers"]
    assert {"201", "400", "401", "403", "409", "413", "415", "429"} <= set(tokens["responses"])
    assert paths["/api/v1/health"]["get"]["security"] == []
    assert paths[DOCUMENT]["get"]["security"] == []


@pytest.mark.parametrize(
    ("disabled", "gone"),
    [
        ("releases_api", ("/api/v1/releases", "/api/v1/templates", "/api/v1/triggers", "/api/v1/tasks")),
        ("webhooks", ("/api/v1/config/webhook-endpoints", "/webhooks/")),
    ],
)
def test_disabling_a_plugin_removes_exactly_its_operations(make_host, disabled, gone):
    full = document_of(make_host, DEFAULT_PLUGINS)
    reduced = document_of(make_host, [p for p in DEFAULT_PLUGINS if p != disabled])
    removed = operations(full) - operations(reduced)
    assert removed, f"{disabled} contributed no operation"
    assert operations(reduced) < operations(full)
    assert all(path.startswith(gone) for path, _ in removed), removed
    assert all(full["paths"][path][m.lower()]["tags"] == [disabled] for path, m in removed)
    tags = {op["tags"][0] for item in reduced["paths"].values() for op in item.values()}
    assert disabled not in tags and "pat_auth" in tags
    pat = {
        (path, m) for path, m in operations(full) if full["paths"][path][m.lower()]["tags"] == ["pat_auth"]
    }
    assert pat and pat <= operations(reduced)


def test_without_plugins_the_host_still_documents_its_own_routes(make_host):
    document = document_of(make_host, [])
    assert {"/api/v1/health", "/api/v1/profile", "/api/v1/global-permissions", DOCUMENT} <= set(
        document["paths"]
    )
    validate(document)


def _api_methods(make_host) -> list[tuple[str, str, str]]:
    harness = make_host(plugins=DEFAULT_PLUGINS)
    return [
        (plugin, template, method)
        for template, (plugin, route) in sorted(harness.host.routes.items())
        if not route.page and template.startswith(("/api/", "/webhooks/"))
        for method in route.access
    ]


PLUGINS_WITH_OPERATIONS = [
    "releases_api",
    "pat_auth",
    "webhooks",
    "host.builtin.users",
    "host.builtin.health",
    "host.builtin.api_document",
]


@pytest.mark.parametrize("plugin", PLUGINS_WITH_OPERATIONS)
def test_every_api_route_method_declares_its_operation(make_host, plugin):
    """A new route (or method) without an `Operation` fails here: its body and answers would be
    missing from the document."""
    harness = make_host(plugins=DEFAULT_PLUGINS)
    found = [(template, method) for owner, template, method in _api_methods(make_host) if owner == plugin]
    assert found, f"{plugin} has no API route"
    lacking = []
    for template, method in found:
        operation = harness.host.routes[template][1].operations.get(method)
        if operation is None or not operation.responses or not operation.summary:
            lacking.append(f"{method} {template}")
    assert not lacking, f"without an Operation (summary and responses): {lacking}"


def test_every_loaded_plugin_is_covered_by_the_completeness_test(make_host):
    owners = {plugin for plugin, _, _ in _api_methods(make_host)}
    listed = set(PLUGINS_WITH_OPERATIONS)
    assert owners <= listed, owners - listed


def test_the_reference_page_shows_every_operation_without_scripts_of_its_own(make_host):
    harness = make_host(plugins=DEFAULT_PLUGINS)
    document = harness.call("GET", DOCUMENT).json
    page = harness.call("GET", "/api/docs", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f'id="{operation["operationId"]}"' in page.text, (method, path)
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == [s for s in scripts if 'src="/static/host.js' in s]
    assert " style=" not in page.text and "<style" not in page.text
    assert "tokenNote" in page.text  # the schemas are shown, not only the paths


def test_the_reference_is_in_the_account_menu_of_a_signed_in_user(make_host):
    harness = make_host(plugins=["pat_auth"])
    alice = harness.user("alice", ["login"])
    home = harness.call("GET", "/", as_user=alice, headers={"Accept": "text/html"})
    assert home.status_code == 200
    assert 'href="/api/docs"' in home.text
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "/api/docs" in readme


def test_the_plugin_example_of_docs_api_md_works_as_written(make_host, tmp_path, monkeypatch):
    text = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text[text.index("### Declaring an operation") :]
    start = section.index("```python\n") + len("```python\n")
    code = section[start : section.index("\n```", start)]
    (tmp_path / "docs_example").mkdir()
    (tmp_path / "docs_example" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "docs_example" / "notes.py").write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    harness = make_host(plugins=["docs_example.notes"])
    alice = harness.user("alice", ["notes#edit"])
    made = harness.call("POST", "/api/v1/notes", as_user=alice, json={"text": "hello"})
    assert made.status_code == 201 and made.json == {"text": "hello", "pinned": False, "id": 2}
    refused = harness.call("POST", "/api/v1/notes", as_user=alice, json={"text": ""})
    assert refused.status_code == 400
    assert refused.json["message"] == "text: expected a string of length >= 1."
    assert harness.call("GET", "/api/v1/notes?page=x", as_user=alice).status_code == 400
    post = harness.call("GET", DOCUMENT).json["paths"]["/api/v1/notes"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoteIn"
    }
    assert {"201", "400", "401", "403", "409", "413", "415", "429"} == set(post["responses"])
    assert "Requires: notes#edit." in post["description"]
