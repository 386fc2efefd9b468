"""Log lines that a request cannot forge: control characters in a log message are escaped.

Paths, query strings, headers, usernames and token names come from clients; a raw newline in any
of them would start a line of the attacker's choosing (`/nope%0Apersonal access token refused:…`).
A log record factory, installed once per process (by `create_app` and by conf/gunicorn.conf.py
for gunicorn's own access and error logs), rewrites every message that holds a C0 or C1 control
character or a Unicode line or paragraph separator, whatever logger and handler it goes to.
Tracebacks are left as they are: they are multi-line by design and start with "Traceback".
"""

from __future__ import annotations

import logging
import re
from typing import Any

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape(text: str) -> str:
    """`text` on one line: control characters as `\\n`, `\\r`, `\\t`, `\\xNN` or `\\uNNNN`."""
    return UNSAFE.sub(_escaped, text)


def install() -> None:
    """Escape control characters in every log message from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "escapes_control_characters", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            return record  # logging reports the bad format string itself when it emits
        if UNSAFE.search(message):
            record.msg, record.args = escape(message), None
        return record

    factory.escapes_control_characters = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
