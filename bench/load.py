"""Driving HTTP load: `wrk` when installed, else a small Python load generator.

Both report the same `LoadResult`, so the table does not care which ran; the Python
generator is much slower than wrk and the output says when it was used.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


@dataclass
class LoadResult:
    """What one load run measured; latencies in milliseconds."""

    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int = 0
    errors: int = 0
    server_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    writes: int = 0  # rows the server inserted or updated meanwhile (bench triggers)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_us(self) -> float:
        """gunicorn workers' CPU time per request: the cost of a request with the waiting for a
        busy CPU taken out, which requests/s on shared cores cannot do."""
        return self.server_cpu_s * 1e6 / self.requests if self.requests else 0.0

    @property
    def database_cpu_us(self) -> float:
        return self.database_cpu_s * 1e6 / self.requests if self.requests else 0.0


def combine(results: list[LoadResult]) -> LoadResult:
    """Several runs of one scenario as one: total requests over total time; the latency
    percentiles are the request-weighted means of the runs' percentiles (an approximation)."""
    total = sum(r.requests for r in results) or 1
    return LoadResult(
        tool=results[0].tool,
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=sum(r.p50_ms * r.requests for r in results) / total,
        p99_ms=sum(r.p99_ms * r.requests for r in results) / total,
        non_2xx=sum(r.non_2xx for r in results),
        errors=sum(r.errors for r in results),
        server_cpu_s=sum(r.server_cpu_s for r in results),
        database_cpu_s=sum(r.database_cpu_s for r in results),
        writes=sum(r.writes for r in results),
    )


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> LoadResult:
    """Read `wrk --latency` output."""
    done = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", output, re.M)
    if not done:
        raise ValueError(f"unexpected wrk output:\n{output}")
    percentiles = dict(re.findall(r"^\s*(50|99)(?:\.000)?%\s+(\S+)\s*$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return LoadResult(
        tool="wrk",
        requests=int(done.group(1)),
        seconds=_duration_ms(done.group(2) + done.group(3)) / 1000,
        p50_ms=_duration_ms(percentiles["50"]),
        p99_ms=_duration_ms(percentiles["99"]),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> LoadResult:
    """One wrk thread: on two shared cores a second thread only takes CPU from the server."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(done.stdout)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def run_python(url: str, headers: dict[str, str], seconds: float, connections: int) -> LoadResult:
    """Fallback load: one thread per connection, a new TCP connection per request (gunicorn's
    sync workers close it after each response anyway)."""
    parts = urlsplit(url)
    assert parts.hostname, f"no host in {url}"
    host = parts.hostname
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections
    non_2xx = [0] * connections
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, parts.port, timeout=30)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except OSError:
                failures[slot] += 1
                continue
            latencies[slot].append((time.perf_counter() - start) * 1000)
            if not 200 <= response.status < 400:
                non_2xx[slot] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    merged = sorted(v for values in latencies for v in values)
    return LoadResult(
        tool="python",
        requests=len(merged),
        seconds=elapsed,
        p50_ms=percentile(merged, 0.50),
        p99_ms=percentile(merged, 0.99),
        non_2xx=sum(non_2xx),
        errors=sum(failures),
    )


def run_load(
    url: str, headers: dict[str, str], seconds: float, connections: int, tool: str = "auto"
) -> LoadResult:
    """`tool` is "wrk", "python" or "auto" (wrk when installed)."""
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return run_wrk(url, headers, seconds, connections)
    return run_python(url, headers, seconds, connections)
