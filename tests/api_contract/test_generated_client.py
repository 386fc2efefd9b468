"""A client generated from the served document (openapi-python-client, pinned) works against the
real server: it creates a token with Basic, then with that token lists releases and starts one.
Generation fails on any warning, so an operation the generator cannot type fails this test."""

from __future__ import annotations

import importlib
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

from openapi_python_client.strings import PythonIdentifier

from host import TOKEN_HEADER

PACKAGE = "release_host_client"
CONFIG = f"project_name_override: release-host-client\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
TOKENS = "/api/v1/personal-access-tokens"
RELEASES = "/api/v1/releases"
START = "/api/v1/releases/{folder}/{release}/start"


def generate(url: str, where: Path) -> None:
    config = where / "generator.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--url", url, "--meta", "none"]
    command += ["--config", str(config), "--output-path", str(where / PACKAGE), "--fail-on-warning"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=where)
    assert done.returncode == 0, done.stdout + done.stderr


def endpoint(document: dict[str, Any], method: str, path: str) -> Any:
    """The generated module of an operation: `api/<first tag>/<operationId>`, as the generator
    names them."""
    operation = document["paths"][path][method]
    tag = PythonIdentifier((operation.get("tags") or ["default"])[0], prefix="tag")
    name = PythonIdentifier(operation["operationId"], prefix="field_")
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")


def body_of(module: Any, values: dict[str, Any]) -> Any:
    """The generated request model of the operation, filled from `values`. A body whose schema
    lists the combinations of fields it takes (`anyOf`, as the token body's `allPermissions`
    rule) is a union of models: the first one, where `allPermissions` is left out, is filled."""
    kind = typing.get_type_hints(module.sync_detailed)["body"]
    models = [k for k in typing.get_args(kind) if hasattr(k, "from_dict")] or [kind]
    return models[0].from_dict(values)


def test_a_generated_client_creates_a_token_lists_releases_and_starts_one(served, tmp_path, monkeypatch):
    server = served()
    document = server.document()
    generate(f"{server.base}/api/v1/openapi.json", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "modules", dict(sys.modules))  # the generated package goes with the test
    client = importlib.import_module(PACKAGE)

    with client.Client(base_url=server.base, httpx_args={"auth": server.basic}) as basic:
        create = endpoint(document, "post", TOKENS)
        made = create.sync_detailed(
            client=basic, body=body_of(create, {"tokenNote": "generated", "expiration": "7d"})
        )
    assert made.status_code == 201, made.content
    assert made.parsed.token.startswith("rpa_") and made.parsed.token_note == "generated"

    with client.AuthenticatedClient(
        base_url=server.base, token=made.parsed.token, prefix="", auth_header_name=TOKEN_HEADER
    ) as pat:
        listed = endpoint(document, "get", RELEASES).sync_detailed(client=pat)
        assert listed.status_code == 200, listed.content
        by_title = {release.title: release for release in listed.parsed}
        assert set(by_title) == {"Planned", "Active"} and by_title["Planned"].status == "PLANNED"

        folder, release = by_title["Planned"].id.split("/")
        started = endpoint(document, "post", START).sync_detailed(folder, release, client=pat)
        assert started.status_code == 200, started.content
        assert (started.parsed.id, started.parsed.status) == (by_title["Planned"].id, "IN_PROGRESS")
