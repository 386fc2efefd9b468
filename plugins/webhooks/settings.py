"""The `[plugins.webhooks]` table: typed, parsed once by the host (`register_settings`)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from host import PluginSettings


class WebhookSettings(PluginSettings, frozen=True):  # frozen restated for type checkers (msgspec inherits it)
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1)] = 1024 * 1024
    """The largest request body a receiver reads (a larger one is retained as refused, 413)."""
