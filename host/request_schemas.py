"""What the host refuses in every JSON request body, said in the body's schema.

msgspec's schemas state types, lengths and patterns. Two more rules hold for every body, and a
schema that leaves them out lets a client (or a fuzzer) send what the server answers with a 400:

- no string, field name or nested value may hold a NUL character (no database stores one;
  `read_json` refuses it wherever it is, unknown fields included), so every string of a request
  schema gets a pattern without NUL and every value the schema leaves open (`Any`, an object's
  unknown fields) is a `JsonValue`, any JSON without NUL;
- a rule between fields (this one is required when that one is false...) or one that depends on
  the server's configuration (the lifetimes a policy offers) is declared by the Struct itself: a
  classmethod `openapi_schema(schema, host) -> schema` receives its generated component and
  returns it amended, next to the code that enforces the rule.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from host.app import Host

NUL_FREE = "^[^\\x00]*$"
JSON_VALUE = "JsonValue"
_WITH_NUL = {"$ref": "#/components/schemas/JsonValue/$defs/withNul"}
JSON_VALUE_SCHEMA: dict[str, Any] = {
    "description": "Any JSON value without NUL characters (no database stores one).",
    "not": _WITH_NUL,
    "$defs": {
        "withNul": {
            "description": "A JSON value with a NUL character somewhere: in a string or a field name.",
            "anyOf": [
                {"type": "string", "not": {"pattern": NUL_FREE}},
                {"type": "array", "contains": _WITH_NUL},
                {"type": "object", "not": {"propertyNames": {"pattern": NUL_FREE}}},
                {"type": "object", "not": {"additionalProperties": {"not": _WITH_NUL}}},
            ],
        }
    },
}
"""Said as "not a value with NUL": code generators (openapi-python-client) read a `not` as any
value, where the same rule as a recursive union of every JSON type stops them."""
_REF = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
_COMBINATORS = ("anyOf", "oneOf", "allOf", "prefixItems")
_OPEN_KEYS = {"description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"}


def structs(kinds: Iterable[Any]) -> dict[str, type[msgspec.Struct]]:
    """Every Struct class the types reach, by the component name msgspec gives it."""
    found: dict[str, type[msgspec.Struct]] = {}
    pending = list(msgspec.inspect.multi_type_info(list(kinds)))
    seen: set[int] = set()
    while pending:
        info = pending.pop()
        if id(info) in seen:
            continue
        seen.add(id(info))
        if isinstance(info, msgspec.inspect.StructType):
            found.setdefault(info.cls.__name__, info.cls)
            pending += [field.type for field in info.fields]
        for attr in ("item_type", "key_type", "value_type", "types", "item_types"):
            value = getattr(info, attr, None)
            if isinstance(value, msgspec.inspect.Type):
                pending.append(value)
            elif isinstance(value, tuple):
                pending += [v for v in value if isinstance(v, msgspec.inspect.Type)]
    return found


def apply_struct_rules(components: dict[str, Any], kinds: Iterable[Any], host: Host) -> None:
    """Each Struct's own `openapi_schema` amendment, applied to its component."""
    for name, cls in structs(kinds).items():
        amend = getattr(cls, "openapi_schema", None)
        if callable(amend) and name in components:
            components[name] = amend(copy.deepcopy(components[name]), host)


def reached(roots: Iterable[Any], components: dict[str, Any]) -> set[str]:
    """Names of the components the schemas `roots` refer to, directly or through others."""
    names: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in names and name in components:
                    names.add(name)
                    pending.append(components[name])
            pending += list(node.values())
        elif isinstance(node, list):
            pending += node
    return names


def _open(node: dict[str, Any]) -> bool:
    """A schema that takes any value (msgspec's `Any`: no keyword but annotations)."""
    return not (set(node) - _OPEN_KEYS)


def _with_pattern(node: dict[str, Any], key: str = "pattern") -> None:
    if key not in node:
        node[key] = NUL_FREE
    elif node[key] != NUL_FREE:
        node.setdefault("allOf", []).append({"pattern": NUL_FREE})


def nul_free(node: Any) -> Any:
    """The schema `node` (a copy) refusing NUL characters in every string, name and open value."""
    if not isinstance(node, dict):
        return node
    node = copy.copy(node)
    if _open(node):
        return {**node, **_REF}
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and "enum" not in node and "const" not in node:
        _with_pattern(node)
    if "object" in types:
        names = dict(node.get("propertyNames") or {})
        _with_pattern(names)
        node["propertyNames"] = names
        extra = node.get("additionalProperties", True)
        if extra is not False:
            node["additionalProperties"] = _REF if extra is True else nul_free(extra)
        if "properties" in node:
            node["properties"] = {k: nul_free(v) for k, v in node["properties"].items()}
    if "array" in types:
        node["items"] = nul_free(node["items"]) if "items" in node else dict(_REF)
    for key in _COMBINATORS:
        if key in node:
            node[key] = [nul_free(part) for part in node[key]]
    for key in ("not", "if", "then", "else"):
        if key in node:
            node[key] = nul_free(node[key])
    return node


def refuse_nul(roots: list[dict[str, Any]], components: dict[str, Any]) -> None:
    """Make the request schemas `roots` (in place) and the components they reach NUL-free."""
    for name in reached(roots, components):
        components[name] = nul_free(components[name])
    for root in roots:
        fresh = nul_free(root)
        root.clear()
        root.update(fresh)
    components.setdefault(JSON_VALUE, copy.deepcopy(JSON_VALUE_SCHEMA))  # dropped when unused
