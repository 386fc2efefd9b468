"""The `[plugins.releases_api]` table, read once with defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from host import Host, StartupError
from plugins.releases_api import outgoing

PLUGIN = "releases_api"


@dataclass(frozen=True)
class Settings:
    server_url: str
    run_worker: bool = True
    poll_seconds: float = 1.0
    lease_seconds: float = 30.0
    max_attempts: int = 3
    http_timeout_seconds: float = 30.0
    deny_private_networks: bool = True
    allowed_task_hosts: tuple[str, ...] = ()

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


def _hosts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError("allowed_task_hosts must be a list of host names or networks")
    return tuple(value)


def load_settings(host: Host) -> Settings:
    raw: dict[str, Any] = host.plugin_config(PLUGIN)
    deny = raw.get("deny_private_networks", True)
    if not isinstance(deny, bool):
        raise StartupError(f"[plugins.{PLUGIN}] deny_private_networks must be true or false")
    try:
        settings = Settings(
            server_url=str(raw.get("server_url") or _default_server_url(host.config.bind)).rstrip("/"),
            run_worker=bool(raw.get("run_worker", True)),
            poll_seconds=float(raw.get("poll_seconds", 1.0)),
            lease_seconds=float(raw.get("lease_seconds", 30.0)),
            max_attempts=int(raw.get("max_attempts", 3)),
            http_timeout_seconds=float(raw.get("http_timeout_seconds", 30.0)),
            deny_private_networks=deny,
            allowed_task_hosts=_hosts(raw.get("allowed_task_hosts", [])),
        )
        settings.outgoing_policy()
    except (TypeError, ValueError) as exc:
        raise StartupError(f"[plugins.{PLUGIN}] has an invalid value: {exc}") from None
    if settings.poll_seconds <= 0 or settings.lease_seconds <= 0 or settings.max_attempts < 1:
        raise StartupError(
            f"[plugins.{PLUGIN}] poll_seconds and lease_seconds must be positive, max_attempts at least 1"
        )
    if outgoing.origin(settings.server_url) is None:
        raise StartupError(f"[plugins.{PLUGIN}] server_url must be an http:// or https:// URL")
    return settings
