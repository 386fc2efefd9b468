"""`python -m bench`: seed, load, measure, report. See docs/benchmarks.md for what it shows."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import logging
import math
import os
import random
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import load, machine, report, seed
from bench import pat as seed_pat
from bench.inprocess import StatementCounter, count_statements, time_auth, time_wsgi
from bench.peer import HEADER as PEER_HEADER
from bench.peer import MAX_TOKENS as PEER_MAX_TOKENS
from bench.peer import Peer
from bench.plugin import PERMISSION, PROTECTED_PATH, PUBLIC_PATH
from bench.server import DEFAULT_WORKER, Gunicorn, cpu_by_pid, cpu_used, postgres_backends
from host.app import App, create_app
from host.config import Config, SecuritySettings
from host.limits import FailedAttempts
from host.testing import PROJECT_ROOT, Harness, PostgresCluster, basic_auth, token_headers
from plugins.pat_auth.models import PatAuditRecord
from plugins.pat_auth.testing import make_token

RELEASES_PATH = "/api/v1/releases"
PLUGINS = ["pat_auth", "releases_api", "bench.plugin"]
FULL_SIZES = [1_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 100_000]
PRODUCTION_BCRYPT_ROUNDS = 12
SAMPLE_TOKENS = 200
RELEASES = 20
# A bcrypt check at cost 12 takes ~0.3 s: a shorter run would end before any request completes.
BCRYPT_MIN_SECONDS = 3
SLICE_SECONDS = 2
UNLIMITED = 10**9
# what a request might write: last-used with the aggregated permission counts (the token table),
# a first use of a permission (the same table, last-used unchanged: counted apart), a token's new
# address (its table and an audit row), refusals' audit rows and counters
WRITTEN_TABLES = [
    seed_pat.TABLE,
    seed_pat.ADDRESS_TABLE,
    PatAuditRecord._meta.table_name,
    FailedAttempts._meta.table_name,
]
SPLIT_WRITES = {seed_pat.TABLE: "last_used_at"}


@dataclass
class Credentials:
    """What the scenarios present."""

    username: str
    password: str
    pat: str
    expired: str
    deleted: str
    unknown: str
    peer: str = ""  # a knox token of the peer's bench user


@dataclass(frozen=True)
class Scenario:
    """One kind of request: where, with what credentials, and the status it must answer."""

    name: str
    path: str
    headers: Callable[[Credentials], dict[str, str]]
    expected: int
    uses_pat: bool = False
    min_seconds: float = 0
    # also run on the other worker models `--worker-class` names (the comparison of item 4)
    compare: bool = False
    peer: bool = False  # sent to the peer (Django REST framework + knox), not to us


CLOSE = {"Connection": "close"}
SCENARIOS = [
    Scenario(report.PUBLIC, PUBLIC_PATH, lambda c: {}, 200, compare=True),
    Scenario(report.PAT_HEADER, PROTECTED_PATH, lambda c: token_headers(c.pat), 200, True, compare=True),
    Scenario(report.PAT_BASIC, PROTECTED_PATH, lambda c: token_headers(c.pat, "basic"), 200, True),
    Scenario(
        report.PAT_CLOSE, PROTECTED_PATH, lambda c: {**token_headers(c.pat), **CLOSE}, 200, True, compare=True
    ),
    Scenario(report.RELEASES, RELEASES_PATH, lambda c: token_headers(c.pat), 200, True),
    Scenario(
        "bad-checksum token (401)", PROTECTED_PATH, lambda c: token_headers(seed_pat.bad_checksum(c.pat)), 401
    ),
    Scenario(report.EXPIRED, PROTECTED_PATH, lambda c: token_headers(c.expired), 401),
    Scenario(report.DELETED, PROTECTED_PATH, lambda c: token_headers(c.deleted), 401),
    Scenario(report.UNKNOWN, PROTECTED_PATH, lambda c: token_headers(c.unknown), 401),
    Scenario(report.PEER_PUBLIC, PUBLIC_PATH, lambda c: {}, 200, peer=True),
    Scenario(
        report.PEER_PROTECTED, PROTECTED_PATH, lambda c: {PEER_HEADER: f"Token {c.peer}"}, 200, peer=True
    ),
    Scenario(
        f"protected, Basic user:password (bcrypt {PRODUCTION_BCRYPT_ROUNDS})",
        PROTECTED_PATH,
        lambda c: basic_auth(c.username, c.password),
        200,
        min_seconds=BCRYPT_MIN_SECONDS,
    ),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the authentication path under gunicorn on SQLite and PostgreSQL.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 and 100,000 tokens, 2 s per scenario (under 2 minutes)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--worker-class",
        help="gunicorn worker classes, comma-separated: every scenario runs on the first, the "
        "public and PAT-header ones on the others too (default: default,sync for a full run, "
        "default for --quick; default is the one conf/gunicorn.conf.py chooses)",
    )
    parser.add_argument("--duration", type=float, help="seconds of load per scenario (default 10, quick 2)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument(
        "--sizes", help="token table sizes, comma-separated (default 1000,100000,1000000; quick 1000,100000)"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql (default both)")
    parser.add_argument(
        "--output",
        help="Markdown file to write the results into (default docs/benchmarks.md for a full run; "
        "a --quick run only prints unless given)",
    )
    parser.add_argument(
        "--iterations", type=int, help="in-process timed calls per table size (default 5000, quick 1000)"
    )
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto", help="load generator")
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also measure Django REST framework + django-rest-knox (installed into a throwaway venv "
        "from PyPI) on SQLite, interleaved with us; always on in a full run",
    )
    args = parser.parse_args(argv)
    args.peer = args.peer or not args.quick
    args.duration = args.duration or (2.0 if args.quick else 10.0)
    args.iterations = args.iterations or (1000 if args.quick else 5000)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")] if args.sizes else None
    args.sizes = sorted(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    chosen = args.worker_class or (DEFAULT_WORKER if args.quick else f"{DEFAULT_WORKER},sync")
    args.worker_classes = [w.strip() for w in chosen.split(",") if w.strip()] or [DEFAULT_WORKER]
    for name in args.databases:
        if name not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {name!r}: use sqlite and/or postgresql")
    if args.output is None and not args.quick:
        args.output = str(PROJECT_ROOT / "docs" / "benchmarks.md")
    return args


class Interrupted(Exception):
    """SIGTERM: unwind like Ctrl-C so servers and temporary folders are cleaned up."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted()


