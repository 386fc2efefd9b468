"""docs/api.md against the routes the server really mounts (the document: tests/test_api_document.py)."""

from __future__ import annotations

import re

from host import AUTHENTICATED, PUBLIC
from host.testing import PROJECT_ROOT

PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
LABELS = {PUBLIC: "public", AUTHENTICATED: "authenticated"}


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
