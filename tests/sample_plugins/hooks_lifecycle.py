"""Writes a line to `<var_dir>/hooks_lifecycle.log` at startup and shutdown, for
`test_hook_startup` and `test_hook_shutdown` (a file, so gunicorn workers and the CLI can report)."""

import os

from host import hookimpl


def _record(host, what: str) -> None:
    host.config.var_dir.mkdir(parents=True, exist_ok=True)
    with open(host.config.var_dir / "hooks_lifecycle.log", "a", encoding="utf-8") as log:
        log.write(f"{what} {host.context} {os.getpid()}\n")


@hookimpl
def startup(host):
    _record(host, "startup")


@hookimpl
def shutdown(host):
    _record(host, "shutdown")
