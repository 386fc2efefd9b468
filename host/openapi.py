"""The OpenAPI 3.1 document of the whole API, built from the routes the host mounted.

Every API route of every loaded plugin (under `/api/`, or any route declaring `operations`; not an
HTML page) appears with each method it declares. What a method takes and answers comes from its `Operation`
(msgspec types, turned into JSON Schema under `components/schemas`); what the host itself may
answer (401 without credentials, 403 without the permission, 415 for a body that is not JSON,
429 after too many failed attempts...) is added from the route's access and the operation's body,
so a disabled plugin's operations disappear with its routes and the document cannot drift from
the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import msgspec

from host.credentials import TOKEN_HEADER
from host.middleware import CHALLENGE
from host.request_schemas import apply_struct_rules, refuse_nul
from host.routes import AUTHENTICATED, PUBLIC, UNSAFE_METHODS, Operation, Route, access_label
from host.typed_bodies import ErrorBody

if TYPE_CHECKING:
    from host.app import Host

API_PREFIX = "/api/"
PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
REF = "#/components/schemas/{name}"
HOST_SECURITY = ("basic", "personalAccessToken")
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "Username and password, or an empty username and a personal access token.",
    },
    "personalAccessToken": {"type": "apiKey", "in": "header", "name": TOKEN_HEADER},
}
ERRORS = {
    400: "The request is malformed; the message names the parameter or field and what is wrong.",
    401: "Missing or wrong credentials.",
    403: "The permission is not granted, or the request comes from another site.",
    404: "Nothing is at this address.",
    405: "The method is not accepted here.",
    409: "Not allowed in the object's current state.",
    413: "The request body is larger than the limit.",
    414: "The URL is longer than the server reads (answered by the HTTP server, without a JSON body).",
    415: "The request body is not sent as application/json.",
    429: "Too many failed attempts from this address; try again after Retry-After seconds.",
    503: "The database is unreachable or busy; try again shortly (see Retry-After).",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": f"`{CHALLENGE}`", "schema": {"type": "string"}}},
    405: {"Allow": {"description": "The methods accepted.", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}


def api_routes(host: Host) -> list[tuple[str, str, Route]]:
    """(template, plugin, route) of every API route, by template: each one under `/api/` that is
    not a page, and any other that declares its operations (such as a public receiver)."""
    return [
        (template, plugin, route)
        for template, (plugin, route) in sorted(host.routes.items())
        if not route.page and (template.startswith(API_PREFIX) or route.operations)
    ]


def requirement(access: str, also: str = "") -> str:
    """The permission sentence of an operation, in the words `release-host routes` prints."""
    text = {
        PUBLIC: "Requires: PUBLIC (no credentials).",
        AUTHENTICATED: "Requires: AUTHENTICATED (any authenticated caller).",
    }.get(access, f"Requires: {access}.")
    return f"{text} Also requires: {also}." if also else text


def _types(operations: Iterable[Operation]) -> list[Any]:
    found: list[Any] = [ErrorBody]
    for op in operations:
        found += [t for t in (op.body, op.query, *op.responses.values()) if t is not None]
    unique: list[Any] = []
    for kind in found:
        if not any(kind == seen for seen in unique):
            unique.append(kind)
    return unique


class _Schemas:
    """JSON Schemas of every type the operations use, computed in one pass so refs are shared."""

    def __init__(self, kinds: list[Any], host: Host) -> None:
        schemas, self.components = msgspec.json.schema_components(kinds, ref_template=REF)
        apply_struct_rules(self.components, kinds, host)
        self.by_type = list(zip(kinds, schemas, strict=True))

    def of(self, kind: Any) -> dict[str, Any]:
        return next(schema for seen, schema in self.by_type if seen == kind)

    def fields(self, kind: Any) -> tuple[dict[str, Any], list[str]]:
        """A Struct's properties and required names (for query parameters)."""
        name = self.of(kind)["$ref"].rsplit("/", 1)[-1]
        schema = self.components[name]
        return schema.get("properties", {}), schema.get("required", [])


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(status: int, schemas: _Schemas) -> dict[str, Any]:
    if status == 414:
        return {"description": ERRORS[status]}
    response = _json(schemas.of(ErrorBody), ERRORS.get(status) or HTTPStatus(status).phrase)
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def _host_statuses(method: str, access: str, op: Operation, path_params: list[str]) -> set[int]:
    """What the host answers before or around the responder, from the route's declaration."""
    codes: set[int] = set()
    if access != PUBLIC:
        codes |= {401, 429}
        if access != AUTHENTICATED or op.also or method in UNSAFE_METHODS:
            codes.add(403)
    if op.body is not None:
        codes |= {400, 413} if op.body is Any else {400, 413, 415}
    if op.query is not None:
        codes.add(400)
    if path_params:
        codes.add(404)
    if path_params or op.query is not None:
        codes.add(414)
    return codes


