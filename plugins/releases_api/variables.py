"""Release variables: the forms clients send them in, and `${name}` substitution in task fields."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from plugins.releases_api import limits
from plugins.releases_api.errors import Invalid
from plugins.releases_api.vocabulary import STRING_VARIABLE

PLACEHOLDER = re.compile(r"\$\{([^{}\s]+)\}")
KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def bare_key(key: str) -> str:
    """`${name}` and `name` name the same variable (the product's create call uses the first)."""
    return key[2:-1] if key.startswith("${") and key.endswith("}") else key


def _checked_key(key: Any, where: str) -> str:
    if not isinstance(key, str) or not KEY.match(bare_key(key)):
        raise Invalid(f"{where} must be a variable name like `version` or `${{version}}`.")
    if len(bare_key(key)) > limits.MAX_VARIABLE_KEY:
        raise Invalid(f"{where} must be at most {limits.MAX_VARIABLE_KEY} characters.")
    return bare_key(key)


def normalize(value: Any, field: str = "variables") -> list[dict[str, Any]]:
    """A list of `{key, value, type, requiresValue, showOnReleaseStart}` from either the product's
    list of variable objects or a plain `{name: value}` object."""
    if value is None:
        return []
    if isinstance(value, Mapping | list):
        limits.count(list(value), limits.MAX_VARIABLES, field)
    found: dict[str, dict[str, Any]] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = _checked_key(key, f"{field} key {key!r}")
            found[name] = {"key": name, "value": item}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, Mapping) or "key" not in item:
                raise Invalid(f"{field}[{i}] must be an object with a `key`.")
            name = _checked_key(item["key"], f"{field}[{i}].key")
            found[name] = {
                "key": name,
                "value": item.get("value"),
                "type": str(item.get("type") or STRING_VARIABLE),
                "requiresValue": bool(item.get("requiresValue", False)),
                "showOnReleaseStart": bool(item.get("showOnReleaseStart", False)),
            }
    else:
        raise Invalid(f"{field} must be a list of variables or an object of name → value.")
    for item in found.values():
        item.setdefault("type", STRING_VARIABLE)
        item.setdefault("requiresValue", False)
        item.setdefault("showOnReleaseStart", False)
        if (
            len(text(item["value"])) > limits.MAX_VARIABLE_VALUE
            or len(item["type"]) > limits.MAX_VARIABLE_KEY
        ):
            raise Invalid(
                f"{field}: {item['key']} may have a value of at most {limits.MAX_VARIABLE_VALUE} characters "
                f"(as JSON) and a type of at most {limits.MAX_VARIABLE_KEY}."
            )
    return list(found.values())


def with_values(variables: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The template's variables with the values a new release was given; new names are added."""
    merged = {v["key"]: dict(v) for v in variables}
    for item in normalize(values):
        if item["key"] in merged:
            merged[item["key"]]["value"] = item["value"]
        else:
            merged[item["key"]] = item
    return list(merged.values())


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def substitute(value: Any, mapping: Mapping[str, Any]) -> Any:
    """Replace known `${name}` placeholders in every string inside `value`; unknown ones stay."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(
            lambda m: text(mapping[m.group(1)]) if m.group(1) in mapping else m.group(0), value
        )
    if isinstance(value, list):
        return [substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, mapping) for k, v in value.items()}
    return value
