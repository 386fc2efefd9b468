"""A real OpenID provider for the OIDC tests: `provider.mjs` (the npm package `oidc-provider`, installed
by `npm ci` at the project root) run with the machine's Node.js on a free loopback port."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from host.testing import PROJECT_ROOT, free_port, require, stop_process, wait_for_port

SCRIPT = Path(__file__).with_name("provider.mjs")
PACKAGE = PROJECT_ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "release-host"


@dataclass
class OidcProvider:
    """One running provider: its issuer, the client registered there, and how to restart it."""

    redirect_uri: str
    log_path: Path
    id_token_alg: str = "RS256"
    port: int = field(default_factory=free_port)
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    proc: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **extra: Any) -> dict[str, Any]:
        """`[plugins.oidc_auth]` for a host whose callback is `redirect_uri`."""
        return {
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "provider_name": "Partner ID",
            **extra,
        }

    def start(self) -> OidcProvider:
        node = shutil.which("node")
        require(bool(node), "Node.js is not installed (apt-get install nodejs)")
        require(
            PACKAGE.is_file(), "the npm package oidc-provider is not installed (run `npm ci` at the root)"
        )
        assert node is not None
        post_logout = self.redirect_uri.replace("/oidc/callback", "/login?logged_out=1")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    node,
                    str(SCRIPT),
                    "--port",
                    str(self.port),
                    "--redirect",
                    self.redirect_uri,
                    "--post-logout",
                    post_logout,
                    "--client-id",
                    CLIENT_ID,
                    "--id-token-alg",
                    self.id_token_alg,
                ],
                env={"PATH": "/usr/bin:/bin", "OIDC_TEST_CLIENT_SECRET": self.client_secret},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, proc=self.proc)
        return self

    def restart(self) -> None:
        """Stop and start again on the same port: new signing keys (a key rotation), no sessions."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Factory: `oidc_provider(redirect_uri)` → a started `OidcProvider`, stopped after the module."""
    started: list[OidcProvider] = []

    def factory(redirect_uri: str, **options: Any) -> OidcProvider:
        log_path = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
        provider = OidcProvider(redirect_uri=redirect_uri, log_path=log_path, **options)
        started.append(provider)
        return provider.start()

    yield factory
    for provider in started:
        provider.stop()
