"""`release-host worker`: run queued automated tasks outside the web server."""

from __future__ import annotations

import argparse
import dataclasses
import signal
from types import FrameType

from host import Host, number_argument
from plugins.releases_api.settings import load_settings
from plugins.releases_api.worker import Worker


def cmd_worker(host: Host, args: argparse.Namespace) -> int:
    settings = load_settings(host)
    if args.poll:
        settings = dataclasses.replace(settings, poll_seconds=args.poll)
    worker = Worker(host, settings, name=args.name)

    def stop(signum: int, frame: FrameType | None) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.once:
        print(f"ran {int(worker.run_once())} task(s)")
        return 0
    if args.until_idle:
        print(f"ran {worker.run_until_idle()} task(s)")
        return 0
    print("worker running; stop with Ctrl-C or SIGTERM (the running task finishes first)", flush=True)
    worker.run_forever()
    return 0


def add_commands(host: Host, subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("worker", help="run queued automated tasks of releases")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run at most one claimable task, then exit")
    mode.add_argument(
        "--until-idle",
        action="store_true",
        help="exit when no task is queued or running anywhere (waits out the leases of dead workers)",
    )
    parser.add_argument(
        "--poll",
        type=number_argument(0.1, 3600, decimal=True),
        help="seconds between looks at the queue when it is empty",
    )
    parser.add_argument("--name", help="this worker's name in the queue (default host:pid:thread)")
    parser.set_defaults(handler=cmd_worker)
