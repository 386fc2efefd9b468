"""The `[plugins.releases_api]` table: typed, parsed once by the host (`register_settings`)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from host import Host, PluginSettings
from plugins.releases_api import outgoing

PLUGIN = "releases_api"
Positive = Annotated[float, msgspec.Meta(gt=0)]


class Settings(PluginSettings, frozen=True):  # frozen restated for type checkers (msgspec inherits it)
    """`server_url` empty means this server's own bind address (see `load_settings`)."""

    server_url: str = ""
    run_worker: bool = True
    poll_seconds: Positive = 1.0
    lease_seconds: Positive = 30.0
    max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 3
    http_timeout_seconds: Positive = 30.0
    deny_private_networks: bool = True
    allowed_task_hosts: tuple[str, ...] = ()
    max_release_depth: Annotated[int, msgspec.Meta(ge=0)] = 5
    max_releases_per_template_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 60

    def __post_init__(self) -> None:
        if self.server_url and outgoing.origin(self.server_url) is None:
            raise ValueError("server_url must be an http:// or https:// URL")
        outgoing.parse_networks(self.allowed_task_hosts)

    def outgoing_policy(self) -> outgoing.Policy:
        """Where automated tasks may send requests (see `outgoing`)."""
        hosts, networks = outgoing.parse_networks(self.allowed_task_hosts)
        return outgoing.Policy(
            server_origin=outgoing.origin(self.server_url),
            deny_private_networks=self.deny_private_networks,
            allowed_hosts=hosts,
            allowed_networks=networks,
        )


def _default_server_url(bind: str) -> str:
    address, _, port = bind.rpartition(":")
    if address in ("", "0.0.0.0", "[::]", "::"):
        address = "127.0.0.1"
    return f"http://{address}:{port}"


def load_settings(host: Host) -> Settings:
    """The parsed settings with `server_url` filled in."""
    settings: Settings = host.settings(PLUGIN)
    url = (settings.server_url or _default_server_url(host.config.bind)).rstrip("/")
    return msgspec.structs.replace(settings, server_url=url)