def _responses(method: str, access: str, op: Operation, params: list[str], schemas: _Schemas) -> dict:
    responses: dict[str, Any] = {}
    declared = dict(op.responses) or {200: None}
    for status, kind in sorted(declared.items()):
        if 200 <= status < 300 or kind not in (None, ErrorBody):
            phrase = HTTPStatus(status).phrase
            responses[str(status)] = (
                {"description": phrase} if kind is None else _json(schemas.of(kind), phrase)
            )
    errors = {s for s in declared if s >= 400 and declared[s] in (None, ErrorBody)}
    for status in sorted(errors | _host_statuses(method, access, op, params)):
        responses.setdefault(str(status), _error(status, schemas))
    return dict(sorted(responses.items()))


def _parameters(template: str, op: Operation, schemas: _Schemas) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in PARAM.findall(template)
    ]
    if op.query is not None:
        properties, required = schemas.fields(op.query)
        for name, schema in properties.items():
            schema = dict(schema)
            parameter = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if "description" in schema:
                parameter["description"] = schema.pop("description")
            found.append(parameter)
    return found


def _security(access: str, op: Operation) -> list[dict[str, list[str]]]:
    if op.security is not None:
        optional: list[dict[str, list[str]]] = [{}] if access == PUBLIC else []
        return optional + [{name: []} for name in op.security]
    return [] if access == PUBLIC else [{name: []} for name in HOST_SECURITY]


def _operation(
    plugin: str, template: str, route: Route, method: str, access: str, op: Operation, schemas: _Schemas
) -> dict[str, Any]:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", PARAM.sub(r"\1", template)).strip("_")
    description = "\n\n".join(
        part for part in (op.description, route.description, requirement(access, op.also)) if part
    )
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{slug}",
        "summary": op.summary or route.description or f"{method} {template}",
        "description": description,
        "tags": [plugin],
        "x-required-permission": access_label(access),
        "security": _security(access, op),
    }
    params = PARAM.findall(template)
    parameters = _parameters(template, op, schemas)
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": dict(schemas.of(op.body))}},
        }
    operation["responses"] = _responses(method, access, op, params, schemas)
    return operation


def build(host: Host) -> dict[str, Any]:
    """The document: every API route's methods, their schemas, security and permission."""
    routes = api_routes(host)
    methods = [
        (template, plugin, route, method, access, route.operations.get(method) or Operation())
        for template, plugin, route in routes
        for method, access in route.access.items()
    ]
    schemas = _Schemas(_types(op for *_, op in methods), host)
    paths: dict[str, dict[str, Any]] = {}
    for template, plugin, route, method, access, op in methods:
        item = paths.setdefault(PARAM.sub(r"{\1}", template), {})
        item[method.lower()] = _operation(plugin, template, route, method, access, op, schemas)
    refuse_nul(_request_schemas(paths, methods), schemas.components)
    _drop_unreferenced(paths, schemas.components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Release Host API",
            "version": "v1",
            "description": (
                "The API of this server and its loaded plugins. Authenticate with HTTP Basic "
                "(username and password, or an empty username and a personal access token as the "
                f"password) or with the `{TOKEN_HEADER}` header. Every error is "
                '`{"error": <reason phrase>, "message": <why>}`.'
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas.components, "securitySchemes": SECURITY_SCHEMES},
    }


def _request_schemas(paths: dict[str, Any], methods: list[tuple]) -> list[dict[str, Any]]:
    """The request body schemas `read_json` decodes (not a body of `Any`, which is read raw)."""
    found = []
    for template, *_, method, _access, op in methods:
        if op.body is not None and op.body is not Any:
            body = paths[PARAM.sub(r"{\1}", template)][method.lower()]["requestBody"]
            found.append(body["content"]["application/json"]["schema"])
    return found


def _drop_unreferenced(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """Query Structs become parameters, not schemas: keep only what some `$ref` reaches."""
    reached: set[str] = set()
    pending = [paths]
    while pending:
        found = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(pending.pop()))) - reached
        reached |= found
        pending += [components[name] for name in found if name in components]
    for name in set(components) - reached:
        del components[name]


def operations(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(path, METHOD) of every operation of a document."""
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item}
