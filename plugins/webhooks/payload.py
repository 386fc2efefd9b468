"""What a received request may carry into the database and on to other plugins.

PostgreSQL refuses NUL characters in text, and no UTF-8 encoder takes an unpaired surrogate, so
such text is refused (or escaped, where only a copy for the record is kept) before any query
sees it. JSON bodies are also refused past a nesting depth, so that every later walk over the
payload (scrubbing, triggers) stays far from Python's recursion limit.

The host makes similar checks for its own routes; the receiver parses its own body and must
not depend on them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from host import unsafe_text

MAX_DEPTH = 100
NOT_JSON = "The request body is not valid JSON."
TOO_DEEP = f"The request body is nested more than {MAX_DEPTH} levels deep."
MAX_WHERE = 120


_SURROGATE = re.compile("[\ud800-\udfff]")


class Unparsed:
    """Marks a body that was not parsed (or cannot be walked safely): JSON `null` is a value."""


UNPARSED = Unparsed()


def escape_for_storage(text: str) -> str:
    """Text that can be stored, with NUL and lone surrogates as visible `\\uXXXX` escapes."""
    if unsafe_text(text) is None:
        return text
    text = text.replace("\x00", "\\u0000")
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _where(path: str) -> str:
    return path if len(path) <= MAX_WHERE else path[: MAX_WHERE - 1] + "…"


def problem(value: Any) -> str | None:
    """Why a parsed body cannot be accepted, or None. Iterative: the value may be deep."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return TOO_DEEP
        if isinstance(item, str):
            found = unsafe_text(item)
            if found:
                return f"The request body contains {found} in {_where(where) or 'its value'}."
        elif isinstance(item, dict):
            for key, child in item.items():
                found = unsafe_text(key)
                if found:
                    return f"The request body contains {found} in a field name."
                stack.append((child, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{index}]", depth + 1) for index, child in enumerate(item))
    return None


def parse(raw: bytes) -> tuple[Any, str | None]:
    """The body as JSON and why it cannot be accepted (None: it can).

    The value is UNPARSED whenever there is a reason, so that nothing walks an unchecked value.
    """
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return UNPARSED, NOT_JSON
    except RecursionError:
        return UNPARSED, TOO_DEEP
    reason = problem(value)
    return (UNPARSED, reason) if reason else (value, None)


def header_problem(headers: Mapping[str, str]) -> str | None:
    """A header value no database takes (HTTP forbids NUL in field values anyway)."""
    for name, value in sorted(headers.items()):
        found = unsafe_text(name) or unsafe_text(value)
        if found:
            return f"The header {escape_for_storage(name)!r} contains {found}."
    return None


def query_problem(params: Mapping[str, Any]) -> str | None:
    """A query parameter no database takes (the host usually refuses these before the receiver)."""
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            found = unsafe_text(name) or unsafe_text(str(item))
            if found:
                return f"The query parameter {escape_for_storage(name)!r} contains {found}."
    return None
