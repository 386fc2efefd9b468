"""Numbers in query strings: ASCII digits only, within bounds, else a 400 naming the parameter.

Python's `int()` also takes `+1`, ` 1`, `1_0` and `１` (fullwidth) or `٣` (Arabic-Indic); Falcon's
`get_param_as_int` inherits that. One rule for every plugin keeps `?page=` the same everywhere.
"""

from __future__ import annotations

import re

import falcon

_DIGITS = re.compile(r"[0-9]{1,18}")


def query_int(req: falcon.Request, name: str, default: int, minimum: int, maximum: int) -> int:
    """The query parameter `name` as a whole number from `minimum` to `maximum`; `default` when absent.

    Anything else (a sign, a space, a non-ASCII digit, a repeated parameter, out of bounds) raises
    `falcon.HTTPBadRequest` whose message names the parameter and the accepted range.
    """
    value = req.params.get(name)
    if value is None or value == "":
        return default
    expected = f"{name} must be a whole number from {minimum} to {maximum}, in ASCII digits"
    if isinstance(value, list):
        raise falcon.HTTPBadRequest(title="Bad Request", description=f"{expected}, given once.")
    if not _DIGITS.fullmatch(value) or not minimum <= int(value) <= maximum:
        raise falcon.HTTPBadRequest(title="Bad Request", description=f"{expected}; got {ascii(value[:20])}.")
    return int(value)
