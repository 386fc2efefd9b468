"""Several independent hosts on one database, each started with `release-host serve`, as an
operator scales out: the same configuration and secret key, a `var/` folder and a port each."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from host.testing.components import PROJECT_ROOT, free_port, wait_for_port
from host.testing.gunicorn import stop_process
from host.testing.harness import Harness


@dataclass
class ServedHost:
    """One `release-host serve` process: its base URL, its log and its `var/` folder."""

    url: str
    conf: Path
    log: Path
    var_dir: Path
    proc: subprocess.Popen = field(repr=False)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def host_conf(harness: Harness, name: str) -> Path:
    """The harness's configuration for host `name`: its own `var/`, everything else shared."""
    return harness.write_conf(harness.tmp_path / f"host-{name}.toml", harness.tmp_path / f"var-{name}")


def start_hosts(
    harness: Harness, names: list[str], workers: int = 2, env: dict[str, str] | None = None
) -> list[ServedHost]:
    """`release-host serve` for every name at once (their migrations run concurrently); returns
    when every port answers."""
    started = []
    for name in names:
        port = free_port()
        log = harness.tmp_path / f"serve-{name}.log"
        conf = host_conf(harness, name)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "host.cli", "serve", "--bind", f"127.0.0.1:{port}"],
                env={
                    **os.environ,
                    "RELEASE_HOST_CONF": str(conf),
                    "RELEASE_HOST_WORKERS": str(workers),
                    **(env or {}),
                },
                cwd=PROJECT_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(
            ServedHost(f"http://127.0.0.1:{port}", conf, log, harness.tmp_path / f"var-{name}", proc)
        )
    try:
        for served in started:
            wait_for_port(int(served.url.rsplit(":", 1)[1]), timeout=30, proc=served.proc)
    except BaseException:
        stop_hosts(started)
        raise
    return started


def stop_hosts(hosts: list[ServedHost]) -> None:
    for served in hosts:
        stop_process(served.proc)
