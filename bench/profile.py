"""`python -m bench.profile`: where the authentication step, or a whole request, spends its time.

Seeds a table like the benchmark does (no server), then runs the in-process auth step under
pyinstrument (`pip install pyinstrument`) or, without it, cProfile. `--whole public|protected`
profiles whole WSGI requests instead (middleware, routing, hook dispatch, the permission path,
the response), what a gunicorn worker runs for each request minus its HTTP parsing.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import logging
import pstats
import random
import sys

import falcon.testing

from bench.inprocess import make_request
from bench.plugin import PERMISSION, PROTECTED_PATH, PUBLIC_PATH
from bench.report import Report
from bench.run import DatabaseRun
from host.errors import AuthenticationFailed
from host.testing import token_headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tokens", type=int, default=1000, help="seeded tokens (default 1000)")
    parser.add_argument("--calls", type=int, default=20000, help="auth steps profiled (default 20000)")
    parser.add_argument(
        "--whole", choices=["public", "protected"], help="profile whole WSGI requests to that route"
    )
    parser.add_argument(
        "--credential",
        choices=["valid", "bad-checksum", "malformed"],
        default="valid",
        help="what the profiled requests present",
    )
    args = parser.parse_args(argv)
    logging.getLogger("release_host").addHandler(logging.NullHandler())
    settings = argparse.Namespace(workers=1, duration=1, connections=1, iterations=1, load="auto", peer=False)
    with contextlib.ExitStack() as stack:
        runner = DatabaseRun(args.database, settings, Report(machine={}, command=""), stack)
        runner.prepare(server=False)
        runner.grow(args.tokens)
        tokens = list(runner.sample)
        if args.credential == "bad-checksum":
            from bench.pat import bad_checksum

            tokens = [bad_checksum(t) for t in tokens]
        elif args.credential == "malformed":
            from bench.pat import malformed

            tokens = [malformed()]
        random.shuffle(tokens)
        requests = [
            make_request(PROTECTED_PATH, token_headers(tokens[i % len(tokens)])) for i in range(args.calls)
        ]
        host = runner.host

        def steps() -> None:
            for req in requests:
                with contextlib.suppress(AuthenticationFailed):
                    host.allowed(host.authenticate(req), PERMISSION)

        if args.whole:
            path, headers = (
                (PUBLIC_PATH, {}) if args.whole == "public" else (PROTECTED_PATH, token_headers(tokens[0]))
            )
            environs = [
                falcon.testing.create_environ(path=path, headers=headers, remote_addr="127.0.0.1")
                for _ in range(args.calls)
            ]

            def steps() -> None:
                for environ in environs:
                    b"".join(runner.app(environ, lambda status, headers, exc_info=None: None))

        with host.database.connection_context():
            for token in tokens:
                with contextlib.suppress(AuthenticationFailed):
                    host.authenticate(make_request(PROTECTED_PATH, token_headers(token)))
            try:
                from pyinstrument import Profiler
            except ImportError:
                profile = cProfile.Profile()
                profile.runcall(steps)
                pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
                return 0
            profiler = Profiler(interval=0.0001)
            profiler.start()
            steps()
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
