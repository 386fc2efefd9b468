"""Plugin settings: each plugin declares its `[plugins.NAME]` table as a msgspec `Struct`, and the
host parses every enabled plugin's table once, at startup, before any other hook runs.

msgspec does the typing (types, `Meta` bounds, defaults) and the conversion of values that came
from the environment as text (`{env = "NAME"}` gives strings); the host adds what every plugin
would otherwise repeat: unknown keys refused, and one line naming the plugin and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from host.errors import StartupError

T = TypeVar("T")


class PluginSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The base of a plugin's settings type: immutable, unknown keys refused. Declare fields
    with defaults; bounds with `typing.Annotated[int, msgspec.Meta(ge=1)]`; rules between
    fields in `__post_init__`, raising ValueError with a message that names the setting."""


_AT = re.compile(r" - at `\$\.?(?P<key>[^`]*)`$")


def parse_settings(plugin: str, kind: type[T], raw: Mapping[str, Any]) -> T:
    """`raw` as `kind`, or a `StartupError` saying which key of `[plugins.<plugin>]` is wrong."""
    where = f"[plugins.{plugin}]"
    known = [field.encode_name for field in msgspec.structs.fields(kind)]  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise StartupError(
            f"{where} unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    try:
        return msgspec.convert(dict(raw), kind, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = _AT.search(message)
        if found is None:
            raise StartupError(f"{where} {message}") from None
        raise StartupError(f"{where} {found['key']}: {message[: found.start()]}") from None


def settings_as_dict(settings: Any) -> Any:
    """The parsed settings as plain values, defaults included (for `release-host config show`)."""
    return msgspec.to_builtins(settings)
