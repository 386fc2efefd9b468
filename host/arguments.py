"""Numbers on the command line: ASCII digits within stated bounds, else argparse's usage error.

`int()` alone takes `-1`, ` 7`, `+7` and fullwidth `７`; a limit of -1 then means "everything".
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def number_argument(low: float, high: float, *, decimal: bool = False) -> Callable[[str], float]:
    """An argparse `type=` accepting a whole (or, with `decimal`, a decimal) number in [low, high]."""
    pattern, kind = (_DECIMAL, "number") if decimal else (_WHOLE, "whole number")

    def parse(text: str) -> float:
        value = (float if decimal else int)(text) if pattern.fullmatch(text) else None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind} from {low:g} to {high:g}")
        return value

    return parse