def status_of(base: str, path: str, headers: dict[str, str]) -> int:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def say(message: str) -> None:
    print(message, flush=True)


class DatabaseRun:
    """One database: its server, its seeding, and every measurement at each table size."""

    def __init__(self, kind: str, args: argparse.Namespace, out: report.Report, stack: contextlib.ExitStack):
        self.kind = kind
        self.first_uses = 0  # first-use UPDATE rows of the token table in the last HTTP runs
        self.args = args
        self.out = out
        self.stack = stack
        self.sample: list[str] = []
        self.seeded = 0
        self.peer: Peer | None = None

    def prepare(self, server: bool = True) -> None:
        """A fresh database with the benchmark user, their PAT, an expired token and 20 releases;
        then the server, unless `server` is False (in-process work only)."""
        tmp = Path(tempfile.mkdtemp(prefix=f"release-host-bench-{self.kind}-"))
        self.stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        self.tmp = tmp
        self.cluster: PostgresCluster | None = None
        if self.kind == "postgresql":
            cluster = self.cluster = PostgresCluster()
            self.stack.callback(cluster.stop)
            cluster.start()
            cluster.execute("CREATE DATABASE bench")
            url = cluster.url("bench")
        else:
            url = f"sqlite:///{tmp / 'bench.db'}"
        config = Config(
            database_url=url,
            secret_key=secrets.token_urlsafe(48),
            bcrypt_rounds=PRODUCTION_BCRYPT_ROUNDS,
            var_dir=tmp / "var",
            enabled_plugins=list(PLUGINS),
            # The refusal scenarios send thousands of refused tokens from one address: under the
            # default limits the address would be blocked (429) after 100 of them.
            security=SecuritySettings(failures_per_account=UNLIMITED, failures_per_address=UNLIMITED),
        )
        # "cli": the seeding and in-process host must not start releases_api's worker thread.
        self.app: App = create_app(config, context="cli")
        self.stack.callback(self.app.host.shutdown)
        self.host = self.app.host
        self.harness = Harness(config=config, app=self.app, tmp_path=tmp)
        with self.harness.db():
            self.host.migrate()
        password = secrets.token_urlsafe(12)
        user = self.harness.user("bench", [PERMISSION], password=password)
        pat = make_token(self.harness, user, "bench", expiration="30d")
        expired, deleted = seed_pat.new_token(), seed_pat.new_token()
        now = self.host.now()
        with self.harness.db():
            seed.bulk_insert(
                self.host.database,
                seed_pat.TABLE,
                seed_pat.COLUMNS,
                [
                    seed_pat.row(
                        self.host,
                        user.id,
                        "expired",
                        expired,
                        now - timedelta(days=31),
                        now - timedelta(days=1),
                    ),
                    seed_pat.row(self.host, user.id, "deleted", deleted, now, now + timedelta(days=30)),
                ],
            )
            seed_pat.mark_deleted(self.host, deleted, now)
            seed.install_write_counter(self.host.database, WRITTEN_TABLES, SPLIT_WRITES)
        self.has_releases = RELEASES_PATH in self.host.routes and bool(seed_releases(self.harness))
        if not self.has_releases:
            self.out.notes.append(
                f"{self.kind}: GET {RELEASES_PATH} not measured: releases_api provides no such route yet"
            )
        self.creds = Credentials("bench", password, pat, expired, deleted, seed_pat.new_token())
        if not server:
            return
        self.servers: dict[str, Gunicorn] = {}
        for worker_class in self.args.worker_classes:
            log_path = tmp / f"gunicorn-{worker_class}.log"
            started = Gunicorn(self.harness.write_conf(), self.args.workers, log_path, worker_class)
            self.stack.callback(started.stop)
            started.start()
            self.servers[worker_class] = started
        self.server = next(iter(self.servers.values()))
        if self.args.peer and self.kind == "sqlite":
            began = time.perf_counter()
            self.peer = Peer(tmp / "peer", self.args.workers, config.threads)
            self.stack.callback(self.peer.stop)
            self.peer.install()
            self.out.durations["peer install"] = time.perf_counter() - began
            self.out.notes.append(
                f"Peer: {self.peer.versions} on SQLite (WAL), gunicorn gthread, {self.args.workers} "
                f"workers × {config.threads} threads, keep-alive 5 s, access log on, like ours; "
                "measured in the SQLite run only; its `× public` is over its own public route."
            )

    def grow(self, size: int) -> None:
        """Bulk-insert tokens of many users until the table holds `size` seeded tokens."""
        if size <= self.seeded:
            return
        started = time.perf_counter()
        db = self.host.database
        with self.harness.db(), seed.bulk_loading(db):
            user_ids = seed.ensure_users(
                db, math.ceil(size / seed_pat.TOKENS_PER_USER), self.host.now(), PERMISSION
            )
            rows = seed_pat.seeded_rows(
                self.host, user_ids, self.seeded, size, self.host.now(), self.sample, SAMPLE_TOKENS
            )
            seed.bulk_insert(db, seed_pat.TABLE, seed_pat.COLUMNS, rows)
            seed.analyze(db)
            total = seed_pat.count(db)
        if self.peer is not None and size > PEER_MAX_TOKENS:
            self.out.notes.append(
                f"Peer not measured at {size:,} tokens (seeding knox's table past "
                f"{PEER_MAX_TOKENS:,} takes too long)."
            )
        elif self.peer is not None:
            peer_total = self.peer.grow(size)
            self.creds.peer = self.peer.token
            if self.peer.proc is None:
                self.peer.start()
            say(f"  peer: knox table holds {peer_total:,} tokens")
        elapsed = time.perf_counter() - started
        self.out.durations[f"seed {self.kind} to {size:,}"] = elapsed
        say(f"  seeded {size - self.seeded:,} tokens in {elapsed:.1f} s (table: {total:,} rows)")
        self.seeded = size

    def plan(self, scenarios: list[Scenario]) -> list[tuple[Scenario, str, float]]:
        """Round-robin slices of every quick scenario on every worker model's server, so that
        the machine's drift (other processes, this machine's neighbours) falls on all of them
        alike and the ratios hold; the slow ones (bcrypt) run once at the end, since a request
        still running when a slice ends would eat into the next scenario's slice."""
        slice_seconds = SLICE_SECONDS if self.args.duration >= 2 * SLICE_SECONDS else 1
        rounds = max(1, round(self.args.duration / slice_seconds))
        quick = [s for s in scenarios if not s.min_seconds]
        plan = [
            (s, w, float(slice_seconds)) for _ in range(rounds) for s in quick for w in self.servers_for(s)
        ]
        slow = [s for s in scenarios if s.min_seconds]
        return plan + [
            (s, w, max(self.args.duration, s.min_seconds)) for s in slow for w in self.servers_for(s)
        ]

    def servers_for(self, scenario: Scenario) -> list[str]:
        """Every scenario runs on the first worker model; the others (a comparison) run only the
        scenarios marked `compare`."""
        first, *others = self.servers
        return [first, *others] if scenario.compare else [first]

    def cpu(self, server: Gunicorn, scenario: Scenario) -> tuple[dict[int, float], dict[int, float]]:
        """CPU seconds so far of each gunicorn worker (the peer's for a peer scenario) and of each
        PostgreSQL backend."""
        if scenario.peer and self.peer is not None:
            return self.peer.cpu(), {}
        backends = postgres_backends(self.cluster.dir / "data") if self.cluster else []
        return cpu_by_pid(server.worker_pids()), cpu_by_pid(backends)

    def base_url(self, scenario: Scenario, server: Gunicorn) -> str:
        return self.peer.url if scenario.peer and self.peer is not None else server.url

    def label(self, scenario: Scenario, worker_class: str) -> str:
        """The scenario's name, with the worker model for the ones compared with the first."""
        return (
            scenario.name if worker_class == next(iter(self.servers)) else f"{scenario.name} [{worker_class}]"
        )

    def http(self, size: int) -> tuple[int, float, int]:
        """Every scenario under load; returns last-used UPDATE rows, the seconds they span and
        the number of requests made with the valid PAT meanwhile."""
        args = self.args
        scenarios = [
            s
            for s in SCENARIOS
            if (s.path != RELEASES_PATH or self.has_releases)
            and (not s.peer or (self.peer is not None and size <= PEER_MAX_TOKENS))
            # --quick leaves bcrypt out: its seconds-long requests (and waiting for the workers
            # to settle after them) would take a third of its three minutes; the full run has it
            and not (s.min_seconds and args.quick)
        ]
        public = scenarios[0]
        peer_public = next((s for s in scenarios if s.peer), None)
        with self.harness.db():
            before = seed.writes_so_far(self.host.database)
        started = time.perf_counter()
        seen = {
            s.name: status_of(self.base_url(s, self.server), s.path, s.headers(self.creds)) for s in scenarios
        }
        warm = scenarios[1]
        for server in self.servers.values():
            load.run_load(server.url + warm.path, warm.headers(self.creds), 1, args.connections, args.load)
        results: dict[str, list[load.LoadResult]] = {}
        for scenario, worker_class, seconds in self.plan(scenarios):
            server = self.servers[worker_class]
            with self.harness.db():
                writes = seed.writes_so_far(self.host.database)
            server_cpu, database_cpu = self.cpu(server, scenario)
            url = self.base_url(scenario, server) + scenario.path
            result = load.run_load(url, scenario.headers(self.creds), seconds, args.connections, args.load)
            server_after, database_after = self.cpu(server, scenario)
            result.server_cpu_s = cpu_used(server_cpu, server_after)
            result.database_cpu_s = cpu_used(database_cpu, database_after)
            time.sleep(0.1)  # a write of the slice's last requests lands before the count
            with self.harness.db():
                result.writes = seed.writes_between(writes, seed.writes_so_far(self.host.database))
            results.setdefault(self.label(scenario, worker_class), []).append(result)
            if scenario.min_seconds:
                settle(server)
        time.sleep(0.5)
        with self.harness.db():
            after = seed.writes_so_far(self.host.database)
        key = (seed_pat.TABLE, "UPDATE")
        updates = after.get(key, 0) - before.get(key, 0)
        first = (seed_pat.TABLE, seed.FIRST_USE)
        self.first_uses = after.get(first, 0) - before.get(first, 0)
        span = time.perf_counter() - started
        combined = {name: load.combine(runs) for name, runs in results.items()}
        pat_requests = sum(
            combined[self.label(s, w)].requests for s in scenarios if s.uses_pat for w in self.servers_for(s)
        )
        for worker_class, scenario in ((w, s) for w in self.servers for s in scenarios):
            if worker_class not in self.servers_for(scenario):
                continue
            name = self.label(scenario, worker_class)
            result = combined[name]
            base = combined[
                self.label(peer_public if scenario.peer and peer_public else public, worker_class)
            ].rps
            row = report.HttpRow(
                self.kind,
                size,
                name,
                scenario.expected,
                seen[scenario.name],
                result,
                result.rps / base if base else None,
            )
            self.out.http.append(row)
            say(
                f"  {name:<44} {seen[scenario.name]}  {result.rps:8.1f} req/s  "
                f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  × public {row.ratio:.2f}  "
                f"CPU/req {result.server_cpu_us:5.0f} µs"
                + (f" + db {result.database_cpu_us:4.0f} µs" if self.cluster else "")
                + f"  writes {result.writes}"
            )
        if len(self.servers) > 1:
            for worker_class in self.servers:
                for scenario in (s for s in scenarios if s.compare):
                    figures = self.out.models.setdefault(worker_class, {})
                    figures[(self.kind, size, scenario.name)] = combined[
                        self.label(scenario, worker_class)
                    ].rps
        self.compare_worker_models(size, scenarios, combined)
        return updates, span, pat_requests

    def compare_worker_models(
        self, size: int, scenarios: list[Scenario], combined: dict[str, load.LoadResult]
    ) -> None:
        """A note per worker model after the first: its req/s over the first's, scenario by scenario
        (same run, same slices: the ratio holds where absolute numbers drift)."""
        first, *others = self.servers
        for other in others:
            ratios = []
            for scenario in (s for s in scenarios if s.compare):
                old = combined[self.label(scenario, first)].rps
                new = combined[self.label(scenario, other)].rps
                ratios.append(f"{scenario.name} {new / old:.2f}" if old else f"{scenario.name} n/a")
            note = f"{self.kind}, {size:,} tokens: req/s of [{other}] over [{first}]: " + "; ".join(ratios)
            self.out.notes.append(note)
            say("  " + note)

    def inprocess(self, size: int, http_updates: int, http_seconds: float, pat_requests: int) -> None:
        """The auth step timed without HTTP, SQL statements per kind of credential, memory."""
        host = self.host
        sample = [token_headers(t) for t in self.sample]
        random.Random(size).shuffle(sample)
        counter = StatementCounter(host.database)
        with host.database.connection_context(), counter.active():
            started = time.perf_counter()
            timing, refused = time_auth(
                host, PROTECTED_PATH, sample, PERMISSION, self.args.iterations, counter
            )
            timed_seconds = time.perf_counter() - started
            timed_updates = counter.counts["UPDATE"]
        if refused:
            raise RuntimeError(
                f"{refused} of the in-process calls were refused: the sample tokens do not work"
            )
        cases = {
            "valid": token_headers(self.sample[0]),
            "malformed": token_headers(seed_pat.malformed()),
            "bad checksum": token_headers(seed_pat.bad_checksum(self.sample[0])),
            "unknown": token_headers(seed_pat.new_token()),
            "expired": token_headers(self.creds.expired),
            "deleted": token_headers(self.creds.deleted),
        }
        statements = {}
        with host.database.connection_context():
            for name, headers in cases.items():
                statements[name] = dict(count_statements(host, PROTECTED_PATH, headers, PERMISSION))
        wsgi_iterations = max(200, self.args.iterations // 5)
        public_timing, public_status = time_wsgi(self.app, PUBLIC_PATH, {}, wsgi_iterations)
        protected_timing, protected_status = time_wsgi(self.app, PROTECTED_PATH, sample[0], wsgi_iterations)
        if not (public_status.startswith("200") and protected_status.startswith("200")):
            raise RuntimeError(f"in-process WSGI calls answered {public_status} / {protected_status}")
        row = report.InProcessRow(
            database=self.kind,
            tokens=size,
            auth_p50_us=timing.p50_us,
            auth_p99_us=timing.p99_us,
            auth_calls=len(timing.samples),
            wsgi_public_p50_us=public_timing.p50_us,
            wsgi_protected_p50_us=protected_timing.p50_us,
            statements=statements,
            timed_updates=timed_updates,
            timed_seconds=timed_seconds,
            sample_tokens=len(sample),
            http_update_rows=http_updates,
            http_first_use_rows=self.first_uses,
            http_seconds=http_seconds,
            http_tokens=1,
            http_pat_requests=pat_requests,
            worker_rss_mib=self.server.worker_rss_mib(),
        )
        self.out.inprocess.append(row)
        sql = ", ".join(f"{k} {sum(v.values())}" for k, v in statements.items())
        say(
            f"  in-process auth step p50 {row.auth_p50_us:.0f} µs, p99 {row.auth_p99_us:.0f} µs; "
            f"SQL per step: {sql}; worker RSS {' / '.join(f'{m:.0f}' for m in row.worker_rss_mib)} MiB"
        )


def settle(server: Gunicorn, timeout: float = 60) -> None:
    """Wait until the server's workers are idle: requests still running when wrk stops (bcrypt
    ones take seconds, and a threaded worker runs several at once) would otherwise take the CPU
    from whatever is measured next."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_by_pid(server.worker_pids())
        time.sleep(0.5)
        if cpu_used(before, cpu_by_pid(server.worker_pids())) < 0.05:
            return


def seed_releases(harness: Harness) -> int:
    """Twenty planned releases, made through the releases API with a PAT of a user who may create
    them (the benchmark user only holds `release#view`)."""
    maker = harness.user(
        "bench-release-maker", [PERMISSION, "release#create"], password=secrets.token_urlsafe(12)
    )
    headers = token_headers(make_token(harness, maker, "seeding releases"))
    for i in range(RELEASES):
        body = {
            "title": f"Bench release {i + 1}",
            "description": "Seeded by python -m bench",
            "tags": ["bench"],
            "phases": [
                {"title": "Build", "tasks": [{"type": "xlrelease.Task", "title": "Compile"}]},
                {"title": "Deploy", "tasks": [{"type": "xlrelease.Task", "title": "Roll out"}]},
            ],
        }
        result = harness.client.simulate_post(RELEASES_PATH, json=body, headers=headers)
        if result.status_code not in (200, 201):
            raise RuntimeError(f"creating a release answered {result.status_code}: {result.text[:300]}")
    return RELEASES


def run(args: argparse.Namespace) -> report.Report:
    command = "python -m bench " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "python -m bench"
    out = report.Report(machine=machine.describe(), command=command.strip(), workers=args.workers)
    if args.load == "python" or (args.load == "auto" and not load.have_wrk()):
        out.notes.append("wrk is not installed: the Python load generator ran (far slower than wrk).")
    for kind in args.databases:
        if kind == "postgresql" and not PostgresCluster.available():
            out.notes.append("PostgreSQL not measured: its server binaries are not installed.")
            say("PostgreSQL: server binaries not found, skipped")
            continue
        started = time.perf_counter()
        with contextlib.ExitStack() as stack:
            say(f"{kind}: starting")
            runner = DatabaseRun(kind, args, out, stack)
            runner.prepare()
            for size in args.sizes:
                say(f"{kind}, {size:,} tokens:")
                runner.grow(size)
                runner.inprocess(size, *runner.http(size))
        out.durations[kind] = time.perf_counter() - started
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # pat_auth logs each refused token; the bench refuses some on purpose, in-process too.
    logging.getLogger("release_host").addHandler(logging.NullHandler())
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Ctrl-C must stop the run even when started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.perf_counter()
    try:
        out = run(args)
    except (KeyboardInterrupt, Interrupted):
        print("bench: interrupted; servers stopped and temporary files removed", file=sys.stderr)
        return 130
    out.durations = {"total": time.perf_counter() - started, **out.durations}
    load1, load5, _ = os.getloadavg()
    out.notes.append(
        f"Load average at the end: {load1:.2f} (1 min), {load5:.2f} (5 min) on "
        f"{os.cpu_count()} cores; above the core count, other processes shared the machine."
    )
    text = report.render(out)
    say("\n" + text)
    if args.output:
        report.write_docs(Path(args.output), text)
        say(f"written to {args.output}")
    elif args.quick:
        say("quick run: not written to docs/benchmarks.md (give --output FILE to write it)")
    return 0
