"""Running a harness under real gunicorn, as `release-host serve` does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from host.testing.components import PROJECT_ROOT, free_port, wait_for_port
from host.testing.harness import Harness


def start_gunicorn(
    conf: Path,
    port: int,
    log_path: Path,
    workers: int = 2,
    env: dict[str, str] | None = None,
    timeout: float = 15.0,
) -> subprocess.Popen:
    """Run the host under real gunicorn with this configuration file, as `release-host serve` does;
    returns once the port answers. Output goes to `log_path` (tests grep it for secrets)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--no-control-socket",
                "-c",
                str(PROJECT_ROOT / "conf" / "gunicorn.conf.py"),
                "host.wsgi:app",
            ],
            env={
                **os.environ,
                "RELEASE_HOST_CONF": str(conf),
                "RELEASE_HOST_BIND": f"127.0.0.1:{port}",
                "RELEASE_HOST_WORKERS": str(workers),
                **(env or {}),
            },
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, timeout=timeout, proc=proc)
    return proc


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Factory: `serve(harness, workers=2)` runs it under real gunicorn and returns the base URL."""
    running: list[subprocess.Popen] = []

    def factory(harness: Harness, workers: int = 2, env: dict[str, str] | None = None) -> str:
        port = free_port()
        log_path = harness.tmp_path / f"gunicorn-{port}.log"
        running.append(start_gunicorn(harness.write_conf(), port, log_path, workers, env))
        return f"http://127.0.0.1:{port}"

    yield factory
    for proc in running:
        stop_process(proc)
