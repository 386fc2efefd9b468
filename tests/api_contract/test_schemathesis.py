"""Schemathesis over every operation of the served document with every check on, as the admin
with Basic and with a PAT: zero failures, zero 5xx; and the two ways the document can fall out of
step with the server (a route it misses, a status it lacks) fail.

Each run gets its own server and database (`served()`), so what one run deletes cannot reach
another's fixtures. Within a run nothing can take away the credential it uses: no operation
changes a user or a password, a request authenticated with a PAT may not create, list or delete
tokens (403, so the PAT run cannot revoke its own PAT), and the admin Basic run does not use the
PAT that its DELETEs could revoke. Each test checks afterwards that its credential still works,
so a run that had locked itself out would fail rather than pass on 401s.
"""

from __future__ import annotations

import json

import requests

from tests.api_contract.coverage import documented, mismatches
from tests.api_contract.fuzz import schemathesis

DOCUMENT = "/api/v1/openapi.json"


def fuzzed(document: dict) -> set[str]:
    """Every documented operation but the document's own: schemathesis does not test the URL it
    loaded the document from (`test_api_document.py` validates the document itself)."""
    return {f"{m} {p}" for p, m in documented(document)} - {f"GET {DOCUMENT}"}


def test_every_operation_holds_its_contract_as_admin_with_basic(served, tmp_path):
    server = served()
    basic = ("--auth", ":".join(server.basic))
    run = schemathesis(
        *(server.base + DOCUMENT, server.base, tmp_path, *basic),
        known=server.known(),
        secret_token=server.pat,
        token_maker=":".join(server.basic),  # its DELETEs may revoke the PAT
    )
    assert run.ok, run.summary()
    assert set(run.tested) == fuzzed(server.document())
    assert requests.get(f"{server.base}/api/v1/profile", auth=server.basic, timeout=10).status_code == 200


def test_every_operation_holds_its_contract_with_a_personal_access_token(served, tmp_path):
    server = served()
    header = f"x-release-personal-token: {server.pat}"
    run = schemathesis(
        server.base + DOCUMENT,
        server.base,
        tmp_path,
        *("--header", header),
        known=server.known(),
        secret_token=server.pat,
    )
    assert run.ok, run.summary()
    assert set(run.tested) == fuzzed(server.document())
    profile = requests.get(f"{server.base}/api/v1/profile", headers=server.pat_headers, timeout=10)
    assert (profile.status_code, profile.json()["authenticatedBy"]) == (200, "token")


def test_the_document_lists_exactly_the_mounted_api_routes(served):
    server = served()
    assert mismatches(server.harness.app, server.document()) == []


def test_a_mounted_route_missing_from_the_document_is_reported(served):
    server = served()
    document = server.document()
    del document["paths"]["/api/v1/profile"]
    document["paths"]["/api/v1/nowhere"] = {"get": {"responses": {"200": {"description": "OK"}}}}
    assert mismatches(server.harness.app, document) == [
        "mounted, not documented: GET /api/v1/profile",
        "documented, not mounted: GET /api/v1/nowhere",
    ]


def test_a_status_the_server_answers_that_the_document_lacks_fails_the_run(served, tmp_path):
    """The same run as above, on a copy of the document whose release GET lists only its 200:
    the 404 the server answers for a release that does not exist must fail it."""
    server = served()
    document = server.document()
    path = "/api/v1/releases/{folder}/{release}"
    operation = document["paths"][path]["get"]
    operation["responses"] = {"200": operation["responses"]["200"]}
    document["paths"] = {path: {"get": operation}}
    trimmed = tmp_path / "openapi.json"
    trimmed.write_text(json.dumps(document), encoding="utf-8")
    run = schemathesis(str(trimmed), server.base, tmp_path, "--auth", ":".join(server.basic))
    assert run.tested == [f"GET {path}"]
    assert any("Undocumented status code" in f and "Received: 404" in f for f in run.failures), run.summary()
