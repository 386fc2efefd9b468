"""Built-in plugin: the API document (`GET /api/v1/openapi.json`) and its reference for people
(`GET /api/docs`), both built from the routes the host mounted, whichever plugins are loaded.

The reference is rendered on the server in the host's layout: no script and no viewer from a
CDN, so it lives under the pages' Content-Security-Policy unchanged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import falcon

from host import openapi
from host.hookimpl import hookimpl
from host.navigation import NavLink
from host.pages import render_page
from host.routes import PUBLIC, Operation, Route
from host.typed_bodies import send_json

if TYPE_CHECKING:
    from host.actors import Actor
    from host.app import Host

DOCUMENT = "/api/v1/openapi.json"
REFERENCE = "/api/docs"


class Document:
    """Built once per process: the routes do not change while the host runs."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._document: dict[str, Any] | None = None

    def get(self) -> dict[str, Any]:
        if self._document is None:
            self._document = openapi.build(self.host)
        return self._document


class DocumentResource:
    def __init__(self, document: Document) -> None:
        self.document = document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send_json(resp, self.document.get())


class ReferencePage:
    def __init__(self, host: Host, document: Document) -> None:
        self.host = host
        self.document = document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        document = self.document.get()
        render_page(
            self.host,
            req,
            resp,
            "host/api_docs.html",
            title="API reference",
            info=document["info"],
            groups=reference(document),
            schemas=sorted(document["components"]["schemas"].items()),
            show=show,
            document_url=DOCUMENT,
        )


def show(schema: Any) -> str:
    """A schema as people read it: a `$ref` by its name, else compact JSON."""
    if isinstance(schema, dict) and set(schema) == {"$ref"}:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if isinstance(schema, dict) and schema.get("type") == "array" and "items" in schema:
        return f"list of {show(schema['items'])}"
    return json.dumps(schema, ensure_ascii=False)


def reference(document: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The operations grouped by the plugin that serves them (their tag), in path order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            responses = [
                (status, answer["description"], answer.get("content", {}).get("application/json"))
                for status, answer in operation["responses"].items()
            ]
            groups.setdefault(operation["tags"][0], []).append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "operation": operation,
                    "body": body["schema"] if body else None,
                    "responses": responses,
                    "security": sorted({name for alt in operation["security"] for name in alt}),
                }
            )
    return sorted(groups.items())


@hookimpl
def register_routes(host: Host) -> list[Route]:
    document = Document(host)
    return [
        Route(
            DOCUMENT,
            DocumentResource(document),
            {"GET": PUBLIC},
            description="This OpenAPI 3.1 document: every API route of every loaded plugin.",
            operations={
                "GET": Operation("The OpenAPI 3.1 document of the API", responses={200: dict[str, Any]})
            },
        ),
        Route(REFERENCE, ReferencePage(host, document), {"GET": PUBLIC}, page=True),
    ]


@hookimpl
def navigation_links(host: Host, actor: Actor) -> list[NavLink]:
    return [NavLink("API reference", REFERENCE, order=90)]
