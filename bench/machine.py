"""The machine a run happened on: numbers mean nothing without it."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from host.testing import PG_BIN, PROJECT_ROOT


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _output(*cmd: str) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=PROJECT_ROOT)
    except (OSError, subprocess.SubprocessError):
        return ""
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else ""


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def postgres_version() -> str:
    postgres = PG_BIN / "postgres"
    return _output(str(postgres), "--version") if postgres.exists() else "not installed"


def describe() -> dict[str, str]:
    """Everything that changes the numbers, as label → value."""
    wrk = shutil.which("wrk")
    load1, load5, _ = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} (usable by this process: {len(os.sched_getaffinity(0))})",
        "memory": _memory(),
        "load average at start": f"{load1:.2f} (1 min), {load5:.2f} (5 min)",
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "packages": ", ".join(
            f"{p} {_package(p)}"
            for p in ("falcon", "gunicorn", "peewee", "pluggy", "psycopg2-binary", "bcrypt")
        ),
        "load generator": _output(wrk, "-v").split(" Copyright")[0]
        if wrk
        else "wrk not installed (Python fallback)",
        "commit": _output("git", "rev-parse", "--short", "HEAD") or "unknown",
    }
