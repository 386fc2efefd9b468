"""The real server under gunicorn, the way `release-host serve` runs it, and its workers' memory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from host.testing import free_port, start_gunicorn

DEFAULT_WORKER = "default"  # whatever conf/gunicorn.conf.py chooses


class Gunicorn:
    """`gunicorn -c conf/gunicorn.conf.py host.wsgi:app` on a free loopback port."""

    def __init__(self, conf: Path, workers: int, log_path: Path, worker_class: str = DEFAULT_WORKER) -> None:
        self.conf = conf
        self.workers = workers
        self.log_path = log_path
        self.worker_class = worker_class
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {} if self.worker_class == DEFAULT_WORKER else {"RELEASE_HOST_WORKER_CLASS": self.worker_class}
        self.proc = start_gunicorn(self.conf, self.port, self.log_path, self.workers, env=env, timeout=30)
        self._wait_for_workers()

    def _wait_for_workers(self, timeout: float = 30) -> None:
        """The port opens with the master; wait until every worker has imported the app."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.worker_pids()) < self.workers:
            time.sleep(0.05)
        time.sleep(0.5)

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker, read from /proc."""
        return [rss for rss in (rss_mib(pid) for pid in self.worker_pids()) if rss is not None]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def children(pid: int) -> list[int]:
    """Direct child processes (gunicorn's workers), from /proc."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    with contextlib.suppress(OSError):
        return [int(p) for p in path.read_text().split()]
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each live process has used so far."""
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings: a process that started meanwhile counts in full,
    one that ended (a pooled connection recycled, a worker restarted) counts up to its last
    reading, so a vanished process never makes the difference negative."""
    return sum(after.get(pid, used) - used for pid, used in before.items()) + sum(
        used for pid, used in after.items() if pid not in before
    )


def postgres_backends(data_dir: Path) -> list[int]:
    """The postmaster's children (one backend per connection plus its helpers)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return children(int((data_dir / "postmaster.pid").read_text().split()[0]))
    return []


def rss_mib(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None
