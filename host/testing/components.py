"""What every test of the host needs: real components or a clear skip, ports, a clock."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REQUIRE_ALL = os.environ.get("RELEASE_HOST_TEST_REQUIRE_ALL") == "1"
TEST_SECRET_KEY = "test-secret-key-not-for-production-0123456789"
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def require(available: bool, reason: str) -> None:
    """Skip when a real component is missing; in CI (RELEASE_HOST_TEST_REQUIRE_ALL=1) fail instead."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required test component missing: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.2),
        ):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class FakeClock:
    """A clock tests move by hand: `clock.advance(days=7)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FileClock(FakeClock):
    """A `FakeClock` that servers in other processes follow: every move is written to `path`, and
    `read_file_clock(path)` (what the `tests.sample_plugins.shared_clock` plugin installs as the
    host's clock under gunicorn) answers the instant written there."""

    def __init__(self, path: Path, start: datetime | None = None) -> None:
        super().__init__(start)
        self.path = path
        self._write()

    def advance(self, **delta: float) -> datetime:
        super().advance(**delta)
        self._write()
        return self.now

    def _write(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(self.now.isoformat(), encoding="utf-8")
        temporary.replace(self.path)  # atomic: a reader never sees half a time


def read_file_clock(path: Path) -> datetime:
    return datetime.fromisoformat(path.read_text(encoding="utf-8"))
