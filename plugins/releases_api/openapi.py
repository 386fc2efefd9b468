"""The OpenAPI 3 document of the whole API, built from the routes the host mounted.

Every API route of every loaded plugin (under `/api/` or `/webhooks/`, not an HTML page)
appears with each method it declares and the access it requires (`x-required-permission`),
so the document cannot drift from what the server answers. Routes may describe a method
further in `Route.extra["openapi"]` (summary, query parameters, request and response examples,
error statuses).
"""

from __future__ import annotations

import re
from typing import Any

import falcon

from host import AUTHENTICATED, PUBLIC, TOKEN_HEADER, Host, Route

API_PREFIXES = ("/api/", "/webhooks/")
PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
ERRORS = {
    400: "The request is malformed; the message names the field.",
    401: "Missing or wrong credentials.",
    403: "The permission is not granted to you.",
    404: "Not found.",
    409: "Not allowed in the object's current state.",
    413: "The request body is too large.",
    429: "Too many requests; try again later.",
}


def _json(example: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


def _error(status: int) -> dict[str, Any]:
    return _json({"error": "…", "message": ERRORS[status]}, ERRORS[status])


def _operation(plugin: str, template: str, route: Route, method: str, access: str) -> dict[str, Any]:
    doc = dict(route.extra.get("openapi", {}).get(method, {}))
    declared = route.operations.get(method)
    if declared is not None:
        success = min(declared.responses, default=200)
        doc = {
            "summary": declared.summary,
            "also": declared.also,
            "request": {} if declared.body is not None else None,
            "response": {} if declared.responses.get(success) is not None else None,
            "status": success,
            "errors": [code for code in declared.responses if code >= 400],
        }
    summary = doc.get("summary") or route.description or f"{method} {template}"
    label = {PUBLIC: "public", AUTHENTICATED: "authenticated"}.get(access, access)
    requirement = {
        PUBLIC: "Public: no credentials needed.",
        AUTHENTICATED: "Any authenticated caller.",
    }.get(access, f"Requires the permission `{access}`.")
    if doc.get("also"):
        requirement += f" Also requires `{doc['also']}`."
    slug = re.sub(r"[^A-Za-z0-9]+", "_", PARAM.sub(r"\1", template)).strip("_")
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{slug}",
        "summary": summary,
        "description": f"{route.description}\n\n{requirement}".strip(),
        "tags": [plugin],
        "x-required-permission": label,
        "security": [] if access == PUBLIC else [{"basic": []}, {"personalAccessToken": []}],
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in PARAM.findall(template)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
        for name, text in doc.get("query", [])
    ]
    if parameters:
        operation["parameters"] = parameters
    if doc.get("request") is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"example": doc["request"]}},
        }
    status = int(doc.get("status", 200))
    responses: dict[str, Any] = {}
    if status == 204:
        responses["204"] = {"description": "Done; no content."}
    elif doc.get("response") is not None:
        responses[str(status)] = _json(doc["response"], "Success.")
    else:
        responses[str(status)] = {"description": "Success."}
    codes = set(doc.get("errors", []))
    if access != PUBLIC:
        codes.add(401)
    if access not in (PUBLIC, AUTHENTICATED) or doc.get("also"):
        codes.add(403)
    for code in sorted(codes):
        responses[str(code)] = _error(code)
    operation["responses"] = responses
    return operation


def build(host: Host) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for template, (plugin, route) in sorted(host.routes.items()):
        if route.page or not template.startswith(API_PREFIXES):
            continue
        item = {
            method.lower(): _operation(plugin, template, route, method, access)
            for method, access in route.access.items()
        }
        paths[PARAM.sub(r"{\1}", template)] = item
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Release Host API",
            "version": "v1",
            "description": (
                "The public API of this server and its loaded plugins. Authenticate with HTTP Basic "
                "(username and password, or an empty username and a personal access token as the "
                "password) or with the `x-release-personal-token` header."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "personalAccessToken": {"type": "apiKey", "in": "header", "name": TOKEN_HEADER},
            }
        },
        "paths": paths,
    }


class OpenAPIDocument:
    """`GET /api/v1/openapi.json`: built once; the routes do not change while the host runs."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._document: dict[str, Any] | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self._document is None:
            self._document = build(self.host)
        resp.media = self._document
