"""The OpenAPI document and docs/api.md against the routes the server really mounts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from host import AUTHENTICATED, PUBLIC
from host.config import load_config
from host.testing import PROJECT_ROOT

PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
LABELS = {PUBLIC: "public", AUTHENTICATED: "authenticated"}


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


def test_openapi_lists_every_api_route_of_every_loaded_plugin_and_nothing_else(make_host):
    harness = make_host(plugins=load_config(PROJECT_ROOT / "conf" / "host.toml").enabled_plugins)
    result = harness.call("GET", "/api/v1/openapi.json")
    assert result.status_code == 200
    document = result.json
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    real = {
        (PARAM.sub(r"{\1}", template), method)
        for template, method in mounted(harness.app)
        if template.startswith(("/api/", "/webhooks/"))
    }
    assert documented == real
    assert ("/api/v1/releases/{folder}/{release}/start", "POST") in real

    for template, (_, route) in harness.host.routes.items():
        for method, access in route.access.items():
            path = PARAM.sub(r"{\1}", template)
            if path in document["paths"]:
                operation = document["paths"][path][method.lower()]
                assert operation["x-required-permission"] == LABELS.get(access, access)
                assert (operation["security"] == []) == (access == PUBLIC)
                params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert params == set(PARAM.findall(template))


def test_openapi_carries_the_declared_operations_of_the_releases_api(make_host):
    harness = make_host(plugins=["releases_api"])
    paths = harness.call("GET", "/api/v1/openapi.json").json["paths"]
    start = paths["/api/v1/templates/{folder}/{template}/start"]["post"]
    assert start["x-required-permission"] == "release#create"
    assert "release#start" in start["description"]
    assert "requestBody" in start
    assert {"200", "400", "401", "403", "404", "409", "413", "429"} <= set(start["responses"])
    assert set(paths["/api/v1/releases/{folder}/{release}"]["delete"]["responses"]) >= {"204", "409"}


def test_docs_api_md_lists_every_route_with_its_permission(make_host):
    harness = make_host(plugins=["releases_api"])
    text = (PROJECT_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip() + " " + line.split("|")[2].strip().strip("`"): line.split("|")[3].strip()
        for line in text.splitlines()
        if line.startswith("| `")
        or line.startswith("| GET")
        or line.startswith("| POST")
        or line.startswith("| PUT")
        or line.startswith("| DELETE")
    }
    for template, (plugin, route) in harness.host.routes.items():
        if plugin != "releases_api":
            continue
        for method, access in route.access.items():
            key = f"{method} {template}"
            assert key in rows, f"docs/api.md has no row for {key}"
            assert rows[key] == f"`{LABELS.get(access, access)}`", key
            assert f"### {method} {template}" in text, f"docs/api.md has no section for {key}"
